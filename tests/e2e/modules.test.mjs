// The build's two modules (xtask WASM_MODULES): www/pkg/ is the full JavaScript API, www/pkg/page/
// the module the page loads, built without the `pricing-exports` feature. The page's module must
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
