// The build's two modules (xtask WASM_MODULES): www/pkg/ is the full JavaScript API, built for
// speed (opt-level 3, wasm-opt -O3), www/pkg/page/ the module the page loads, built for size
// (opt-level "z", wasm-opt -Oz) without the `pricing-exports` feature. The page's module must
// answer every request exactly as the full one does (the recorded golden responses of
// tests/vectors/determinism, which the native engine and the full module also match), and leave
// out only the option-pricing exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, WWW, asciiEscaped } from './harness.mjs';

/** Instantiates the module in `dir` (under www/) in this Node process. */
async function load(dir) {
  // A query string makes each import a module instance of its own.
  const glue = await import(`${join(WWW, dir, 'imr.js')}?test=${dir.replaceAll('/', '-')}`);
  glue.initSync({ module: await readFile(join(WWW, dir, 'imr_bg.wasm')) });
  return glue;
}

const full = await load('pkg');
const page = await load('pkg/page');
const VECTORS = join(ROOT, 'tests', 'vectors', 'determinism');

const PRICING_EXPORTS = ['priceOption', 'impliedVol', 'priceDeltaBatch', 'impliedVolBatch'];
const ENGINE_EXPORTS = ['calculate', 'calculateJson', 'listPresets', 'version', '__testTrap'];

test('the page module has the engine exports and none of the option-pricing ones', () => {
  for (const name of ENGINE_EXPORTS) {
    assert.equal(typeof page[name], 'function', `page module exports ${name}`);
    assert.equal(typeof full[name], 'function', `full module exports ${name}`);
  }
  for (const name of PRICING_EXPORTS) {
    assert.equal(page[name], undefined, `page module leaves out ${name}`);
    assert.equal(typeof full[name], 'function', `full module exports ${name}`);
  }
  const quote = full.priceOption({ optionType: 'call', underlying: 100, strike: 100, timeYears: 1, volatility: 0.2 });
  assert.equal(quote.ok, true);
  // Black–Scholes at-the-money call, r = 0, σ = 0.2, T = 1: 100·(2Φ(0.1) − 1) = 7.965567455405804.
  assert.ok(Math.abs(quote.result.price - 7.965567455405804) < 1e-12, `price ${quote.result.price}`);
});

test('both modules give the recorded response to every golden request, byte for byte', async () => {
  const requests = JSON.parse(await readFile(join(VECTORS, 'requests.json'), 'utf8'));
  const recorded = JSON.parse(await readFile(join(VECTORS, 'responses.json'), 'utf8'));
  assert.equal(requests.length, recorded.length);
  assert.ok(requests.length >= 20, `${requests.length} requests`);
  let ok = 0;
  for (const [i, request] of requests.entries()) {
    const text = JSON.stringify(request);
    // calculateJson answers in ASCII: the recording with its non-ASCII characters escaped.
    const expected = asciiEscaped(recorded[i]);
    assert.equal(page.calculateJson(text), expected, `page module, request ${i}`);
    assert.equal(full.calculateJson(text), expected, `full module, request ${i}`);
    // The page calls calculate(object): the same answer, as an object.
    assert.deepEqual(page.calculate(request), JSON.parse(recorded[i]), `page module calculate(object), request ${i}`);
    if (recorded[i].startsWith('{"ok":true')) ok += 1;
  }
  assert.ok(ok > 0 && ok < requests.length, 'the golden set has answers and refusals');
  assert.deepEqual(page.listPresets(), full.listPresets());
  assert.equal(page.version(), full.version());
});

// The full module is built for speed (opt-level 3, wasm-opt -O3), the recording natively: its
// batch kernel must still give the recorded bits. The recording (tests/support/wide_chain.rs
// `golden_text`) lists, for Black-76 then Black–Scholes, the prices and deltas of
// `ordinary_chain(64, 11)` and then of `wide_chain(64, 12)`; the ordinary chain is rebuilt here
// from the same generator (the wide one needs the crate's own ln/exp, and is checked by
// tests/wasm_api.rs in Node and Chromium).
test('the full module prices the recorded chain to the recorded bits, for both models', async () => {
  const recorded = JSON.parse(await readFile(join(VECTORS, 'price_delta_batch.json'), 'utf8'));
  const n = 64;
  assert.equal(recorded.length, 2 * 2 * 2 * n);
  let state = 11n;
  const next = () => {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(state >> 11n) / 2 ** 53;
  };
  const isCall = new Uint8Array(n).map((_, i) => i % 2);
  const underlying = new Float64Array(n).fill(60_000);
  const rate = new Float64Array(n).fill(0.03);
  const strike = new Float64Array(n), time = new Float64Array(n), vol = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    strike[i] = 60_000 * (0.7 + 0.6 * next());
    time[i] = 1 / 365 + next();
    vol[i] = 0.3 + 0.8 * next();
  }
  const hex = (x) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    return view.getBigUint64(0).toString(16).padStart(16, '0');
  };
  for (const [m, model] of ['black76', 'blackScholes'].entries()) {
    const price = new Float64Array(n), delta = new Float64Array(n);
    const outcome = full.priceDeltaBatch(model, isCall, underlying, strike, time, rate, vol, price, delta);
    assert.deepEqual(outcome, { ok: true, failures: 0 }, model);
    const expected = recorded.slice(m * 4 * n, m * 4 * n + 2 * n);
    assert.deepEqual([...price, ...delta].map(hex), expected, `${model}: prices and deltas`);
  }
});
