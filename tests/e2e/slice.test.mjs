// End-to-end: the calculator page in Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { serve, launch, screenshot, exact, shutdown, openLink } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await shutdown(); await server?.close(); });

async function openPage(path = '/') {
  const b = await launch(server.origin);
  await b.page.goto(`${server.origin}${path}`);
  await b.page.waitForSelector('body[data-ready="true"]');
  return b;
}

// Position controls are per row: `p0-size` is the first position's size.
const ID = { side: 'p0-side', size: 'p0-size', entryPrice: 'p0-entryPrice', markPrice: 'p0-markPrice', leverage: 'p0-leverage', maintenanceMarginRate: 'p0-mmr' };

async function typeInto(page, id, value) {
  await page.fill(`#${ID[id] ?? id}`, value);
}

test('a linear long: typed values give the engine\'s figures and a liquidation price', async () => {
  const b = await openPage();
  try {
    const { page } = b;
    await typeInto(page, 'walletBalance', '1000');
    await page.selectOption('#marginMode', 'isolated');
    await page.selectOption('#p0-side', 'long');
    await typeInto(page, 'size', '1');
    await typeInto(page, 'entryPrice', '20000');
    await typeInto(page, 'markPrice', '20000');
    await typeInto(page, 'leverage', '50');
    await typeInto(page, 'maintenanceMarginRate', '0.005');
    // Isolated long, mark basis (Binance form): LP = (400 − 20000)/(0.005 − 1) = 19698.4924…
    // Shown rounded for reading; the engine's exact value is the <data> element's value.
    await page.waitForFunction(() => document.querySelector('#out-initialMargin').textContent === '400.00 USDT');
    assert.equal(await exact(page, '#out-initialMargin'), '400');
    assert.equal(await page.textContent('#out-maintenanceMargin'), '100.00 USDT');
    assert.equal(await exact(page, '#out-maintenanceMargin'), '100');
    const liq = Number(await exact(page, '#out-p0-liquidationPrice'));
    assert.ok(Math.abs(liq - 19600 / 0.995) < 1e-6, `liquidation ${liq}`);
    assert.equal(await page.textContent('#out-p0-liquidationPrice'), '19,698.49');
    assert.equal(await exact(page, '#out-p0-bankruptcyPrice'), '19600');
    assert.equal(await page.textContent('#out-p0-bankruptcyPrice'), '19,600.00');
    assert.equal(await page.textContent('#out-effectiveLeverage'), '20×');
    const rows = await page.$$eval('#breakdown-0 tbody tr', (trs) => trs.length);
    assert.ok(rows >= 5, 'breakdown has rows');
    const shot = await screenshot(page, 'slice-desktop');
    assert.ok((await stat(shot)).size > 10_000);
    assert.deepEqual(b.consoleErrors, []);
    assert.deepEqual(b.offOrigin, []);
  } finally { await b.close(); }
});

test('a bad value shows a field error next to the field and keeps the last result', async () => {
  const b = await openPage();
  try {
    const { page } = b;
    await typeInto(page, 'leverage', '10');
    await page.waitForFunction(() => document.querySelector('#out-initialMargin').textContent !== '–');
    const before = await page.textContent('#out-initialMargin');
    await typeInto(page, 'leverage', '0');
    await page.waitForFunction(() => document.querySelector('#p0-leverage-error').textContent !== '');
    assert.match(await page.textContent('#p0-leverage-error'), /greater than zero/);
    assert.equal(await page.getAttribute('#p0-leverage', 'aria-invalid'), 'true');
    assert.equal(await page.textContent('#out-initialMargin'), before);
    await typeInto(page, 'entryPrice', 'abc');
    await page.waitForFunction(() => document.querySelector('#p0-entryPrice-error').textContent !== '');
    assert.match(await page.textContent('#p0-entryPrice-error'), /not a decimal number/);
    await typeInto(page, 'leverage', '10');
    await typeInto(page, 'entryPrice', '60000');
    await page.waitForFunction(() => document.querySelector('#p0-leverage-error').textContent === '');
    assert.equal(await page.getAttribute('#p0-leverage', 'aria-invalid'), null);
    assert.deepEqual(b.consoleErrors, []);
    assert.deepEqual(b.offOrigin, []);
  } finally { await b.close(); }
});

test('the URL carries the state: a share link reproduces the same numbers', async () => {
  const b = await openPage();
  let link;
  let figures;
  try {
    const { page } = b;
    await page.selectOption('#p0-side', 'short');
    await typeInto(page, 'size', '2.5');
    await typeInto(page, 'leverage', '7');
    await page.waitForFunction(() => location.hash.includes('leverage=7'));
    link = page.url();
    figures = await page.$$eval('.figures dd', (dds) => dds.map((d) => d.textContent));
  } finally { await b.close(); }
  const again = await openLink(server.origin, link);
  try {
    assert.equal(await again.page.inputValue('#p0-side'), 'short');
    assert.deepEqual(await again.page.$$eval('.figures dd', (dds) => dds.map((d) => d.textContent)), figures);
    assert.deepEqual(again.consoleErrors, []);
    assert.deepEqual(again.offOrigin, []);
  } finally { await again.close(); }
});

test('works inside an iframe on another page, in embed mode', async () => {
  const b = await launch(server.origin);
  try {
    const embedder = `${server.origin}/?embed=1`;
    await b.page.setContent(`<!doctype html><title>help</title><iframe title="calculator" src="${embedder}" width="400" height="700"></iframe>`);
    const frame = await (await b.page.waitForSelector('iframe')).contentFrame();
    await frame.waitForSelector('body[data-ready="true"]');
    assert.equal(await frame.evaluate(() => document.body.classList.contains('embed')), true);
    await frame.fill('#p0-leverage', '25');
    await frame.waitForFunction(() => document.querySelector('#out-initialMargin').textContent === '1,200.00 USDT');
    assert.deepEqual(b.consoleErrors, []);
    assert.deepEqual(b.offOrigin, []);
  } finally { await b.close(); }
});
