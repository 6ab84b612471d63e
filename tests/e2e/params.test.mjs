// End-to-end: the last margin parameters the engine takes, editable on the page — a fixed
// rule's maintenance amount, minimum initial margin rate and leverage cap; portfolio margin's
// days forward, short-option minimum and SPAN extreme-move multiple — collapsed until used,
// errors next to their inputs, carried by share links and the JSON export, and imported back.
// Every figure is compared with the engine itself on the request the page exported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  serve, openPage, exact, engine, fillAll, assertClean, shutdown, screenshot, WWW,
  axeRoute, seriousViolations, exportedRequest, importRequest, assertFitsPhone,
  waitFresh, waitStale, resultOf, shortOptionLeg,
  openLink,
} from './harness.mjs';

let server;
let imr;
before(async () => { server = await serve(WWW, await axeRoute()); imr = await engine(); });
after(async () => { await shutdown(); await server?.close(); });

const run = (request) => resultOf(imr, request);

const VT = '2025-06-01T08:00';

/** A short strangle and a BTC perpetual in portfolio mode on SPAN 16, as a v=4 link. */
function strangleHash(extra = {}) {
  return new URLSearchParams({
    v: '4', wallet: '20000', mode: 'portfolio', fees: '0', fee: '0.0005', vt: VT, rv: '60', rh: '1', pmg: 'span16', pmp: '6000', pmv: '5',
    ...shortOptionLeg(0, 'C65', 'call', '65000', '1500'), ...shortOptionLeg(1, 'P55', 'put', '55000', '1200'), st: '0', ...extra,
  }).toString();
}

test('a fixed rule\'s maintenance amount, minimum initial rate and leverage cap: collapsed until used, sent to the engine, its figures shown, errors next to each field', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    assert.equal(await page.isVisible('#p0-fixed-extras'), true);
    assert.equal(await page.isVisible('#p0-mmAmount'), false, 'collapsed by default');
    let request = await exportedRequest(page);
    assert.deepEqual(request.markets[0].margin, { type: 'fixed', maintenanceMarginRate: '0.004' }, 'blank: nothing sent');
    // By keyboard: open the parameters and type a maintenance amount.
    await page.focus('#p0-fixed-extras summary');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#p0-mmAmount', { state: 'visible' });
    await page.fill('#p0-mmAmount', '20');
    request = await exportedRequest(page);
    assert.deepEqual(request.markets[0].margin, { type: 'fixed', maintenanceMarginRate: '0.004', maintenanceAmount: '20' });
    let r = run(request);
    await page.waitForFunction((v) => document.querySelector('#out-p0-maintenanceMargin data')?.value === v, r.positions[0].maintenanceMargin);
    assert.equal(r.positions[0].maintenanceAmount, '20');
    assert.equal(await exact(page, '#out-p0-liquidationPrice'), r.positions[0].liquidation.price);
    // A minimum initial rate above 1 / leverage: the engine lowers the leverage and says so next to it.
    await fillAll(page, { 'p0-fixedImr': '0.1', 'p0-fixedMaxLev': '50', walletBalance: '5000' });
    request = await exportedRequest(page);
    assert.deepEqual(request.markets[0].margin, { type: 'fixed', maintenanceMarginRate: '0.004', maintenanceAmount: '20', initialMarginRate: '0.1', maxLeverage: '50' });
    r = run(request);
    await page.waitForFunction((v) => document.querySelector('#out-p0-initialMargin data')?.value === v, r.positions[0].initialMargin);
    assert.equal(await exact(page, '#out-p0-initialMarginRate'), '0.1');
    assert.equal(await exact(page, '#out-p0-leverage'), r.positions[0].leverage);
    const warning = r.warnings.find((w) => w.field === 'positions[0].leverage');
    assert.ok(warning, 'the engine warns about the leverage');
    assert.equal(await page.textContent('#p0-leverage-warn'), warning.message);
    // A minimum initial rate below the maintenance rate: the engine's error next to that field; the figures stay.
    await page.fill('#p0-fixedImr', '0.001');
    await waitStale(page);
    const refused = imr.calculate({ ...request, markets: [{ ...request.markets[0], margin: { ...request.markets[0].margin, initialMarginRate: '0.001' } }] });
    assert.equal(refused.errors[0].field, 'markets[0].margin.initialMarginRate');
    assert.equal(await page.textContent('#p0-fixedImr-error'), refused.errors[0].message);
    assert.equal(await page.getAttribute('#p0-fixedImr', 'aria-invalid'), 'true');
    assert.equal(await exact(page, '#out-p0-initialMargin'), r.positions[0].initialMargin, 'the last figures stay');
    assert.match(await page.textContent('#status'), /Fix position 1/);
    await page.fill('#p0-fixedImr', '0.1');
    await page.fill('#p0-mmAmount', '-5');
    await page.waitForFunction(() => document.querySelector('#p0-mmAmount-error').textContent !== '');
    assert.match(await page.textContent('#p0-mmAmount-error'), /negative/);
    await page.fill('#p0-mmAmount', '20');
    await waitFresh(page);
    assert.deepEqual(await seriousViolations(page), []);
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('portfolio days forward, short-option minimum and SPAN extreme multiple: sent, shown as the engine returns them, the multiple SPAN-only, errors next to each field', async () => {
  const b = await openPage(server.origin, `/#${strangleHash()}`);
  try {
    const { page } = b;
    await waitFresh(page);
    assert.equal(await page.isVisible('#pmDays'), false, 'collapsed by default');
    let request = await exportedRequest(page);
    assert.deepEqual(request.account.portfolioMargin, { grid: 'span16', priceScanRange: '6000', volScanRange: '0.05' });
    const plain = run(request).account.portfolioMargin;
    await page.click('#pm-more summary');
    await fillAll(page, { pmDays: '7', pmShortMin: '2500', pmExtreme: '3' });
    request = await exportedRequest(page);
    assert.deepEqual(request.account.portfolioMargin, { grid: 'span16', priceScanRange: '6000', volScanRange: '0.05', extremeMultiple: '3', daysForward: '7', shortOptionMinimum: '2500' });
    let pm = run(request).account.portfolioMargin;
    await page.waitForFunction((v) => document.querySelector('#out-pm-requirement data')?.value === v, String(pm.requirement));
    assert.equal(await exact(page, '#out-pm-daysForward'), '7');
    assert.equal(await exact(page, '#out-pm-shortOptionMinimum'), String(pm.shortOptionMinimum));
    assert.equal(pm.shortOptionMinimum, 5000, 'two short options, one unit each');
    assert.equal(await exact(page, '#out-pm-initialMargin'), pm.initialMargin);
    assert.equal(await page.textContent('#out-pm-dominantLabel'), pm.dominant);
    // The extremes move 3 scan ranges: the heat map has the engine's scenarios, ±18 000.
    const labels = await page.$$eval('#pm-heatmap td[data-scenario]', (tds) => tds.map((td) => td.dataset.scenario));
    assert.deepEqual(labels.sort(), pm.scenarios.map((x) => x.label).sort());
    assert.ok(labels.some((l) => /3 × range/.test(l)));
    assert.notEqual(pm.scanRisk, plain.scanRisk);
    assert.match(await page.textContent('#pm-more-count'), /3 set/);
    // Another grid: the multiple is SPAN's only (disabled, not sent); days forward still applies.
    await page.selectOption('#pmGrid', 'paradex');
    assert.equal(await page.isDisabled('#pmExtreme'), true);
    request = await exportedRequest(page);
    assert.deepEqual(request.account.portfolioMargin, { grid: 'paradex', daysForward: '7', shortOptionMinimum: '2500' });
    pm = run(request).account.portfolioMargin;
    await page.waitForFunction((v) => document.querySelector('#out-pm-requirement data')?.value === v, String(pm.requirement));
    assert.equal(pm.daysForward, 7);
    // A negative number of days: the engine's error next to the field, the figures stay.
    await page.fill('#pmDays', '-1');
    await waitStale(page);
    assert.match(await page.textContent('#pmDays-error'), /negative/);
    assert.equal(await page.getAttribute('#pmDays', 'aria-invalid'), 'true');
    assert.equal(await exact(page, '#out-pm-requirement'), String(pm.requirement));
    assert.match(await page.textContent('#status'), /Fix portfolio margin/);
    assert.deepEqual(await seriousViolations(page), []);
    await page.selectOption('#pmGrid', 'span16');
    await page.fill('#pmDays', '7');
    await page.fill('#pmExtreme', '0');
    await page.waitForFunction(() => document.querySelector('#pmExtreme-error').textContent !== '');
    assert.equal(await page.getAttribute('#pmExtreme', 'aria-invalid'), 'true');
    await page.fill('#pmExtreme', '3');
    await waitFresh(page);
    await screenshot(page, 'params-portfolio');
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('a v=4 link carries the fixed-rule and portfolio parameters and reproduces the numbers; a JSON book using them imports (and one the page cannot show is refused)', async () => {
  const controls = (page) => page.$$eval('#calc input, #calc select', (els) => els.filter((e) => e.type !== 'file').map((e) => [e.id, e.type === 'checkbox' ? e.checked : e.value]));
  const shown = (page) => page.$$eval('#results dd, #pm-heatmap td', (els) => els.map((e) => e.textContent));
  const b = await openPage(server.origin, `/#${strangleHash()}`);
  let link;
  let inputs;
  let figures;
  let request;
  try {
    const { page } = b;
    await waitFresh(page);
    await page.click('#add-position');
    await page.waitForSelector('#p2-symbol');
    await page.click('#p2-fixed-extras summary');
    await page.waitForSelector('#p2-mmAmount'); // built when first opened
    await page.click('#pm-more summary');
    await fillAll(page, { 'p2-symbol': 'BTC-PERP', 'p2-mmAmount': '5', 'p2-fixedImr': '0.05', 'p2-fixedMaxLev': '20', pmDays: '2', pmShortMin: '100', pmExtreme: '2.5' });
    await page.waitForFunction(() => location.hash.includes('pmx=2.5'));
    link = await page.inputValue('#share-url');
    for (const key of ['p2.ma=5', 'p2.fim=0.05', 'p2.fml=20', 'pmd=2', 'pms=100', 'pmx=2.5']) assert.ok(link.includes(key), key);
    request = await exportedRequest(page);
    const r = run(request);
    await page.waitForFunction((v) => document.querySelector('#out-pm-requirement data')?.value === v, String(r.account.portfolioMargin.requirement));
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
    assert.equal(await page.isVisible('#p2-mmAmount'), true, 'set parameters open their section');
    assert.equal(await page.isVisible('#pmDays'), true);
    // A file that uses them (the CLI reads the same request) imports, exactly.
    const other = structuredClone(request);
    other.account.portfolioMargin = { grid: 'span16', priceScanRange: '5000', volScanRange: '0.06', extremeMultiple: '3', daysForward: '14', shortOptionMinimum: '250' };
    other.markets[2].margin = { type: 'fixed', maintenanceMarginRate: '0.01', maintenanceAmount: '12', maxLeverage: '25' };
    assert.match(await importRequest(page, other, 'params.json'), /^Imported 3 positions/);
    assert.deepEqual([await page.inputValue('#pmDays'), await page.inputValue('#pmShortMin'), await page.inputValue('#pmExtreme'), await page.inputValue('#p2-mmAmount'), await page.inputValue('#p2-fixedImr'), await page.inputValue('#p2-fixedMaxLev')],
      ['14', '250', '3', '12', '', '25']);
    assert.deepEqual(await exportedRequest(page), other);
    const r = run(other);
    await page.waitForFunction((v) => document.querySelector('#out-pm-requirement data')?.value === v, String(r.account.portfolioMargin.requirement));
    assert.equal(await exact(page, '#out-p2-maintenanceMargin'), r.positions[2].maintenanceMargin);
    // An extreme multiple on a grid that has none is refused (the engine would refuse it too), the book untouched.
    const odd = structuredClone(other);
    odd.account.portfolioMargin = { grid: 'okx', extremeMultiple: '3' };
    assert.match(await importRequest(page, odd, 'odd.json'), /extremeMultiple applies to the span16 grid only/);
    assert.equal(await page.inputValue('#pmGrid'), 'span16');
    assert.equal(await page.inputValue('#pmDays'), '14');
    assertClean(assert, again);
  } finally { await again.close(); }
});

test('axe-core: no serious or critical violations with the new parameters open (dark, with an error); nothing overflows at 360 px', async () => {
  const hash = strangleHash({ pmd: '3', pms: '100', 'p2.symbol': 'BTC-PERP', 'p2.kind': 'perpetual', 'p2.side': 'long', 'p2.size': '0.5', 'p2.entryPrice': '60000', 'p2.markPrice': '60000', 'p2.leverage': '10', 'p2.rule': 'fixed', 'p2.mmr': '0.005', 'p2.ma': '5', 'p2.fml': '50' });
  const b = await openPage(server.origin, `/?theme=dark#${hash}`, { colorScheme: 'dark' });
  try {
    const { page } = b;
    await waitFresh(page);
    assert.equal(await page.isVisible('#p2-mmAmount'), true);
    assert.equal(await page.isVisible('#pmDays'), true);
    assert.equal(await page.isVisible('#out-pm-daysForward'), true);
    assert.deepEqual(await seriousViolations(page), []);
    await page.fill('#pmShortMin', 'x');
    await page.waitForFunction(() => document.querySelector('#pmShortMin-error').textContent !== '');
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'params-dark');
    assertClean(assert, b);
  } finally { await b.close(); }
  const phone = await openPage(server.origin, `/#${hash}`, { viewport: { width: 360, height: 780 } });
  try {
    const { page } = phone;
    await waitFresh(page);
    await page.waitForSelector('#chart svg');
    await assertFitsPhone(assert, page);
    await screenshot(page, 'params-phone-360');
    assertClean(assert, phone);
  } finally { await phone.close(); }
  // Unused, the new figures stay out of the way.
  const plain = await openPage(server.origin, `/#${strangleHash()}`);
  try {
    await waitFresh(plain.page);
    assert.equal(await plain.page.isVisible('#out-pm-daysForward'), false);
    assert.equal(await plain.page.isVisible('#out-pm-shortOptionMinimum'), false);
    assertClean(assert, plain);
  } finally { await plain.close(); }
});
