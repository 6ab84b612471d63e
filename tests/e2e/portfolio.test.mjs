// End-to-end: whole-book risk on the page — portfolio (scenario) margin with its heat map, the
// risk assumptions (liquidation distance in σ, touch probability), stress scenarios, the
// volatility-scaled initial margin and its IMR-vs-σ curve, v=4 share links, accessibility.
// Every figure is compared with the engine itself (harness `engine()`) on the request the page
// exported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, openPage, exact, engine, fillAll, assertClean, shutdown, screenshot, WWW, waitFresh, resultOf, exportedRequest, shortOptionLeg, axeRoute, seriousViolations, openLink } from './harness.mjs';

let server;
let imr;
before(async () => {
  server = await serve(WWW, await axeRoute());
  imr = await engine();
});
after(async () => { await shutdown(); await server?.close(); });

const VT = '2025-06-01T08:00';
const CALL = 'BTC-27JUN25-65000-C';
const PUT = 'BTC-27JUN25-55000-P';

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

const optionMarket = (symbol, optionType, strike) => ({
  symbol, kind: 'option', settlement: 'linear', contractSize: '1', optionType, strike, expiry: '2025-06-27T08:00Z',
  underlyingPrice: '60000', impliedVolatility: '0.6',
  margin: { type: 'standardOption', initialRate: '0.15', initialFloorRate: '0.1', maintenanceRate: '0.075' },
});

/** A short strangle (short 65 000 call, short 55 000 put), cross, as the page sends it. */
const STRANGLE = {
  account: { walletBalance: '20000', marginMode: 'cross', includeFees: false },
  markets: [optionMarket(CALL, 'call', '65000'), optionMarket(PUT, 'put', '55000')],
  positions: [
    { symbol: CALL, side: 'short', size: '1', entryPrice: '1500' },
    { symbol: PUT, side: 'short', size: '1', entryPrice: '1200' },
  ],
  valuationTime: `${VT}Z`,
  ...PAGE_DEFAULTS,
};

/** The same book as an older (v=3) share link: it opens with the default risk inputs and stress. */
function strangleHash() {
  return new URLSearchParams({
    v: '3', wallet: '20000', mode: 'cross', fees: '0', fee: '0.0005', vt: VT,
    ...shortOptionLeg(0, CALL, 'call', '65000', '1500'), ...shortOptionLeg(1, PUT, 'put', '55000', '1200'),
  }).toString();
}

/** The engine's result for `request` (which must be valid). */
const run = (request) => resultOf(imr, request);

/** The heat map's scenario cells: label, P&L and whether marked dominant. */
const heatCells = (page) => page.$$eval('#pm-heatmap td[data-scenario]', (tds) => tds.map((td) => ({
  label: td.dataset.scenario, pnl: td.dataset.pnl, weighted: td.dataset.weightedPnl, dominant: td.dataset.dominant === 'true', text: td.textContent,
})));

async function assertPortfolioShown(page, result) {
  const pm = result.account.portfolioMargin;
  await page.waitForFunction((v) => document.querySelector('#out-pm-requirement data')?.value === v, String(pm.requirement));
  assert.equal(await page.textContent('#out-pm-dominantLabel'), pm.dominant);
  assert.equal(await exact(page, '#out-pm-initialMargin'), pm.initialMargin);
  assert.equal(await exact(page, '#out-pm-maintenanceMargin'), pm.maintenanceMargin);
  assert.equal(await exact(page, '#out-initialMargin'), result.account.initialMargin);
  assert.equal(await exact(page, '#out-maintenanceMargin'), result.account.maintenanceMargin);
  assert.equal(await exact(page, '#out-pm-scanRisk'), String(pm.scanRisk));
  if (pm.minimumDelta) assert.equal(await exact(page, '#out-pm-minimumDelta'), String(pm.minimumDelta.charge));
  else assert.match(await page.textContent('#out-pm-minimumDelta'), /none/);
  // One cell per scenario, each with the engine's P&L; the dominant one marked (and said).
  const cells = await heatCells(page);
  assert.equal(cells.length, pm.scenarios.length);
  assert.deepEqual(cells.map((c) => c.label).sort(), pm.scenarios.map((x) => x.label).sort());
  for (const x of pm.scenarios) {
    const cell = cells.find((c) => c.label === x.label);
    assert.equal(cell.pnl, String(x.pnl), x.label);
    assert.equal(cell.weighted, String(x.weightedPnl), x.label);
  }
  const marked = cells.filter((c) => c.dominant);
  assert.equal(marked.length, pm.scenarios.some((x) => x.label === pm.dominant) ? 1 : 0);
  if (marked.length) {
    assert.equal(marked[0].label, pm.dominant);
    assert.match(marked[0].text, /dominant/);
  }
  return cells;
}

test('portfolio margin (SPAN 16) on a short strangle: requirement, IM/MM, dominant scenario and a heat map cell per scenario, as the engine returns', async () => {
  const b = await openPage(server.origin, `/#${strangleHash()}`);
  try {
    const { page } = b;
    await waitFresh(page);
    assert.equal(await page.isVisible('#pm-fieldset'), false);
    assert.equal(await page.isVisible('#pm-box'), false);
    await page.selectOption('#marginMode', 'portfolio');
    await page.waitForSelector('#pm-fieldset', { state: 'visible' });
    // The scan range is suggested from the book (10 % of the underlying).
    assert.equal(await page.inputValue('#pmPriceRange'), '6000');
    await fillAll(page, { pmGrid: 'span16', pmPriceRange: '6000', pmVolRange: '5' });
    const request = {
      ...STRANGLE,
      account: { walletBalance: '20000', marginMode: 'portfolio', includeFees: false, portfolioMargin: { grid: 'span16', priceScanRange: '6000', volScanRange: '0.05' } },
    };
    assert.deepEqual(await exportedRequest(page), request);
    const result = run(request);
    assert.equal(result.account.portfolioMargin.scenarios.length, 16);
    await assertPortfolioShown(page, result);
    assert.match(await page.textContent('#status'), /portfolio margin [\d,.]+ USDT, dominated by /);
    assert.match(await page.textContent('#pm-heatmap caption'), /SPAN 16/);
    // Paradex: 24 scenarios, a minimum delta charge; SPAN's scan ranges do not apply.
    await page.selectOption('#pmGrid', 'paradex');
    assert.equal(await page.isDisabled('#pmPriceRange'), true);
    const paradex = { ...request, account: { ...request.account, portfolioMargin: { grid: 'paradex' } } };
    const pr = run(paradex);
    assert.ok(pr.account.portfolioMargin.minimumDelta, 'Paradex has a minimum delta charge');
    await assertPortfolioShown(page, pr);
    assert.equal((await heatCells(page)).length, 24);
    await screenshot(page, 'portfolio-paradex');
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('risk assumptions: volatility (field and slider in step) and horizon give the engine\'s σ distances and touch probabilities', async () => {
  const b = await openPage(server.origin, `/#${strangleHash()}`);
  try {
    const { page } = b;
    await waitFresh(page);
    const assertRoots = async (result) => {
      const book = result.account.bookLiquidation;
      await page.waitForFunction((v) => document.querySelector('#out-bookLiq-belowSigmas data')?.value === v,
        String(book.prices.find((r) => r.price === book.below).distanceSigmas));
      for (const side of ['below', 'above']) {
        const root = book.prices.find((r) => r.price === book[side]);
        assert.ok(root, `a root ${side}`);
        assert.equal(await exact(page, `#out-bookLiq-${side}`), root.price);
        assert.equal(await exact(page, `#out-bookLiq-${side}Distance`), root.distancePercent);
        assert.equal(await exact(page, `#out-bookLiq-${side}Sigmas`), String(root.distanceSigmas));
        assert.equal(await exact(page, `#out-bookLiq-${side}Touch`), String(root.touchProbability));
      }
      assert.match(await page.textContent('#out-bookLiq-belowSigmas'), /^−[\d.]+ σ$/);
      assert.match(await page.textContent('#out-bookLiq-aboveTouch'), / %$/);
    };
    await fillAll(page, { riskVol: '75', riskHorizon: '30' });
    assert.equal(await page.inputValue('#riskVolSlider'), '75');
    const at75 = { ...STRANGLE, volatility: '0.75', horizonDays: '30' };
    assert.deepEqual(await exportedRequest(page), at75);
    await assertRoots(run(at75));
    assert.match(await page.textContent('#book-liq-touch'), /σ is 75 % a year.*30 days/);
    // The slider, by keyboard (steps of 0.5): the field follows and the figures with it.
    await page.focus('#riskVolSlider');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelector('#riskVol').value === '74');
    await assertRoots(run({ ...at75, volatility: '0.74' }));
    assert.match(page.url(), /rv=74&rh=30/);
    // A bad volatility: its error next to the field; the last figures stay, marked stale.
    await page.fill('#riskVol', '-5');
    await page.waitForFunction(() => document.querySelector('#riskVol-error').textContent !== '');
    assert.equal(await page.getAttribute('#riskVol', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('#results', 'data-stale'), 'true');
    assert.match(await page.textContent('#status'), /Fix the risk assumptions/);
    assertClean(assert, b);
  } finally { await b.close(); }
  // A futures-only cross book asks for its whole-book liquidation: σ and probability too.
  const f = await openPage(server.origin);
  try {
    const { page } = f;
    await fillAll(page, { marginMode: 'cross', walletBalance: '1000', 'p0-size': '1', 'p0-entryPrice': '20000', 'p0-markPrice': '20000', 'p0-leverage': '50', 'p0-mmr': '0.005', riskVol: '80' });
    const request = await exportedRequest(page);
    assert.equal(request.account.bookLiquidation, true);
    assert.equal(request.volatility, '0.8');
    const result = run(request);
    const root = result.account.bookLiquidation.prices.find((r) => r.price === result.account.bookLiquidation.below);
    await page.waitForFunction((v) => document.querySelector('#out-bookLiq-belowTouch data')?.value === v, String(root.touchProbability));
    assert.equal(await exact(page, '#out-bookLiq-belowSigmas'), String(root.distanceSigmas));
    assert.equal(await exact(page, '#out-p0-liquidationPrice'), result.positions[0].liquidation.price);
    // Isolated books are liquidated position by position: no book figures.
    await page.selectOption('#marginMode', 'isolated');
    await waitFresh(page);
    assert.equal(await page.isVisible('#book-liq-box'), false);
    assertClean(assert, f);
  } finally { await f.close(); }
});

test('stress scenarios: edited, added (by keyboard) and removed; the table shows the engine\'s P&L, equity, margin ratio and liquidation', async () => {
  const b = await openPage(server.origin, `/#${strangleHash()}`);
  try {
    const { page } = b;
    await waitFresh(page);
    assert.equal(await page.$$eval('#stress-table tbody tr', (trs) => trs.length), 5);
    await fillAll(page, { 's1-move': '-15', 's4-vol': '20', 's4-days': '3' });
    await page.focus('#add-stress');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#s5-name');
    assert.equal(await page.evaluate(() => document.activeElement.id), 's5-name');
    await page.keyboard.type('Rally');
    await fillAll(page, { 's5-move': '35', 's5-vol': '-10' });
    await page.click('[data-action="remove-stress"][data-s="2"]');
    await page.waitForFunction(() => document.querySelectorAll('.stress-row').length === 5);
    assert.equal(await page.evaluate(() => document.activeElement.id), 's2-name');
    const request = await exportedRequest(page);
    assert.deepEqual(request.stress, [
      PAGE_DEFAULTS.stress[0],
      { ...PAGE_DEFAULTS.stress[1], priceMovePercent: '-15' },
      PAGE_DEFAULTS.stress[3],
      { ...PAGE_DEFAULTS.stress[4], volMove: '0.2', daysForward: '3' },
      { name: 'Rally', priceMovePercent: '35', volMove: '-0.1', daysForward: '0' },
    ]);
    const { stress } = run(request);
    await page.waitForFunction((n) => document.querySelectorAll('#stress-table tbody tr').length === n, stress.scenarios.length);
    for (const [i, x] of stress.scenarios.entries()) {
      assert.equal(await exact(page, `#out-stress-${i}-pnl`), String(x.pnl), x.name);
      assert.equal(await exact(page, `#out-stress-${i}-equity`), x.equity, x.name);
      assert.equal(await exact(page, `#out-stress-${i}-maintenanceMargin`), x.maintenanceMargin, x.name);
      if (x.marginRatio !== null) assert.equal(await exact(page, `#out-stress-${i}-marginRatio`), x.marginRatio, x.name);
      assert.equal(await page.getAttribute(`#out-stress-${i}-liquidated`, 'data-liquidated'), String(x.liquidated));
      assert.equal(await page.textContent(`#out-stress-${i}-liquidated`), x.liquidated ? 'Yes' : 'No');
    }
    assert.equal(await page.$eval('#stress-table tbody tr:last-child th', (th) => th.firstChild.textContent), 'Rally');
    // Portfolio mode: the stressed maintenance margin is the grid's, still the engine's.
    await page.selectOption('#marginMode', 'portfolio');
    const pm = run(await exportedRequest(page));
    await page.waitForFunction((v) => document.querySelector('#out-stress-0-maintenanceMargin data')?.value === v, pm.stress.scenarios[0].maintenanceMargin);
    // A bad move: the error sits next to that scenario's field.
    await page.fill('#s0-move', '-150');
    await page.waitForFunction(() => document.querySelector('#s0-move-error').textContent !== '');
    assert.match(await page.textContent('#s0-move-error'), /above −100/);
    assert.equal(await page.getAttribute('#s0-move', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#status'), /Fix stress scenario 1/);
    await page.fill('#s0-move', '-25');
    await waitFresh(page);
    assert.equal(await page.$$eval('#calc [aria-invalid]', (els) => els.length), 0);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('volatility-scaled initial margin: the rule that set the IMR is shown, and the IMR-vs-σ curve (the engine\'s, non-decreasing) marks the current σ', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    assert.equal(await page.isVisible('#imr-curve-box'), false);
    assert.match(await page.textContent('#out-p0-imrSource'), /1 \/ leverage/);
    await page.check('#p0-imModel');
    await page.waitForSelector('#p0-imFloor');
    // The floor starts at the rule's rate (1 / 20 here).
    assert.equal(await page.inputValue('#p0-imFloor'), '0.05');
    await page.waitForSelector('#imr-curve-table tbody tr', { state: 'attached' });
    const request = await exportedRequest(page);
    assert.deepEqual(request.markets[0].initialMarginModel, { type: 'volatility', floor: '0.05', confidence: '0.99', horizonDays: '1', multiplier: '1', volatility: '0.6' });
    const result = run(request);
    const src = result.positions[0].imrSource;
    assert.equal(src.model, 'volatility');
    assert.equal(await exact(page, '#out-p0-initialMarginRate'), result.positions[0].initialMarginRate);
    assert.ok((await page.textContent('#out-p0-imrSource')).includes(src.formula));
    assert.equal(await page.getAttribute('#out-p0-imrSource .imr-source', 'data-model'), 'volatility');
    const curve = async () => page.$$eval('#imr-curve-table tbody tr', (trs) => trs.map((tr) => ({
      sigma: tr.querySelector('[data-sigma]').dataset.sigma, rate: tr.querySelector('data').value, current: tr.dataset.current === 'true',
    })));
    let rows = await curve();
    assert.ok(rows.length >= 20, `${rows.length} points`);
    for (let k = 1; k < rows.length; k += 1) {
      assert.ok(Number(rows[k].sigma) > Number(rows[k - 1].sigma), 'σ increases');
      assert.ok(Number(rows[k].rate) >= Number(rows[k - 1].rate), `IMR non-decreasing at σ ${rows[k].sigma}`);
    }
    assert.ok(Number(rows.at(-1).rate) > Number(rows[0].rate), 'the model binds somewhere on the grid');
    // The marked point is the current σ and the position's IMR.
    const now = rows.filter((r) => r.current);
    assert.deepEqual(now.map((r) => [r.sigma, r.rate]), [['0.6', result.positions[0].initialMarginRate]]);
    // Points are the engine's: one of them recomputed in Node.
    const probe = structuredClone(request);
    delete probe.stress;
    probe.markets[0].initialMarginModel.volatility = Number(rows[25].sigma);
    assert.equal(rows[25].rate, run(probe).positions[0].initialMarginRate);
    assert.ok(await page.$eval('#imr-curve svg path', (p) => p.getAttribute('d').split('L').length >= 20));
    assert.match(await page.textContent('#imr-curve svg desc'), /At the current σ of 60 %/);
    // A higher σ moves the mark and the position's IMR with it.
    await page.fill('#riskVol', '120');
    await page.waitForFunction(() => document.querySelector('#imr-curve-table tr[data-current] [data-sigma]')?.dataset.sigma === '1.2');
    rows = await curve();
    const at120 = run({ ...request, volatility: '1.2', markets: [{ ...request.markets[0], initialMarginModel: { ...request.markets[0].initialMarginModel, volatility: '1.2' } }] });
    assert.equal(rows.find((r) => r.current).rate, at120.positions[0].initialMarginRate);
    assert.equal(await exact(page, '#out-p0-initialMarginRate'), at120.positions[0].initialMarginRate);
    // Unticked: the curve goes away.
    await page.uncheck('#p0-imModel');
    await page.waitForSelector('#imr-curve-box', { state: 'hidden' });
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('a v=4 share link carries portfolio margin, the risk inputs, the stress scenarios and the IM model, and reproduces the numbers', async () => {
  const b = await openPage(server.origin, `/#${strangleHash()}`);
  let link;
  let inputs;
  let shown;
  let request;
  const snapshot = (page) => page.$$eval('#results dd, #pm-heatmap td, #stress-table td, #imr-curve-table td', (els) => els.map((e) => e.textContent));
  const controls = (page) => page.$$eval('#calc input, #calc select', (els) => els.map((e) => [e.id, e.type === 'checkbox' ? e.checked : e.value]));
  try {
    const { page } = b;
    await waitFresh(page);
    await page.click('#add-position');
    await page.waitForSelector('#p2-symbol');
    await fillAll(page, { 'p2-symbol': 'BTCUSDT', 'p2-size': '0.3', 'p2-entryPrice': '60000', 'p2-markPrice': '60000', 'p2-leverage': '10' });
    await page.check('#p2-imModel');
    await page.waitForSelector('#p2-imMultiplier');
    await fillAll(page, {
      'p2-imMultiplier': '1.5', marginMode: 'portfolio', pmGrid: 'span16', pmPriceRange: '5000', pmVolRange: '8',
      riskVol: '80', riskHorizon: '7', 's0-name': 'Crash', 's0-move': '-30', 's0-days': '2',
    });
    await page.click('[data-action="remove-stress"][data-s="4"]');
    await page.waitForSelector('#imr-curve-table tbody tr', { state: 'attached' });
    await page.waitForFunction(() => location.hash.includes('pmp=5000') && location.hash.includes('st=4'));
    link = await page.inputValue('#share-url');
    assert.match(link, /#v=4&/);
    request = await exportedRequest(page);
    assert.equal(request.markets[2].initialMarginModel.multiplier, '1.5');
    assert.equal(request.markets[2].initialMarginModel.volatility, '0.8');
    await assertPortfolioShown(page, run(request));
    inputs = await controls(page);
    shown = await snapshot(page);
    assertClean(assert, b);
  } finally { await b.close(); }
  const again = await openLink(server.origin, link);
  try {
    const { page } = again;
    await page.waitForSelector('#imr-curve-table tbody tr', { state: 'attached' });
    assert.deepEqual(await controls(page), inputs);
    assert.deepEqual(await snapshot(page), shown);
    assert.deepEqual(await exportedRequest(page), request);
    // The exported request imports back (here on the OKX grid, with one stress scenario).
    const other = structuredClone(request);
    other.account.portfolioMargin = { grid: 'okx' };
    other.stress = [{ name: 'Gap down', priceMovePercent: '-40', volMove: '0.3', daysForward: '0' }];
    other.markets[2].initialMarginModel.floor = '0.12';
    await page.setInputFiles('#import-json', { name: 'risk.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(other)) });
    await page.waitForFunction(() => document.querySelector('#import-status').textContent.startsWith('Imported 3 positions'));
    assert.deepEqual([await page.inputValue('#pmGrid'), await page.inputValue('#s0-vol'), await page.inputValue('#p2-imFloor'), await page.inputValue('#riskVol')],
      ['okx', '30', '0.12', '80']);
    assert.deepEqual(await exportedRequest(page), other);
    await assertPortfolioShown(page, run(other));
    assertClean(assert, again);
  } finally { await again.close(); }
});

test('axe-core: no serious or critical violations with the heat map, stress table and IMR curve (light and dark, with an error); nothing overflows at 360 px', async () => {
  const hash = new URLSearchParams({
    v: '4', wallet: '20000', mode: 'portfolio', fees: '0', fee: '0.0005', vt: VT, rv: '60', rh: '1', pmg: 'paradex', pmp: '6000', pmv: '5',
    'p0.symbol': CALL, 'p0.kind': 'option', 'p0.side': 'short', 'p0.size': '1', 'p0.entryPrice': '1500', 'p0.optionType': 'call',
    'p0.strike': '65000', 'p0.expiry': '2025-06-27T08:00', 'p0.underlyingPrice': '60000', 'p0.pricing': 'iv', 'p0.iv': '60', 'p0.rule': 'fixed',
    'p1.symbol': 'BTCUSDT', 'p1.kind': 'perpetual', 'p1.side': 'long', 'p1.size': '0.2', 'p1.entryPrice': '60000', 'p1.markPrice': '60000',
    'p1.leverage': '10', 'p1.mmr': '0.005', 'p1.rule': 'fixed', 'p1.imModel': '1', 'p1.imFloor': '0.1', 'p1.imConfidence': '0.99',
    'p1.imHorizon': '1', 'p1.imMultiplier': '1',
    st: '2', 's0.n': 'Crash', 's0.m': '-30', 's0.v': '20', 's0.d': '0', 's1.n': 'Rally', 's1.m': '25', 's1.v': '0', 's1.d': '1',
  }).toString();
  for (const theme of ['light', 'dark']) {
    const b = await openPage(server.origin, `/?theme=${theme}#${hash}`, { colorScheme: theme });
    try {
      const { page } = b;
      await waitFresh(page);
      await page.waitForSelector('#pm-heatmap td[data-dominant]');
      await page.waitForSelector('#imr-curve-table', { state: 'attached' });
      await page.click('#imr-curve summary');
      assert.deepEqual(await seriousViolations(page), []);
      await page.fill('#s1-move', 'x');
      await page.waitForFunction(() => document.querySelector('#s1-move-error').textContent !== '');
      assert.deepEqual(await seriousViolations(page), []);
      if (theme === 'dark') await screenshot(page, 'portfolio-dark');
      assertClean(assert, b);
    } finally { await b.close(); }
  }
  const phone = await openPage(server.origin, `/#${hash}`, { viewport: { width: 360, height: 780 } });
  try {
    const { page } = phone;
    await waitFresh(page);
    await page.waitForSelector('#imr-curve-table', { state: 'attached' });
    await page.waitForSelector('#chart [data-book-liquidation]', { timeout: 20_000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    const tooWide = await page.$$eval('input, select, button, .figures, svg, table', (els) => els
      .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .map((e) => e.id || e.tagName));
    assert.deepEqual(tooWide, []);
    const small = await page.$$eval('#calc input:not([type=checkbox]), #calc select, #calc button', (els) => els
      .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().height < 32).map((e) => e.id || e.textContent));
    assert.deepEqual(small, []);
    await screenshot(page, 'portfolio-phone-360');
    assertClean(assert, phone);
  } finally { await phone.close(); }
});
