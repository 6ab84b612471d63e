// End-to-end: margin-rule parameters edited on the page — a tier table (the engine picks the
// tier, the page marks it), size-scaled rates, every standard option parameter, "start from
// preset" — and each isolated position's distance to liquidation in σ with its touch
// probability. Every figure is compared with the engine itself (harness `engine()`) on the
// request the page exported; field errors must sit next to their input and keep the figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, openPage, exact, engine, fillAll, assertClean, shutdown, screenshot, WWW, waitFresh, waitStale, resultOf, exportedRequest, seriousViolations, axeRoute } from './harness.mjs';

let server;
let imr;
before(async () => {
  server = await serve(WWW, await axeRoute());
  imr = await engine();
});
after(async () => { await shutdown(); await server?.close(); });

const TIERED_PRESET = 'binance-btcusdt-perp-2024-10';
const SIZE_PRESET = 'deribit-btc-usdc-perp';
const OPTION_PRESET = 'paradex-options-docs-example';

/** The engine's result for `request` (which must be valid). */
const run = (request) => resultOf(imr, request);

/** The tier rows as the page holds them. */
const tierRows = (page, i = 0) => page.$$eval(`#p${i}-tiers .tier-row`, (rows) => rows.map((row) => {
  const v = (k) => row.querySelector(`input[data-tk="${k}"]`).value;
  return { floor: v('floor'), cap: v('cap'), mmr: v('mmr'), lev: v('lev'), amount: v('amount'), used: row.querySelector('.tier-used').textContent };
}));

/** The page's tiers as engine tiers (what the export must hold). */
const asEngineTiers = (rows) => rows.map((t) => ({
  notionalFloor: t.floor, ...(t.cap ? { notionalCap: t.cap } : {}), maintenanceMarginRate: t.mmr, maxLeverage: t.lev,
  ...(t.amount ? { maintenanceAmount: t.amount } : {}),
}));

/** The position's margin figures on the page equal the engine's for the exported request. */
async function assertMarginShown(page, result, i = 0) {
  const p = result.positions[i];
  await page.waitForFunction(([k, v]) => document.querySelector(`#out-p${k}-maintenanceMargin data`)?.value === v, [i, p.maintenanceMargin]);
  assert.equal(await exact(page, `#out-p${i}-initialMargin`), p.initialMargin);
  assert.equal(await exact(page, `#out-p${i}-maintenanceMarginRate`), p.maintenanceMarginRate);
  assert.equal(await exact(page, `#out-p${i}-liquidationPrice`), p.liquidation.price ?? await page.textContent(`#out-p${i}-liquidationPrice`));
  return p;
}

test('an editable tier table: the engine picks the tier and the page marks it; MM follows every edit; tiers added by keyboard and removed; a tier error sits next to its input', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    assert.equal(await page.isVisible('#p0-tiers'), false, 'the basic calculator shows a fixed rate');
    await page.selectOption('#p0-rule', 'tiered');
    await page.waitForSelector('#p0-t2-floor');
    let rows = await tierRows(page);
    assert.equal(rows.length, 3);
    // 0.5 BTC at 60 000 = 30 000 of notional: whichever tier the engine picks is the one marked.
    let request = await exportedRequest(page);
    assert.deepEqual(request.markets[0].margin, { type: 'tiered', tiers: asEngineTiers(rows) });
    let p = await assertMarginShown(page, run(request));
    const marked = (r) => r.map((t, k) => (t.used.includes('in use now') ? k + 1 : null)).filter(Boolean);
    assert.deepEqual(marked(rows), [p.tier.tier]);
    assert.match(await page.textContent('#out-p0-tier'), new RegExp(`^Tier ${p.tier.tier}:`));
    const firstTier = p.tier.tier;
    // A larger size crosses into a higher tier: the engine's tier and MM, and the mark moves.
    await page.fill('#p0-size', '2');
    request = await exportedRequest(page);
    p = await assertMarginShown(page, run(request));
    assert.ok(p.tier.tier > firstTier, `tier ${p.tier.tier} after ${firstTier}`);
    rows = await tierRows(page);
    assert.deepEqual(marked(rows), [p.tier.tier]);
    assert.equal(p.maintenanceMarginRate, rows[p.tier.tier - 1].mmr);
    // Editing that tier's rate changes MM to the engine's; the deduction keeps MM continuous:
    // MM = N·MMR_k − cum_k with cum_k from the recursion over the page's own table.
    const k = p.tier.tier - 1;
    await page.fill(`#p0-t${k}-mmr`, '0.008');
    request = await exportedRequest(page);
    p = await assertMarginShown(page, run(request));
    rows = await tierRows(page);
    let cum = 0;
    for (let j = 1; j <= k; j += 1) cum += Number(rows[j].floor) * (Number(rows[j].mmr) - Number(rows[j - 1].mmr));
    assert.ok(Math.abs(Number(p.maintenanceMargin) - (Number(p.notional) * 0.008 - cum)) < 1e-6, `${p.maintenanceMargin} vs N·0.008 − ${cum}`);
    // Add a tier by keyboard: the open-ended last tier gets a cap, the new one starts there.
    await page.focus('#p0-add-tier');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#p0-t3-floor');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'p0-t3-mmr');
    rows = await tierRows(page);
    assert.equal(rows.length, 4);
    assert.notEqual(rows[2].cap, '');
    assert.equal(rows[3].floor, rows[2].cap);
    assert.equal(rows[3].cap, '');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('0.02');
    await page.fill('#p0-t3-lev', '25');
    request = await exportedRequest(page);
    assert.deepEqual(request.markets[0].margin.tiers, asEngineTiers(await tierRows(page)));
    await assertMarginShown(page, run(request));
    // A rate below the previous tier's: the engine names tiers[2].maintenanceMarginRate, the
    // page puts it next to that input; the last figures stay on screen, marked stale.
    const before = await exact(page, '#out-p0-maintenanceMargin');
    await page.fill('#p0-t2-mmr', '0.001');
    await waitStale(page);
    const bad = imr.calculate({ ...request, markets: [{ ...request.markets[0], margin: { type: 'tiered', tiers: request.markets[0].margin.tiers.map((t, j) => (j === 2 ? { ...t, maintenanceMarginRate: '0.001' } : t)) } }] });
    assert.equal(bad.ok, false);
    assert.equal(bad.errors[0].field, 'markets[0].margin.tiers[2].maintenanceMarginRate');
    assert.equal(await page.textContent('#p0-t2-mmr-error'), bad.errors[0].message);
    assert.equal(await page.getAttribute('#p0-t2-mmr', 'aria-invalid'), 'true');
    assert.equal(await page.textContent('#p0-t1-mmr-error'), '');
    assert.equal(await exact(page, '#out-p0-maintenanceMargin'), before, 'the last figures stay');
    assert.match(await page.textContent('#status'), /Fix position 1: .*last valid input/);
    assert.deepEqual(await seriousViolations(page), []);
    await page.fill('#p0-t2-mmr', '0.01');
    await waitFresh(page);
    // Remove the added tier: three again, the figures the engine's.
    await page.click('[data-action="remove-tier"][data-t="3"]');
    await page.waitForFunction(() => document.querySelectorAll('#p0-tiers .tier-row').length === 3);
    request = await exportedRequest(page);
    assert.equal(request.markets[0].margin.tiers.length, 3);
    await assertMarginShown(page, run(request));
    assert.equal(await page.$$eval('#calc [aria-invalid]', (els) => els.length), 0);
    await screenshot(page, 'rules-tier-table');
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('start from preset: a preset\'s tier table and size-scaled rates are copied into editable rules that give the preset\'s figures, then edited', async () => {
  const presets = imr.listPresets();
  const tiered = presets.find((x) => x.name === TIERED_PRESET);
  const scaled = presets.find((x) => x.name === SIZE_PRESET);
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    await fillAll(page, { 'p0-size': '12', 'p0-leverage': '10' });
    await page.selectOption('#p0-rule', `preset:${TIERED_PRESET}`);
    await page.waitForSelector('#p0-edit-preset');
    const viaPreset = run(await exportedRequest(page)).positions[0];
    await page.click('#p0-edit-preset');
    await page.waitForSelector('#p0-tiers');
    assert.equal(await page.inputValue('#p0-rule'), 'tiered');
    const rows = await tierRows(page);
    // Every tier of the preset, as published (its bracket numbers are only labels).
    assert.deepEqual(asEngineTiers(rows), tiered.market.margin.tiers.map(({ bracket, ...t }) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== null))));
    const request = await exportedRequest(page);
    assert.equal(request.markets[0].preset, undefined);
    assert.equal(request.markets[0].marginBasis, tiered.market.marginBasis);
    const copied = await assertMarginShown(page, run(request));
    // The same tier and margin as the preset itself (the tick size is not copied: the page has no
    // tick field, so only the liquidation price's rounding may differ).
    assert.deepEqual([copied.tier, copied.maintenanceMargin, copied.initialMargin], [viaPreset.tier, viaPreset.maintenanceMargin, viaPreset.initialMargin]);
    assert.deepEqual((await tierRows(page)).map((t) => t.used.includes('in use now')).indexOf(true) + 1, copied.tier.tier);
    assert.match(await page.textContent('#status'), /parameters of binance-btcusdt-perp-2024-10 \(as of 2024-10-24\) were copied/);
    // Edit the copy: the tier in use gets another rate. The preset's published maintenance
    // amount no longer fits the recursion: the engine says so on that tier's amount, which the
    // page shows next to it (the figures stay, stale); the published rate makes it consistent again.
    const k = copied.tier.tier - 1;
    await page.fill(`#p0-t${k}-mmr`, '0.007');
    await waitStale(page);
    const changed = structuredClone(request);
    changed.markets[0].margin.tiers[k].maintenanceMarginRate = '0.007';
    const refused = imr.calculate(changed);
    assert.equal(refused.ok, false);
    assert.equal(refused.errors[0].field, `markets[0].margin.tiers[${k}].maintenanceAmount`);
    assert.equal(await page.textContent(`#p0-t${k}-amount-error`), refused.errors[0].message);
    assert.equal(await page.getAttribute(`#p0-t${k}-amount`, 'aria-invalid'), 'true');
    assert.equal(await exact(page, '#out-p0-maintenanceMargin'), copied.maintenanceMargin);
    await page.fill(`#p0-t${k}-mmr`, tiered.market.margin.tiers[k].maintenanceMarginRate);
    await waitFresh(page);
    // Size-scaled rates from a Deribit preset, through "Start from preset".
    await page.selectOption('#p0-copyFrom', SIZE_PRESET);
    await page.click('#p0-copy-preset');
    await page.waitForSelector('#p0-ssSlope');
    assert.equal(await page.inputValue('#p0-rule'), 'sizeScaled');
    assert.deepEqual([await page.inputValue('#p0-ssInitial'), await page.inputValue('#p0-ssMaint'), await page.inputValue('#p0-ssSlope')],
      [scaled.market.margin.initialBaseRate, scaled.market.margin.maintenanceBaseRate, scaled.market.margin.slopePerUnit]);
    let sized = await exportedRequest(page);
    assert.deepEqual(sized.markets[0].margin, Object.fromEntries(Object.entries(scaled.market.margin).filter(([, v]) => v !== null)));
    let p = await assertMarginShown(page, run(sized));
    // The rates grow with size: double the slope, a higher MMR, the engine's.
    await page.fill('#p0-ssSlope', String(Number(scaled.market.margin.slopePerUnit) * 2));
    sized = await exportedRequest(page);
    const p2 = await assertMarginShown(page, run(sized));
    assert.ok(Number(p2.maintenanceMarginRate) > Number(p.maintenanceMarginRate), `${p2.maintenanceMarginRate} > ${p.maintenanceMarginRate}`);
    p = p2;
    // Maintenance above initial: the engine's error, next to the maintenance field.
    await page.fill('#p0-ssMaint', '0.5');
    await waitStale(page);
    assert.match(await page.textContent('#p0-ssMaint-error'), /initialBaseRate/);
    assert.equal(await page.getAttribute('#p0-ssMaint', 'aria-invalid'), 'true');
    assert.equal(await exact(page, '#out-p0-maintenanceMargin'), p.maintenanceMargin, 'the last figures stay');
    assert.deepEqual(await seriousViolations(page), []);
    assertClean(assert, b);
  } finally { await b.close(); }
});

/** A short call, cross, on the editable standard option rule (a v=3 link, still opened). */
const OPTION_LINK = new URLSearchParams({
  v: '3', wallet: '20000', mode: 'cross', fees: '0', fee: '0.0005', vt: '2025-06-01T08:00',
  'p0.symbol': 'BTC-27JUN25-55000-C', 'p0.kind': 'option', 'p0.side': 'short', 'p0.size': '1', 'p0.entryPrice': '5000',
  'p0.optionType': 'call', 'p0.strike': '55000', 'p0.expiry': '2025-06-27T08:00', 'p0.underlyingPrice': '60000',
  'p0.pricing': 'iv', 'p0.iv': '60', 'p0.rule': 'fixed', 'p0.imRate': '0.15', 'p0.imFloorRate': '0.1', 'p0.mmRate': '0.075',
  'p0.settlement': 'linear', 'p0.contractSize': '1',
}).toString();

test('every standard option parameter is editable (collapsed until used), a preset\'s are copied in, and a bad one is named next to its field', async () => {
  const optionPreset = imr.listPresets().find((x) => x.name === OPTION_PRESET);
  const b = await openPage(server.origin, `/#${OPTION_LINK}`);
  try {
    const { page } = b;
    await waitFresh(page);
    assert.equal(await page.isVisible('#p0-optItm'), false, 'the extra parameters start collapsed');
    const base = run(await exportedRequest(page)).positions[0];
    await page.click('#p0-option-extras summary');
    await fillAll(page, { 'p0-optItm': '0.12', 'p0-optPm': '0.5', 'p0-optLf': '0.01', 'p0-optMf': '1.5' });
    await page.check('#p0-optPae');
    const request = await exportedRequest(page);
    assert.deepEqual(request.markets[0].margin, {
      type: 'standardOption', initialRate: '0.15', initialFloorRate: '0.1', maintenanceRate: '0.075',
      maintenanceItmRate: '0.12', marginFactor: '1.5', maintenancePremiumMultiplier: '0.5', liquidationFeeRate: '0.01', premiumAtLeastEntry: true,
    });
    const p = run(request).positions[0];
    await page.waitForFunction((v) => document.querySelector('#out-p0-maintenanceMargin data')?.value === v, p.maintenanceMargin);
    assert.equal(await exact(page, '#out-p0-initialMargin'), p.initialMargin);
    assert.notEqual(p.maintenanceMargin, base.maintenanceMargin, 'the parameters change the margin');
    // The breakdown is the engine's, with the parameters it used.
    await page.click('#result-p0 summary');
    assert.deepEqual(await page.$$eval('#breakdown-0 tbody td:last-child', (tds) => tds.map((td) => td.textContent)), p.breakdown.map((x) => x.value));
    // A margin factor over 10: the engine's error, next to that field only.
    await page.fill('#p0-optMf', '20');
    await waitStale(page);
    assert.match(await page.textContent('#p0-optMf-error'), /at most 10/);
    assert.equal(await page.getAttribute('#p0-optMf', 'aria-invalid'), 'true');
    assert.equal(await page.textContent('#p0-optItm-error'), '');
    assert.equal(await exact(page, '#out-p0-maintenanceMargin'), p.maintenanceMargin, 'the last figures stay');
    assert.deepEqual(await seriousViolations(page), []);
    // Start from a preset: its parameters replace the rule's.
    await page.selectOption('#p0-copyFrom', OPTION_PRESET);
    await page.click('#p0-copy-preset');
    await waitFresh(page);
    const copied = await exportedRequest(page);
    // The preset's parameters (listPresets spells absent ones as null).
    assert.deepEqual(copied.markets[0].margin, Object.fromEntries(Object.entries(optionPreset.market.margin).filter(([, v]) => v !== null)));
    assert.equal(await page.isVisible('#p0-optItm'), true, 'opened: the preset sets some of them');
    assert.equal(await page.inputValue('#p0-optPm'), optionPreset.market.margin.maintenancePremiumMultiplier);
    const q = run(copied).positions[0];
    await page.waitForFunction((v) => document.querySelector('#out-p0-maintenanceMargin data')?.value === v, q.maintenanceMargin);
    await screenshot(page, 'rules-option-parameters');
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('isolated positions show their distance to liquidation in σ and the touch probability next to the liquidation price, the engine\'s for the risk assumptions', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    await page.click('#add-position');
    await page.waitForSelector('#p1-symbol');
    await fillAll(page, { 'p1-side': 'short', 'p1-leverage': '25' });
    const assertSigmas = async (request) => {
      const result = run(request);
      for (const [i, p] of result.positions.entries()) {
        const liq = p.liquidation;
        assert.equal(typeof liq.distanceSigmas, 'number', `position ${i} has a σ distance`);
        await page.waitForFunction(([k, v]) => document.querySelector(`#out-p${k}-distanceSigmas data`)?.value === v, [i, String(liq.distanceSigmas)]);
        assert.equal(await exact(page, `#out-p${i}-liquidationPrice`), liq.price);
        assert.equal(await exact(page, `#out-p${i}-touchProbability`), String(liq.touchProbability));
        // Shown rounded, signed (a long's liquidation is below the mark, a short's above).
        assert.match(await page.textContent(`#out-p${i}-distanceSigmas`), p.side === 'long' ? /^−[\d.,]+ σ$/ : /^\+[\d.,]+ σ$/);
        assert.match(await page.textContent(`#out-p${i}-touchProbability`), / %$/);
      }
      return result;
    };
    let request = await exportedRequest(page);
    assert.equal(request.account.marginMode, 'isolated');
    const oneDay = await assertSigmas(request);
    assert.match(await page.textContent('#result-p0 dl'), /Touch probability \(1 day\)/);
    // A longer horizon: the engine's figures again, each liquidation more likely to be touched.
    await fillAll(page, { riskHorizon: '30', riskVol: '80' });
    request = await exportedRequest(page);
    assert.deepEqual([request.horizonDays, request.volatility], ['30', '0.8']);
    const month = await assertSigmas(request);
    for (const [i, p] of month.positions.entries()) {
      assert.ok(p.liquidation.touchProbability > oneDay.positions[i].liquidation.touchProbability);
    }
    assert.match(await page.textContent('#result-p1 dl'), /Touch probability \(30 days\)/);
    // The breakdown says how: the engine's own lines.
    await page.click('#result-p0 summary');
    const steps = await page.$$eval('#breakdown-0 tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const sigmaStep = month.positions[0].breakdown.find((x) => x.label === 'Distance to liquidation in σ');
    assert.ok(sigmaStep);
    assert.ok(steps.some((row) => row[0] === sigmaStep.label && row[2] === sigmaStep.value));
    // Cross books carry them per position too, beside the whole-book roots.
    await page.selectOption('#marginMode', 'cross');
    await assertSigmas(await exportedRequest(page));
    assert.deepEqual(await seriousViolations(page), []);
    assertClean(assert, b);
  } finally { await b.close(); }
});
