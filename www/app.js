// imr page: builds a request from the form, calls the wasm engine on every edit, renders what
// `calculate` returns (figures, breakdown, field errors). It knows nothing of formulas.
import init, { calculate, version } from './pkg/imr.js';

const STATE_VERSION = '1';
const FIELDS = ['walletBalance', 'marginMode', 'side', 'size', 'entryPrice', 'markPrice', 'leverage', 'maintenanceMarginRate'];
// Request field path → form control id.
const FIELD_FOR_PATH = {
  'account.walletBalance': 'walletBalance',
  'account.marginMode': 'marginMode',
  'positions[0].side': 'side',
  'positions[0].size': 'size',
  'positions[0].entryPrice': 'entryPrice',
  'positions[0].leverage': 'leverage',
  'markets[0].markPrice': 'markPrice',
  'markets[0].margin.maintenanceMarginRate': 'maintenanceMarginRate',
};

const $ = (id) => document.getElementById(id);
const form = $('calc');
const statusEl = $('status');

function readForm() {
  const v = {};
  for (const name of FIELDS) v[name] = form.elements[name].value;
  return v;
}

export function buildRequest(v) {
  return {
    account: { walletBalance: v.walletBalance, marginMode: v.marginMode },
    markets: [{
      symbol: 'BTCUSDT',
      settlement: 'linear',
      markPrice: v.markPrice,
      margin: { type: 'fixed', maintenanceMarginRate: v.maintenanceMarginRate },
    }],
    positions: [{ symbol: 'BTCUSDT', side: v.side, size: v.size, entryPrice: v.entryPrice, leverage: v.leverage }],
  };
}

function setText(id, text) {
  $(id).textContent = text;
}

function fmt(value, suffix = '') {
  if (value === null || value === undefined) return '–';
  return `${value}${suffix}`;
}

function clearErrors() {
  for (const name of FIELDS) {
    const input = form.elements[name];
    input.removeAttribute('aria-invalid');
    const box = $(`${name}-error`);
    if (box) box.textContent = '';
  }
  $('form-error').textContent = '';
}

function showErrors(errors) {
  for (const e of errors) {
    const id = FIELD_FOR_PATH[e.field];
    const box = id && $(`${id}-error`);
    if (box) {
      form.elements[id].setAttribute('aria-invalid', 'true');
      box.textContent = e.message;
    } else {
      $('form-error').textContent = `${e.field}: ${e.message}`;
    }
  }
}

function render(result) {
  const a = result.account;
  const p = result.positions[0];
  setText('out-initialMargin', fmt(a.initialMargin, ' USDT'));
  setText('out-initialMarginRatio', a.initialMarginRatio === null ? '–' : `${(Number(a.initialMarginRatio) * 100).toFixed(4).replace(/\.?0+$/, '')} %`);
  setText('out-maintenanceMargin', fmt(a.maintenanceMargin, ' USDT'));
  setText('out-unrealizedPnl', fmt(a.unrealizedPnl, ' USDT'));
  setText('out-equity', fmt(a.equity, ' USDT'));
  setText('out-effectiveLeverage', fmt(a.effectiveLeverage, '×'));
  setText('out-marginRatio', a.marginRatio === null ? '–' : `${(Number(a.marginRatio) * 100).toFixed(2)} %`);
  const liq = p.liquidation;
  setText('out-liquidationPrice', liq.price === null ? `none — ${liq.reason}` : liq.price);
  setText('out-distance', liq.distancePercent === null ? '–' : `${liq.distancePercent} %${liq.alreadyLiquidatable ? ' (already past it)' : ''}`);
  setText('out-bankruptcyPrice', fmt(p.bankruptcyPrice));
  const body = $('breakdown').tBodies[0];
  body.replaceChildren(...p.breakdown.map((step) => {
    const tr = document.createElement('tr');
    for (const text of [step.label, step.formula, step.value]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  $('notes').replaceChildren(...[...a.notes, ...result.warnings.map((w) => `${w.field}: ${w.message}`)].map((n) => {
    const li = document.createElement('li');
    li.textContent = n;
    return li;
  }));
}

function saveState(v) {
  const params = new URLSearchParams({ v: STATE_VERSION, ...v });
  const embed = new URLSearchParams(location.search).get('embed');
  const url = `${location.pathname}${location.search}#${params}`;
  history.replaceState(null, '', url);
  $('share-link').href = `#${params}`;
  return embed;
}

function loadState() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get('v') !== STATE_VERSION) return;
  for (const name of FIELDS) {
    const value = params.get(name);
    if (value === null) continue;
    const el = form.elements[name];
    if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === value)) continue;
    el.value = value.slice(0, 64);
  }
}

function recompute() {
  const v = readForm();
  saveState(v);
  const outcome = calculate(buildRequest(v));
  clearErrors();
  if (outcome.ok) {
    render(outcome.result);
    statusEl.textContent = 'Up to date.';
    statusEl.classList.remove('stale');
  } else {
    showErrors(outcome.errors);
    statusEl.textContent = 'Fix the highlighted field; the figures below are from the last valid input.';
    statusEl.classList.add('stale');
  }
  document.body.dataset.ready = 'true';
}

async function main() {
  const search = new URLSearchParams(location.search);
  if (search.get('embed') === '1') document.body.classList.add('embed');
  const theme = search.get('theme');
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
  loadState();
  try {
    await init({ module_or_path: new URL('./pkg/imr_bg.wasm', import.meta.url) });
  } catch (e) {
    statusEl.textContent = `The engine could not be loaded: ${e}`;
    return;
  }
  setText('version', `v${version()}`);
  form.addEventListener('input', recompute);
  form.addEventListener('change', recompute);
  form.addEventListener('submit', (e) => e.preventDefault());
  recompute();
}

main();
