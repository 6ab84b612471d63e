// The page's book: plain data, converted to the engine's request, to and from the URL hash
// (versioned, v=2) and from an exported request (JSON import). No DOM here, no formulas.
// Every value read from outside (hash, file) is a string clipped to MAX_TEXT or a checked choice;
// it is only ever written into form controls' `value` or `textContent`.

export const HASH_VERSION = '2';
export const MAX_TEXT = 64;
export const MAX_POSITIONS = 20;

export const CHOICES = {
  marginMode: ['isolated', 'cross'],
  side: ['long', 'short'],
  kind: ['perpetual', 'future'],
  settlement: ['linear', 'inverse'],
  marginBasis: ['mark', 'entry'],
  rule: ['fixed', 'preset'],
};

/** Text fields of a position, in hash order. */
export const POSITION_TEXT = ['symbol', 'size', 'entryPrice', 'leverage', 'markPrice', 'contractSize', 'mmr', 'preset'];
export const POSITION_CHOICE = ['side', 'kind', 'settlement', 'marginBasis', 'rule'];

export function defaultPosition(overrides = {}) {
  return {
    symbol: 'BTCUSDT', side: 'long', size: '0.5', entryPrice: '60000', leverage: '20', markPrice: '60000',
    kind: 'perpetual', settlement: 'linear', contractSize: '1', marginBasis: 'mark',
    rule: 'fixed', mmr: '0.004', preset: '',
    ...overrides,
  };
}

export function defaultState() {
  return { walletBalance: '2000', marginMode: 'isolated', includeFees: false, takerFeeRate: '0.0005', positions: [defaultPosition()] };
}

const clip = (v) => String(v ?? '').slice(0, MAX_TEXT);
const pick = (name, v, fallback) => (CHOICES[name].includes(v) ? v : fallback);

/** The engine request for a book. Markets and positions are paired by index. */
export function toRequest(state) {
  const account = { walletBalance: state.walletBalance, marginMode: state.marginMode, includeFees: state.includeFees };
  if (state.includeFees && state.takerFeeRate.trim() !== '') account.takerFeeRate = state.takerFeeRate;
  return {
    account,
    markets: state.positions.map((p) => (p.rule === 'preset'
      ? { symbol: p.symbol, preset: p.preset, markPrice: p.markPrice }
      : {
        symbol: p.symbol, kind: p.kind, settlement: p.settlement, contractSize: p.contractSize,
        markPrice: p.markPrice, marginBasis: p.marginBasis,
        margin: { type: 'fixed', maintenanceMarginRate: p.mmr },
      })),
    positions: state.positions.map((p) => ({
      symbol: p.symbol, side: p.side, size: p.size, entryPrice: p.entryPrice, leverage: p.leverage,
    })),
  };
}

/** The hash (without '#') that carries the whole book. */
export function toHash(state) {
  const q = new URLSearchParams();
  q.set('v', HASH_VERSION);
  q.set('wallet', state.walletBalance);
  q.set('mode', state.marginMode);
  q.set('fees', state.includeFees ? '1' : '0');
  q.set('fee', state.takerFeeRate);
  state.positions.forEach((p, i) => {
    for (const k of [...POSITION_CHOICE, ...POSITION_TEXT]) {
      if (k === 'preset' && p.rule !== 'preset') continue;
      if (k === 'mmr' && p.rule === 'preset') continue;
      q.set(`p${i}.${k}`, p[k]);
    }
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
  if (v !== HASH_VERSION) return null;
  const s = defaultState();
  s.walletBalance = text('wallet', s.walletBalance);
  s.marginMode = pick('marginMode', q.get('mode'), s.marginMode);
  s.includeFees = q.get('fees') === '1';
  s.takerFeeRate = text('fee', s.takerFeeRate);
  const positions = [];
  for (let i = 0; i < MAX_POSITIONS && q.has(`p${i}.symbol`); i += 1) {
    const d = defaultPosition();
    const p = {};
    for (const k of POSITION_TEXT) p[k] = text(`p${i}.${k}`, k === 'preset' ? '' : d[k]);
    for (const k of POSITION_CHOICE) p[k] = pick(k, q.get(`p${i}.${k}`), d[k]);
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
