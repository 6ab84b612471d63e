// End-to-end: resting orders on the page — market, side, size, optional price and leverage —
// and what the engine returns for them in cross, isolated and portfolio mode: the margin the
// orders hold (per market), and for each order if it filled now the new position, the extra
// initial margin, the new liquidation prices and whether it is allowed. Order errors sit next
// to their fields while the book's figures stay fresh; links and JSON carry the orders.
// Every figure is compared with the engine itself on the request the page exported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  serve, openPage, exact, engine, fillAll, assertClean, shutdown, screenshot, WWW,
  axeRoute, seriousViolations, exportedRequest, importRequest, assertFitsPhone,
  waitFresh, resultOf, shortOptionLeg,
  openLink,
} from './harness.mjs';

let server;
let imr;
before(async () => { server = await serve(WWW, await axeRoute()); imr = await engine(); });
after(async () => { await shutdown(); await server?.close(); });

const run = (request) => resultOf(imr, request);

const VT = '2025-06-01T08:00';

/** A short call, a short put and a BTC perpetual in portfolio mode (Paradex), as a v=4 link. */
function optionBookHash(extra = {}) {
  return new URLSearchParams({
    v: '4', wallet: '20000', mode: 'portfolio', fees: '0', fee: '0.0005', vt: VT, rv: '60', rh: '1', pmg: 'paradex', pmp: '6000', pmv: '5',
    ...shortOptionLeg(0, 'C65', 'call', '65000', '1500'), ...shortOptionLeg(1, 'P55', 'put', '55000', '1200'),
    'p2.symbol': 'BTC-PERP', 'p2.kind': 'perpetual', 'p2.side': 'long', 'p2.size': '0.5', 'p2.entryPrice': '60000', 'p2.markPrice': '60000',
    'p2.leverage': '10', 'p2.rule': 'fixed', 'p2.mmr': '0.005', 'p2.settlement': 'linear', 'p2.contractSize': '1', 'p2.marginBasis': 'mark',
    st: '0', ...extra,
  }).toString();
}

/** Every order figure on the page equals the engine's `orders` block. */
async function assertOrdersShown(page, result) {
  const o = result.orders;
  const portfolio = result.account.marginMode === 'portfolio';
  await page.waitForFunction((v) => document.querySelector('#out-orders-initialMarginWithOrders data')?.value === v && document.querySelector('#orders-results').dataset.stale === 'false', o.initialMarginWithOrders);
  assert.equal(await exact(page, '#out-orders-initialMargin'), o.initialMargin);
  assert.equal(await exact(page, '#out-orders-availableBalanceWithOrders'), o.availableBalanceWithOrders);
  assert.equal(await page.getAttribute('#out-orders-allowed', 'data-allowed'), String(o.allowed));
  assert.equal(await page.$$eval('#orders-markets-table tbody tr', (trs) => trs.length).catch(() => 0), o.markets.length);
  for (const [j, m] of o.markets.entries()) {
    for (const key of ['positionNotional', 'buyNotional', 'sellNotional', 'exposure', 'initialMarginRate', 'initialMargin']) {
      assert.equal(await exact(page, `#out-om-${j}-${key}`), m[key], `${m.symbol} ${key}`);
    }
  }
  assert.equal(await page.$$eval('.order-fill', (els) => els.length), o.orders.length);
  for (const [k, x] of o.orders.entries()) {
    const f = x.ifFilled;
    assert.match(await page.textContent(`#out-o${k}-title`), new RegExp(`^Order ${k + 1}: ${x.side} `));
    assert.equal(await exact(page, `#out-o${k}-notional`), x.notional);
    if (!f) continue;
    assert.equal(await page.getAttribute(`#out-o${k}-allowed span`, 'data-allowed'), String(f.allowed), `order ${k + 1} allowed`);
    for (const key of ['realizedPnl', 'incrementalInitialMargin', 'initialMargin', 'availableBalance']) {
      assert.equal(await exact(page, `#out-o${k}-${key}`), f[key], `order ${k + 1} ${key}`);
    }
    if (f.position) {
      assert.match(await page.textContent(`#out-o${k}-position`), new RegExp(`^${f.position.side} `));
      assert.equal(await exact(page, `#out-o${k}-position`), f.position.entryPrice);
    } else {
      assert.match(await page.textContent(`#out-o${k}-position`), /closes the position/);
    }
    if (portfolio) {
      for (const key of ['maintenanceMargin', 'equity', 'marginRatio']) assert.equal(await exact(page, `#out-o${k}-${key}`), f[key], `order ${k + 1} ${key}`);
      assert.equal(await page.textContent(`#out-o${k}-dominantScenario`), f.dominantScenario);
    } else if (f.position) {
      assert.equal(await exact(page, `#out-o${k}-positionInitialMargin`), f.position.initialMargin);
      assert.equal(await exact(page, `#out-o${k}-positionMaintenanceMargin`), f.position.maintenanceMargin);
    }
    const liqs = await page.$$eval(`#out-o${k}-liquidationPrices li`, (lis) => lis.map((li) => [li.dataset.symbol, li.querySelector('data')?.value ?? null]));
    assert.deepEqual(liqs, f.liquidationPrices.map((l) => [l.symbol, l.price]), `order ${k + 1} liquidation prices`);
  }
  assert.deepEqual(await page.$$eval('#orders-notes li', (lis) => lis.map((li) => li.textContent)), o.notes);
}

test('orders on a cross book, then isolated: the margin they hold and each what-if fill are the engine\'s; added by keyboard, renamed with their market, an error next to its field while the book stays fresh', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    await fillAll(page, { walletBalance: '5000', marginMode: 'cross' });
    assert.equal(await page.isVisible('#add-order'), false, 'collapsed by default');
    assert.equal(await page.isVisible('#orders-results'), false);
    await page.focus('#orders-box summary');
    await page.keyboard.press('Enter');
    await page.focus('#add-order');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#o0-symbol');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'o0-symbol');
    // A new order adds the position's size on its side, at the mark.
    assert.deepEqual([await page.inputValue('#o0-symbol'), await page.inputValue('#o0-side'), await page.inputValue('#o0-size'), await page.inputValue('#o0-price')], ['BTCUSDT', 'buy', '0.5', '']);
    await page.fill('#o0-size', '0.25');
    await page.click('#add-order');
    await page.waitForSelector('#o1-symbol');
    await fillAll(page, { 'o1-side': 'sell', 'o1-size': '1', 'o1-price': '61000', 'o1-leverage': '25' });
    let request = await exportedRequest(page);
    assert.deepEqual(request.orders, [
      { symbol: 'BTCUSDT', side: 'buy', size: '0.25' },
      { symbol: 'BTCUSDT', side: 'sell', size: '1', price: '61000', leverage: '25' },
    ]);
    let r = run(request);
    await assertOrdersShown(page, r);
    assert.ok(r.orders.orders[1].ifFilled.position.side === 'short', 'the sell flips the position');
    assert.match(await page.textContent('#status'), /2 orders hold [\d,.]+ USDT; \d of 2 fills allowed/);
    // Renaming the market: its orders follow.
    await page.fill('#p0-symbol', 'BTC-PERP');
    assert.equal(await page.inputValue('#o0-symbol'), 'BTC-PERP');
    request = await exportedRequest(page);
    assert.deepEqual(request.orders.map((o) => o.symbol), ['BTC-PERP', 'BTC-PERP']);
    // A second market, and an order on it.
    await page.click('#add-position');
    await page.waitForSelector('#p1-symbol');
    await page.fill('#p1-symbol', 'ETH-PERP');
    assert.deepEqual(await page.$$eval('#o1-symbol option', (os) => os.map((o) => o.value)), ['BTC-PERP', 'ETH-PERP']);
    await page.selectOption('#o1-symbol', 'ETH-PERP');
    await fillAll(page, { 'o1-price': '2950', 'o1-size': '4', 'o1-leverage': '' });
    request = await exportedRequest(page);
    assert.deepEqual(request.orders[1], { symbol: 'ETH-PERP', side: 'sell', size: '4', price: '2950' });
    r = run(request);
    await assertOrdersShown(page, r);
    // An invalid size: the engine's error next to it; the book's figures stay fresh, the orders' stale.
    await page.fill('#o1-size', 'abc');
    await page.waitForFunction(() => document.querySelector('#o1-size-error').textContent !== '');
    assert.match(await page.textContent('#o1-size-error'), /not a decimal number/);
    assert.equal(await page.getAttribute('#o1-size', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('#results', 'data-stale'), 'false');
    assert.equal(await page.getAttribute('#orders-results', 'data-stale'), 'true');
    assert.match(await page.textContent('#orders-stale'), /last valid orders/);
    assert.match(await page.textContent('#status'), /Fix order 2: /);
    await page.fill('#walletBalance', '6000');
    const { orders: _o, ...book } = await exportedRequest(page);
    await page.waitForFunction((v) => document.querySelector('#out-equity data')?.value === v, run(book).account.equity);
    assert.deepEqual(await seriousViolations(page), []);
    await page.fill('#o1-size', '4');
    // Isolated: the same orders, the engine's isolated what-ifs.
    await page.selectOption('#marginMode', 'isolated');
    request = await exportedRequest(page);
    r = run(request);
    await assertOrdersShown(page, r);
    // Removed by keyboard: focus goes to the next order's market.
    await page.focus('[data-action="remove-order"][data-o="0"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.order-row').length === 1);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'o0-symbol');
    await assertOrdersShown(page, run(await exportedRequest(page)));
    await screenshot(page, 'orders-isolated');
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('orders in portfolio mode, on an option and a perpetual: each fill re-runs the grid (IM, MM, equity, margin ratio, dominant scenario), leverage not used; cross mode refuses the option order next to it', async () => {
  const b = await openPage(server.origin, `/#${optionBookHash({ on: '2', 'o0.s': 'P55', 'o0.d': 'buy', 'o0.z': '1', 'o0.p': '400', 'o1.s': 'BTC-PERP', 'o1.d': 'sell', 'o1.z': '0.5', 'o1.l': '20' })}`);
  try {
    const { page } = b;
    await waitFresh(page);
    assert.equal(await page.isVisible('#o0-symbol'), true, 'orders from a link open their section');
    assert.equal(await page.isDisabled('#o1-leverage'), true);
    assert.match(await page.textContent('#o1-leverage-hint'), /Not used in portfolio mode/);
    let request = await exportedRequest(page);
    assert.deepEqual(request.orders, [
      { symbol: 'P55', side: 'buy', size: '1', price: '400' },
      { symbol: 'BTC-PERP', side: 'sell', size: '0.5' },
    ]);
    let r = run(request);
    assert.equal(r.orders.markets.length, 0, 'no per-market figures in portfolio mode');
    await assertOrdersShown(page, r);
    assert.match(await page.textContent('#out-o0-liquidationPrices'), /not recomputed per order in portfolio mode/);
    // A bigger option order moves the grid's figures.
    await page.fill('#o0-size', '3');
    request = await exportedRequest(page);
    r = run(request);
    await assertOrdersShown(page, r);
    await screenshot(page, 'orders-portfolio');
    // Cross: options take no orders there; the engine says so next to the order's market, the book stays fresh.
    await page.selectOption('#marginMode', 'cross');
    await page.waitForFunction(() => document.querySelector('#o0-symbol-error').textContent !== '');
    assert.match(await page.textContent('#o0-symbol-error'), /portfolio mode only/);
    assert.equal(await page.getAttribute('#results', 'data-stale'), 'false');
    assert.equal(await page.isDisabled('#o0-leverage'), true, 'options take no leverage');
    assert.equal(await page.isDisabled('#o1-leverage'), false);
    request = await exportedRequest(page);
    assert.deepEqual(request.orders[1], { symbol: 'BTC-PERP', side: 'sell', size: '0.5', leverage: '20' });
    const { orders: _o, ...book } = request;
    assert.equal(await exact(page, '#out-initialMargin'), run(book).account.initialMargin);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('a v=4 link carries the orders and reproduces their numbers; a JSON book with orders imports (buy/sell or long/short), and an order field the page does not edit is refused', async () => {
  // Every control but the hidden valuation time of a futures-only book (the minute it opened; not in its link).
  const controls = (page) => page.$$eval('#calc input, #calc select', (els) => els.filter((e) => e.type !== 'file' && e.id !== 'valuationTime').map((e) => [e.id, e.type === 'checkbox' ? e.checked : e.value, e.disabled]));
  const shown = (page) => page.$$eval('#results dd, #orders-results td', (els) => els.map((e) => e.textContent));
  const b = await openPage(server.origin);
  let link;
  let inputs;
  let figures;
  let request;
  try {
    const { page } = b;
    await fillAll(page, { walletBalance: '5000', marginMode: 'cross' });
    await page.click('#orders-box summary');
    await page.click('#add-order');
    await page.waitForSelector('#o0-symbol');
    await page.click('#add-order');
    await page.waitForSelector('#o1-symbol');
    await fillAll(page, { 'o0-price': '59000', 'o0-leverage': '10', 'o1-side': 'sell', 'o1-size': '0.2', 'o1-price': '62000' });
    await page.waitForFunction(() => location.hash.includes('on=2'));
    link = await page.inputValue('#share-url');
    for (const key of ['o0.s=BTCUSDT', 'o0.d=buy', 'o0.p=59000', 'o0.l=10', 'o1.d=sell', 'o1.z=0.2']) assert.ok(link.includes(key), key);
    request = await exportedRequest(page);
    await assertOrdersShown(page, run(request));
    await page.waitForSelector('#chart svg');
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
    // Import: the file's orders, 'long'/'short' read as buy/sell.
    const other = structuredClone(request);
    other.orders = [{ symbol: 'BTCUSDT', side: 'short', size: '2', price: '60500' }, { symbol: 'BTCUSDT', side: 'buy', size: '0.1' }];
    assert.match(await importRequest(page, other, 'orders.json'), /^Imported 1 position/);
    assert.deepEqual([await page.inputValue('#o0-side'), await page.inputValue('#o0-size'), await page.inputValue('#o1-price')], ['sell', '2', '']);
    const back = await exportedRequest(page);
    assert.deepEqual(back.orders, [{ symbol: 'BTCUSDT', side: 'sell', size: '2', price: '60500' }, { symbol: 'BTCUSDT', side: 'buy', size: '0.1' }]);
    await assertOrdersShown(page, run(back));
    const odd = structuredClone(other);
    odd.orders[0].reduceOnly = true;
    assert.match(await importRequest(page, odd, 'odd.json'), /order 1: the page does not edit reduceOnly/);
    assert.equal(await page.inputValue('#o0-size'), '2');
    assertClean(assert, again);
  } finally { await again.close(); }
});

test('axe-core: no serious or critical violations with orders and their fills shown (light and dark, with an order error); nothing overflows at 360 px', async () => {
  const hash = optionBookHash({ on: '2', 'o0.s': 'P55', 'o0.d': 'buy', 'o0.z': '1', 'o0.p': '400', 'o1.s': 'BTC-PERP', 'o1.d': 'sell', 'o1.z': '0.5' });
  for (const theme of ['light', 'dark']) {
    const b = await openPage(server.origin, `/?theme=${theme}#${hash}`, { colorScheme: theme });
    try {
      const { page } = b;
      await waitFresh(page);
      await page.waitForSelector('#out-o1-title');
      assert.deepEqual(await seriousViolations(page), []);
      await page.fill('#o1-size', '-1');
      await page.waitForFunction(() => document.querySelector('#o1-size-error').textContent !== '');
      assert.deepEqual(await seriousViolations(page), []);
      if (theme === 'dark') await screenshot(page, 'orders-dark');
      assertClean(assert, b);
    } finally { await b.close(); }
  }
  const phone = await openPage(server.origin, `/#${optionBookHash({ mode: 'cross', on: '1', 'o0.s': 'BTC-PERP', 'o0.d': 'buy', 'o0.z': '0.5', 'o0.p': '59500' })}`, { viewport: { width: 360, height: 780 } });
  try {
    const { page } = phone;
    await waitFresh(page);
    await page.waitForSelector('#orders-markets-table');
    await page.waitForSelector('#chart svg');
    await assertFitsPhone(assert, page);
    await screenshot(page, 'orders-phone-360');
    assertClean(assert, phone);
  } finally { await phone.close(); }
});
