// Node benchmark of the BUILT wasm module (www/pkg/imr.js + imr_bg.wasm: the full JavaScript API,
// built for speed) against JavaScript
// baselines, on the same deterministic inputs as benches/engine.rs (LCG of benches/book.rs).
//
//   node benches/wasm.mjs [--n 10000] [--runs 5] [--pkg www/pkg] [--min-ms 60]
//
// (IMR_BENCH_JSON=file.json also writes the figures as JSON.)
//
// (`cargo xtask bench` builds www/pkg first, then runs this after the criterion benchmarks.)
//
// Every figure is the median of `--runs` runs; a run repeats the measured pass until it lasts at
// least `--min-ms`, so the timer's resolution and call overheads are amortised. Times are per
// option (ns) for the chain benchmarks and per request (µs) for `calculate`.
//
// Measured:
//   * price + delta over an n-option Black–Scholes chain:
//       - a plain JavaScript loop written here (Abramowitz & Stegun 26.2.17 normal CDF, |ε| < 7.5e-8),
//       - @uqee/black-scholes `option()` (default settings),
//       - wasm `priceDeltaBatch('blackScholes', ...)` (typed arrays in and out, one call per chain),
//       - wasm `OptionChain.priceDelta()` (the chain's arrays in wasm memory, filled once
//         through its views: the same kernel without the copies);
//     and the same three on a near-the-money chain (strikes ±5 %, 6–7 months);
//   * implied volatility of the same chain (prices from the wasm batch, σ_true = the input σ):
//       - wasm `impliedVolBatch`, `OptionChain.impliedVol()` (in place), @uqee/black-scholes
//         `sigma()`, with the number of answers
//         with |σ − σ_true| > 1e-6 for each;
//   * `calculate()` (JS object in) and `calculateJson()` (JSON text in, like the native criterion
//     benchmark) on the 10- and 1000-position books of benches/book.rs, and on the mixed
//     portfolio book of benches/mixed-book.json (10 positions, scenario margin, liquidation
//     prices below and above);
//   * `calculateJson()` on the same three books with the page's module (`<pkg>/page/`, built
//     for size, where `<pkg>` is built for speed), checked to answer the same text;
//   * the download: imr_bg.wasm + imr.js gzipped at level 9 (node:zlib), and the page's module.
import { readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync, constants as zlib } from 'node:zlib';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
};
const N = Number(arg('n', 10_000));
const RUNS = Number(arg('runs', 5));
const MIN_MS = Number(arg('min-ms', 60));
const PKG = resolve(ROOT, arg('pkg', 'www/pkg'));

// ---------------------------------------------------------------------------------------------
// The module under test.

const wasmBytes = readFileSync(join(PKG, 'imr_bg.wasm'));
const glueText = readFileSync(join(PKG, 'imr.js'));
const imr = await import(pathToFileURL(join(PKG, 'imr.js')).href);
imr.initSync({ module: wasmBytes });
const { BlackScholes } = createRequire(import.meta.url)('@uqee/black-scholes');

// ---------------------------------------------------------------------------------------------
// Inputs: the generator and builders of benches/book.rs and benches/engine.rs.

/** benches/book.rs `Lcg`: 64-bit LCG (Knuth's MMIX constants), 53-bit uniform in [0, 1). */
class Lcg {
  constructor(seed) { this.state = BigInt.asUintN(64, BigInt(seed)); }
  nextF64() {
    this.state = BigInt.asUintN(64, this.state * 6364136223846793005n + 1442695040888963407n);
    return Number(this.state >> 11n) / 2 ** 53;
  }
}

/** benches/engine.rs `chain()`: calls and puts alternating, spot 60 000, rate 3 %; strikes
 *  uniform in spot·[strikeLow, strikeLow + strikeWidth), times in years uniform in
 *  [timeLow, timeLow + timeWidth). */
function chain(n, { strikeLow = 0.7, strikeWidth = 0.6, timeLow = 1 / 365, timeWidth = 1 } = {}) {
  const rng = new Lcg(42);
  const c = {
    isCall: new Uint8Array(n), spot: new Float64Array(n), strike: new Float64Array(n),
    time: new Float64Array(n), rate: new Float64Array(n), vol: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    c.isCall[i] = i % 2;
    c.spot[i] = 60000;
    c.strike[i] = 60000 * (strikeLow + strikeWidth * rng.nextF64());
    c.time[i] = timeLow + timeWidth * rng.nextF64();
    c.rate[i] = 0.03;
    c.vol[i] = 0.3 + 0.8 * rng.nextF64();
  }
  return c;
}

/** benches/book.rs `futures_book(n)`: a cross book of n linear perpetuals, as JSON text. */
function futuresBook(n) {
  const markets = [];
  const positions = [];
  const rng = new Lcg(7);
  const tiered = '{"type":"tiered","tiers":[{"notionalFloor":"0","notionalCap":"50000","maintenanceMarginRate":"0.004","maxLeverage":"125"},{"notionalFloor":"50000","notionalCap":"600000","maintenanceMarginRate":"0.005","maxLeverage":"100"},{"notionalFloor":"600000","maintenanceMarginRate":"0.01","maxLeverage":"50"}]}';
  const fixed = '{"type":"fixed","maintenanceMarginRate":"0.005"}';
  for (let i = 0; i < n; i++) {
    const mark = 100 + 1000 * rng.nextF64();
    const entry = mark * (0.9 + 0.2 * rng.nextF64());
    const margin = i % 2 === 0 ? tiered : fixed;
    markets.push(`{"symbol":"M${i}","markPrice":"${mark.toFixed(2)}","margin":${margin}}`);
    const size = 1 + 10 * rng.nextF64();
    positions.push(`{"symbol":"M${i}","side":"${i % 3 === 0 ? 'short' : 'long'}","size":"${size.toFixed(3)}","entryPrice":"${entry.toFixed(2)}","leverage":"10"}`);
  }
  return `{"account":{"walletBalance":"${2000 * n}","marginMode":"cross"},"markets":[${markets.join(',')}],"positions":[${positions.join(',')}]}`;
}

// ---------------------------------------------------------------------------------------------
// Plain JavaScript Black–Scholes (the "write it yourself" baseline).

/** Φ(x) by Abramowitz & Stegun 26.2.17 (absolute error < 7.5e-8). */
function cdfAS(x) {
  const ax = Math.abs(x);
  const k = 1 / (1 + 0.2316419 * ax);
  const poly = k * (0.319381530 + k * (-0.356563782 + k * (1.781477937 + k * (-1.821255978 + k * 1.330274429))));
  const tail = 0.3989422804014327 * Math.exp(-0.5 * ax * ax) * poly;
  return x >= 0 ? 1 - tail : tail;
}

function jsPriceDelta(c, outPrice, outDelta) {
  const n = c.strike.length;
  for (let i = 0; i < n; i++) {
    const s = c.spot[i], k = c.strike[i], t = c.time[i], r = c.rate[i], v = c.vol[i];
    const sd = v * Math.sqrt(t);
    const d1 = (Math.log(s / k) + (r + 0.5 * v * v) * t) / sd;
    const d2 = d1 - sd;
    const kd = k * Math.exp(-r * t);
    if (c.isCall[i] === 1) {
      const n1 = cdfAS(d1);
      outPrice[i] = s * n1 - kd * cdfAS(d2);
      outDelta[i] = n1;
    } else {
      const n1 = cdfAS(-d1);
      outPrice[i] = kd * cdfAS(-d2) - s * n1;
      outDelta[i] = -n1;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Timing.

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

/** Median over RUNS runs of the time of one call of `fn`, in ms; each run repeats `fn` until it
 *  has lasted MIN_MS (the repetition count is calibrated once, after a warm-up). */
function measure(fn) {
  fn();
  let reps = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < reps; i++) fn();
    const dt = now() - t0;
    if (dt >= MIN_MS / 4 || reps >= 1 << 20) {
      reps = Math.max(1, Math.ceil((reps * MIN_MS) / Math.max(dt, 1e-3)));
      break;
    }
    reps *= 4;
  }
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = now();
    for (let i = 0; i < reps; i++) fn();
    times.push((now() - t0) / reps);
  }
  times.sort((a, b) => a - b);
  return { median: times[times.length >> 1], min: times[0], max: times[times.length - 1], reps };
}

const rows = [];
const fmt = (v, digits = 1) => (v >= 100 ? v.toFixed(0) : v.toFixed(digits));
function report(group, name, m, per, unit) {
  const value = unit === 'ns' ? (m.median * 1e6) / per : (m.median * 1e3) / per;
  const spread = unit === 'ns'
    ? `${fmt((m.min * 1e6) / per)}–${fmt((m.max * 1e6) / per)}`
    : `${fmt((m.min * 1e3) / per)}–${fmt((m.max * 1e3) / per)}`;
  rows.push({ group, name, value, unit, spread });
  console.log(`${group.padEnd(14)} ${name.padEnd(44)} ${fmt(value).padStart(9)} ${unit}/${unit === 'ns' ? 'option' : 'book'}   (runs ${spread}, ×${m.reps} per run)`);
  return value;
}

console.log(`imr wasm benchmark — node ${process.version}, chain n = ${N}, median of ${RUNS} runs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`module: ${join(PKG, 'imr_bg.wasm')} (${wasmBytes.length} bytes), imr.version() = ${imr.version()}\n`);

// ---------------------------------------------------------------------------------------------
// Price + delta.

const c = chain(N);
const price = new Float64Array(N), delta = new Float64Array(N);
const jsPrice = new Float64Array(N), jsDelta = new Float64Array(N);
const uqee = new BlackScholes();
const uqPrice = new Float64Array(N), uqDelta = new Float64Array(N);

const wasmBatch = () => {
  const r = imr.priceDeltaBatch('blackScholes', c.isCall, c.spot, c.strike, c.time, c.rate, c.vol, price, delta);
  if (!r.ok) throw new Error(`priceDeltaBatch: ${JSON.stringify(r)}`);
};
/** @uqee/black-scholes `option()` over chain `ch`, into uqPrice and uqDelta. */
const uqeeOver = (ch) => {
  for (let i = 0; i < N; i++) {
    const o = uqee.option({
      rate: ch.rate[i], sigma: ch.vol[i], strike: ch.strike[i], time: ch.time[i],
      type: ch.isCall[i] === 1 ? 'call' : 'put', underlying: ch.spot[i],
    });
    uqPrice[i] = o.price;
    uqDelta[i] = o.delta;
  }
};
const uqeeLoop = () => uqeeOver(c);

const pdJs = report('price+delta', 'plain JS loop (A&S 26.2.17 CDF)', measure(() => jsPriceDelta(c, jsPrice, jsDelta)), N, 'ns');
const pdUq = report('price+delta', '@uqee/black-scholes option()', measure(uqeeLoop), N, 'ns');
const pdWasm = report('price+delta', "wasm priceDeltaBatch('blackScholes')", measure(wasmBatch), N, 'ns');
// The same call with an unknown model name: wasm-bindgen's glue still allocates, copies the seven
// inputs and both outputs into wasm memory, copies the outputs back and frees, but the engine
// returns at once — the boundary cost that is part of the figure above.
const glueOnly = () => {
  const r = imr.priceDeltaBatch('none', c.isCall, c.spot, c.strike, c.time, c.rate, c.vol, price, delta);
  if (r.ok) throw new Error('expected an invalid-model error');
};
const pdGlue = report('price+delta', '  of which JS↔wasm copies (invalid model)', measure(glueOnly), N, 'ns');

/** An `OptionChain` (arrays in wasm memory) holding chain `ch`: the views are filled once, as a
 *  caller repricing on every tick would fill them as quotes arrive. */
function inPlaceChain(ch) {
  const made = imr.optionChain(N, 'blackScholes');
  if (!made.ok) throw new Error(`optionChain: ${JSON.stringify(made.errors)}`);
  const oc = made.result;
  oc.isCall.set(ch.isCall); oc.underlying.set(ch.spot); oc.strike.set(ch.strike);
  oc.timeYears.set(ch.time); oc.rate.set(ch.rate); oc.volatility.set(ch.vol);
  return oc;
}
const wideChain = inPlaceChain(c);
const inPlace = (oc) => () => {
  const r = oc.priceDelta();
  if (!r.ok) throw new Error(`OptionChain.priceDelta: ${JSON.stringify(r)}`);
};
const pdInPlace = report('price+delta', 'wasm OptionChain.priceDelta() (in place)', measure(inPlace(wideChain)), N, 'ns');
{
  // The same kernel: the same bits as priceDeltaBatch.
  wasmBatch();
  const p = wideChain.price, d = wideChain.delta;
  for (let i = 0; i < N; i++) {
    if (!Object.is(p[i], price[i]) || !Object.is(d[i], delta[i])) throw new Error(`OptionChain differs from priceDeltaBatch at ${i}`);
  }
}

function maxErr(a, b, scale = 1) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / scale);
  return m;
}
console.log(`  accuracy vs wasm: plain JS max |Δprice|/S = ${maxErr(jsPrice, price, 60000).toExponential(1)}, max |Δdelta| = ${maxErr(jsDelta, delta).toExponential(1)}; ` +
  `@uqee max |Δprice|/S = ${maxErr(uqPrice, price, 60000).toExponential(1)}, max |Δdelta| = ${maxErr(uqDelta, delta).toExponential(1)}`);

// The same three on a near-the-money chain (strikes within ±5 % of spot, 6 to 7 months): the
// kernel's speed depends on the chain, because the options it hands to the scalar path (deep out
// of the money at small σ√T) and the pairs whose two lanes take different branches of the normal
// CDF cost extra, and this chain has almost none of either.
const atm = chain(N, { strikeLow: 0.95, strikeWidth: 0.1, timeLow: 0.5, timeWidth: 0.1 });
const atmPrice = new Float64Array(N), atmDelta = new Float64Array(N);
const atmWasm = () => {
  const r = imr.priceDeltaBatch('blackScholes', atm.isCall, atm.spot, atm.strike, atm.time, atm.rate, atm.vol, atmPrice, atmDelta);
  if (!r.ok) throw new Error(`priceDeltaBatch: ${JSON.stringify(r)}`);
};
const atmUqee = () => uqeeOver(atm);
const atmJs = report('price+delta', 'near the money: plain JS loop', measure(() => jsPriceDelta(atm, jsPrice, jsDelta)), N, 'ns');
const atmUq = report('price+delta', 'near the money: @uqee option()', measure(atmUqee), N, 'ns');
const atmW = report('price+delta', 'near the money: wasm priceDeltaBatch', measure(atmWasm), N, 'ns');
const atmInPlace = report('price+delta', 'near the money: wasm OptionChain (in place)', measure(inPlace(inPlaceChain(atm))), N, 'ns');
console.log(`  accuracy vs wasm: plain JS max |Δprice|/S = ${maxErr(jsPrice, atmPrice, 60000).toExponential(1)}, @uqee max |Δprice|/S = ${maxErr(uqPrice, atmPrice, 60000).toExponential(1)}`);

// ---------------------------------------------------------------------------------------------
// Implied volatility of the same chain (prices from the wasm batch above).

wasmBatch();
const premium = Float64Array.from(price);
const vol = new Float64Array(N), status = new Uint8Array(N);
const uqVol = new Float64Array(N);
let wasmFailures = 0;
const wasmIv = () => {
  const r = imr.impliedVolBatch('blackScholes', c.isCall, premium, c.spot, c.strike, c.time, c.rate, vol, status);
  if (!r.ok) throw new Error(`impliedVolBatch: ${JSON.stringify(r)}`);
  wasmFailures = r.failures;
};
const uqeeIv = () => {
  for (let i = 0; i < N; i++) {
    uqVol[i] = uqee.sigma({
      price: premium[i], rate: c.rate[i], strike: c.strike[i], time: c.time[i],
      type: c.isCall[i] === 1 ? 'call' : 'put', underlying: c.spot[i],
    });
  }
};
const ivWasm = report('implied vol', 'wasm impliedVolBatch', measure(wasmIv), N, 'ns');
wideChain.price.set(premium);
let inPlaceFailures = 0;
const ivInPlace = report('implied vol', 'wasm OptionChain.impliedVol() (in place)', measure(() => {
  const r = wideChain.impliedVol();
  if (!r.ok) throw new Error(`OptionChain.impliedVol: ${JSON.stringify(r)}`);
  inPlaceFailures = r.failures;
}), N, 'ns');
if (inPlaceFailures !== wasmFailures) throw new Error('OptionChain.impliedVol and impliedVolBatch disagree');
const ivUq = report('implied vol', '@uqee/black-scholes sigma()', measure(uqeeIv), N, 'ns');

// Elements whose premium, as a double, cannot determine σ to 1e-6: moving σ by 1e-6 changes the
// price by less than 4 ulps (deep in-the-money, short-dated: the time value is lost in the
// rounding of the premium). No solver can be held to 1e-6 there.
const illConditioned = new Uint8Array(N);
for (let i = 0; i < N; i++) {
  const sd = c.vol[i] * Math.sqrt(c.time[i]);
  const d1 = (Math.log(c.spot[i] / c.strike[i]) + (c.rate[i] + 0.5 * c.vol[i] ** 2) * c.time[i]) / sd;
  const vega = c.spot[i] * 0.3989422804014327 * Math.exp(-0.5 * d1 * d1) * Math.sqrt(c.time[i]);
  illConditioned[i] = vega * 1e-6 < 4 * premium[i] * Number.EPSILON ? 1 : 0;
}
const wrong = (v, tol, skipIll = false) => {
  let count = 0;
  for (let i = 0; i < N; i++) if (!(skipIll && illConditioned[i]) && !(Math.abs(v[i] - c.vol[i]) <= tol)) count++;
  return count;
};
const ill = illConditioned.reduce((a, b) => a + b, 0);
console.log(`  wrong answers (|σ − σ_true| > 1e-6): wasm ${wrong(vol, 1e-6)}/${N} (${wrong(vol, 1e-6, true)} outside the ${ill} ill-conditioned elements; status failures ${wasmFailures}), ` +
  `@uqee ${wrong(uqVol, 1e-6)}/${N} (${wrong(uqVol, 1e-6, true)} outside; > 1e-3: ${wrong(uqVol, 1e-3)}; returned 0: ${uqVol.filter((v) => v === 0).length})`);

// ---------------------------------------------------------------------------------------------
// calculate() on the futures books.

const calc = {};
for (const n of [10, 1000]) {
  const json = futuresBook(n);
  const request = JSON.parse(json);
  const check = imr.calculate(request);
  if (!check.ok) throw new Error(`calculate(${n}): ${JSON.stringify(check.errors)}`);
  if (!imr.calculateJson(json).startsWith('{"ok":true')) throw new Error(`calculateJson(${n}) failed`);
  calc[n] = {
    object: report('calculate', `calculate(object), ${n} positions`, measure(() => imr.calculate(request)), 1, 'µs'),
    json: report('calculate', `calculateJson(text), ${n} positions`, measure(() => imr.calculateJson(json)), 1, 'µs'),
  };
}

// The mixed portfolio book (benches/mixed-book.json, as the criterion benchmark).
{
  const json = readFileSync(join(ROOT, 'benches', 'mixed-book.json'), 'utf8');
  const request = JSON.parse(json);
  const check = imr.calculate(request);
  if (!check.ok) throw new Error(`calculate(mixed): ${JSON.stringify(check.errors)}`);
  const bl = check.result.account.bookLiquidation;
  if (bl.below === null || bl.above === null) throw new Error('the mixed book should have liquidation prices below and above');
  calc.mixed = {
    object: report('calculate', 'calculate(object), mixed portfolio book (10)', measure(() => imr.calculate(request)), 1, 'µs'),
    json: report('calculate', 'calculateJson(text), mixed portfolio book (10)', measure(() => imr.calculateJson(json)), 1, 'µs'),
  };
}

// The page's own module (www/pkg/page/, built for size: opt-level "z", wasm-opt -Oz), where the
// full API module above is built for speed: the same calculateJson calls, for comparison.
const pagePkg = join(PKG, 'page');
const pageCalc = {};
try {
  const page = await import(pathToFileURL(join(pagePkg, 'imr.js')).href);
  page.initSync({ module: readFileSync(join(pagePkg, 'imr_bg.wasm')) });
  const books = [
    ['10', futuresBook(10), '10 positions'],
    ['1000', futuresBook(1000), '1000 positions'],
    ['mixed', readFileSync(join(ROOT, 'benches', 'mixed-book.json'), 'utf8'), 'mixed portfolio book (10)'],
  ];
  for (const [key, json, label] of books) {
    if (page.calculateJson(json) !== imr.calculateJson(json)) throw new Error(`page module: calculateJson(${key}) differs from the full module's`);
    pageCalc[key] = report('calculate', `page module calculateJson, ${label}`, measure(() => page.calculateJson(json)), 1, 'µs');
  }
} catch (e) {
  if (e.code !== 'ERR_MODULE_NOT_FOUND' && e.code !== 'ENOENT') throw e;
  console.log(`page module: none at ${pagePkg}`);
}

// ---------------------------------------------------------------------------------------------
// Download size.

const gz = (buf) => gzipSync(buf, { level: zlib.Z_BEST_COMPRESSION }).length;
const wasmGz = gz(wasmBytes), glueGz = gz(glueText);

console.log(`\nratios (× = how many times faster wasm is):`);
console.log(`  price+delta: plain JS / wasm = ${(pdJs / pdWasm).toFixed(2)}×, @uqee / wasm = ${(pdUq / pdWasm).toFixed(2)}× (wasm without the copies: ${fmt(pdWasm - pdGlue)} ns/option)`);
console.log(`  price+delta in place (OptionChain): plain JS / wasm = ${(pdJs / pdInPlace).toFixed(2)}×, @uqee / wasm = ${(pdUq / pdInPlace).toFixed(2)}×`);
console.log(`  price+delta near the money: plain JS / wasm = ${(atmJs / atmW).toFixed(2)}× (in place ${(atmJs / atmInPlace).toFixed(2)}×), @uqee / wasm = ${(atmUq / atmW).toFixed(2)}×`);
console.log(`  implied vol: @uqee / wasm = ${(ivUq / ivWasm).toFixed(2)}× (in place ${(ivUq / ivInPlace).toFixed(2)}×)`);
console.log(`\nsize: imr_bg.wasm ${wasmBytes.length} B raw, ${wasmGz} B gzip-9; imr.js ${glueText.length} B raw, ${glueGz} B gzip-9; ` +
  `total ${wasmGz + glueGz} B = ${((wasmGz + glueGz) / 1024).toFixed(1)} KiB gzipped`);
// The page loads its own module (www/pkg/page/: no option-pricing exports), built next to it.
let pageGz = null;
try {
  const pageWasm = readFileSync(join(pagePkg, 'imr_bg.wasm'));
  const pageGlue = readFileSync(join(pagePkg, 'imr.js'));
  pageGz = gz(pageWasm) + gz(pageGlue);
  console.log(`page module (${pagePkg}): imr_bg.wasm ${pageWasm.length} B raw; wasm + glue ${pageGz} B = ${(pageGz / 1024).toFixed(1)} KiB gzipped (target 120 KB)`);
} catch {
  console.log(`page module: none at ${pagePkg}`);
}

if (process.env.IMR_BENCH_JSON) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env.IMR_BENCH_JSON, JSON.stringify({ n: N, runs: RUNS, load: loadavg(), rows, calc, pageCalc, size: { wasmGz, glueGz, pageGz } }, null, 2));
}
