// End-to-end: risk units on the page — each market's underlying (BTC, ETH) groups a book of
// several underlyings into units; the page shows each unit's liquidation prices with the other
// units held (standard and portfolio mode) and, in portfolio mode, each unit's requirement, IM,
// MM, dominant scenario and scenarios. Share links and JSON import carry the underlyings.
// Every figure is compared with the engine itself on the request the page exported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  serve, openPage, exact, engine, fillAll, assertClean, shutdown, screenshot, WWW,
  axeRoute, seriousViolations, exportedRequest, importRequest, assertFitsPhone,
  waitFresh, waitStale, resultOf,
  openLink,
} from './harness.mjs';

let server;
let imr;
before(async () => { server = await serve(WWW, await axeRoute()); imr = await engine(); });
after(async () => { await shutdown(); await server?.close(); });

const run = (request) => resultOf(imr, request);

/** A cross book long BTC, short ETH, each naming its underlying, as a v=4 link. */
function twoUnitHash(extra = {}) {
  const perp = (i, symbol, underlying, side, size, price, lev) => ({
    [`p${i}.symbol`]: symbol, [`p${i}.kind`]: 'perpetual', [`p${i}.side`]: side, [`p${i}.size`]: size, [`p${i}.entryPrice`]: price,
    [`p${i}.markPrice`]: price, [`p${i}.leverage`]: lev, [`p${i}.rule`]: 'fixed', [`p${i}.mmr`]: '0.005', [`p${i}.settlement`]: 'linear',
    [`p${i}.contractSize`]: '1', [`p${i}.marginBasis`]: 'mark', [`p${i}.ul`]: underlying,
  });
  return new URLSearchParams({
    v: '4', wallet: '20000', mode: 'cross', fees: '0', fee: '0.0005', rv: '60', rh: '1',
    ...perp(0, 'BTC-PERP', 'BTC', 'long', '1', '60000', '10'), ...perp(1, 'ETH-PERP', 'ETH', 'short', '10', '3000', '10'), st: '0', ...extra,
  }).toString();
}

/** The page's per-unit liquidation rows equal the engine's `byRiskUnit`. */
async function assertUnitLiquidations(page, book) {
  const units = book.byRiskUnit;
  await page.waitForFunction((n) => document.querySelectorAll('#book-liq-units-table tbody tr').length === n, units.length * 2);
  assert.deepEqual(await page.$$eval('#book-liq-units-table tbody th', (ths) => ths.map((th) => th.firstChild.textContent)),
    units.flatMap((u) => [`${u.underlying} below`, `${u.underlying} above`]));
  for (const [k, u] of units.entries()) {
    assert.equal(await exact(page, `#out-bu-${k}-below-ref`), u.referencePrice);
    for (const side of ['below', 'above']) {
      const id = `#out-bu-${k}-${side}`;
      if (u[side] === null) {
        assert.equal(await page.textContent(id), 'none in the searched range');
        continue;
      }
      const root = u.prices.find((r) => r.price === u[side]);
      assert.equal(await exact(page, id), root.price, `${u.underlying} ${side}`);
      assert.equal(await exact(page, `${id}-distance`), root.distancePercent);
      assert.equal(await exact(page, `${id}-sigmas`), String(root.distanceSigmas));
      assert.equal(await exact(page, `${id}-touch`), String(root.touchProbability));
    }
  }
}

test('a cross book of two underlyings: each market names its risk unit; each unit\'s liquidation prices with the other held are the engine\'s, next to the whole book\'s', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    await fillAll(page, { walletBalance: '20000', marginMode: 'cross', 'p0-symbol': 'BTC-PERP', 'p0-size': '1', 'p0-leverage': '10', 'p0-mmr': '0.005' });
    await page.click('#add-position');
    await page.waitForSelector('#p1-symbol');
    await fillAll(page, { 'p1-symbol': 'ETH-PERP', 'p1-side': 'short', 'p1-size': '10', 'p1-leverage': '10' });
    await waitFresh(page);
    // No underlying named: one unit, as before.
    assert.equal(await page.isVisible('#book-liq-units'), false);
    let request = await exportedRequest(page);
    assert.equal('underlying' in request.markets[0], false);
    // Collapsed until used (most books have one underlying); opened by keyboard.
    assert.equal(await page.isVisible('#p0-underlying'), false);
    assert.match(await page.textContent('#p0-unit-box summary'), /shared/);
    await page.focus('#p0-unit-box summary');
    await page.keyboard.press('Enter');
    await page.click('#p1-unit-box summary');
    await page.waitForSelector('#p0-underlying'); // built when first opened
    await page.waitForSelector('#p1-underlying');
    await fillAll(page, { 'p0-underlying': 'BTC', 'p1-underlying': 'ETH' });
    assert.equal(await page.textContent('#p1-unit-box summary'), 'Risk unit: ETH');
    request = await exportedRequest(page);
    assert.deepEqual(request.markets.map((m) => m.underlying), ['BTC', 'ETH']);
    const r = run(request);
    const book = r.account.bookLiquidation;
    assert.deepEqual(book.byRiskUnit.map((u) => u.underlying), ['BTC', 'ETH']);
    await assertUnitLiquidations(page, book);
    assert.equal(await exact(page, '#out-bookLiq-below'), book.below);
    assert.match(await page.textContent('#book-liq-ref'), /^All 2 risk units together/);
    assert.match(await page.textContent('#book-liq-units-hint'), /every other risk unit stays at its prices/);
    assert.match(await page.textContent('#status'), /BTC alone below [\d,.]+, above none; ETH alone below none, above [\d,.]+/);
    // Each position's own (cross) liquidation price is still the engine's.
    assert.equal(await exact(page, '#out-p1-liquidationPrice'), r.positions[1].liquidation.price);
    // A third market on BTC joins the BTC unit.
    await page.click('[data-action="duplicate"][data-i="0"]');
    await page.waitForSelector('#p1-symbol');
    await fillAll(page, { 'p1-size': '0.5' });
    request = await exportedRequest(page);
    assert.deepEqual(request.markets.map((m) => m.underlying), ['BTC', 'BTC', 'ETH']);
    await assertUnitLiquidations(page, run(request).account.bookLiquidation);
    // Names ignore case: "btc" stays in the BTC unit, and the page shows the same figures.
    await page.fill('#p1-underlying', 'btc');
    request = await exportedRequest(page);
    const same = run(request).account.bookLiquidation;
    assert.deepEqual(same.byRiskUnit.map((u) => u.underlying), ['BTC', 'ETH']);
    await assertUnitLiquidations(page, same);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('portfolio margin per risk unit: each unit\'s requirement, IM, MM, dominant scenario and scenarios are the engine\'s, the account\'s their sums; SPAN (one absolute scan range) is refused for two units, next to the grid', async () => {
  const b = await openPage(server.origin, `/#${twoUnitHash()}`);
  try {
    const { page } = b;
    await waitFresh(page);
    assert.equal(await page.isVisible('#pm-units'), false);
    await page.selectOption('#marginMode', 'portfolio');
    // SPAN's scan range is an absolute move of one underlying (suggested from BTC: 6 000): it
    // cannot shock ETH too, so the engine refuses the grid and the page says so next to it.
    await waitStale(page);
    assert.match(await page.textContent('#pmPriceRange-hint'), /several underlyings/);
    assert.match(await page.textContent('#pmGrid-error'), /2 risk units \(BTC, ETH\)/);
    assert.equal(await page.getAttribute('#pmGrid', 'aria-invalid'), 'true');
    await page.selectOption('#pmGrid', 'paradex');
    await waitFresh(page);
    const request = await exportedRequest(page);
    assert.deepEqual(request.account.portfolioMargin, { grid: 'paradex' });
    const r = run(request);
    const pm = r.account.portfolioMargin;
    assert.equal(pm.riskUnits.length, 2);
    await page.waitForFunction((v) => document.querySelector('#out-pm-requirement data')?.value === v, String(pm.requirement));
    assert.equal(await exact(page, '#out-initialMargin'), r.account.initialMargin);
    assert.equal(await exact(page, '#out-maintenanceMargin'), r.account.maintenanceMargin);
    assert.equal(await page.textContent('#out-pm-dominantLabel'), pm.dominant);
    assert.deepEqual(await page.$$eval('#pm-units-table tbody th', (ths) => ths.map((th) => th.firstChild.textContent)), ['BTC', 'ETH']);
    for (const [k, u] of pm.riskUnits.entries()) {
      assert.equal(await exact(page, `#out-pu-${k}-requirement`), String(u.requirement), u.underlying);
      assert.equal(await exact(page, `#out-pu-${k}-initialMargin`), u.initialMargin);
      assert.equal(await exact(page, `#out-pu-${k}-maintenanceMargin`), u.maintenanceMargin);
      assert.equal(await page.textContent(`#out-pu-${k}-dominant`), u.dominant);
    }
    assert.equal(Number(r.account.initialMargin), pm.riskUnits.reduce((a, u) => a + Number(u.initialMargin), 0), 'the engine sums the units');
    // The top heat map is the largest unit's, its dominant scenario marked.
    const largest = pm.riskUnits.reduce((a, u) => (u.requirement > a.requirement ? u : a));
    assert.match(await page.textContent('#pm-heatmap caption'), new RegExp(`risk unit ${largest.underlying} \\(the largest requirement\\)`));
    assert.equal(await page.$eval('#pm-heatmap td[data-dominant]', (td) => td.dataset.scenario), largest.dominant);
    // Each unit's scenarios, opened by keyboard: the engine's P&L for ETH.
    assert.equal(await page.isVisible('#pm-heatmap-u1'), false, 'collapsed');
    await page.focus('#pm-unit-1 summary');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#pm-heatmap-u1', { state: 'visible' });
    const eth = pm.riskUnits[1];
    const cells = await page.$$eval('#pm-heatmap-u1 td[data-scenario]', (tds) => tds.map((td) => [td.dataset.scenario, td.dataset.pnl]));
    assert.deepEqual(cells.sort(), eth.scenarios.map((x) => [x.label, String(x.pnl)]).sort());
    assert.equal(await exact(page, '#out-pu-1-scanRisk'), String(eth.scanRisk));
    assert.equal(await exact(page, '#out-pu-1-minimumDelta'), String(eth.minimumDelta.charge));
    // The units' liquidation prices in portfolio mode (the held unit's grid MM counted).
    await assertUnitLiquidations(page, r.account.bookLiquidation);
    assert.match(await page.textContent('#book-liq-units-hint'), /held units' grid maintenance margin/);
    // An edit keeps the opened unit open and updates its figures.
    await page.fill('#p1-size', '12');
    const again = run(await exportedRequest(page));
    await page.waitForFunction((v) => document.querySelector('#out-pu-1-requirement data')?.value === v, String(again.account.portfolioMargin.riskUnits[1].requirement));
    assert.equal(await page.isVisible('#pm-heatmap-u1'), true);
    await screenshot(page, 'units-portfolio');
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('a v=4 link carries each market\'s underlying and reproduces the per-unit numbers; a JSON book with underlyings imports, and what the page cannot hold is refused by name', async () => {
  // Every control but the hidden valuation time of a futures-only book (the minute it opened; not in its link).
  const controls = (page) => page.$$eval('#calc input, #calc select', (els) => els.filter((e) => e.type !== 'file' && e.id !== 'valuationTime').map((e) => [e.id, e.type === 'checkbox' ? e.checked : e.value]));
  const shown = (page) => page.$$eval('#results dd, #book-liq-units td, #pm-units td, #pm-heatmap td', (els) => els.map((e) => e.textContent));
  const b = await openPage(server.origin, `/#${twoUnitHash()}`);
  let link;
  let inputs;
  let figures;
  let request;
  try {
    const { page } = b;
    await waitFresh(page);
    await fillAll(page, { marginMode: 'portfolio', pmGrid: 'okx', 'p1-underlying': 'ETH' });
    await waitFresh(page);
    await page.waitForSelector('#chart svg');
    link = await page.inputValue('#share-url');
    assert.ok(link.includes('p0.ul=BTC') && link.includes('p1.ul=ETH'));
    request = await exportedRequest(page);
    const r = run(request);
    await page.waitForFunction((v) => document.querySelector('#out-pu-0-requirement data')?.value === v, String(r.account.portfolioMargin.riskUnits[0].requirement));
    inputs = await controls(page);
    figures = await shown(page);
    assertClean(assert, b);
  } finally { await b.close(); }
  const again = await openLink(server.origin, link);
  try {
    const { page } = again;
    await page.waitForSelector('#chart svg');
    assert.deepEqual(await controls(page), inputs);
    assert.deepEqual(await shown(page), figures);
    assert.deepEqual(await exportedRequest(page), request);
    // Import: the file's underlyings (here three units) are the page's.
    const other = structuredClone(request);
    other.account.portfolioMargin = { grid: 'paradex' };
    other.markets.push({ ...other.markets[0], symbol: 'SOL-PERP', underlying: 'SOL', markPrice: '150' });
    other.positions.push({ symbol: 'SOL-PERP', side: 'long', size: '20', entryPrice: '150', leverage: '5' });
    assert.match(await importRequest(page, other, 'units.json'), /^Imported 3 positions/);
    assert.equal(await page.inputValue('#p2-underlying'), 'SOL');
    assert.deepEqual(await exportedRequest(page), other);
    const r = run(other);
    await page.waitForFunction((n) => document.querySelectorAll('#pm-units-table tbody tr').length === n, 3);
    assert.equal(await exact(page, '#out-pu-2-requirement'), String(r.account.portfolioMargin.riskUnits[2].requirement));
    // A market without a position, a tick size, an isolated margin: refused by name, the book untouched.
    for (const [odd, message] of [
      [{ ...other, markets: [...other.markets, { ...other.markets[0], symbol: 'XRP-PERP', underlying: 'XRP' }] }, /market 'XRP-PERP' has no position/],
      [{ ...other, markets: [{ ...other.markets[0], tickSize: '0.1' }, ...other.markets.slice(1)] }, /market 'BTC-PERP': the page does not edit tickSize/],
      [{ ...other, positions: [{ ...other.positions[0], isolatedMargin: '100' }, ...other.positions.slice(1)] }, /position 1: the page does not edit isolatedMargin/],
      [{ ...other, account: { ...other.account, otherMaintenanceMargin: '10' } }, /account: the page does not edit otherMaintenanceMargin/],
    ]) {
      assert.match(await importRequest(page, odd, 'odd.json'), message);
      assert.equal(await page.inputValue('#p2-underlying'), 'SOL');
    }
    assertClean(assert, again);
  } finally { await again.close(); }
});

test('axe-core: no serious or critical violations with the risk-unit tables open (light and dark); nothing overflows at 360 px', async () => {
  const hash = twoUnitHash({ mode: 'portfolio', pmg: 'paradex' });
  for (const theme of ['light', 'dark']) {
    const b = await openPage(server.origin, `/?theme=${theme}#${hash}`, { colorScheme: theme });
    try {
      const { page } = b;
      await waitFresh(page);
      await page.click('#pm-unit-0 summary');
      assert.deepEqual(await seriousViolations(page), []);
      if (theme === 'dark') await screenshot(page, 'units-dark');
      assertClean(assert, b);
    } finally { await b.close(); }
  }
  const phone = await openPage(server.origin, `/#${hash}`, { viewport: { width: 360, height: 780 } });
  try {
    const { page } = phone;
    await waitFresh(page);
    await page.click('#pm-unit-1 summary');
    await page.waitForSelector('#chart svg');
    await assertFitsPhone(assert, page);
    // Stacked on a phone: each figure labelled by its column.
    assert.equal(await page.$eval('#out-bu-0-below', (td) => getComputedStyle(td, '::before').content), '"Liquidation price"');
    await screenshot(page, 'units-phone-360');
    assertClean(assert, phone);
  } finally { await phone.close(); }
});
