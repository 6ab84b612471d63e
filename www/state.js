// The page's book: plain data, converted to the engine's request, to and from the URL hash
// (versioned, v=4; v=3, v=2 and v=1 links still open) and from an exported request (JSON import).
// No DOM here, no formulas.
// Every value read from outside (hash, file) is a string clipped to MAX_TEXT or a checked choice;
// it is only ever written into form controls' `value` or `textContent`.

export const HASH_VERSION = '4';
export const MAX_TEXT = 64;
export const MAX_POSITIONS = 20;
export const MAX_STRESS = 10;

export const CHOICES = {
  marginMode: ['isolated', 'cross', 'portfolio'],
  pmGrid: ['span16', 'paradex', 'okx'],
  side: ['long', 'short'],
  kind: ['perpetual', 'future', 'option'],
  optionType: ['call', 'put'],
  pricing: ['iv', 'premium'],
  settlement: ['linear', 'inverse'],
  marginBasis: ['mark', 'entry'],
  rule: ['fixed', 'preset'],
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
    rule: 'fixed', mmr: '0.004', preset: '',
    // Options (kind 'option'): the contract, how it is priced (implied volatility in percent, or
    // the mark premium per unit) and the standard option rule's rates a, b, c.
    optionType: 'call', strike: '', expiry: '', underlyingPrice: '', pricing: 'iv', iv: '60', premium: '',
    imRate: '0.15', imFloorRate: '0.1', mmRate: '0.075',
    // Futures: a volatility-scaled initial margin rate, max(floor, z·σ·√(h/365)·m), σ being the
    // risk assumptions' volatility. The floor is filled with the rule's rate when it is ticked.
    imModel: false, imFloor: '', imConfidence: '0.99', imHorizon: '1', imMultiplier: '1',
    ...overrides,
  };
}

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
    stress: defaultStress(),
  };
}

export const defaultStressRow = () => ({ name: '', move: '-5', vol: '0', days: '0' });

const clip = (v) => String(v ?? '').slice(0, MAX_TEXT);
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

/** The engine market of one position. */
function marketOf(p, state) {
  if (p.kind !== 'option') {
    const m = p.rule === 'preset'
      ? { symbol: p.symbol, preset: p.preset, markPrice: p.markPrice }
      : {
        symbol: p.symbol, kind: p.kind, settlement: p.settlement, contractSize: p.contractSize,
        markPrice: p.markPrice, marginBasis: p.marginBasis,
        margin: { type: 'fixed', maintenanceMarginRate: p.mmr },
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
  if (p.rule !== 'preset') {
    m.margin = { type: 'standardOption', initialRate: p.imRate, initialFloorRate: p.imFloorRate, maintenanceRate: p.mmRate };
  }
  return m;
}

/** A volatility-scaled initial-margin model; σ (percent on the page) from the risk assumptions. */
export function imModelOf(p, riskVol) {
  return {
    type: 'volatility', floor: p.imFloor, confidence: p.imConfidence, horizonDays: p.imHorizon,
    multiplier: p.imMultiplier, volatility: shiftDecimal(riskVol, -2),
  };
}

const blank = (v) => String(v ?? '').trim() === '';

/** The engine request for a book. Markets and positions are paired by index. */
export function toRequest(state) {
  const account = { walletBalance: state.walletBalance, marginMode: state.marginMode, includeFees: state.includeFees };
  if (state.includeFees && state.takerFeeRate.trim() !== '') account.takerFeeRate = state.takerFeeRate;
  if (state.marginMode === 'portfolio') {
    account.portfolioMargin = { grid: state.pmGrid };
    // Only SPAN moves by fractions of scan ranges; the Paradex and OKX grids have fixed moves.
    if (state.pmGrid === 'span16') {
      account.portfolioMargin.priceScanRange = state.pmPriceRange;
      account.portfolioMargin.volScanRange = shiftDecimal(state.pmVolRange, -2);
    }
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
  }
  state.positions.forEach((p, i) => {
    const option = p.kind === 'option';
    for (const k of option ? [...OPTION_CHOICE, ...OPTION_TEXT] : [...POSITION_CHOICE, ...POSITION_TEXT]) {
      if (k === 'preset' && p.rule !== 'preset') continue;
      if ((k === 'mmr' || k === 'imRate' || k === 'imFloorRate' || k === 'mmRate') && p.rule === 'preset') continue;
      q.set(`p${i}.${k}`, p[k]);
    }
    if (!option && p.imModel) {
      q.set(`p${i}.imModel`, '1');
      for (const k of IM_MODEL_TEXT) q.set(`p${i}.${k}`, p[k]);
    }
  });
  q.set('st', String(state.stress.length));
  state.stress.forEach((x, i) => {
    for (const [short, k] of Object.entries(STRESS_KEYS)) q.set(`s${i}.${short}`, x[k]);
  });
  return q.toString();
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
    const n = Math.min(MAX_STRESS, Math.max(0, Number.parseInt(q.get('st') ?? '', 10) || 0));
    s.stress = [];
    for (let i = 0; i < n; i += 1) {
      const row = { name: '', move: '', vol: '', days: '' };
      for (const [short, k] of Object.entries(STRESS_KEYS)) row[k] = text(`s${i}.${short}`, '');
      s.stress.push(row);
    }
  } else if (s.marginMode === 'portfolio') {
    s.marginMode = 'cross'; // older links had no portfolio mode
  }
  const positions = [];
  for (let i = 0; i < MAX_POSITIONS && q.has(`p${i}.symbol`); i += 1) {
    const p = defaultPosition();
    for (const k of new Set([...POSITION_TEXT, ...OPTION_TEXT])) p[k] = text(`p${i}.${k}`, k === 'preset' ? '' : p[k]);
    for (const k of new Set([...POSITION_CHOICE, ...OPTION_CHOICE])) p[k] = pick(k, q.get(`p${i}.${k}`), p[k]);
    if (v === '2' && p.kind === 'option') p.kind = 'perpetual';
    if (v === HASH_VERSION && p.kind !== 'option' && q.get(`p${i}.imModel`) === '1') {
      p.imModel = true;
      for (const k of IM_MODEL_TEXT) p[k] = text(`p${i}.${k}`, p[k]);
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
    const pm = account.portfolioMargin && typeof account.portfolioMargin === 'object' ? account.portfolioMargin : {};
    if (!CHOICES.pmGrid.includes(pm.grid)) throw new Error('the page shows the SPAN 16, Paradex and OKX grids only');
    const extra = Object.keys(pm).filter((k) => !['grid', 'priceScanRange', 'volScanRange'].includes(k));
    if (extra.length) throw new Error(`portfolio margin: the page does not edit ${extra.join(', ')}`);
    s.pmGrid = pm.grid;
    if (pm.priceScanRange !== undefined) s.pmPriceRange = str(pm.priceScanRange);
    if (pm.volScanRange !== undefined) s.pmVolRange = shiftDecimal(str(pm.volScanRange), 2);
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
  s.positions = positions.map((raw, i) => {
    const pos = raw && typeof raw === 'object' ? raw : {};
    const symbol = str(pos.symbol);
    const m = markets.find((x) => x && (x.symbol ?? '') === symbol) ?? (markets.length === positions.length ? markets[i] : null);
    if (!m || typeof m !== 'object') throw new Error(`position ${i + 1}: no market '${symbol}' in the file`);
    const p = defaultPosition({
      symbol: symbol || str(m.symbol),
      side: pick('side', String(pos.side ?? '').toLowerCase(), 'long'),
      size: str(pos.size), entryPrice: str(pos.entryPrice), leverage: str(pos.leverage),
      markPrice: str(m.markPrice),
      kind: pick('kind', m.kind, 'perpetual'),
      settlement: pick('settlement', m.settlement, 'linear'),
      contractSize: str(m.contractSize, '1'),
      marginBasis: pick('marginBasis', m.marginBasis, 'mark'),
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
        const known = ['type', 'initialRate', 'initialFloorRate', 'maintenanceRate'];
        const extra = Object.keys(m.margin).filter((k) => !known.includes(k));
        if (extra.length) throw new Error(`market '${p.symbol}': the page does not edit ${extra.join(', ')}`);
        Object.assign(p, { imRate: str(m.margin.initialRate), imFloorRate: str(m.margin.initialFloorRate), mmRate: str(m.margin.maintenanceRate) });
      } else {
        throw new Error(`market '${p.symbol}': options need a standardOption rule or a preset on the page`);
      }
      return p;
    }
    if (m.preset) {
      p.rule = 'preset';
      p.preset = str(m.preset);
    } else if (m.margin && m.margin.type === 'fixed') {
      const extra = Object.keys(m.margin).filter((k) => k !== 'type' && k !== 'maintenanceMarginRate');
      if (extra.length) throw new Error(`market '${p.symbol}': the page does not edit ${extra.join(', ')}`);
      p.mmr = str(m.margin.maintenanceMarginRate);
    } else {
      throw new Error(`market '${p.symbol}': only fixed rates and presets can be edited on the page`);
    }
    return p;
  });
  return s;
}

/** A symbol not used by any position yet, based on `base`. */
export function uniqueSymbol(state, base) {
  const used = new Set(state.positions.map((p) => p.symbol.trim()));
  const stem = base.replace(/-\d+$/, '');
  if (!used.has(stem)) return stem;
  for (let n = 2; ; n += 1) if (!used.has(`${stem}-${n}`)) return `${stem}-${n}`;
}
