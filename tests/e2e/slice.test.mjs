// End-to-end: the calculator page in Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { serve, launch, screenshot } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server.close(); });

async function openPage(path = '/') {
  const b = await launch(server.origin);
  await b.page.goto(`${server.origin}${path}`);
  await b.page.waitForSelector('body[data-ready="true"]');
  return b;
}

async function typeInto(page, id, value) {
  await page.fill(`#${id}`, value);
}

test('a linear long: typed values give the engine\'s figures and a liquidation price', async () => {
  const b = await openPage();
  try {
    const { page } = b;
    await typeInto(page, 'walletBalance', '1000');
    await page.selectOption('#marginMode', 'isolated');
    await page.selectOption('#side', 'long');
    await typeInto(page, 'size', '1');
    await typeInto(page, 'entryPrice', '20000');
    await typeInto(page, 'markPrice', '20000');
    await typeInto(page, 'leverage', '50');
    await typeInto(page, 'maintenanceMarginRate', '0.005');
    // Isolated long, mark basis (Binance form): LP = (400 − 20000)/(0.005 − 1) = 19698.4924…
    await page.waitForFunction(() => document.querySelector('#out-initialMargin').textContent === '400 USDT');
    assert.equal(await page.textContent('#out-maintenanceMargin'), '100 USDT');
    const liq = Number(await page.textContent('#out-liquidationPrice'));
    assert.ok(Math.abs(liq - 19600 / 0.995) < 1e-6, `liquidation ${liq}`);
    assert.equal(await page.textContent('#out-bankruptcyPrice'), '19600');
    assert.equal(await page.textContent('#out-effectiveLeverage'), '20×');
    const rows = await page.$$eval('#breakdown tbody tr', (trs) => trs.length);
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
    await page.waitForFunction(() => document.querySelector('#leverage-error').textContent !== '');
    assert.match(await page.textContent('#leverage-error'), /greater than zero/);
    assert.equal(await page.getAttribute('#leverage', 'aria-invalid'), 'true');
    assert.equal(await page.textContent('#out-initialMargin'), before);
    await typeInto(page, 'entryPrice', 'abc');
    await page.waitForFunction(() => document.querySelector('#entryPrice-error').textContent !== '');
    assert.match(await page.textContent('#entryPrice-error'), /not a decimal number/);
    await typeInto(page, 'leverage', '10');
    await typeInto(page, 'entryPrice', '60000');
    await page.waitForFunction(() => document.querySelector('#leverage-error').textContent === '');
    assert.equal(await page.getAttribute('#leverage', 'aria-invalid'), null);
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
    await page.selectOption('#side', 'short');
    await typeInto(page, 'size', '2.5');
    await typeInto(page, 'leverage', '7');
    await page.waitForFunction(() => location.hash.includes('leverage=7'));
    link = page.url();
    figures = await page.$$eval('.figures dd', (dds) => dds.map((d) => d.textContent));
  } finally { await b.close(); }
  const again = await launch(server.origin);
  try {
    await again.page.goto(link);
    await again.page.waitForSelector('body[data-ready="true"]');
    assert.equal(await again.page.inputValue('#side'), 'short');
    assert.deepEqual(await again.page.$$eval('.figures dd', (dds) => dds.map((d) => d.textContent)), figures);
    assert.deepEqual(again.consoleErrors, []);
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
    await frame.fill('#leverage', '25');
    await frame.waitForFunction(() => document.querySelector('#out-initialMargin').textContent === '1200 USDT');
    assert.deepEqual(b.consoleErrors, []);
  } finally { await b.close(); }
});
