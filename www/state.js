// The page's book: plain data, converted to the engine's request, to and from the URL hash
// (versioned, v=4; v=3, v=2 and v=1 links still open) and from an exported request (JSON import).
// v=4 also carries, in keys older v=4 links simply lack: editable margin rules (tier tables,
// size-scaled rates, every standard option parameter), multi-asset collateral, the VaR settings
// and series (when short enough for a link), a custom scenario grid, a fixed rule's maintenance
// amount, minimum initial rate and leverage cap, and portfolio margin's days forward,
// short-option minimum and extreme-move multiple, each market's underlying (its risk unit) and
// resting orders.
// No DOM here, no formulas.
// Every value read from outside (hash, file) is a string clipped to MAX_TEXT or a checked choice;
// it is only ever written into form controls' `value` or `textContent`.

export const HASH_VERSION = '4';
export const MAX_TEXT = 64;
export const MAX_POSITIONS = 20;
export const MAX_STRESS = 10;
export const MAX_TIERS = 40;
export const MAX_COLLATERAL = 10;
export const MAX_SCENARIOS = 40;
export const MAX_ORDERS = 20;
/** The longest return or price series the page holds, in characters (about 80 000 prices). */
export const MAX_SERIES = 1_000_000;
/**
 * The longest series a share link carries, in characters once URL-encoded (about a year of
 * daily prices). A longer series is left out of the link, which says so (`vsx=1`); the JSON
 * export always carries it. Compressing it (deflate + base64) would only gain about 2× on
 * numeric text, needs an asynchronous API on every edit, and makes links opaque.
 */
export const MAX_SERIES_IN_LINK = 4000;

/** numpy's quantile methods, as the engine names them (`var.quantile`). */
export const NUMPY_METHODS = [
  'inverted_cdf', 'averaged_inverted_cdf', 'closest_observation', 'interpolated_inverted_cdf', 'hazen', 'weibull',
  'linear', 'median_unbiased', 'normal_unbiased', 'lower', 'higher', 'nearest', 'midpoint',
];

export const CHOICES = {
  marginMode: ['isolated', 'cross', 'portfolio'],
  pmGrid: ['span16', 'paradex', 'okx', 'custom'],
  side: ['long', 'short'],
  kind: ['perpetual', 'future', 'option'],
  optionType: ['call', 'put'],
  pricing: ['iv', 'premium'],
  settlement: ['linear', 'inverse'],
  marginBasis: ['mark', 'entry'],
  // Futures: a fixed rate, an editable tier table, size-scaled rates or a bundled preset.
  // Options: 'fixed' is the editable standard option rule.
  rule: ['fixed', 'tiered', 'sizeScaled', 'preset'],
  varFormat: ['prices', 'logReturns'],
  varWindows: ['sqrtTime', 'overlapping', 'nonOverlapping'],
  varQuantile: [
    'empirical', 'kthWorstCeil',
    ...NUMPY_METHODS, ...NUMPY_METHODS.map((m) => `pnl:${m}`),
  ],
  varEs: ['acerbiTasche', 'meanWorstCeil', 'meanWorstFloorPlusOne', 'meanLossAtLeastVar'],
  orderSide: ['buy', 'sell'],
  priceUnit: ['relative', 'scanRange'],
  volUnit: ['literal', 'scanRange'],
  volConvention: ['additive', 'relative', 'dteScaled'],
};

/** Text fields of a position, in hash order. */
export const POSITION_TEXT = ['symbol', 'size', 'entryPrice', 'leverage', 'markPrice', 'contractSize', 'mmr', 'preset'];
export const POSITION_CHOICE = ['side', 'kind', 'settlement', 'marginBasis', 'rule'];
/** Option positions: choices and text fields (v=3), in hash order. */
export const OPTION_CHOICE = ['side', 'kind', 'settlement', 'rule', 'optionType', 'pricing'];
export const OPTION_TEXT = ['symbol', 'size', 'entryPrice', 'contractSize', 'strike', 'expiry', 'underlyingPrice', 'iv', 'premium', 'imRate', 'imFloorRate', 'mmRate', 'preset'];
/** Futures positions' volatility-scaled initial margin (v=4): on/off, then its inputs. */
export const IM_MODEL_TEXT = ['imFloor', 'imConfidence', 'imHorizon', 'imMultiplier'];
/** Stress scenarios (v=4): hash key → field. */
const STRESS_KEYS = { n: 'name', m: 'move', v: 'vol', d: 'days' };
/** Tier table rows (v=4, `p{i}.t{k}.*`): hash key → field. */
const TIER_KEYS = { f: 'floor', c: 'cap', r: 'mmr', l: 'lev', a: 'amount' };
/** Size-scaled rule (v=4): hash key → field. */
const SIZE_SCALED_KEYS = { ssi: 'ssInitial', ssm: 'ssMaint', sss: 'ssSlope' };
/** Fixed rule beyond its rate (v=4): hash key → field (blank: the engine's default). */
const FIXED_EXTRA_KEYS = { ma: 'mmAmount', fim: 'fixedImr', fml: 'fixedMaxLev' };
/** Portfolio margin beyond the grid and scan ranges (v=4): hash key → field (blank: the engine's default). */
const PM_EXTRA_KEYS = { pmd: 'pmDays', pms: 'pmShortMin', pmx: 'pmExtreme' };
/** Standard option rule beyond a, b, c (v=4): hash key → field (blank: the engine's default). */
const OPTION_EXTRA_KEYS = { itm: 'optItm', mf: 'optMf', ppm: 'optPm', lf: 'optLf' };
/** Collateral rows (v=4, `c{k}.*`): hash key → field. */
const COLLATERAL_KEYS = { a: 'asset', n: 'amount', p: 'price', h: 'haircut' };
/** VaR settings (v=4): hash key → field (text) and the choices. */
const VAR_TEXT_KEYS = { vc: 'column', va: 'confidence', vh: 'horizon' };
const VAR_CHOICE_KEYS = { vf: ['format', 'varFormat'], vw: ['windows', 'varWindows'], vq: ['quantile', 'varQuantile'], ve: ['es', 'varEs'] };
/** Custom scenario grid (v=4): hash key → field, and its scenarios (`g{k}.*`). */
const GRID_TEXT_KEYS = { gn: 'name', gmu: 'mdUnhedged', gmh: 'mdHedged', gim: 'imPer', gmm: 'mmPer' };
const GRID_CHOICE_KEYS = { gpu: ['priceUnit', 'priceUnit'], gvu: ['volUnit', 'volUnit'], gvc: ['volConvention', 'volConvention'] };
const SCENARIO_KEYS = { l: 'label', p: 'price', v: 'vol', w: 'weight' };
/** Resting orders (v=4, `o{k}.*`): hash key → text field (the side, `o{k}.d`, is a choice). */
const ORDER_KEYS = { s: 'symbol', z: 'size', p: 'price', l: 'leverage' };
/** Date-time fields: `YYYY-MM-DDTHH:MM` (a datetime-local control's value), read as UTC. */
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?$/;

/** Now, rounded down to the minute, as `YYYY-MM-DDTHH:MM` (UTC). */
export function nowMinute(now = new Date()) {
  return now.toISOString().slice(0, 16);
}

export function defaultPosition(overrides = {}) {
  return {
    symbol: 'BTCUSDT', side: 'long', size: '0.5', entryPrice: '60000', leverage: '20', markPrice: '60000',
    kind: 'perpetual', settlement: 'linear', contractSize: '1', marginBasis: 'mark',
    // The underlying the market moves with ("BTC"): its risk unit. Blank: it moves with every
    // market that names none.
    underlying: '',
    rule: 'fixed', mmr: '0.004', preset: '',
    // The fixed rule beyond its rate: a maintenance amount deducted from notional × rate, a
    // minimum initial margin rate and a leverage cap (blank: none).
    mmAmount: '', fixedImr: '', fixedMaxLev: '',
    // Options (kind 'option'): the contract, how it is priced (implied volatility in percent, or
    // the mark premium per unit) and the standard option rule's rates a, b, c.
    optionType: 'call', strike: '', expiry: '', underlyingPrice: '', pricing: 'iv', iv: '60', premium: '',
    imRate: '0.15', imFloorRate: '0.1', mmRate: '0.075',
    // Futures: a volatility-scaled initial margin rate, max(floor, z·σ·√(h/365)·m), σ being the
    // risk assumptions' volatility. The floor is filled with the rule's rate when it is ticked.
    imModel: false, imFloor: '', imConfidence: '0.99', imHorizon: '1', imMultiplier: '1',
    // Editable futures rules: a tier table (notional floor, cap — blank for an open-ended last
    // tier —, maintenance rate, max leverage, maintenance amount — blank: derived by the
    // engine) and size-scaled rates (Deribit's form).
    tiers: defaultTiers(), ssInitial: '0.02', ssMaint: '0.01', ssSlope: '0.00005',
    // The standard option rule beyond a, b, c: in-the-money maintenance rate, margin factor,
    // premium multiplier in maintenance, liquidation fee rate (blank: the engine's defaults) and
    // whether initial margin charges max(entry, mark).
    optItm: '', optMf: '', optPm: '', optLf: '', optPae: false,
    ...overrides,
  };
}

/** A starting tier table (a generic three-tier ladder, not any venue's). */
export function defaultTiers() {
  return [
    { floor: '0', cap: '50000', mmr: '0.004', lev: '125', amount: '' },
    { floor: '50000', cap: '250000', mmr: '0.005', lev: '100', amount: '' },
    { floor: '250000', cap: '', mmr: '0.01', lev: '50', amount: '' },
  ];
}

export const defaultCollateralRow = () => ({ asset: 'ETH', amount: '1', price: '3000', haircut: '0.1' });

/** VaR settings: nothing is computed until a series is pasted or loaded. */
export function defaultVar() {
  return { series: '', format: 'prices', column: '', confidence: '0.99', horizon: '1', windows: 'sqrtTime', quantile: 'empirical', es: 'acerbiTasche' };
}

/** A starting custom grid: relative price moves, additive volatility moves (0.1 = 10 points). */
export function defaultCustomGrid() {
  return {
    name: 'My grid', priceUnit: 'relative', volUnit: 'literal', volConvention: 'additive',
    scenarios: [
      { label: 'Down 10 %, vol up', price: '-0.1', vol: '0.1', weight: '1' },
      { label: 'Down 5 %', price: '-0.05', vol: '0', weight: '1' },
      { label: 'Vol up', price: '0', vol: '0.1', weight: '1' },
      { label: 'Vol down', price: '0', vol: '-0.1', weight: '1' },
      { label: 'Up 5 %', price: '0.05', vol: '0', weight: '1' },
      { label: 'Up 10 %, vol up', price: '0.1', vol: '0.1', weight: '1' },
      { label: 'Crash −30 % (30 % weight)', price: '-0.3', vol: '0.2', weight: '0.3' },
    ],
    minDelta: false, mdUnhedged: '0.01', mdHedged: '0.002', imPer: '1', mmPer: '1',
  };
}

export const defaultScenarioRow = () => ({ label: '', price: '0', vol: '0', weight: '1' });

/** The stress scenarios a new book starts with: price −20 %, −10 %, +10 %, +20 %, volatility +10 points. */
export function defaultStress() {
  return [
    { name: 'Price −20 %', move: '-20', vol: '0', days: '0' },
    { name: 'Price −10 %', move: '-10', vol: '0', days: '0' },
    { name: 'Price +10 %', move: '10', vol: '0', days: '0' },
    { name: 'Price +20 %', move: '20', vol: '0', days: '0' },
    { name: 'Volatility +10 pts', move: '0', vol: '10', days: '0' },
  ];
}

export function defaultState() {
  return {
    walletBalance: '2000', marginMode: 'isolated', includeFees: false, takerFeeRate: '0.0005',
    valuationTime: nowMinute(), positions: [defaultPosition()],
    // Risk assumptions: annualised volatility in percent and the horizon in days (liquidation
    // distances in σ and touch probabilities; the σ of volatility-scaled initial margins).
    riskVol: '60', riskHorizon: '1',
    // Portfolio (scenario) margin: the grid; SPAN's price scan range (price units) and
    // volatility scan range (volatility points).
    pmGrid: 'span16', pmPriceRange: '6000', pmVolRange: '5',
    // Days the book is aged in every scenario, SPAN's short-option minimum (per unit of
    // underlying of short options) and its extreme-move multiple (blank: 0, 0 and 2).
    pmDays: '', pmShortMin: '', pmExtreme: '',
    stress: defaultStress(),
    // Other collateral assets, counted at amount × price × (1 − haircut).
    collateral: [],
    // Historical VaR / ES of the whole book, on a pasted price or log-return series.
    var: defaultVar(),
    // The custom scenario grid of portfolio mode (pmGrid 'custom').
    custom: defaultCustomGrid(),
    // Resting orders on the book's markets: the margin they hold and each one's what-if fill.
    orders: [],
  };
}

export const defaultStressRow = () => ({ name: '', move: '-5', vol: '0', days: '0' });

/** A new order: on `p`'s market, adding its size (blank price: at the mark; blank leverage: the position's). */
export const defaultOrderRow = (p) => ({ symbol: p?.symbol ?? '', side: p?.side === 'short' ? 'sell' : 'buy', size: p?.size ?? '1', price: '', leverage: '' });

/** Whether an order's leverage is sent: not in portfolio mode, not on an option market. */
export function orderTakesLeverage(state, o) {
  if (state.marginMode === 'portfolio') return false;
  const p = state.positions.find((x) => x.symbol === o.symbol);
  return !p || p.kind !== 'option';
}

/** The engine's orders, or null when the book has none. */
export function ordersOf(state) {
  if (!state.orders?.length) return null;
  return state.orders.map((o) => {
    const row = { symbol: o.symbol, side: o.side, size: o.size };
    if (!blank(o.price)) row.price = o.price;
    if (!blank(o.leverage) && orderTakesLeverage(state, o)) row.leverage = o.leverage;
    return row;
  });
}

const clip = (v) => String(v ?? '').slice(0, MAX_TEXT);
/** A row count from a link: a whole number in [0, max]. */
const count = (v, max) => Math.min(max, Math.max(0, Number.parseInt(v ?? '', 10) || 0));
const pick = (name, v, fallback) => (CHOICES[name].includes(v) ? v : fallback);
const dateTime = (v) => (DATETIME.test(String(v ?? '')) ? String(v) : '');

export const hasOptions = (state) => state.positions.some((p) => p.kind === 'option');

/**
 * Moves the decimal point of a decimal string `places` to the right (negative: left), as text:
 * `shiftDecimal('60', -2)` is `'0.6'`. Anything that is not a plain decimal is returned as is
 * (the engine then names the problem).
 */
export function shiftDecimal(text, places) {
  const s = String(text ?? '').trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return s;
  const sign = m[1] === '-' ? '-' : '';
  let int = m[2];
  let frac = m[3] ?? '';
  if (places > 0) {
    frac = frac.padEnd(places, '0');
    int += frac.slice(0, places);
    frac = frac.slice(places);
  } else if (places < 0) {
    int = int.padStart(-places + 1, '0');
    frac = int.slice(int.length + places) + frac;
    int = int.slice(0, int.length + places);
  }
  int = int.replace(/^0+(?=\d)/, '') || '0';
  frac = frac.replace(/0+$/, '');
  return `${sign}${int}${frac ? `.${frac}` : ''}`;
}

/** An ISO 8601 UTC instant for the engine from a `YYYY-MM-DDTHH:MM` value ('' stays ''). */
export const toIso = (value) => (value ? `${value}Z` : '');

/** `YYYY-MM-DDTHH:MM` (UTC) from an ISO 8601 instant, or '' when it is not one. */
export function fromIso(text) {
  const s = String(text ?? '');
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(s)) return '';
  const d = new Date(s.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? '' : nowMinute(d);
}

const blank = (v) => String(v ?? '').trim() === '';

/** A futures position's editable margin rule, as the engine takes it. */
export function futuresRuleOf(p) {
  if (p.rule === 'tiered') {
    return {
      type: 'tiered',
      tiers: p.tiers.map((t) => {
        const tier = { notionalFloor: t.floor };
        if (!blank(t.cap)) tier.notionalCap = t.cap;
        tier.maintenanceMarginRate = t.mmr;
        tier.maxLeverage = t.lev;
        if (!blank(t.amount)) tier.maintenanceAmount = t.amount;
        return tier;
      }),
    };
  }
  if (p.rule === 'sizeScaled') {
    return { type: 'sizeScaled', initialBaseRate: p.ssInitial, maintenanceBaseRate: p.ssMaint, slopePerUnit: p.ssSlope };
  }
  const rule = { type: 'fixed', maintenanceMarginRate: p.mmr };
  if (!blank(p.mmAmount)) rule.maintenanceAmount = p.mmAmount;
  if (!blank(p.fixedImr)) rule.initialMarginRate = p.fixedImr;
  if (!blank(p.fixedMaxLev)) rule.maxLeverage = p.fixedMaxLev;
  return rule;
}

/** An option position's standard rule: a, b, c, and the other parameters when given. */
export function optionRuleOf(p) {
  const rule = { type: 'standardOption', initialRate: p.imRate, initialFloorRate: p.imFloorRate, maintenanceRate: p.mmRate };
  if (!blank(p.optItm)) rule.maintenanceItmRate = p.optItm;
  if (!blank(p.optMf)) rule.marginFactor = p.optMf;
  if (!blank(p.optPm)) rule.maintenancePremiumMultiplier = p.optPm;
  if (!blank(p.optLf)) rule.liquidationFeeRate = p.optLf;
  if (p.optPae) rule.premiumAtLeastEntry = true;
  return rule;
}

/** The engine market of one position. */
function marketOf(p, state) {
  const m = bareMarketOf(p, state);
  if (!blank(p.underlying)) m.underlying = p.underlying;
  return m;
}

function bareMarketOf(p, state) {
  if (p.kind !== 'option') {
    const m = p.rule === 'preset'
      ? { symbol: p.symbol, preset: p.preset, markPrice: p.markPrice }
      : {
        symbol: p.symbol, kind: p.kind, settlement: p.settlement, contractSize: p.contractSize,
        markPrice: p.markPrice, marginBasis: p.marginBasis,
        margin: futuresRuleOf(p),
      };
    if (p.imModel) m.initialMarginModel = imModelOf(p, state.riskVol);
    return m;
  }
  const m = p.rule === 'preset'
    ? { symbol: p.symbol, preset: p.preset }
    : { symbol: p.symbol, kind: 'option', settlement: p.settlement, contractSize: p.contractSize };
  Object.assign(m, { optionType: p.optionType, strike: p.strike, expiry: toIso(p.expiry), underlyingPrice: p.underlyingPrice });
  if (p.pricing === 'premium') m.markPrice = p.premium;
  else m.impliedVolatility = shiftDecimal(p.iv, -2);
  if (p.rule !== 'preset') m.margin = optionRuleOf(p);
  return m;
}

/** A volatility-scaled initial-margin model; σ (percent on the page) from the risk assumptions. */
export function imModelOf(p, riskVol) {
  return {
    type: 'volatility', floor: p.imFloor, confidence: p.imConfidence, horizonDays: p.imHorizon,
    multiplier: p.imMultiplier, volatility: shiftDecimal(riskVol, -2),
  };
}

/** The custom scenario grid, as the engine takes it (`account.portfolioMargin.customGrid`). */
export function customGridOf(g) {
  const grid = {};
  if (!blank(g.name)) grid.name = g.name;
  Object.assign(grid, { priceUnit: g.priceUnit, volUnit: g.volUnit, volConvention: g.volConvention });
  grid.scenarios = g.scenarios.map((x) => {
    const row = {};
    if (!blank(x.label)) row.label = x.label;
    row.priceMove = x.price;
    if (!blank(x.vol)) row.volMove = x.vol;
    if (!blank(x.weight)) row.weight = x.weight;
    return row;
  });
  if (g.minDelta) grid.minDelta = { unhedged: g.mdUnhedged, hedged: g.mdHedged };
  if (!blank(g.imPer)) grid.initialPerRequirement = g.imPer;
  if (!blank(g.mmPer)) grid.maintenancePerRequirement = g.mmPer;
  return grid;
}

/** The VaR block, or null while no series is given. */
export function varOf(v) {
  if (!v || blank(v.series)) return null;
  const out = { series: v.series, seriesFormat: v.format };
  if (!blank(v.column)) out.column = v.column.trim();
  Object.assign(out, { confidence: v.confidence, horizonDays: v.horizon, windows: v.windows, quantile: v.quantile, expectedShortfall: v.es });
  return out;
}

/** The engine request for a book. Markets and positions are paired by index. */
export function toRequest(state) {
  const account = { walletBalance: state.walletBalance, marginMode: state.marginMode, includeFees: state.includeFees };
  if (state.includeFees && state.takerFeeRate.trim() !== '') account.takerFeeRate = state.takerFeeRate;
  if (state.marginMode === 'portfolio') {
    account.portfolioMargin = { grid: state.pmGrid };
    // SPAN (and a custom grid in scan-range units) moves by fractions of scan ranges; the
    // Paradex and OKX grids have fixed moves.
    const custom = state.pmGrid === 'custom' ? state.custom : null;
    if (custom) account.portfolioMargin.customGrid = customGridOf(custom);
    if (state.pmGrid === 'span16' || custom?.priceUnit === 'scanRange') account.portfolioMargin.priceScanRange = state.pmPriceRange;
    if (state.pmGrid === 'span16' || custom?.volUnit === 'scanRange') account.portfolioMargin.volScanRange = shiftDecimal(state.pmVolRange, -2);
    // The extreme multiple is SPAN's only; the engine refuses it on other grids.
    if (state.pmGrid === 'span16' && !blank(state.pmExtreme)) account.portfolioMargin.extremeMultiple = state.pmExtreme;
    if (!blank(state.pmDays)) account.portfolioMargin.daysForward = state.pmDays;
    if (!blank(state.pmShortMin)) account.portfolioMargin.shortOptionMinimum = state.pmShortMin;
  }
  if (state.collateral?.length) {
    account.collateral = state.collateral.map((c) => {
      const row = { asset: c.asset, amount: c.amount, price: c.price };
      if (!blank(c.haircut)) row.haircut = c.haircut;
      return row;
    });
  }
  // A futures-only cross book asks for its whole-book liquidation too (books holding options
  // and portfolio books always get it), so its roots carry σ distances and touch probabilities.
  if (state.marginMode === 'cross' && !hasOptions(state)) account.bookLiquidation = true;
  const request = {
    account,
    markets: state.positions.map((p) => marketOf(p, state)),
    // Options take no leverage: a long is margined at its premium, a short by the option rule.
    positions: state.positions.map((p) => (p.kind === 'option'
      ? { symbol: p.symbol, side: p.side, size: p.size, entryPrice: p.entryPrice }
      : { symbol: p.symbol, side: p.side, size: p.size, entryPrice: p.entryPrice, leverage: p.leverage })),
  };
  // The engine has no clock: the page supplies the valuation time when the book holds options.
  if (hasOptions(state)) request.valuationTime = toIso(state.valuationTime);
  if (state.riskVol !== undefined) {
    request.volatility = shiftDecimal(state.riskVol, -2);
    request.horizonDays = state.riskHorizon;
  }
  if (state.stress?.length) {
    request.stress = state.stress.map((x) => {
      const row = {};
      if (!blank(x.name)) row.name = x.name;
      row.priceMovePercent = x.move;
      if (!blank(x.vol)) row.volMove = shiftDecimal(x.vol, -2);
      if (!blank(x.days)) row.daysForward = x.days;
      return row;
    });
  }
  const orders = ordersOf(state);
  if (orders) request.orders = orders;
  const v = varOf(state.var);
  if (v) request.var = v;
  return request;
}

/** The hash (without '#') that carries the whole book. */
export function toHash(state) {
  const q = new URLSearchParams();
  q.set('v', HASH_VERSION);
  q.set('wallet', state.walletBalance);
  q.set('mode', state.marginMode);
  q.set('fees', state.includeFees ? '1' : '0');
  q.set('fee', state.takerFeeRate);
  if (hasOptions(state)) q.set('vt', state.valuationTime);
  q.set('rv', state.riskVol);
  q.set('rh', state.riskHorizon);
  if (state.marginMode === 'portfolio') {
    q.set('pmg', state.pmGrid);
    q.set('pmp', state.pmPriceRange);
    q.set('pmv', state.pmVolRange);
    for (const [short, key] of Object.entries(PM_EXTRA_KEYS)) if (!blank(state[key])) q.set(short, state[key]);
  }
  state.positions.forEach((p, i) => {
    const option = p.kind === 'option';
    for (const k of option ? [...OPTION_CHOICE, ...OPTION_TEXT] : [...POSITION_CHOICE, ...POSITION_TEXT]) {
      if (k === 'preset' && p.rule !== 'preset') continue;
      if ((k === 'mmr' || k === 'imRate' || k === 'imFloorRate' || k === 'mmRate') && p.rule === 'preset') continue;
      q.set(`p${i}.${k}`, p[k]);
    }
    if (!blank(p.underlying)) q.set(`p${i}.ul`, p.underlying);
    if (!option && p.imModel) {
      q.set(`p${i}.imModel`, '1');
      for (const k of IM_MODEL_TEXT) q.set(`p${i}.${k}`, p[k]);
    }
    if (!option && p.rule === 'tiered') {
      q.set(`p${i}.tn`, String(p.tiers.length));
      p.tiers.forEach((t, k) => {
        for (const [short, key] of Object.entries(TIER_KEYS)) q.set(`p${i}.t${k}.${short}`, t[key]);
      });
    }
    if (!option && p.rule === 'sizeScaled') {
      for (const [short, key] of Object.entries(SIZE_SCALED_KEYS)) q.set(`p${i}.${short}`, p[key]);
    }
    if (!option && p.rule === 'fixed') {
      for (const [short, key] of Object.entries(FIXED_EXTRA_KEYS)) if (!blank(p[key])) q.set(`p${i}.${short}`, p[key]);
    }
    if (option && p.rule !== 'preset') {
      for (const [short, key] of Object.entries(OPTION_EXTRA_KEYS)) if (!blank(p[key])) q.set(`p${i}.${short}`, p[key]);
      if (p.optPae) q.set(`p${i}.pae`, '1');
    }
  });
  q.set('st', String(state.stress.length));
  state.stress.forEach((x, i) => {
    for (const [short, k] of Object.entries(STRESS_KEYS)) q.set(`s${i}.${short}`, x[k]);
  });
  if (state.collateral.length) {
    q.set('cn', String(state.collateral.length));
    state.collateral.forEach((c, k) => {
      for (const [short, key] of Object.entries(COLLATERAL_KEYS)) q.set(`c${k}.${short}`, c[key]);
    });
  }
  if (state.marginMode === 'portfolio' && state.pmGrid === 'custom') {
    const g = state.custom;
    for (const [short, key] of Object.entries(GRID_TEXT_KEYS)) q.set(short, g[key]);
    for (const [short, [key]] of Object.entries(GRID_CHOICE_KEYS)) q.set(short, g[key]);
    if (g.minDelta) q.set('gmd', '1');
    q.set('gsn', String(g.scenarios.length));
    g.scenarios.forEach((x, k) => {
      for (const [short, key] of Object.entries(SCENARIO_KEYS)) q.set(`g${k}.${short}`, x[key]);
    });
  }
  if (state.orders?.length) {
    q.set('on', String(state.orders.length));
    state.orders.forEach((o, k) => {
      q.set(`o${k}.d`, o.side);
      for (const [short, key] of Object.entries(ORDER_KEYS)) if (key === 'symbol' || key === 'size' || !blank(o[key])) q.set(`o${k}.${short}`, o[key]);
    });
  }
  const v = state.var;
  const d = defaultVar();
  // (Field by field: a long series is not copied on every edit.)
  if (!blank(v.series) || Object.keys(d).some((k) => k !== 'series' && v[k] !== d[k])) {
    for (const [short, key] of Object.entries(VAR_TEXT_KEYS)) q.set(short, v[key]);
    for (const [short, [key]] of Object.entries(VAR_CHOICE_KEYS)) q.set(short, v[key]);
    if (seriesFitsLink(v.series)) q.set('vs', v.series);
    else q.set('vsx', '1');
  }
  return q.toString();
}

/** Whether a series is short enough to travel in a share link (see MAX_SERIES_IN_LINK). */
export function seriesFitsLink(series) {
  const text = String(series ?? '');
  // Encoding never shortens a text: a longer one is not encoded at all (it may be a megabyte).
  return text.length <= MAX_SERIES_IN_LINK && encodeURIComponent(text).length <= MAX_SERIES_IN_LINK;
}

/** The book in a hash, or null when there is none (or an unknown version). */
export function fromHash(hash) {
  const q = new URLSearchParams(String(hash).replace(/^#/, ''));
  const v = q.get('v');
  const text = (key, fallback) => (q.has(key) ? clip(q.get(key)) : fallback);
  if (v === '1') {
    // The first page's single-position links.
    const s = defaultState();
    s.walletBalance = text('walletBalance', s.walletBalance);
    s.marginMode = pick('marginMode', q.get('marginMode'), s.marginMode);
    const p = s.positions[0];
    p.side = pick('side', q.get('side'), p.side);
    for (const [k, from] of [['size', 'size'], ['entryPrice', 'entryPrice'], ['markPrice', 'markPrice'], ['leverage', 'leverage'], ['mmr', 'maintenanceMarginRate']]) {
      p[k] = text(from, p[k]);
    }
    return s;
  }
  // v=2: futures books; v=3 adds options (their fields and the valuation time `vt`); v=4 adds
  // portfolio margin, the risk assumptions, stress scenarios and volatility-scaled initial margins
  // (older links open with their defaults).
  if (v !== '2' && v !== '3' && v !== HASH_VERSION) return null;
  const s = defaultState();
  s.walletBalance = text('wallet', s.walletBalance);
  s.marginMode = pick('marginMode', q.get('mode'), s.marginMode);
  s.includeFees = q.get('fees') === '1';
  s.takerFeeRate = text('fee', s.takerFeeRate);
  if (v !== '2' && q.has('vt')) s.valuationTime = dateTime(q.get('vt'));
  if (v === HASH_VERSION) {
    s.riskVol = text('rv', s.riskVol);
    s.riskHorizon = text('rh', s.riskHorizon);
    s.pmGrid = pick('pmGrid', q.get('pmg'), s.pmGrid);
    s.pmPriceRange = text('pmp', s.pmPriceRange);
    s.pmVolRange = text('pmv', s.pmVolRange);
    for (const [short, key] of Object.entries(PM_EXTRA_KEYS)) s[key] = text(short, '');
    const n = count(q.get('st'), MAX_STRESS);
    s.stress = [];
    for (let i = 0; i < n; i += 1) {
      const row = { name: '', move: '', vol: '', days: '' };
      for (const [short, k] of Object.entries(STRESS_KEYS)) row[k] = text(`s${i}.${short}`, '');
      s.stress.push(row);
    }
    const nc = count(q.get('cn'), MAX_COLLATERAL);
    for (let k = 0; k < nc; k += 1) {
      const row = { asset: '', amount: '', price: '', haircut: '' };
      for (const [short, key] of Object.entries(COLLATERAL_KEYS)) row[key] = text(`c${k}.${short}`, '');
      s.collateral.push(row);
    }
    if (q.has('gsn')) {
      const g = s.custom;
      for (const [short, key] of Object.entries(GRID_TEXT_KEYS)) g[key] = text(short, g[key]);
      for (const [short, [key, choice]] of Object.entries(GRID_CHOICE_KEYS)) g[key] = pick(choice, q.get(short), g[key]);
      g.minDelta = q.get('gmd') === '1';
      g.scenarios = [];
      for (let k = 0; k < count(q.get('gsn'), MAX_SCENARIOS); k += 1) {
        const row = { label: '', price: '', vol: '', weight: '' };
        for (const [short, key] of Object.entries(SCENARIO_KEYS)) row[key] = text(`g${k}.${short}`, '');
        g.scenarios.push(row);
      }
    }
    const no = count(q.get('on'), MAX_ORDERS);
    for (let k = 0; k < no; k += 1) {
      const row = { side: pick('orderSide', q.get(`o${k}.d`), 'buy') };
      for (const [short, key] of Object.entries(ORDER_KEYS)) row[key] = text(`o${k}.${short}`, '');
      s.orders.push(row);
    }
    for (const [short, key] of Object.entries(VAR_TEXT_KEYS)) s.var[key] = text(short, s.var[key]);
    for (const [short, [key, choice]] of Object.entries(VAR_CHOICE_KEYS)) s.var[key] = pick(choice, q.get(short), s.var[key]);
    s.var.series = String(q.get('vs') ?? '').slice(0, MAX_SERIES_IN_LINK);
    s.seriesLeftOut = q.get('vsx') === '1';
  } else if (s.marginMode === 'portfolio') {
    s.marginMode = 'cross'; // older links had no portfolio mode
  }
  const positions = [];
  for (let i = 0; i < MAX_POSITIONS && q.has(`p${i}.symbol`); i += 1) {
    const p = defaultPosition();
    for (const k of new Set([...POSITION_TEXT, ...OPTION_TEXT])) p[k] = text(`p${i}.${k}`, k === 'preset' ? '' : p[k]);
    for (const k of new Set([...POSITION_CHOICE, ...OPTION_CHOICE])) p[k] = pick(k, q.get(`p${i}.${k}`), p[k]);
    if (v === '2' && p.kind === 'option') p.kind = 'perpetual';
    if (v === HASH_VERSION) p.underlying = text(`p${i}.ul`, '');
    if (v === HASH_VERSION && p.kind !== 'option' && q.get(`p${i}.imModel`) === '1') {
      p.imModel = true;
      for (const k of IM_MODEL_TEXT) p[k] = text(`p${i}.${k}`, p[k]);
    }
    if (p.kind === 'option' && (p.rule === 'tiered' || p.rule === 'sizeScaled')) p.rule = 'fixed';
    if (v === HASH_VERSION && p.rule === 'tiered') {
      p.tiers = [];
      for (let k = 0; k < count(q.get(`p${i}.tn`), MAX_TIERS); k += 1) {
        const t = { floor: '', cap: '', mmr: '', lev: '', amount: '' };
        for (const [short, key] of Object.entries(TIER_KEYS)) t[key] = text(`p${i}.t${k}.${short}`, '');
        p.tiers.push(t);
      }
      if (p.tiers.length === 0) p.tiers = defaultTiers();
    }
    if (v === HASH_VERSION && p.rule === 'fixed' && p.kind !== 'option') {
      for (const [short, key] of Object.entries(FIXED_EXTRA_KEYS)) p[key] = text(`p${i}.${short}`, '');
    }
    if (v === HASH_VERSION && p.rule === 'sizeScaled') {
      for (const [short, key] of Object.entries(SIZE_SCALED_KEYS)) p[key] = text(`p${i}.${short}`, p[key]);
    }
    if (v === HASH_VERSION && p.kind === 'option') {
      for (const [short, key] of Object.entries(OPTION_EXTRA_KEYS)) p[key] = text(`p${i}.${short}`, '');
      p.optPae = q.get(`p${i}.pae`) === '1';
    }
    p.expiry = dateTime(p.expiry);
    positions.push(p);
  }
  if (positions.length === 0) return null;
  s.positions = positions;
  return s;
}

/**
 * A book from an exported request (the JSON `calculate` takes, and the CLI reads).
 * Throws an Error with a readable message when the request uses what the page cannot show.
 */
export function fromRequest(data) {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('the file is not a request object');
  const account = data.account ?? {};
  const markets = Array.isArray(data.markets) ? data.markets : [];
  const positions = Array.isArray(data.positions) ? data.positions : [];
  if (positions.length === 0) throw new Error('the file has no positions');
  if (positions.length > MAX_POSITIONS) throw new Error(`the page holds at most ${MAX_POSITIONS} positions`);
  // What the page cannot show is refused by name rather than dropped (which would change the numbers).
  only(data, ['account', 'markets', 'positions', 'orders', 'valuationTime', 'volatility', 'horizonDays', 'var', 'stress'], 'the request');
  if (isObject(account)) only(account, ['walletBalance', 'marginMode', 'includeFees', 'takerFeeRate', 'bookLiquidation', 'portfolioMargin', 'collateral'], 'account');
  const str = (v, fallback = '') => (v === undefined || v === null ? fallback : clip(typeof v === 'object' ? '' : v));
  const s = defaultState();
  s.walletBalance = str(account.walletBalance);
  s.marginMode = pick('marginMode', account.marginMode, 'cross');
  s.includeFees = account.includeFees === true;
  s.takerFeeRate = str(account.takerFeeRate, '0.0005');
  if (data.valuationTime !== undefined) s.valuationTime = fromIso(data.valuationTime);
  if (data.volatility !== undefined) s.riskVol = shiftDecimal(str(data.volatility), 2);
  if (data.horizonDays !== undefined) s.riskHorizon = str(data.horizonDays);
  if (s.marginMode === 'portfolio') {
    const pm = isObject(account.portfolioMargin) ? account.portfolioMargin : {};
    const grid = pm.grid === undefined && pm.customGrid !== undefined ? 'custom' : pm.grid;
    if (!CHOICES.pmGrid.includes(grid)) throw new Error('the page shows the SPAN 16, Paradex, OKX and custom grids only');
    only(pm, ['grid', 'priceScanRange', 'volScanRange', 'daysForward', 'shortOptionMinimum', 'extremeMultiple', ...(grid === 'custom' ? ['customGrid'] : [])], 'portfolio margin');
    if (pm.extremeMultiple !== undefined && pm.extremeMultiple !== null && grid !== 'span16') throw new Error('portfolio margin: extremeMultiple applies to the span16 grid only');
    s.pmGrid = grid;
    if (pm.priceScanRange !== undefined) s.pmPriceRange = str(pm.priceScanRange);
    if (pm.volScanRange !== undefined) s.pmVolRange = shiftDecimal(str(pm.volScanRange), 2);
    s.pmDays = str(pm.daysForward);
    s.pmShortMin = str(pm.shortOptionMinimum);
    s.pmExtreme = str(pm.extremeMultiple);
    if (grid === 'custom') s.custom = customGridFrom(pm.customGrid, str);
  }
  if (account.collateral !== undefined) {
    const rows = Array.isArray(account.collateral) ? account.collateral : [];
    if (rows.length > MAX_COLLATERAL) throw new Error(`the page holds at most ${MAX_COLLATERAL} collateral assets`);
    s.collateral = rows.map((raw) => {
      const c = isObject(raw) ? raw : {};
      only(c, ['asset', 'amount', 'price', 'haircut'], 'collateral');
      return { asset: str(c.asset), amount: str(c.amount), price: str(c.price), haircut: str(c.haircut) };
    });
  }
  if (data.var !== undefined) {
    const v = isObject(data.var) ? data.var : {};
    only(v, ['series', 'seriesFormat', 'column', 'confidence', 'horizonDays', 'windows', 'quantile', 'expectedShortfall'], 'VaR');
    const series = typeof v.series === 'string' ? v.series : '';
    if (series.length > MAX_SERIES) throw new Error(`the VaR series is longer than ${MAX_SERIES} characters`);
    const choose = (name, value, fallback) => (value === undefined ? fallback : (CHOICES[name].includes(value) ? value : (() => { throw new Error(`VaR: the page does not offer '${clip(value)}'`); })()));
    const d = defaultVar();
    s.var = {
      series, format: choose('varFormat', v.seriesFormat, d.format), column: str(v.column),
      confidence: str(v.confidence, d.confidence), horizon: str(v.horizonDays, d.horizon),
      windows: choose('varWindows', v.windows, d.windows), quantile: choose('varQuantile', v.quantile, d.quantile),
      es: choose('varEs', v.expectedShortfall, d.es),
    };
  }
  if (data.orders !== undefined && data.orders !== null) {
    const rows = Array.isArray(data.orders) ? data.orders : [];
    if (rows.length > MAX_ORDERS) throw new Error(`the page holds at most ${MAX_ORDERS} orders`);
    s.orders = rows.map((raw, k) => {
      const o = isObject(raw) ? raw : {};
      only(o, ['symbol', 'side', 'size', 'price', 'leverage'], `order ${k + 1}`);
      const side = { buy: 'buy', long: 'buy', sell: 'sell', short: 'sell' }[String(o.side ?? '').toLowerCase()];
      if (!side) throw new Error(`order ${k + 1}: the side must be buy or sell`);
      return { symbol: str(o.symbol), side, size: str(o.size), price: str(o.price), leverage: str(o.leverage) };
    });
  }
  // The file's stress scenarios, exactly (none when it has none).
  const stress = Array.isArray(data.stress) ? data.stress : [];
  if (stress.length > MAX_STRESS) throw new Error(`the page holds at most ${MAX_STRESS} stress scenarios`);
  s.stress = stress.map((raw) => {
    const x = raw && typeof raw === 'object' ? raw : {};
    return {
      name: str(x.name), move: str(x.priceMovePercent),
      vol: x.volMove === undefined ? '' : shiftDecimal(str(x.volMove), 2),
      days: str(x.daysForward),
    };
  });
  const used = new Set();
  s.positions = positions.map((raw, i) => {
    const pos = raw && typeof raw === 'object' ? raw : {};
    const symbol = str(pos.symbol);
    const m = markets.find((x) => x && (x.symbol ?? '') === symbol) ?? (markets.length === positions.length ? markets[i] : null);
    if (!m || typeof m !== 'object') throw new Error(`position ${i + 1}: no market '${symbol}' in the file`);
    only(pos, ['symbol', 'side', 'size', 'entryPrice', 'leverage'], `position ${i + 1}`);
    only(m, MARKET_FIELDS, `market '${clip(m.symbol ?? symbol)}'`);
    used.add(m);
    const p = defaultPosition({
      symbol: symbol || str(m.symbol),
      side: pick('side', String(pos.side ?? '').toLowerCase(), 'long'),
      size: str(pos.size), entryPrice: str(pos.entryPrice), leverage: str(pos.leverage),
      markPrice: str(m.markPrice),
      kind: pick('kind', m.kind, 'perpetual'),
      settlement: pick('settlement', m.settlement, 'linear'),
      contractSize: str(m.contractSize, '1'),
      marginBasis: pick('marginBasis', m.marginBasis, 'mark'),
      underlying: str(m.underlying),
    });
    if (m.initialMarginModel !== undefined) {
      const model = m.initialMarginModel;
      const known = ['type', 'floor', 'confidence', 'horizonDays', 'multiplier', 'volatility'];
      if (!model || model.type !== 'volatility' || Object.keys(model).some((k) => !known.includes(k))) {
        throw new Error(`market '${p.symbol}': the page edits volatility-scaled initial margins with a given volatility only`);
      }
      Object.assign(p, {
        imModel: true, imFloor: str(model.floor), imConfidence: str(model.confidence, '0.99'),
        imHorizon: str(model.horizonDays, '1'), imMultiplier: str(model.multiplier, '1'),
      });
      // The page has one volatility: the risk assumptions'.
      if (model.volatility !== undefined && data.volatility === undefined) s.riskVol = shiftDecimal(str(model.volatility), 2);
    }
    if (m.kind === 'option' || m.optionType !== undefined) {
      // An option market (a preset's kind is checked by the page against the preset itself).
      Object.assign(p, {
        kind: 'option', leverage: '', markPrice: '',
        optionType: pick('optionType', m.optionType, 'call'), strike: str(m.strike), expiry: fromIso(m.expiry),
        underlyingPrice: str(m.underlyingPrice),
      });
      if (m.impliedVolatility !== undefined) Object.assign(p, { pricing: 'iv', iv: shiftDecimal(str(m.impliedVolatility), 2) });
      else Object.assign(p, { pricing: 'premium', premium: str(m.markPrice) });
      if (m.preset) {
        p.rule = 'preset';
        p.preset = str(m.preset);
      } else if (m.margin && m.margin.type === 'standardOption') {
        Object.assign(p, optionRuleFrom(m.margin, str, `market '${p.symbol}'`));
      } else {
        throw new Error(`market '${p.symbol}': options need a standardOption rule or a preset on the page`);
      }
      return p;
    }
    if (m.preset) {
      p.rule = 'preset';
      p.preset = str(m.preset);
    } else if (isObject(m.margin) && ['fixed', 'tiered', 'sizeScaled'].includes(m.margin.type)) {
      Object.assign(p, futuresRuleFrom(m.margin, str, `market '${p.symbol}'`));
    } else {
      throw new Error(`market '${p.symbol}': only fixed rates, tier tables, size-scaled rules and presets can be edited on the page`);
    }
    return p;
  });
  const spare = markets.find((m) => !used.has(m));
  if (spare) throw new Error(`market '${clip(isObject(spare) ? spare.symbol ?? '' : '')}' has no position: the page holds one market per position`);
  return s;
}

/** Market fields the page edits (the rest are refused on import). */
const MARKET_FIELDS = [
  'symbol', 'preset', 'kind', 'settlement', 'contractSize', 'markPrice', 'marginBasis', 'margin', 'initialMarginModel',
  'optionType', 'strike', 'expiry', 'underlyingPrice', 'impliedVolatility', 'underlying',
];

const isObject = (v) => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** Throws when `obj` has keys the page does not edit (null members are absent ones, as for the engine). */
function only(obj, known, what) {
  const extra = Object.keys(obj).filter((k) => obj[k] !== null && obj[k] !== undefined && !known.includes(k));
  if (extra.length) throw new Error(`${what}: the page does not edit ${extra.map(clip).join(', ')}`);
}

/**
 * A futures position's rule fields from an engine rule (a request's or a preset's `margin`):
 * `{rule, mmr}`, `{rule, tiers}` or `{rule, ssInitial, ssMaint, ssSlope}`. `str` reads a value as
 * clipped text. Throws on what the page cannot edit.
 */
export function futuresRuleFrom(margin, str, what) {
  if (margin.type === 'fixed') {
    only(margin, ['type', 'maintenanceMarginRate', 'maintenanceAmount', 'initialMarginRate', 'maxLeverage'], what);
    return {
      rule: 'fixed', mmr: str(margin.maintenanceMarginRate),
      mmAmount: str(margin.maintenanceAmount), fixedImr: str(margin.initialMarginRate), fixedMaxLev: str(margin.maxLeverage),
    };
  }
  if (margin.type === 'sizeScaled') {
    only(margin, ['type', 'initialBaseRate', 'maintenanceBaseRate', 'slopePerUnit'], what);
    return { rule: 'sizeScaled', ssInitial: str(margin.initialBaseRate), ssMaint: str(margin.maintenanceBaseRate), ssSlope: str(margin.slopePerUnit) };
  }
  const tiers = Array.isArray(margin.tiers) ? margin.tiers : [];
  only(margin, ['type', 'tiers'], what);
  if (tiers.length > MAX_TIERS) throw new Error(`${what}: the page holds at most ${MAX_TIERS} tiers`);
  return {
    rule: 'tiered',
    // A bracket number is only a label: the page numbers tiers in order.
    tiers: tiers.map((raw) => {
      const t = isObject(raw) ? raw : {};
      only(t, ['notionalFloor', 'notionalCap', 'maintenanceMarginRate', 'maxLeverage', 'maintenanceAmount', 'bracket'], `${what} tiers`);
      return { floor: str(t.notionalFloor), cap: str(t.notionalCap), mmr: str(t.maintenanceMarginRate), lev: str(t.maxLeverage), amount: str(t.maintenanceAmount) };
    }),
  };
}

/** An option position's standard-rule fields from an engine `standardOption` rule. */
export function optionRuleFrom(margin, str, what) {
  only(margin, ['type', 'initialRate', 'initialFloorRate', 'maintenanceRate', 'maintenanceItmRate', 'marginFactor', 'maintenancePremiumMultiplier', 'liquidationFeeRate', 'premiumAtLeastEntry'], what);
  return {
    rule: 'fixed', imRate: str(margin.initialRate), imFloorRate: str(margin.initialFloorRate), mmRate: str(margin.maintenanceRate),
    optItm: str(margin.maintenanceItmRate), optMf: str(margin.marginFactor), optPm: str(margin.maintenancePremiumMultiplier),
    optLf: str(margin.liquidationFeeRate), optPae: margin.premiumAtLeastEntry === true,
  };
}

/** The page's custom grid from an engine `customGrid`. */
function customGridFrom(raw, str) {
  const g = isObject(raw) ? raw : {};
  only(g, ['name', 'priceUnit', 'volUnit', 'volConvention', 'scenarios', 'minDelta', 'initialPerRequirement', 'maintenancePerRequirement'], 'custom grid');
  const d = defaultCustomGrid();
  const choose = (name, value, fallback) => {
    if (value === undefined) return fallback;
    if (!CHOICES[name].includes(value)) throw new Error(`custom grid: the page does not offer ${name} '${clip(value)}'`);
    return value;
  };
  const scenarios = Array.isArray(g.scenarios) ? g.scenarios : [];
  if (scenarios.length > MAX_SCENARIOS) throw new Error(`the page holds at most ${MAX_SCENARIOS} scenarios`);
  const md = isObject(g.minDelta) ? g.minDelta : null;
  return {
    name: str(g.name), priceUnit: choose('priceUnit', g.priceUnit, 'relative'), volUnit: choose('volUnit', g.volUnit, 'literal'),
    volConvention: choose('volConvention', g.volConvention, 'additive'),
    scenarios: scenarios.map((x0) => {
      const x = isObject(x0) ? x0 : {};
      only(x, ['label', 'priceMove', 'volMove', 'weight'], 'custom grid scenarios');
      return { label: str(x.label), price: str(x.priceMove), vol: str(x.volMove), weight: str(x.weight) };
    }),
    minDelta: md !== null, mdUnhedged: md ? str(md.unhedged) : d.mdUnhedged, mdHedged: md ? str(md.hedged) : d.mdHedged,
    imPer: str(g.initialPerRequirement), mmPer: str(g.maintenancePerRequirement),
  };
}

/** A symbol not used by any position yet, based on `base`. */
export function uniqueSymbol(state, base) {
  const used = new Set(state.positions.map((p) => p.symbol.trim()));
  const stem = base.replace(/-\d+$/, '');
  if (!used.has(stem)) return stem;
  for (let n = 2; ; n += 1) if (!used.has(`${stem}-${n}`)) return `${stem}-${n}`;
}
