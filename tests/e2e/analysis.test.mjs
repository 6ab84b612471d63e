// End-to-end: the whole-book analyses added on top of the calculator — historical VaR / ES from
// a pasted (or locally loaded) series with every convention the engine offers, multi-asset
// collateral with haircuts, a custom scenario grid in portfolio mode — their v=4 share links,
// and accessibility, dark theme and 360 px phones with all of them on screen. Every figure is
// compared with the engine itself (harness `engine()`) on the request the page exported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, openPage, exact, engine, fillAll, assertClean, shutdown, screenshot, WWW, waitFresh, waitStale, resultOf, exportedRequest, axeRoute, seriousViolations, openLink } from './harness.mjs';

let server;
let imr;
before(async () => {
  server = await serve(WWW, await axeRoute());
  imr = await engine();
});
after(async () => { await shutdown(); await server?.close(); });

const run = (request) => resultOf(imr, request);

/** `n` daily closes of a seeded random walk around 60 000 (2 dp), oldest first. */
function prices(n, seed = 7) {
  let x = seed;
  let p = 60000;
  const out = [];
  for (let k = 0; k < n; k += 1) {
    x = (x * 1103515245 + 12345) % 2147483648;
    p *= Math.exp(((x / 2147483648) - 0.5) * 0.06);
    out.push(p.toFixed(2));
  }
  return out;
}

/** Pastes `text` into a text control: its value replaced, then the input event a paste fires. */
async function paste(page, selector, text) {
  await page.focus(selector);
  await page.$eval(selector, (el, value) => {
    el.value = value;
    el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
  }, text);
}

/** The VaR figures on the page equal the engine's `var` block. */
async function assertVarShown(page, v) {
  await page.waitForFunction((x) => document.querySelector('#out-var-var data')?.value === x, String(v.var));
  assert.equal(await exact(page, '#out-var-es'), String(v.expectedShortfall));
  assert.equal(await exact(page, '#out-var-confidence'), String(v.confidence));
  assert.equal(await exact(page, '#out-var-horizon'), String(v.horizonDays));
  assert.equal(await page.textContent('#out-var-horizon'), v.horizon);
  assert.equal(await exact(page, '#out-var-observations'), String(v.observations));
  assert.equal(await exact(page, '#out-var-scenarios'), String(v.scenarios));
  assert.equal(await exact(page, '#out-var-tail'), v.tailSize);
  assert.equal(await exact(page, '#out-var-worst'), String(v.worstLoss));
  assert.ok((await page.textContent('#out-var-varConvention')).startsWith(v.varConvention));
  assert.equal(/default conventions/.test(await page.textContent('#out-var-varConvention')), v.defaultConventions);
  assert.equal(await page.textContent('#out-var-esConvention'), v.esConvention);
  assert.ok((await page.textContent('#var-method')).includes(v.method));
}

test('VaR from a pasted price series: VaR, ES, observations and the conventions are the engine\'s for every choice; a bad line is named next to the series while the book stays fresh', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    assert.equal(await page.isVisible('#varSeries'), false, 'collapsed by default');
    assert.equal(await page.isVisible('#var-results'), false);
    await page.click('#var-box summary');
    const series = prices(250).join('\n');
    await page.fill('#varSeries', series);
    let request = await exportedRequest(page);
    assert.deepEqual(request.var, { series, seriesFormat: 'prices', confidence: '0.99', horizonDays: '1', windows: 'sqrtTime', quantile: 'empirical', expectedShortfall: 'acerbiTasche' });
    let v = run(request).var;
    assert.equal(v.observations, 249);
    assert.equal(v.defaultConventions, true);
    await assertVarShown(page, v);
    assert.match(await page.textContent('#varSeries-count'), /250 lines/);
    assert.match(await page.textContent('#status'), /VaR [\d,.]+ USDT at 99 %/);
    // Another confidence, quantile, ES convention, horizon and window method.
    await fillAll(page, { varConfidence: '0.95', varQuantile: 'hazen', varEs: 'meanLossAtLeastVar', varHorizon: '10', varWindows: 'overlapping' });
    request = await exportedRequest(page);
    assert.deepEqual({ ...request.var, series: '' }, { series: '', seriesFormat: 'prices', confidence: '0.95', horizonDays: '10', windows: 'overlapping', quantile: 'hazen', expectedShortfall: 'meanLossAtLeastVar' });
    const v10 = run(request).var;
    assert.equal(v10.defaultConventions, false);
    assert.notEqual(v10.var, v.var);
    await assertVarShown(page, v10);
    await fillAll(page, { varQuantile: 'pnl:linear', varWindows: 'sqrtTime' });
    await assertVarShown(page, run(await exportedRequest(page)).var);
    // Log returns, and a CSV with a date column, named by its header.
    const closes = prices(120, 11);
    const returns = closes.slice(1).map((p, k) => String(Math.log(Number(p) / Number(closes[k]))));
    await fillAll(page, { varFormat: 'logReturns', varSeries: returns.join('\n'), varHorizon: '1' });
    request = await exportedRequest(page);
    v = run(request).var;
    assert.equal(v.observations, 119);
    await assertVarShown(page, v);
    const csv = `date,open,close\n${closes.map((p, k) => `2024-01-${String((k % 28) + 1).padStart(2, '0')},1,${p}`).join('\n')}\n`;
    await fillAll(page, { varFormat: 'prices', varColumn: 'close' });
    // A file picked locally is read in the page (no request leaves it).
    await page.setInputFiles('#var-file', { name: 'btc.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.waitForFunction(() => document.querySelector('#var-file-status').textContent.startsWith('Loaded btc.csv'));
    assert.equal(await page.inputValue('#varSeries'), csv);
    request = await exportedRequest(page);
    assert.equal(request.var.series, csv);
    assert.equal(request.var.column, 'close');
    v = run(request).var;
    assert.equal(v.observations, 119);
    await assertVarShown(page, v);
    // A bad cell: the engine names the line; the error sits next to the series, the VaR figures
    // stay (marked stale) and the book's own figures keep updating.
    const broken = csv.replace(`,${closes[4]}\n`, ',abc\n');
    await page.fill('#varSeries', broken);
    await page.waitForFunction(() => document.querySelector('#varSeries-error').textContent !== '');
    const refused = imr.calculate({ ...request, var: { ...request.var, series: broken } });
    assert.equal(refused.ok, false);
    assert.ok(refused.errors.every((e) => e.field.startsWith('var')));
    assert.equal(await page.textContent('#varSeries-error'), refused.errors.map((e) => e.message).join(' '));
    assert.match(await page.textContent('#varSeries-error'), /line 6/);
    assert.equal(await page.getAttribute('#varSeries', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('#results', 'data-stale'), 'false');
    assert.equal(await page.getAttribute('#var-results', 'data-stale'), 'true');
    assert.equal(await exact(page, '#out-var-var'), String(v.var), 'the last VaR stays');
    assert.match(await page.textContent('#status'), /Fix the VaR input/);
    await page.fill('#walletBalance', '3000');
    const { var: _ignored, ...book } = await exportedRequest(page);
    await page.waitForFunction((x) => document.querySelector('#out-equity data')?.value === x, run(book).account.equity);
    assert.deepEqual(await seriousViolations(page), []);
    await page.fill('#varSeries', csv);
    await page.waitForFunction(() => document.querySelector('#var-results').dataset.stale === 'false');
    assert.equal(await page.$$eval('#calc [aria-invalid]', (els) => els.length), 0);
    await screenshot(page, 'analysis-var');
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('a short series travels in the share link; a long one is left out of it (the page says so) while the JSON export keeps it', async () => {
  const b = await openPage(server.origin);
  let shortLink;
  let longLink;
  let shortVar;
  try {
    const { page } = b;
    await page.click('#var-box summary');
    const short = prices(200).join('\n');
    await page.fill('#varSeries', short);
    shortLink = await page.inputValue('#share-url');
    assert.match(await page.textContent('#varSeries-link'), /share link carries this series/);
    shortVar = run(await exportedRequest(page)).var;
    // Pasted (page.fill stalls on a text this long: the browser's own paste, as a user does it).
    const long = prices(2000).join('\n');
    await paste(page, '#varSeries', long);
    longLink = await page.inputValue('#share-url');
    assert.match(await page.textContent('#varSeries-link'), /too long for a share link/);
    assert.ok(longLink.length < shortLink.length + 200, `the long link stays short (${longLink.length} characters)`);
    assert.match(longLink, /vsx=1/);
    assert.equal((await exportedRequest(page)).var.series, long);
    assertClean(assert, b);
  } finally { await b.close(); }
  const again = await openLink(server.origin, shortLink);
  try {
    const { page } = again;
    assert.equal(await page.isVisible('#varSeries'), true, 'opened: the link has a series');
    await page.waitForFunction((x) => document.querySelector('#out-var-var data')?.value === x, String(shortVar.var));
    await page.goto('about:blank');
    await page.goto(longLink);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.inputValue('#varSeries'), '');
    assert.match(await page.textContent('#varSeries-link'), /did not carry its series/);
    assert.equal(await page.isVisible('#var-results'), false);
    assertClean(assert, again);
  } finally { await again.close(); }
});

test('multi-asset collateral: each asset\'s value after haircut, the totals and the collateralisation ratio are the engine\'s, and collateral changes equity and the cross liquidation price', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    await fillAll(page, { marginMode: 'cross', walletBalance: '500', 'p0-leverage': '50' });
    const bare = run(await exportedRequest(page));
    assert.equal(await page.isVisible('#collateral-results'), false);
    await page.click('#collateral-box summary');
    await page.click('#add-collateral');
    await page.waitForSelector('#c0-asset');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'c0-asset');
    await page.focus('#add-collateral');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#c1-asset');
    await fillAll(page, { 'c0-amount': '2', 'c0-price': '3000', 'c0-haircut': '0.15', 'c1-asset': 'USDC', 'c1-amount': '1500', 'c1-price': '1', 'c1-haircut': '0.02' });
    let request = await exportedRequest(page);
    assert.deepEqual(request.account.collateral, [
      { asset: 'ETH', amount: '2', price: '3000', haircut: '0.15' },
      { asset: 'USDC', amount: '1500', price: '1', haircut: '0.02' },
    ]);
    let r = run(request);
    const c = r.account.collateral;
    await page.waitForFunction((x) => document.querySelector('#out-col-ratio data')?.value === x, c.collateralisationRatio);
    for (const [k, a] of c.assets.entries()) {
      assert.equal(await exact(page, `#out-col-${k}-value`), a.value);
      assert.equal(await exact(page, `#out-col-${k}-valueAfterHaircut`), a.valueAfterHaircut);
      assert.equal(await exact(page, `#out-col-${k}-haircut`), a.haircut);
    }
    assert.equal(await page.$$eval('#collateral-assets tbody th', (ths) => ths.map((th) => th.textContent).join()), 'ETH,USDC');
    assert.equal(await exact(page, '#out-col-gross'), c.grossValue);
    assert.equal(await exact(page, '#out-col-after'), c.valueAfterHaircuts);
    assert.equal(await exact(page, '#out-col-total'), c.totalCollateral);
    assert.equal(await exact(page, '#out-col-wallet'), r.account.walletBalance);
    // Equity rises by the value after haircuts; the cross liquidation price moves away.
    assert.equal(Number(r.account.equity) - Number(bare.account.equity), Number(c.valueAfterHaircuts));
    assert.equal(await exact(page, '#out-equity'), r.account.equity);
    assert.equal(await exact(page, '#out-p0-liquidationPrice'), r.positions[0].liquidation.price);
    assert.ok(Number(r.positions[0].liquidation.price) < Number(bare.positions[0].liquidation.price));
    assert.match(await page.textContent('#collateral-count'), /2 assets/);
    // A haircut above 1: the engine's error next to it; the figures stay, stale.
    await page.fill('#c1-haircut', '1.5');
    await waitStale(page);
    const refused = imr.calculate({ ...request, account: { ...request.account, collateral: [request.account.collateral[0], { ...request.account.collateral[1], haircut: '1.5' }] } });
    assert.equal(refused.errors[0].field, 'account.collateral[1].haircut');
    assert.equal(await page.textContent('#c1-haircut-error'), refused.errors[0].message);
    assert.equal(await page.getAttribute('#c1-haircut', 'aria-invalid'), 'true');
    assert.equal(await exact(page, '#out-equity'), r.account.equity);
    assert.match(await page.textContent('#status'), /Fix the collateral/);
    assert.deepEqual(await seriousViolations(page), []);
    // Removing the bad asset: one left, fresh, the engine's equity.
    await page.click('[data-action="remove-collateral"][data-c="1"]');
    await waitFresh(page);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'c0-asset');
    request = await exportedRequest(page);
    assert.equal(request.account.collateral.length, 1);
    r = run(request);
    assert.equal(await exact(page, '#out-equity'), r.account.equity);
    assert.equal(await exact(page, '#out-col-ratio'), r.account.collateral.collateralisationRatio);
    await screenshot(page, 'analysis-collateral');
    assertClean(assert, b);
  } finally { await b.close(); }
});

test('a custom scenario grid in portfolio mode: scenarios, units, min delta and IM/MM factors edited; the page names the engine\'s dominant scenario and shows every scenario\'s P&L', async () => {
  const b = await openPage(server.origin);
  try {
    const { page } = b;
    await fillAll(page, { walletBalance: '20000', 'p0-size': '1', marginMode: 'portfolio' });
    assert.equal(await page.isVisible('#pm-custom'), false);
    await page.selectOption('#pmGrid', 'custom');
    await page.waitForSelector('#g0-label');
    const assertGrid = async () => {
      const request = await exportedRequest(page);
      const pm = run(request).account.portfolioMargin;
      await page.waitForFunction((x) => document.querySelector('#out-pm-requirement data')?.value === x, String(pm.requirement));
      assert.equal(await page.textContent('#out-pm-dominantLabel'), pm.dominant);
      assert.equal(await exact(page, '#out-pm-initialMargin'), pm.initialMargin);
      assert.equal(await exact(page, '#out-pm-maintenanceMargin'), pm.maintenanceMargin);
      const cells = await page.$$eval('#pm-heatmap td[data-scenario]', (tds) => tds.map((td) => [td.dataset.scenario, td.dataset.pnl, td.dataset.dominant === 'true']));
      assert.deepEqual(cells.map(([l, pnl]) => [l, pnl]).sort(), pm.scenarios.map((x) => [x.label, String(x.pnl)]).sort());
      assert.deepEqual(cells.filter(([, , d]) => d).map(([l]) => l), pm.scenarios.some((x) => x.label === pm.dominant) ? [pm.dominant] : []);
      return { request, pm };
    };
    let { request, pm } = await assertGrid();
    const first = pm.dominant;
    assert.equal(request.account.portfolioMargin.grid, 'custom');
    assert.equal(request.account.portfolioMargin.customGrid.scenarios.length, await page.$$eval('#pm-custom .stress-row', (rows) => rows.length));
    // The crash scenario at full weight dominates instead.
    const crash = request.account.portfolioMargin.customGrid.scenarios.findIndex((x) => Number(x.weight) < 1);
    await page.fill(`#g${crash}-weight`, '1');
    ({ pm } = await assertGrid());
    assert.notEqual(pm.dominant, first);
    assert.equal(pm.dominant, request.account.portfolioMargin.customGrid.scenarios[crash].label);
    // A new scenario, by keyboard, named and dominating.
    await page.focus('#add-scenario');
    await page.keyboard.press('Enter');
    const k = request.account.portfolioMargin.customGrid.scenarios.length;
    await page.waitForSelector(`#g${k}-label`);
    assert.equal(await page.evaluate(() => document.activeElement.id), `g${k}-label`);
    await page.keyboard.type('Gap down');
    await fillAll(page, { [`g${k}-price`]: '-0.45', [`g${k}-vol`]: '0.3' });
    ({ pm } = await assertGrid());
    assert.equal(pm.dominant, 'Gap down');
    // IM and MM per requirement, and a minimum delta charge large enough to dominate.
    await fillAll(page, { 'pmc-imPer': '1.3', 'pmc-mmPer': '0.8' });
    await page.check('#pmc-minDelta');
    await page.waitForSelector('#pmc-mdUnhedged');
    await fillAll(page, { 'pmc-mdUnhedged': '0.9', 'pmc-mdHedged': '0.1' });
    ({ request, pm } = await assertGrid());
    assert.deepEqual(request.account.portfolioMargin.customGrid.minDelta, { unhedged: '0.9', hedged: '0.1' });
    assert.equal(request.account.portfolioMargin.customGrid.initialPerRequirement, '1.3');
    assert.ok(pm.minimumDelta, 'a minimum delta charge');
    assert.equal(await exact(page, '#out-pm-minimumDelta'), String(pm.minimumDelta.charge));
    assert.notEqual(pm.initialMargin, pm.maintenanceMargin);
    // Price moves in scan ranges: the price scan range applies (and is sent).
    assert.equal(await page.isDisabled('#pmPriceRange'), true);
    await page.selectOption('#pmc-priceUnit', 'scanRange');
    assert.equal(await page.isDisabled('#pmPriceRange'), false);
    assert.match(await page.textContent('#pmc-priceUnit-hint'), /scan range/);
    ({ request } = await assertGrid());
    assert.equal(request.account.portfolioMargin.priceScanRange, await page.inputValue('#pmPriceRange'));
    await page.selectOption('#pmc-priceUnit', 'relative');
    // A relative move of −150 %: the engine names that scenario's priceMove; the page puts it there.
    await page.fill('#g1-price', '-1.5');
    await waitStale(page);
    assert.match(await page.textContent('#g1-price-error'), /above −1/);
    assert.equal(await page.getAttribute('#g1-price', 'aria-invalid'), 'true');
    assert.equal(await page.textContent('#out-pm-dominantLabel'), pm.dominant, 'the last figures stay');
    assert.match(await page.textContent('#status'), /Fix portfolio margin/);
    assert.deepEqual(await seriousViolations(page), []);
    await page.fill('#g1-price', '-0.05');
    await waitFresh(page);
    // Removing a scenario.
    await page.click('[data-action="remove-scenario"][data-g="0"]');
    await waitFresh(page);
    ({ request } = await assertGrid());
    assert.equal(request.account.portfolioMargin.customGrid.scenarios.length, k);
    await screenshot(page, 'analysis-custom-grid');
    assertClean(assert, b);
  } finally { await b.close(); }
});

/** Builds a book with every new editor in use: tiers, collateral, VaR, a custom grid. */
async function richBook(page) {
  await fillAll(page, { walletBalance: '20000', 'p0-size': '2' });
  await page.selectOption('#p0-rule', 'tiered');
  await page.waitForSelector('#p0-t0-floor');
  await page.fill('#p0-t1-amount', '50');
  await page.click('#collateral-box summary');
  await page.click('#add-collateral');
  await page.waitForSelector('#c0-asset');
  await page.click('#var-box summary');
  await page.fill('#varSeries', prices(120).join('\n'));
  await fillAll(page, { varConfidence: '0.975', marginMode: 'portfolio' });
  await page.selectOption('#pmGrid', 'custom');
  await page.waitForSelector('#g0-label');
  await fillAll(page, { 'g2-label': 'Vol spike', 'g2-vol': '0.25', 'pmc-mmPer': '0.5' });
  await waitFresh(page);
}

test('a v=4 link carries the tier table, collateral, VaR settings and series and the custom grid, and reproduces the numbers; the export imports back', async () => {
  // Every control, except the hidden valuation time of this futures-only book (not in its link).
  const controls = (page) => page.$$eval('#calc input, #calc select, #calc textarea', (els) => els
    .filter((e) => e.type !== 'file' && e.id !== 'valuationTime').map((e) => [e.id, e.type === 'checkbox' ? e.checked : e.value]));
  const shown = (page) => page.$$eval('#results dd, #pm-heatmap td, #collateral-assets td', (els) => els.map((e) => e.textContent));
  const b = await openPage(server.origin);
  let link;
  let inputs;
  let figures;
  let request;
  try {
    const { page } = b;
    await richBook(page);
    link = await page.inputValue('#share-url');
    assert.match(link, /#v=4&/);
    for (const key of ['p0.tn=3', 'p0.t1.a=50', 'cn=1', 'gsn=7', 'g2.l=Vol+spike', 'va=0.975', 'vs=']) assert.ok(link.includes(key), key);
    request = await exportedRequest(page);
    const r = run(request);
    assert.equal(await exact(page, '#out-var-var'), String(r.var.var));
    inputs = await controls(page);
    figures = await shown(page);
    assertClean(assert, b);
  } finally { await b.close(); }
  const again = await openLink(server.origin, link);
  try {
    const { page } = again;
    assert.deepEqual(await controls(page), inputs);
    assert.deepEqual(await shown(page), figures);
    assert.deepEqual(await exportedRequest(page), request);
    // The export imports back, with changes the page then shows.
    const other = structuredClone(request);
    other.account.collateral.push({ asset: 'SOL', amount: '10', price: '150', haircut: '0.3' });
    other.markets[0].margin.tiers[0].maxLeverage = '120';
    other.var.expectedShortfall = 'meanWorstCeil';
    other.account.portfolioMargin.customGrid.scenarios[0].weight = '0.5';
    await page.setInputFiles('#import-json', { name: 'rich.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(other)) });
    await page.waitForFunction(() => document.querySelector('#import-status').textContent.startsWith('Imported 1 position'));
    assert.deepEqual([await page.inputValue('#c1-asset'), await page.inputValue('#p0-t0-lev'), await page.inputValue('#varEs'), await page.inputValue('#g0-weight')], ['SOL', '120', 'meanWorstCeil', '0.5']);
    assert.deepEqual(await exportedRequest(page), other);
    const r = run(other);
    await page.waitForFunction((x) => document.querySelector('#out-col-total data')?.value === x, r.account.collateral.totalCollateral);
    assert.equal(await exact(page, '#out-var-es'), String(r.var.expectedShortfall));
    assert.equal(await page.textContent('#out-pm-dominantLabel'), r.account.portfolioMargin.dominant);
    // What the page cannot edit is refused with a message, the book untouched.
    const odd = structuredClone(other);
    odd.markets[0].initialMarginModel = { type: 'sqrtSize', base: '0.01', k: '0.001' };
    await page.setInputFiles('#import-json', { name: 'odd.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(odd)) });
    await page.waitForFunction(() => document.querySelector('#import-status').textContent.includes('volatility-scaled initial margins'));
    assert.equal(await page.inputValue('#c1-asset'), 'SOL');
    assertClean(assert, again);
  } finally { await again.close(); }
});

test('axe-core: no serious or critical violations with the rule editors, collateral, VaR and custom grid open (light and dark, with an error); nothing overflows at 360 px', async () => {
  for (const theme of ['light', 'dark']) {
    const b = await openPage(server.origin, `/?theme=${theme}`, { colorScheme: theme });
    try {
      const { page } = b;
      await richBook(page);
      await page.click('#result-p0 summary');
      assert.deepEqual(await seriousViolations(page), []);
      await page.fill('#c0-price', 'x');
      await page.waitForFunction(() => document.querySelector('#c0-price-error').textContent !== '');
      assert.deepEqual(await seriousViolations(page), []);
      await page.fill('#c0-price', '3000');
      await waitFresh(page);
      await screenshot(page, theme === 'dark' ? 'analysis-dark' : 'analysis-desktop');
      assertClean(assert, b);
    } finally { await b.close(); }
  }
  const phone = await openPage(server.origin, '/', { viewport: { width: 360, height: 780 } });
  try {
    const { page } = phone;
    await richBook(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    const tooWide = await page.$$eval('input, select, textarea, button, .figures, svg, table', (els) => els
      .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .map((e) => e.id || e.tagName));
    assert.deepEqual(tooWide, []);
    const small = await page.$$eval('#calc input:not([type=checkbox]), #calc select, #calc button', (els) => els
      .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().height < 32).map((e) => e.id || e.textContent));
    assert.deepEqual(small, []);
    await screenshot(page, 'analysis-phone-360');
    assertClean(assert, phone);
  } finally { await phone.close(); }
});
