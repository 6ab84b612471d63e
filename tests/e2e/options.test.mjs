// End-to-end: option positions on the page — their margin, Greeks and the whole book's
// liquidation prices against the engine itself, the IV slider, expired options, share links
// (v=3 and v=4, with the valuation time) and accessibility with an option row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serve, openPage, exact, engine, fillAll, assertClean, shutdown, screenshot, WWW, waitFresh, axeRoute, seriousViolations, openLink } from './harness.mjs';

let server;
let imr;
before(async () => {
  server = await serve(WWW, await axeRoute());
  imr = await engine();
});
after(async () => { await shutdown(); await server?.close(); });

const OPTION = 'BTC-27JUN25-65000-C';

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
const VT = '2025-06-01T08:00';

/** A short call hedged with a long perpetual: the book has a liquidation price below and above. */
const REQUEST = {
  account: { walletBalance: '10000', marginMode: 'cross', includeFees: false },
  markets: [
    {
      symbol: OPTION, kind: 'option', settlement: 'linear', contractSize: '1', optionType: 'call', strike: '65000',
      expiry: '2025-06-27T08:00Z', underlyingPrice: '60000', impliedVolatility: '0.6',
      margin: { type: 'standardOption', initialRate: '0.15', initialFloorRate: '0.1', maintenanceRate: '0.075' },
    },
    { symbol: 'BTCUSDT', kind: 'perpetual', settlement: 'linear', contractSize: '1', markPrice: '60000', marginBasis: 'mark', margin: { type: 'fixed', maintenanceMarginRate: '0.005' } },
  ],
  positions: [
    { symbol: OPTION, side: 'short', size: '1', entryPrice: '1500' },
    { symbol: 'BTCUSDT', side: 'long', size: '0.2', entryPrice: '60000', leverage: '10' },
  ],
  valuationTime: `${VT}Z`,
};

/** The same book as a v=3 share link (what the page wrote before v=4; such links still open), with overrides. */
function bookHash(overrides = {}) {
  return new URLSearchParams({
    v: '3', wallet: '10000', mode: 'cross', fees: '0', fee: '0.0005', vt: VT,
    'p0.symbol': OPTION, 'p0.kind': 'option', 'p0.side': 'short', 'p0.size': '1', 'p0.entryPrice': '1500',
    'p0.optionType': 'call', 'p0.strike': '65000', 'p0.expiry': '2025-06-27T08:00', 'p0.underlyingPrice': '60000',
    'p0.pricing': 'iv', 'p0.iv': '60', 'p0.rule': 'fixed', 'p0.imRate': '0.15', 'p0.imFloorRate': '0.1', 'p0.mmRate': '0.075',
    'p0.settlement': 'linear', 'p0.contractSize': '1',
    'p1.symbol': 'BTCUSDT', 'p1.kind': 'perpetual', 'p1.side': 'long', 'p1.size': '0.2', 'p1.entryPrice': '60000',
    'p1.markPrice': '60000', 'p1.leverage': '10', 'p1.mmr': '0.005', 'p1.rule': 'fixed', 'p1.settlement': 'linear',
    'p1.contractSize': '1', 'p1.marginBasis': 'mark',
    ...overrides,
  }).toString();
}

const figures = (page) => page.$$eval('#results dd, #results .greeks td', (els) => els.map((d) => d.textContent));

/** Asserts the page shows the engine's option figures and book liquidation for `expected`. */
async function assertShows(page, expected, i = 0) {
  const p = expected.positions[i];
  const o = p.option;
  const book = expected.account.bookLiquidation;
  await page.waitForFunction((v) => document.querySelector('#out-p0-initialMargin data')?.value === v, expected.positions[0].initialMargin);
  assert.equal(await exact(page, `#out-p${i}-initialMargin`), p.initialMargin);
  assert.equal(await exact(page, `#out-p${i}-maintenanceMargin`), p.maintenanceMargin);
  assert.equal(await exact(page, `#out-p${i}-markPremium`), o.markPremium);
  assert.equal(await exact(page, `#out-p${i}-initialMarginPerUnit`), o.initialMarginPerUnit);
  assert.equal(await exact(page, `#out-p${i}-volatility`), String(o.volatility * 100));
  for (const g of ['delta', 'gamma', 'vega', 'theta']) {
    assert.equal(await exact(page, `#out-p${i}-greek-${g}`), String(o.greeks[g]), g);
    assert.equal(await exact(page, `#out-p${i}-positionGreek-${g}`), String(o.positionGreeks[g]), g);
  }
  assert.equal(await exact(page, '#out-equity'), expected.account.equity);
  assert.equal(await exact(page, '#out-initialMargin'), expected.account.initialMargin);
  assert.equal(await exact(page, '#out-maintenanceMargin'), expected.account.maintenanceMargin);
  assert.equal(await page.isVisible('#book-liq-box'), true);
  for (const side of ['below', 'above']) {
    const price = book[side];
    if (price === null) {
      assert.match(await page.textContent(`#out-bookLiq-${side}`), /none/);
      continue;
    }
    assert.equal(await exact(page, `#out-bookLiq-${side}`), price);
    const root = book.prices.find((r) => r.price === price);
    assert.equal(await exact(page, `#out-bookLiq-${side}Distance`), root.distancePercent);
  }
}

test('a short call hedged with a perpetual: margin, Greeks and book liquidation prices are the engine\'s, and charted', async () => {
  const expected = imr.calculate(REQUEST);
  assert.equal(expected.ok, true, JSON.stringify(expected.errors));
  const book = expected.result.account.bookLiquidation;
  assert.ok(book.below !== null && book.above !== null, 'the test book has a root on each side');
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    // Position 1 becomes an option: the option fields appear, the account switches to cross.
    await page.fill('#p0-symbol', OPTION);
    await page.selectOption('#p0-kind', 'option');
    await page.waitForSelector('#p0-strike');
    assert.equal(await page.inputValue('#marginMode'), 'cross');
    assert.equal(await page.isVisible('#valuationTime'), true);
    assert.equal(await page.isVisible('#p0-leverage'), false);
    assert.match(await page.textContent('#status'), /cross mode only/);
    await fillAll(page, {
      walletBalance: '10000', valuationTime: VT,
      'p0-side': 'short', 'p0-size': '1', 'p0-optionType': 'call', 'p0-strike': '65000', 'p0-expiry': '2025-06-27T08:00',
      'p0-underlyingPrice': '60000', 'p0-iv': '60', 'p0-entryPrice': '1500',
    });
    await page.click('#add-position');
    await page.waitForSelector('#p1-symbol');
    await fillAll(page, {
      'p1-symbol': 'BTCUSDT', 'p1-size': '0.2', 'p1-entryPrice': '60000', 'p1-markPrice': '60000', 'p1-leverage': '10', 'p1-mmr': '0.005',
    });
    await assertShows(page, expected.result);
    // The perpetual keeps its own figures; the option says it goes with the book.
    assert.equal(await exact(page, '#out-p1-liquidationPrice'), expected.result.positions[1].liquidation.price);
    assert.match(await page.textContent('#out-p0-liquidationPrice'), /whole book/);
    assert.match(await page.textContent('#out-p0-contract'), /Call 65,000\.00 · expires 2025-06-27 08:00 UTC/);
    assert.match(await page.textContent('#greeks-0'), /USD per 1\.00 of volatility/);
    assert.match(await page.textContent('#status'), /book liquidation below [\d,.]+, above [\d,.]+/);
    // The page sends exactly this request (the export is what calculate received).
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
    assert.deepEqual(JSON.parse(await readFile(await download.path(), 'utf8')), { ...REQUEST, ...PAGE_DEFAULTS });
    // The chart: equity and MM against the underlying, both book liquidation prices marked.
    await page.waitForFunction(() => document.querySelectorAll('#chart [data-book-liquidation]').length >= 2, null, { timeout: 15_000 });
    const marked = await page.$$eval('#chart [data-book-liquidation]', (gs) => gs.map((g) => g.dataset.bookLiquidation));
    assert.ok(marked.includes(book.below) && marked.includes(book.above), `${marked}`);
    assert.match(await page.textContent('#chart-title'), /underlying price/);
    assert.match(await page.textContent('#chart svg desc'), /book liquidation price .* \(below, .*\) and .* \(above, /);
    assert.ok(await page.$$eval('#chart svg path', (ps) => ps.length === 2 && ps.every((p) => p.getAttribute('d').split('L').length > 20)));
    // The exported request imports back (here with a larger short).
    const bigger = structuredClone(REQUEST);
    bigger.positions[0].size = '2';
    await page.setInputFiles('#import-json', { name: 'options.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bigger)) });
    await page.waitForFunction(() => document.querySelector('#import-status').textContent.startsWith('Imported 2 positions'));
    assert.deepEqual([await page.inputValue('#p0-kind'), await page.inputValue('#p0-expiry'), await page.inputValue('#p0-iv'), await page.inputValue('#valuationTime')],
      ['option', '2025-06-27T08:00', '60', VT]);
    await assertShows(page, imr.calculate(bigger).result);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('the IV slider and field stay in step, and each move recomputes', async () => {
  const b = await openPage(server.origin, `/#${bookHash()}`);
  try {
    const { page } = b;
    await assertShows(page, imr.calculate(REQUEST).result);
    assert.equal(await page.inputValue('#p0-ivSlider'), '60');
    // The slider, by keyboard: five steps of 0.1.
    await page.focus('#p0-ivSlider');
    for (let k = 0; k < 5; k += 1) await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('#p0-iv').value === '60.5');
    const at605 = structuredClone(REQUEST);
    at605.markets[0].impliedVolatility = '0.605';
    await assertShows(page, imr.calculate(at605).result);
    assert.match(page.url(), /p0\.iv=60\.5/);
    // The field moves the slider.
    await page.fill('#p0-iv', '45');
    assert.equal(await page.inputValue('#p0-ivSlider'), '45');
    const at45 = structuredClone(REQUEST);
    at45.markets[0].impliedVolatility = '0.45';
    await assertShows(page, imr.calculate(at45).result);
    // Beyond the engine's range: the error sits next to the field, in the field's unit.
    const before = await figures(page);
    await page.fill('#p0-iv', '1500');
    await page.waitForFunction(() => document.querySelector('#p0-iv-error').textContent !== '');
    assert.match(await page.textContent('#p0-iv-error'), /at most 1000 \(in %\)/);
    assert.equal(await page.getAttribute('#p0-iv', 'aria-invalid'), 'true');
    assert.equal(await page.inputValue('#p0-ivSlider'), '300');
    assert.deepEqual(await figures(page), before);
    // Priced from the mark premium instead: the volatility is implied by the engine.
    await page.fill('#p0-iv', '60');
    await page.selectOption('#p0-pricing', 'premium');
    await page.waitForSelector('#p0-premium');
    await page.fill('#p0-premium', '2000');
    const byPremium = structuredClone(REQUEST);
    delete byPremium.markets[0].impliedVolatility;
    byPremium.markets[0].markPrice = '2000';
    const expected = imr.calculate(byPremium).result;
    await assertShows(page, expected);
    assert.match(await page.textContent('#out-p0-volatility'), /implied from the mark premium/);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('an expired option shows `expired` next to its expiry and keeps the other results', async () => {
  const b = await openPage(server.origin, `/#${bookHash()}`);
  try {
    const { page } = b;
    await waitFresh(page);
    const before = await figures(page);
    assert.ok(await page.isVisible('#result-p1'));
    await page.fill('#valuationTime', '2025-06-28T08:00');
    await page.waitForFunction(() => document.querySelector('#p0-expiry-error').textContent !== '');
    const expected = imr.calculate({ ...REQUEST, valuationTime: '2025-06-28T08:00Z' });
    assert.equal(expected.ok, false);
    assert.deepEqual(expected.errors.map((e) => [e.field, e.code]), [['markets[0].expiry', 'expired']]);
    assert.equal(await page.textContent('#p0-expiry-error'), expected.errors[0].message);
    assert.equal(await page.getAttribute('#p0-expiry', 'aria-invalid'), 'true');
    assert.equal(await page.textContent('#valuationTime-error'), '');
    assert.equal(await page.getAttribute('#results', 'data-stale'), 'true');
    assert.match(await page.textContent('#status'), /Fix position 1: the option expired .*last valid input/);
    assert.deepEqual(await figures(page), before);
    assert.ok(await page.isVisible('#result-p1'));
    // A later expiry brings the figures back.
    await page.fill('#p0-expiry', '2025-07-25T08:00');
    await waitFresh(page);
    const later = structuredClone(REQUEST);
    later.valuationTime = '2025-06-28T08:00Z';
    later.markets[0].expiry = '2025-07-25T08:00Z';
    await assertShows(page, imr.calculate(later).result);
    assert.equal(await page.$$eval('#calc [aria-invalid]', (els) => els.length), 0);
    // Isolated margin is refused with options: said next to the margin mode.
    await page.selectOption('#marginMode', 'isolated');
    await page.waitForFunction(() => document.querySelector('#marginMode-error').textContent !== '');
    assert.match(await page.textContent('#marginMode-error'), /cross mode only/);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('a share link with an option preset reproduces the same numbers; v=2 links still open', async () => {
  const preset = imr.listPresets().find((p) => p.name === 'deribit-btc-option');
  const b = await openPage(server.origin);
  let link;
  let inputs;
  let shown;
  try {
    const { page } = b;
    await page.selectOption('#p0-kind', 'option');
    await page.waitForSelector('#p0-strike');
    await page.selectOption('#p0-rule', `preset:${preset.name}`);
    await page.waitForSelector('#p0-preset-info');
    const info = await page.textContent('#p0-preset-info');
    assert.ok(info.includes(preset.asOf) && info.includes(preset.source), info);
    assert.equal(await page.getAttribute('#p0-preset-info time', 'datetime'), preset.asOf);
    assert.equal(await page.inputValue('#p0-symbol'), preset.symbol);
    // Coin-settled: premiums in BTC.
    assert.match(await page.textContent('label[for="p0-entryPrice"]'), /coin/);
    await page.selectOption('#p0-pricing', 'premium');
    await page.waitForSelector('#p0-premium');
    await fillAll(page, {
      walletBalance: '1', valuationTime: VT, 'p0-side': 'short', 'p0-size': '2', 'p0-optionType': 'put', 'p0-strike': '55000',
      'p0-expiry': '2025-06-27T08:00', 'p0-underlyingPrice': '60000', 'p0-premium': '0.01', 'p0-entryPrice': '0.012',
    });
    const expected = imr.calculate({
      account: { walletBalance: '1', marginMode: 'cross', includeFees: false },
      valuationTime: `${VT}Z`,
      markets: [{ symbol: preset.symbol, preset: preset.name, optionType: 'put', strike: '55000', expiry: '2025-06-27T08:00Z', underlyingPrice: '60000', markPrice: '0.01' }],
      positions: [{ symbol: preset.symbol, side: 'short', size: '2', entryPrice: '0.012' }],
    });
    assert.equal(expected.ok, true, JSON.stringify(expected.errors));
    await assertShows(page, expected.result);
    assert.match(await page.textContent('#out-p0-markPremium'), /coin \([\d,.]+ USD\)/);
    await page.waitForFunction(() => location.hash.includes('p0.premium=0.01') && location.hash.includes('vt='));
    link = await page.inputValue('#share-url');
    assert.match(link, /#v=4&/);
    inputs = await page.$$eval('#calc input, #calc select', (els) => els.map((e) => [e.id, e.type === 'checkbox' ? e.checked : e.value]));
    shown = await figures(page);
    assertClean(assert, b);
  } finally { await b.close(); }
  const again = await openLink(server.origin, link);
  try {
    assert.deepEqual(await again.page.$$eval('#calc input, #calc select', (els) => els.map((e) => [e.id, e.type === 'checkbox' ? e.checked : e.value])), inputs);
    assert.deepEqual(await figures(again.page), shown);
    assert.equal(await again.page.inputValue('#valuationTime'), VT);
    assertClean(assert, again);
  } finally { await again.close(); }
  // A v=2 link (futures only, before options) opens and is rewritten as v=4.
  const v2 = new URLSearchParams({
    v: '2', wallet: '1000', mode: 'cross', 'p0.symbol': 'BTCUSDT', 'p0.kind': 'future', 'p0.side': 'long', 'p0.size': '1',
    'p0.entryPrice': '20000', 'p0.markPrice': '20000', 'p0.leverage': '50', 'p0.mmr': '0.005', 'p0.rule': 'fixed',
  });
  const old = await openPage(server.origin, `/#${v2}`);
  try {
    assert.equal(await old.page.inputValue('#p0-kind'), 'future');
    assert.equal(await exact(old.page, '#out-initialMargin'), '400');
    assert.equal(await old.page.isVisible('#valuationTime'), false);
    assert.match(old.page.url(), /#v=4&/);
    assert.doesNotMatch(old.page.url(), /vt=/);
    assertClean(assert, old);
  } finally { await old.close(); }
});

test('axe-core finds no serious or critical violations with an option row (and with its error)', async () => {
  for (const theme of ['light', 'dark']) {
    const b = await openPage(server.origin, `/?theme=${theme}#${bookHash()}`, { colorScheme: theme });
    try {
      const { page } = b;
      await waitFresh(page);
      await page.click('#result-p0 summary');
      await page.waitForSelector('#chart [data-book-liquidation]', { timeout: 15_000 });
      assert.deepEqual(await seriousViolations(page), []);
      await page.fill('#p0-expiry', '2025-05-01T08:00');
      await page.waitForFunction(() => document.querySelector('#p0-expiry-error').textContent !== '');
      assert.deepEqual(await seriousViolations(page), []);
      assertClean(assert, b);
    } finally { await b.close(); }
  }
});

test('an option row at 360 px: nothing overflows sideways, controls stay touch-sized', async () => {
  const b = await openPage(server.origin, `/#${bookHash()}`, { viewport: { width: 360, height: 780 } });
  try {
    const { page } = b;
    await waitFresh(page);
    await page.waitForSelector('#chart [data-book-liquidation]', { timeout: 15_000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    const tooWide = await page.$$eval('input, select, button, .figures, svg, table', (els) => els
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .map((e) => e.id || e.tagName));
    assert.deepEqual(tooWide, []);
    const small = await page.$$eval('#calc input:not([type=checkbox]), #calc select, #calc button', (els) => els
      .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().height < 32).map((e) => e.id || e.textContent));
    assert.deepEqual(small, []);
    await screenshot(page, 'options-phone-360');
    assertClean(assert, b);
  } finally { await b.close(); }
});
