// End-to-end: a book of several positions — building it, sharing it, saving it, errors in it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serve, openPage, exact, engine, fillAll, assertClean, shutdown, openLink } from './harness.mjs';

let server;
let imr;
before(async () => { server = await serve(); imr = await engine(); });
after(async () => { await shutdown(); await server?.close(); });

const PRESET = 'binance-btcusdt-perp-2024-10';

/** What the page adds to every request by default: the risk assumptions and five stress scenarios. */
const PAGE_DEFAULTS = {
  volatility: '0.6', horizonDays: '1',
  stress: [
    { name: 'Price −20 %', priceMovePercent: '-20', volMove: '0', daysForward: '0' },
    { name: 'Price −10 %', priceMovePercent: '-10', volMove: '0', daysForward: '0' },
    { name: 'Price +10 %', priceMovePercent: '10', volMove: '0', daysForward: '0' },
    { name: 'Price +20 %', priceMovePercent: '20', volMove: '0', daysForward: '0' },
    { name: 'Volatility +10 pts', priceMovePercent: '0', volMove: '0.1', daysForward: '0' },
  ],
};

/** A cross account with two futures: BTC long and ETH short. */
async function crossBookOfTwoFutures(page) {
  await fillAll(page, {
    walletBalance: '1000', marginMode: 'cross',
    'p0-symbol': 'BTCUSDT', 'p0-kind': 'future', 'p0-side': 'long', 'p0-size': '1', 'p0-entryPrice': '20000',
    'p0-markPrice': '20000', 'p0-leverage': '50', 'p0-mmr': '0.005',
  });
  await page.click('#add-position');
  await page.waitForSelector('#p1-symbol');
  await fillAll(page, {
    'p1-symbol': 'ETHUSDT', 'p1-kind': 'future', 'p1-side': 'short', 'p1-size': '5', 'p1-entryPrice': '1000',
    'p1-markPrice': '1000', 'p1-leverage': '20', 'p1-mmr': '0.01',
  });
}

const CROSS_REQUEST = {
  account: { walletBalance: '1000', marginMode: 'cross', includeFees: false },
  markets: [
    { symbol: 'BTCUSDT', kind: 'future', settlement: 'linear', contractSize: '1', markPrice: '20000', marginBasis: 'mark', margin: { type: 'fixed', maintenanceMarginRate: '0.005' } },
    { symbol: 'ETHUSDT', kind: 'future', settlement: 'linear', contractSize: '1', markPrice: '1000', marginBasis: 'mark', margin: { type: 'fixed', maintenanceMarginRate: '0.01' } },
  ],
  positions: [
    { symbol: 'BTCUSDT', side: 'long', size: '1', entryPrice: '20000', leverage: '50' },
    { symbol: 'ETHUSDT', side: 'short', size: '5', entryPrice: '1000', leverage: '20' },
  ],
};

test('a cross book of two futures shows the liquidation prices the engine returns, and charts the first', async () => {
  // The request the page sends: the book, its whole-book liquidation, the risk inputs and stress.
  const expected = imr.calculate({ ...CROSS_REQUEST, account: { ...CROSS_REQUEST.account, bookLiquidation: true }, ...PAGE_DEFAULTS });
  assert.equal(expected.ok, true);
  const [btc, eth] = expected.result.positions;
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    await crossBookOfTwoFutures(page);
    await page.waitForFunction((v) => document.querySelector('#out-p1-liquidationPrice data')?.value === v, eth.liquidation.price);
    assert.equal(await exact(page, '#out-p0-liquidationPrice'), btc.liquidation.price);
    assert.equal(await exact(page, '#out-p1-liquidationPrice'), eth.liquidation.price);
    // Displayed rounded to cents with separators (19145.7286432161 → 19,145.73).
    assert.equal(await page.textContent('#out-p0-liquidationPrice'), '19,145.73');
    assert.equal(await page.textContent('#out-p1-liquidationPrice'), '1,168.32');
    assert.equal(await exact(page, '#out-equity'), expected.result.account.equity);
    assert.equal(await exact(page, '#out-availableBalance'), expected.result.account.availableBalance);
    assert.equal(await exact(page, '#out-p0-maxAdditionalSize'), btc.maxAdditionalSize);
    assert.equal(await exact(page, '#out-p1-distance'), eth.liquidation.distancePercent);
    // The breakdown keeps the engine's exact values.
    const values = await page.$$eval('#breakdown-1 tbody tr td:last-child', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(values, eth.breakdown.map((s) => s.value));
    // The live region summarises both.
    assert.match(await page.textContent('#status'), /BTCUSDT liquidation 19,145\.73; ETHUSDT liquidation 1,168\.32/);
    // The chart marks the first position's liquidation price, as an SVG built from the DOM.
    await page.waitForFunction((v) => document.querySelector('#chart [data-liquidation]')?.dataset.liquidation === v, btc.liquidation.price);
    assert.ok(await page.$$eval('#chart svg path', (ps) => ps.length === 2 && ps.every((p) => p.getAttribute('d').split('L').length > 20)));
    assert.match(await page.textContent('#chart svg desc'), /liquidation price 19,145\.73/);
    assertClean(assert, b);
  } finally { await b.close(); }
});

/**
 * Every control's value, except the hidden valuation time of a futures-only book: such a link
 * does not carry it (it defaults to the current minute, which may have moved on).
 */
const controls = (page) => page.$$eval('#calc input, #calc select, #calc textarea', (els) => els
  .filter((e) => e.type !== 'file' && e.id !== 'valuationTime')
  .map((e) => [e.id, e.type === 'checkbox' ? e.checked : e.value]));

test('a share link with two positions reproduces the book and its numbers', async () => {
  const b = await openPage(server.origin);
  let link;
  let inputs;
  let figures;
  try {
    const { page } = b;
    await crossBookOfTwoFutures(page);
    await page.selectOption('#p1-rule', `preset:${PRESET}`);
    await page.waitForSelector('#p1-preset-info');
    await fillAll(page, { 'p1-symbol': 'BTCUSDT-PERP', 'p1-markPrice': '20000', 'p1-entryPrice': '20000', 'p1-size': '0.1' });
    await page.check('#includeFees');
    await page.waitForFunction(() => location.hash.includes('p1.symbol=BTCUSDT-PERP') && location.hash.includes('fees=1'));
    await page.waitForFunction(() => document.querySelector('#results').dataset.stale === 'false');
    link = await page.inputValue('#share-url');
    assert.equal(link, page.url());
    inputs = await controls(page);
    figures = await page.$$eval('#results dd', (dds) => dds.map((d) => d.textContent));
    assertClean(assert, b);
  } finally { await b.close(); }
  const again = await openLink(server.origin, link);
  try {
    assert.deepEqual(await controls(again.page), inputs);
    assert.deepEqual(await again.page.$$eval('#results dd', (dds) => dds.map((d) => d.textContent)), figures);
    assert.equal(await again.page.inputValue('#p1-rule'), `preset:${PRESET}`);
    assertClean(assert, again);
  } finally { await again.close(); }
});

test('a bad value in one position shows its error next to that field and keeps the other results', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    await crossBookOfTwoFutures(page);
    await page.waitForFunction(() => document.querySelector('#out-p1-liquidationPrice data') !== null);
    const before = await page.$$eval('#results dd', (dds) => dds.map((d) => d.textContent));
    await page.fill('#p1-leverage', '0');
    await page.waitForFunction(() => document.querySelector('#p1-leverage-error').textContent !== '');
    assert.match(await page.textContent('#p1-leverage-error'), /greater than zero/);
    assert.equal(await page.getAttribute('#p1-leverage', 'aria-invalid'), 'true');
    assert.equal(await page.textContent('#p0-leverage-error'), '');
    assert.equal(await page.getAttribute('#results', 'data-stale'), 'true');
    assert.match(await page.textContent('#status'), /position 2: must be greater than zero.*last valid input/);
    assert.deepEqual(await page.$$eval('#results dd', (dds) => dds.map((d) => d.textContent)), before);
    // A market field: markets[1].markPrice lands next to position 2's mark price.
    await page.fill('#p1-markPrice', 'abc');
    await page.waitForFunction(() => document.querySelector('#p1-markPrice-error').textContent !== '');
    assert.match(await page.textContent('#p1-leverage-error'), /greater than zero/);
    assert.deepEqual(await page.$$eval('#results dd', (dds) => dds.map((d) => d.textContent)), before);
    // Two markets with the same symbol: the engine's error sits next to the symbol.
    await fillAll(page, { 'p1-markPrice': '1000', 'p1-leverage': '20', 'p1-symbol': 'BTCUSDT' });
    await page.waitForFunction(() => document.querySelector('#p1-symbol-error').textContent !== '');
    await page.fill('#p1-symbol', 'ETHUSDT');
    await page.waitForFunction(() => document.querySelector('#results').dataset.stale === 'false');
    assert.equal(await page.$$eval('#calc [aria-invalid]', (els) => els.length), 0);
    assert.deepEqual(await page.$$eval('#results dd', (dds) => dds.map((d) => d.textContent)), before);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('keyboard only: add, duplicate, edit and remove positions', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    const focusOn = async (selector) => {
      // Tab wraps around the page: the risk assumptions and stress scenarios come after the book.
      for (let n = 0; n < 120; n += 1) {
        if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
        await page.keyboard.press('Tab');
      }
      assert.fail(`Tab never reached ${selector}`);
    };
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    await focusOn('[data-action="duplicate"][data-i="0"]');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Duplicate position 1');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#p1-symbol');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'p1-symbol');
    assert.equal(await page.inputValue('#p1-symbol'), 'BTCUSDT-2');
    await page.waitForSelector('#out-p1-liquidationPrice');
    await focusOn('#p1-side');
    await page.keyboard.press('ArrowDown'); // long → short
    await page.waitForFunction(() => document.querySelector('#result-p1-title').textContent.includes('short'));
    await focusOn('#add-position');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#p2-symbol');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'p2-symbol');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('SOLUSDT');
    await page.waitForFunction(() => document.querySelector('#result-p2-title')?.textContent.startsWith('SOLUSDT'));
    await focusOn('[data-action="remove"][data-i="1"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('fieldset.position').length === 2);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'p1-symbol');
    assert.equal(await page.inputValue('#p1-symbol'), 'SOLUSDT');
    await page.waitForFunction(() => document.querySelectorAll('.pos-result').length === 2);
    assert.match(await page.textContent('#status'), /SOLUSDT liquidation/);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('?preset=NAME preselects a preset, shown with its date and source; the tier used is shown', async () => {
  const [preset] = imr.listPresets();
  const b = await openPage(server.origin, `/?preset=${preset.name}`);
  try {
    const { page } = b;
    assert.equal(await page.inputValue('#p0-rule'), `preset:${preset.name}`);
    const info = await page.textContent('#p0-preset-info');
    assert.ok(info.includes(preset.asOf) && info.includes(preset.source) && info.includes(preset.venue), info);
    assert.equal(await page.getAttribute('#p0-preset-info time', 'datetime'), preset.asOf);
    await page.waitForFunction(() => /^Tier \d/.test(document.querySelector('#out-p0-tier').textContent));
    // Leverage above the tier's maximum is a warning next to the field, not an error.
    await page.fill('#p0-leverage', '125');
    await page.fill('#p0-size', '2');
    await page.waitForFunction(() => document.querySelector('#p0-leverage-warn').textContent.includes('exceeds'));
    assert.equal(await page.isVisible('#warnings-box'), true);
    assert.equal(await page.getAttribute('#results', 'data-stale'), 'false');
    assertClean(assert, b);
  } finally { await b.close(); }
  const unknown = await openPage(server.origin, '/?preset=%3Cb%3Enope%3C%2Fb%3E');
  try {
    assert.match(await unknown.page.textContent('#form-error'), /No preset named "<b>nope<\/b>"/);
    assert.equal(await unknown.page.$$eval('#form-error b', (els) => els.length), 0);
    assert.equal(await unknown.page.inputValue('#p0-rule'), 'fixed');
    assertClean(assert, unknown);
  } finally { await unknown.close(); }
});

test('export the book as JSON and import it back; a bad file is reported, not thrown', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    await crossBookOfTwoFutures(page);
    await page.waitForFunction(() => document.querySelectorAll('.pos-result').length === 2);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
    assert.equal(download.suggestedFilename(), 'imr-book.json');
    const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
    // A futures-only cross book also asks for its whole-book liquidation (σ distances, touch probabilities).
    assert.deepEqual(exported, { ...CROSS_REQUEST, account: { ...CROSS_REQUEST.account, bookLiquidation: true }, ...PAGE_DEFAULTS });
    assert.equal(imr.calculate(exported).ok, true, 'the export is a valid engine request');
    // Import a different book.
    const other = structuredClone(CROSS_REQUEST);
    other.account.walletBalance = 5000;
    other.positions[1].size = '7';
    await page.setInputFiles('#import-json', { name: 'book.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(other)) });
    await page.waitForFunction(() => document.querySelector('#import-status').textContent.startsWith('Imported 2 positions'));
    assert.equal(await page.inputValue('#walletBalance'), '5000');
    assert.equal(await page.inputValue('#p1-size'), '7');
    assert.equal(await exact(page, '#out-p1-liquidationPrice'), imr.calculate(other).result.positions[1].liquidation.price);
    // Garbage in: a message, the book untouched.
    await page.setInputFiles('#import-json', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"positions": [') });
    await page.waitForFunction(() => document.querySelector('#import-status').textContent.includes('not valid JSON'));
    // A market field the page does not edit: refused with a message naming what.
    await page.setInputFiles('#import-json', { name: 'rule.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...other, markets: [{ ...other.markets[0], tickSize: '0.5' }, other.markets[1]] })) });
    await page.waitForFunction(() => document.querySelector('#import-status').textContent.includes('does not edit tickSize'));
    assert.equal(await page.inputValue('#p1-size'), '7');
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('text in a link is shown as text, never as markup, and clipped', async () => {
  const evil = '<img src=x onerror="document.title=1">';
  const hash = new URLSearchParams({
    v: '2', wallet: '1000', mode: 'cross', 'p0.symbol': evil, 'p0.side': 'sideways', 'p0.size': '1', 'p0.entryPrice': '100',
    'p0.markPrice': '100', 'p0.leverage': 'x'.repeat(500), 'p0.mmr': '0.01', 'p0.rule': 'fixed',
  });
  const b = await openPage(server.origin, `/#${hash}`);
  try {
    const { page } = b;
    assert.equal(await page.inputValue('#p0-symbol'), evil);
    assert.equal(await page.inputValue('#p0-side'), 'long');
    assert.equal((await page.inputValue('#p0-leverage')).length, 64);
    assert.match(await page.textContent('#p0-legend-symbol'), /<img/);
    assert.equal(await page.$$eval('img', (els) => els.length), 0);
    assert.notEqual(await page.title(), '1');
    assert.match(await page.textContent('#p0-leverage-error'), /.+/);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('an old v=1 link still opens', async () => {
  const b = await openPage(server.origin, '/#v=1&walletBalance=1000&marginMode=isolated&side=short&size=2&entryPrice=100&markPrice=100&leverage=10&maintenanceMarginRate=0.01');
  try {
    const { page } = b;
    assert.equal(await page.inputValue('#p0-side'), 'short');
    assert.equal(await page.inputValue('#p0-mmr'), '0.01');
    assert.equal(await exact(page, '#out-initialMargin'), '20');
    assert.match(page.url(), /#v=4&/);
    assertClean(assert, b);
  } finally { await b.close(); }
});
