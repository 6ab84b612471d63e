// The TypeScript types shipped in www/pkg/imr.d.ts describe what the module really returns:
// every declared required key is present and every returned key is declared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WWW, engine } from './harness.mjs';

const dts = await readFile(join(WWW, 'pkg', 'imr.d.ts'), 'utf8');

/** Keys of `export interface NAME { ... }` (top level only): [{ key, optional }]. */
function keysOf(name) {
  const start = dts.indexOf(`export interface ${name} `);
  assert.ok(start >= 0, `interface ${name} is declared`);
  let depth = 0;
  let i = dts.indexOf('{', start);
  const open = i;
  for (; i < dts.length; i += 1) {
    if (dts[i] === '{') depth += 1;
    if (dts[i] === '}') { depth -= 1; if (depth === 0) break; }
  }
  let body = dts.slice(open + 1, i);
  // Drop nested object types so only this level's keys remain.
  let prev;
  do { prev = body; body = body.replace(/\{[^{}]*\}/g, 'Obj'); } while (body !== prev);
  body = body.replace(/\/\*\*[\s\S]*?\*\//g, '');
  return [...body.matchAll(/(?:^|[;\n{])\s*(\w+)(\??):/g)].map((m) => ({ key: m[1], optional: m[2] === '?' }));
}

function assertMatches(name, value) {
  const declared = keysOf(name);
  const names = new Set(declared.map((d) => d.key));
  for (const d of declared) {
    if (!d.optional) assert.ok(d.key in value, `${name}.${d.key} is returned`);
  }
  for (const key of Object.keys(value)) assert.ok(names.has(key), `${name}.${key} is declared`);
}

test('the exports carry their request and outcome types', () => {
  assert.match(dts, /export function calculate\(request: CalculateRequest\): Outcome<CalculateResult>;/);
  assert.match(dts, /export function priceOption\(request: QuoteRequest\): Outcome<Quote>;/);
  assert.match(dts, /export function listPresets\(\): Preset\[\];/);
  assert.match(dts, /export function priceDeltaBatch\([^)]*Float64Array[^)]*\): BatchOutcome;/);
});

test('the declared result types match what calculate and priceOption return', async () => {
  const imr = await engine();
  const out = imr.calculate({
    account: { walletBalance: '1000', marginMode: 'isolated' },
    markets: [{ symbol: 'BTCUSDT', preset: 'binance-btcusdt-perp-2024-10', markPrice: '60000' }],
    positions: [{ symbol: 'BTCUSDT', side: 'long', size: '0.1', entryPrice: '59000', leverage: '20' }],
  });
  assert.equal(out.ok, true);
  assertMatches('CalculateResult', out.result);
  assertMatches('AccountResult', out.result.account);
  assertMatches('PositionResult', out.result.positions[0]);
  assertMatches('Liquidation', out.result.positions[0].liquidation);
  const quote = imr.priceOption({ optionType: 'call', underlying: 60000, strike: 60000, timeYears: 0.1, volatility: 0.5 });
  assertMatches('Quote', quote.result);
  const bad = imr.calculate({ account: {} });
  assert.equal(bad.ok, false);
  assertMatches('FieldError', bad.errors[0]);
  for (const preset of imr.listPresets()) assertMatches('Preset', preset);
});

test('the declared order types match what-if results, standard and portfolio', async () => {
  const imr = await engine();
  const standard = imr.calculate({
    account: { walletBalance: '1000' },
    markets: [{ symbol: 'BTCUSDT', preset: 'binance-btcusdt-perp-2024-10', markPrice: '60000' }],
    positions: [{ symbol: 'BTCUSDT', side: 'long', size: '0.1', entryPrice: '59000', leverage: '20' }],
    orders: [{ symbol: 'BTCUSDT', side: 'buy', size: '0.05' }],
  });
  assert.equal(standard.ok, true);
  assertMatches('OrdersResult', standard.result.orders);
  assertMatches('OrderResult', standard.result.orders.orders[0]);
  assertMatches('FillResult', standard.result.orders.orders[0].ifFilled);
  const option = (symbol, optionType, strike) => ({
    symbol, kind: 'option', optionType, strike, expiry: '2025-06-27T08:00:00Z', underlyingPrice: '60000',
    impliedVolatility: '0.6', margin: { type: 'standardOption', initialRate: '0.15', initialFloorRate: '0.1', maintenanceRate: '0.075' },
  });
  const portfolio = imr.calculate({
    account: { walletBalance: '20000', marginMode: 'portfolio', portfolioMargin: { grid: 'paradex' } },
    valuationTime: '2025-06-01T08:00:00Z',
    markets: [option('C65', 'call', '65000'), option('P50', 'put', '50000')],
    positions: [{ symbol: 'C65', side: 'short', size: '1', entryPrice: '1500' }],
    orders: [{ symbol: 'P50', side: 'buy', size: '1', price: '400' }],
  });
  assert.equal(portfolio.ok, true);
  assertMatches('OrdersResult', portfolio.result.orders);
  assertMatches('OrderResult', portfolio.result.orders.orders[0]);
  const fill = portfolio.result.orders.orders[0].ifFilled;
  assertMatches('FillResult', fill);
  for (const key of ['maintenanceMargin', 'equity', 'marginRatio', 'dominantScenario']) assert.ok(key in fill, `portfolio fill has ${key}`);
});

test('the declared book-liquidation type matches a book of two risk units', async () => {
  const imr = await engine();
  const out = imr.calculate({
    account: { walletBalance: '20000', bookLiquidation: true },
    volatility: '0.6',
    markets: [
      { symbol: 'BTC-PERP', underlying: 'BTC', markPrice: '60000', margin: { type: 'fixed', maintenanceMarginRate: '0.005' } },
      { symbol: 'ETH-PERP', underlying: 'ETH', markPrice: '3000', margin: { type: 'fixed', maintenanceMarginRate: '0.005' } },
    ],
    positions: [
      { symbol: 'BTC-PERP', side: 'long', size: '1', entryPrice: '60000', leverage: '10' },
      { symbol: 'ETH-PERP', side: 'short', size: '10', entryPrice: '3000', leverage: '10' },
    ],
  });
  assert.equal(out.ok, true);
  const book = out.result.account.bookLiquidation;
  assertMatches('BookLiquidation', book);
  assert.equal(book.byRiskUnit.length, 2);
  for (const unit of book.byRiskUnit) assertMatches('BookLiquidation', unit);
  assert.deepEqual(book.byRiskUnit.map((u) => u.underlying), ['BTC', 'ETH']);
});

test('the declared types of σ distances on positions, collateral and VaR match what calculate returns', async () => {
  const imr = await engine();
  const prices = Array.from({ length: 60 }, (_, k) => String(60000 + 900 * Math.sin(k * 1.7) + 40 * k)).join('\n');
  const out = imr.calculate({
    account: { walletBalance: '1000', marginMode: 'isolated', collateral: [{ asset: 'ETH', amount: '2', price: '3000', haircut: '0.1' }] },
    markets: [{ symbol: 'BTCUSDT', preset: 'binance-btcusdt-perp-2024-10', markPrice: '60000' }],
    positions: [{ symbol: 'BTCUSDT', side: 'long', size: '0.1', entryPrice: '59000', leverage: '20' }],
    volatility: '0.6', horizonDays: '2',
    var: { series: prices, confidence: '0.95' },
  });
  assert.equal(out.ok, true, JSON.stringify(out.errors));
  const liq = out.result.positions[0].liquidation;
  assert.equal(typeof liq.distanceSigmas, 'number');
  assert.equal(typeof liq.touchProbability, 'number');
  assertMatches('Liquidation', liq);
  assertMatches('AccountResult', out.result.account);
  assertMatches('CollateralResult', out.result.account.collateral);
  assertMatches('VarResult', out.result.var);
  assertMatches('CalculateResult', out.result);
});
