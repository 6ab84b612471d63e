// End-to-end: accessibility (axe-core), themes, small screens, screenshots, embedding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { serve, openPage, launch, screenshot, assertClean, shutdown, WWW, axeRoute, seriousViolations } from './harness.mjs';

const PRESET = 'binance-btcusdt-perp-2024-10';

let server;
let host;
// axe-core is served by the test server next to the page: `addScriptTag({ path })` would inline
// it, which the page's CSP (no 'unsafe-inline') rightly blocks, and the CSP stays on in tests.
before(async () => { server = await serve(WWW, await axeRoute()); });
after(async () => { await shutdown(); await server?.close(); await host?.close(); });

/** A book with two positions (one on a preset), a warning and an open breakdown: most of the UI. */
async function busyBook(page) {
  await page.click('#add-position');
  await page.waitForSelector('#p1-rule');
  await page.selectOption('#p1-rule', `preset:${PRESET}`);
  await page.waitForSelector('#p1-preset-info');
  await page.fill('#p1-leverage', '125');
  await page.fill('#p1-size', '2');
  await page.fill('#p1-entryPrice', '60000');
  await page.fill('#p1-markPrice', '60000');
  await page.fill('#p1-symbol', 'BTCUSDT-PERP');
  await page.selectOption('#marginMode', 'cross');
  await page.waitForFunction(() => document.querySelector('#p1-leverage-warn').textContent !== '');
  await page.click('#result-p0 summary');
  await page.waitForSelector('#chart svg [data-liquidation]');
}

for (const theme of ['light', 'dark']) {
  test(`axe-core finds no serious or critical violations (${theme} theme), with results and with a field error`, async () => {
    const b = await openPage(server.origin, `/?theme=${theme}`, { colorScheme: theme });
    try {
      const { page } = b;
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
      await busyBook(page);
      assert.deepEqual(await seriousViolations(page), []);
      await page.fill('#p0-leverage', '0');
      await page.waitForFunction(() => document.querySelector('#results').dataset.stale === 'true');
      assert.deepEqual(await seriousViolations(page), []);
      await page.fill('#p0-leverage', '20');
      await page.waitForFunction(() => document.querySelector('#results').dataset.stale === 'false');
      if (theme === 'dark') {
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(bg, 'rgb(17, 20, 24)');
        const shot = await screenshot(page, 'dark');
        assert.ok((await stat(shot)).size > 10_000);
      } else {
        const shot = await screenshot(page, 'desktop');
        assert.ok((await stat(shot)).size > 10_000);
      }
      assertClean(assert, b);
    } finally { await b.close(); }
  });
}

test('usable at 360 px: nothing overflows sideways, controls are reachable', async () => {
  const b = await openPage(server.origin, '/', { viewport: { width: 360, height: 780 } });
  try {
    const { page } = b;
    await busyBook(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    const tooWide = await page.$$eval('input, select, button, .figures, svg, table', (els) => els
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .map((e) => e.id || e.tagName));
    assert.deepEqual(tooWide, []);
    // Touch-sized controls (of those shown: the valuation time appears only with options).
    const small = await page.$$eval('#calc input:not([type=checkbox]), #calc select, #calc button', (els) => els
      .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().height < 32).map((e) => e.id || e.textContent));
    assert.deepEqual(small, []);
    const shot = await screenshot(page, 'phone-360');
    assert.ok((await stat(shot)).size > 10_000);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('embedded in an iframe on another origin: compact, themed, preset preselected, and it computes', async () => {
  const src = `${server.origin}/?embed=1&theme=dark&preset=${PRESET}`;
  host = await serve(undefined, {
    '/help.html': ['text/html; charset=utf-8', `<!doctype html><html lang="en"><link rel="icon" href="data:,"><title>Exchange help</title><h1>Margin</h1><iframe title="Margin calculator" src="${src}" width="360" height="900"></iframe>`],
  });
  const b = await launch([host.origin, server.origin]);
  try {
    await b.page.goto(`${host.origin}/help.html`);
    const frame = await (await b.page.waitForSelector('iframe')).contentFrame();
    await frame.waitForSelector('body[data-ready="true"]');
    assert.equal(await frame.evaluate(() => document.body.classList.contains('embed')), true);
    assert.equal(await frame.evaluate(() => document.documentElement.dataset.theme), 'dark');
    assert.equal(await frame.isVisible('header.top'), false);
    assert.equal(await frame.isVisible('#export-json'), false);
    assert.equal(await frame.inputValue('#p0-rule'), `preset:${PRESET}`);
    assert.equal(await frame.getAttribute('#open-full', 'target'), '_blank');
    assert.doesNotMatch(await frame.getAttribute('#open-full', 'href'), /embed=1/);
    await frame.fill('#p0-leverage', '10');
    await frame.waitForFunction(() => document.querySelector('#out-initialMargin').textContent === '3,000.00 USDT');
    await frame.waitForFunction(() => /^Tier 1/.test(document.querySelector('#out-p0-tier').textContent));
    await frame.waitForSelector('#chart svg [data-liquidation]');
    const overflow = await frame.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `embed is ${overflow}px wider than its frame`);
    // The embedding page's URL is untouched; the frame keeps its own state.
    assert.equal(b.page.url(), `${host.origin}/help.html`);
    assert.match(frame.url(), /embed=1.*#v=4&/);
    assertClean(assert, b);
  } finally { await b.close(); }
});
