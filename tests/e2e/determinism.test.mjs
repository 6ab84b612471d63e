// Determinism: the same requests give byte-identical responses from the native engine (the `imr`
// command line, built by `cargo test`) and from the wasm module — futures and options, linear and
// inverse, tiers, presets, isolated and cross, valid and invalid. The wasm export answers in
// ASCII, so its text is the native one with each non-ASCII character escaped as \uXXXX.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, engine, asciiEscaped } from './harness.mjs';

const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
const CLI = [join(TARGET, 'debug', 'imr'), join(TARGET, 'release', 'imr')].find(existsSync);

function lcg(seed) {
  let s = BigInt(seed);
  return () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
}

const PRESETS = ['binance-btcusdt-perp-2024-10', 'deribit-btc-usdc-perp', 'hyperliquid-btc-perp'];

function randomRequest(rand, i) {
  const inverse = rand() < 0.25;
  const cross = rand() < 0.6;
  const n = 1 + Math.floor(rand() * 4);
  const markets = [];
  const positions = [];
  for (let k = 0; k < n; k += 1) {
    const mark = (100 + rand() * 90000).toFixed(2);
    const entry = (Number(mark) * (0.85 + rand() * 0.3)).toFixed(2);
    const market = { symbol: `M${k}`, markPrice: mark };
    if (inverse) {
      Object.assign(market, { settlement: 'inverse', contractSize: '100', margin: { type: 'fixed', maintenanceMarginRate: '0.005' } });
    } else if (rand() < 0.4) {
      market.preset = PRESETS[Math.floor(rand() * PRESETS.length)];
    } else if (rand() < 0.5) {
      market.margin = { type: 'tiered', tiers: [
        { notionalFloor: '0', notionalCap: '50000', maintenanceMarginRate: '0.004', maxLeverage: '125' },
        { notionalFloor: '50000', notionalCap: '600000', maintenanceMarginRate: '0.005', maxLeverage: '100' },
        { notionalFloor: '600000', maintenanceMarginRate: '0.01', maxLeverage: '50' }] };
    } else {
      market.margin = { type: 'fixed', maintenanceMarginRate: (0.002 + rand() * 0.02).toFixed(4), maintenanceAmount: '0' };
      if (rand() < 0.3) market.marginBasis = 'entry';
    }
    markets.push(market);
    positions.push({
      symbol: `M${k}`, side: rand() < 0.5 ? 'long' : 'short',
      size: inverse ? String(1 + Math.floor(rand() * 500)) : (rand() * 20).toFixed(3),
      entryPrice: entry, leverage: String(1 + Math.floor(rand() * 40)),
    });
  }
  // Every tenth request is broken on purpose: the errors must agree too.
  if (i % 10 === 9) positions[0].leverage = rand() < 0.5 ? '0' : 'NaN';
  return { account: { walletBalance: (1000 + rand() * 100000).toFixed(2), marginMode: cross ? 'cross' : 'isolated', includeFees: rand() < 0.3 }, markets, positions };
}

function optionRequest(rand) {
  const spot = 40000 + rand() * 40000;
  const strike = Math.round(spot * (0.7 + rand() * 0.6) / 1000) * 1000;
  return {
    account: { walletBalance: '2' },
    valuationTime: '2025-06-01T08:00:00Z',
    markets: [
      { preset: 'deribit-btc-option', symbol: 'OPT', optionType: rand() < 0.5 ? 'call' : 'put', strike: String(strike),
        expiry: '2025-06-27T08:00:00Z', underlyingPrice: spot.toFixed(2), impliedVolatility: (0.3 + rand()).toFixed(3) },
    ],
    positions: [{ symbol: 'OPT', side: rand() < 0.7 ? 'short' : 'long', size: (0.1 + rand() * 5).toFixed(1), entryPrice: '0.02' }],
  };
}

/** Whole-book risk: portfolio margin, σ distances and touch probabilities, stress tests. */
function riskRequest(rand) {
  const r = optionRequest(rand);
  r.account.marginMode = 'portfolio';
  r.account.portfolioMargin = { grid: ['span16', 'paradex', 'okx'][Math.floor(rand() * 3)], priceScanRange: '0.15', volScanRange: '0.1' };
  r.volatility = (0.4 + rand() * 0.6).toFixed(2);
  r.horizonDays = String(1 + Math.floor(rand() * 7));
  r.stress = [{ name: 'down', priceMovePercent: '-15' }, { name: 'up vol', priceMovePercent: '5', volMove: '0.1', daysForward: '1' }];
  return r;
}

test('native and wasm give identical responses', async () => {
  assert.ok(CLI, 'the native imr binary is built (cargo test builds it)');
  const imr = await engine();
  const rand = lcg(20261124);
  const requests = [];
  for (let i = 0; i < 120; i += 1) requests.push(randomRequest(rand, i));
  for (let i = 0; i < 30; i += 1) requests.push(optionRequest(rand));
  for (let i = 0; i < 20; i += 1) requests.push(riskRequest(rand));
  // Native: one process per request (the CLI reads one request from stdin).
  let compared = 0;
  let errors = 0;
  let portfolio = 0;
  let escaped = 0;
  for (const request of requests) {
    const text = JSON.stringify(request);
    const native = spawnSync(CLI, [], { input: text, encoding: 'utf8' });
    assert.ok(native.status === 0 || native.status === 2, native.stderr);
    // calculateJson answers in ASCII: the native text with its non-ASCII characters escaped.
    const wasm = imr.calculateJson(text);
    const nativeText = native.stdout.trimEnd();
    const expected = asciiEscaped(nativeText);
    assert.equal(wasm, expected, `request ${compared}: ${text.slice(0, 200)}`);
    assert.ok(/^[\x00-\x7f]*$/.test(wasm), `request ${compared}: calculateJson is ASCII`);
    if (expected !== nativeText) escaped += 1;
    if (wasm.startsWith('{"ok":false')) errors += 1;
    if (wasm.includes('"portfolioMargin":{')) portfolio += 1;
    compared += 1;
  }
  assert.equal(compared, 170);
  assert.ok(escaped > 0, `responses with non-ASCII text compared (${escaped})`);
  assert.ok(portfolio >= 15, `portfolio-margin results compared (${portfolio})`);
  assert.ok(errors >= 12 && errors < 170, `both valid and invalid requests compared (${errors} invalid)`);
});
