// Display formatting of the engine's decimal strings. Pure string operations (no floats), so
// what is shown is the engine's value rounded half away from zero, never a float artefact.
// The exact value stays available to the page (the `value` of a <data> element, the breakdown).

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function increment(digits) {
  const a = digits.split('');
  let i = a.length - 1;
  while (i >= 0) {
    if (a[i] === '9') { a[i] = '0'; i -= 1; } else { a[i] = String(Number(a[i]) + 1); return a.join(''); }
  }
  return `1${a.join('')}`;
}

/** Splits a plain decimal string; null when it is not one. */
export function parts(value) {
  const m = DECIMAL.exec(String(value).trim());
  if (!m) return null;
  return { negative: m[1] === '-', int: m[2].replace(/^0+(?=\d)/, ''), frac: m[3] ?? '' };
}

/** Rounds a decimal string to `dp` places, half away from zero; keeps trailing zeros. */
export function round(value, dp) {
  const p = parts(value);
  if (!p) return String(value);
  let { int, frac } = p;
  if (frac.length <= dp) {
    frac = frac.padEnd(dp, '0');
  } else {
    let digits = int + frac.slice(0, dp);
    if (frac[dp] >= '5') digits = increment(digits);
    int = digits.slice(0, digits.length - dp) || '0';
    frac = digits.slice(digits.length - dp);
    int = int.replace(/^0+(?=\d)/, '');
  }
  const zero = /^0*$/.test(int + frac);
  return `${p.negative && !zero ? '-' : ''}${int}${dp > 0 ? `.${frac}` : ''}`;
}

/** Adds thousands separators to the integer part of a decimal string. */
export function group(value) {
  const s = String(value);
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
  if (!m) return s;
  return `${m[1]}${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}`;
}

function trimZeros(s) {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Decimal places that keep `sig` significant digits of a value below 1 (at least `min`). */
function placesFor(value, min, sig) {
  const p = parts(value);
  if (!p || p.int !== '0') return min;
  const leading = /^0*/.exec(p.frac)[0].length;
  if (leading === p.frac.length) return min;
  return Math.min(Math.max(min, leading + sig), 12);
}

/** A money amount: 2 dp for quote currencies, up to 8 significant places for coin amounts. */
export function money(value, unit) {
  if (value === null || value === undefined) return '–';
  const coin = unit !== 'USDT';
  const s = coin ? trimZeros(round(value, 8)) : round(value, 2);
  return `${group(s)}${unit ? ` ${unit}` : ''}`;
}

/** A price: 2 dp, more for prices below 1 so they keep 6 significant digits. */
export function price(value) {
  if (value === null || value === undefined) return '–';
  return group(round(value, placesFor(value, 2, 6)));
}

/** A size or count: exact, grouped, at most 8 dp. */
export function quantity(value) {
  if (value === null || value === undefined) return '–';
  return group(trimZeros(round(value, 8)));
}

/** A ratio (0.015) as a percentage ("1.5 %"), up to `dp` places. */
export function ratioPercent(value, dp = 4) {
  if (value === null || value === undefined) return '–';
  const p = parts(value);
  if (!p) return String(value);
  const frac = p.frac.padEnd(2, '0');
  const shifted = `${p.negative ? '-' : ''}${p.int}${frac.slice(0, 2)}${frac.length > 2 ? `.${frac.slice(2)}` : ''}`;
  return `${group(trimZeros(round(shifted, dp)))} %`;
}

/** A value already in percent ("4.2713567839" → "4.27 %"). */
export function percent(value, dp = 2) {
  if (value === null || value === undefined) return '–';
  return `${group(round(value, dp))} %`;
}

/** A leverage ("20" → "20×", "7.142857" → "7.14×"). */
export function leverage(value) {
  if (value === null || value === undefined) return '–';
  return `${group(trimZeros(round(value, 2)))}×`;
}

/** A price as plain text for a form control: rounded like `price`, no separators, no trailing zeros. */
export function plainPrice(value) {
  if (value === null || value === undefined) return '';
  return trimZeros(round(value, placesFor(value, 2, 6)));
}

/**
 * A model output (a float: Greeks, volatility, years) to `sig` significant digits, grouped.
 * These are the engine's f64 figures; only their display is rounded here.
 */
export function modelNumber(x, sig = 6) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  // Tiny values (a gamma) in scientific notation: 3.80193e-5 rather than 0.0000380193.
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(sig - 1).replace(/\.?0+e/, 'e');
  const s = String(Number(x.toPrecision(sig)));
  return /e/.test(s) ? s : group(s);
}

/** A distance in standard deviations of the horizon move (−5.40 σ). */
export function sigmas(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return `${x < 0 ? '−' : x > 0 ? '+' : ''}${group(Math.abs(x).toFixed(2))} σ`;
}

/** A probability (0..1) as a percentage: 2 dp, tiny ones to 3 significant digits (8.25e-6 %). */
export function probability(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const pct = x * 100;
  if (pct === 0) return '0 %';
  if (pct < 0.01) return `${modelNumber(pct, 3)} %`;
  return `${group(pct.toFixed(2))} %`;
}

/** A model output (an f64 money figure: scenario P&L) as a money amount; see `money`. */
export function moneyNumber(x, unit) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return money(x.toFixed(10), unit);
}
