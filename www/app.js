// imr page: keeps a book (account + positions), builds the engine request from it, calls the
// wasm engine on every edit and renders what `calculate` returns (figures, breakdown, field
// errors, warnings, notes, a chart). It knows nothing of formulas. User text is only ever
// written with textContent / value, never as markup.
import { load, calculate, listPresets, version, onTrap, testTrap } from './engine.js';
import * as fmt from './format.js';
import { drawChart } from './chart.js';
import {
  defaultState, defaultPosition, toRequest, toHash, fromHash, fromRequest, uniqueSymbol, MAX_POSITIONS, MAX_TEXT,
} from './state.js';

const $ = (id) => document.getElementById(id);
const form = $('calc');
const statusEl = $('status');
const resultsEl = $('results');

let state = defaultState();
let presets = [];
let lastGood = null; // the last successful result (kept, marked stale, while input is invalid)
let chartFrame = 0;
let chartKey = '';

/** Builds an element: attributes (incl. dataset via data-*), children as nodes or text. */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'text') node.textContent = v;
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

/** A figure: formatted text, with the engine's exact value as the machine-readable value. */
function figure(exact, text) {
  if (exact === null || exact === undefined) return document.createTextNode(text ?? '–');
  return h('data', { value: exact, text });
}

// ---------------------------------------------------------------------------------------------
// The book form

const settlementUnit = (s) => (s.positions.every((p) => effectiveSettlement(p) === 'inverse') ? 'coin' : 'USDT');

function presetByName(name) {
  const n = String(name).trim().toLowerCase();
  return presets.find((p) => p.name.toLowerCase() === n) ?? null;
}

function effectiveSettlement(p) {
  if (p.rule === 'preset') return presetByName(p.preset)?.market?.settlement ?? 'linear';
  return p.settlement;
}

function field(i, key, labelText, control, hint) {
  const id = `p${i}-${key}`;
  control.id = id;
  control.dataset.i = String(i);
  control.dataset.k = key;
  const described = [hint ? `${id}-hint` : null, `${id}-warn`, `${id}-error`].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  return h('div', { class: 'field', 'data-field': key },
    h('label', { for: id, text: labelText }),
    control,
    hint ? h('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null,
    h('p', { class: 'warn', id: `${id}-warn` }),
    h('p', { class: 'error', id: `${id}-error` }));
}

function textInput(value, inputmode = 'decimal') {
  const input = h('input', { inputmode, maxlength: MAX_TEXT, spellcheck: 'false' });
  input.value = value;
  return input;
}

function select(options, value) {
  const s = h('select', {}, options.map(([v, t]) => h('option', { value: v, text: t })));
  s.value = value;
  return s;
}

function positionFieldset(p, i, count) {
  const isPreset = p.rule === 'preset';
  const inverse = effectiveSettlement(p) === 'inverse';
  const legendName = h('span', { class: 'legend-symbol', id: `p${i}-legend-symbol`, text: p.symbol ? ` — ${p.symbol}` : '' });
  const ruleOptions = [['fixed', 'Fixed maintenance rate'], ...presets.map((x) => [`preset:${x.name}`, `Preset: ${x.name}`])];
  const ruleValue = isPreset ? `preset:${p.preset}` : 'fixed';
  if (isPreset && !presetByName(p.preset)) ruleOptions.push([ruleValue, `Preset: ${p.preset} (unknown)`]);
  const ruleSelect = select(ruleOptions, ruleValue);
  const fields = [
    field(i, 'symbol', 'Symbol', textInput(p.symbol, 'text')),
    field(i, 'side', 'Side', select([['long', 'Long'], ['short', 'Short']], p.side)),
    field(i, 'size', 'Size (contracts)', textInput(p.size)),
    field(i, 'entryPrice', 'Entry price', textInput(p.entryPrice)),
    field(i, 'markPrice', 'Mark price', textInput(p.markPrice)),
    field(i, 'leverage', 'Leverage (×)', textInput(p.leverage)),
    field(i, 'rule', 'Margin rule', ruleSelect),
  ];
  if (isPreset) {
    const preset = presetByName(p.preset);
    fields.push(h('div', { class: 'preset-info field wide', id: `p${i}-preset-info` },
      preset
        ? [h('p', { text: `${preset.venue} · ${preset.symbol}` }),
          h('p', {}, 'As of ', h('time', { datetime: preset.asOf, text: preset.asOf }), ` · Source: ${preset.source}`),
          preset.notes ? h('p', { class: 'hint', text: preset.notes }) : null]
        : h('p', { text: 'This preset is not bundled with this version of the engine.' }),
    ));
  } else {
    fields.push(
      field(i, 'mmr', 'Maintenance margin rate', textInput(p.mmr), 'A fraction: 0.005 is 0.5 %.'),
      field(i, 'marginBasis', 'Margin on', select([['mark', 'Mark price'], ['entry', 'Entry price']], p.marginBasis)),
      field(i, 'kind', 'Contract', select([['perpetual', 'Perpetual'], ['future', 'Future']], p.kind)),
      field(i, 'settlement', 'Settlement', select([['linear', 'Linear (USDT)'], ['inverse', 'Inverse (coin)']], p.settlement)),
      field(i, 'contractSize', inverse ? 'Contract face value (USD)' : 'Contract size (base units)', textInput(p.contractSize)),
    );
  }
  const n = i + 1;
  return h('fieldset', { class: 'position', id: `p${i}` },
    h('legend', {}, `Position ${n}`, legendName),
    h('div', { class: 'fields' }, fields),
    h('p', { class: 'warn', id: `p${i}-warn` }),
    h('p', { class: 'error', id: `p${i}-error` }),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', 'data-action': 'duplicate', 'data-i': i, 'aria-label': `Duplicate position ${n}`, disabled: count >= MAX_POSITIONS, text: 'Duplicate' }),
      h('button', { type: 'button', 'data-action': 'remove', 'data-i': i, 'aria-label': `Remove position ${n}`, disabled: count <= 1, text: 'Remove' })));
}

function renderBook(focusId) {
  const active = focusId ?? document.activeElement?.id;
  form.elements.walletBalance.value = state.walletBalance;
  form.elements.marginMode.value = state.marginMode;
  form.elements.includeFees.checked = state.includeFees;
  form.elements.takerFeeRate.value = state.takerFeeRate;
  form.elements.takerFeeRate.disabled = !state.includeFees;
  $('walletBalance-unit').textContent = `(${settlementUnit(state)})`;
  $('positions').replaceChildren(...state.positions.map((p, i) => positionFieldset(p, i, state.positions.length)));
  $('add-position').disabled = state.positions.length >= MAX_POSITIONS;
  if (active && $(active)) $(active).focus();
}

const STRUCTURAL = new Set(['rule', 'settlement']);

function onEdit(event) {
  const t = event.target;
  if (t.id === 'import-json' || t.id === 'share-url' || t.id === 'theme') return;
  if (t.dataset.k !== undefined) {
    const p = state.positions[Number(t.dataset.i)];
    if (!p) return;
    const key = t.dataset.k;
    if (key === 'rule') {
      if (t.value.startsWith('preset:')) {
        p.rule = 'preset';
        p.preset = t.value.slice('preset:'.length);
        const preset = presetByName(p.preset);
        if (preset && !state.positions.some((o) => o !== p && o.symbol === preset.symbol)) p.symbol = preset.symbol;
      } else {
        p.rule = 'fixed';
      }
    } else {
      p[key] = t.value;
    }
    if (key === 'symbol') $(`p${t.dataset.i}-legend-symbol`).textContent = t.value ? ` — ${t.value}` : '';
    if (STRUCTURAL.has(key) && event.type === 'change') renderBook(t.id);
    else if (STRUCTURAL.has(key)) return; // a select fires input then change; re-render once
  } else if (t.name === 'includeFees') {
    state.includeFees = t.checked;
    form.elements.takerFeeRate.disabled = !state.includeFees;
  } else if (t.name in state) {
    state[t.name] = t.value;
  } else {
    return;
  }
  recompute();
}

function onAction(event) {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const i = Number(button.dataset.i);
  if (button.dataset.action === 'duplicate' && state.positions.length < MAX_POSITIONS) {
    const copy = { ...state.positions[i] };
    copy.symbol = uniqueSymbol(state, copy.symbol || 'MARKET');
    state.positions.splice(i + 1, 0, copy);
    renderBook(`p${i + 1}-symbol`);
    announce(`Position ${i + 2} added as a copy of position ${i + 1}; its symbol is ${copy.symbol}.`);
  } else if (button.dataset.action === 'remove' && state.positions.length > 1) {
    state.positions.splice(i, 1);
    const next = Math.min(i, state.positions.length - 1);
    renderBook(`p${next}-symbol`);
    announce(`Position ${i + 1} removed.`);
  }
  recompute();
}

function addPosition() {
  if (state.positions.length >= MAX_POSITIONS) return;
  const first = state.positions[0];
  const p = defaultPosition({
    symbol: uniqueSymbol(state, 'ETHUSDT'), size: '1', entryPrice: '3000', markPrice: '3000', leverage: '10', mmr: '0.005',
    settlement: first ? effectiveSettlement(first) : 'linear',
    contractSize: first && effectiveSettlement(first) === 'inverse' ? '10' : '1',
  });
  state.positions.push(p);
  renderBook(`p${state.positions.length - 1}-symbol`);
  recompute();
}

// ---------------------------------------------------------------------------------------------
// Errors and warnings next to their controls

const ACCOUNT_CONTROLS = { walletBalance: 'walletBalance', marginMode: 'marginMode', takerFeeRate: 'takerFeeRate', includeFees: 'includeFees' };
const MARKET_KEYS = { symbol: 'symbol', kind: 'kind', settlement: 'settlement', contractSize: 'contractSize', markPrice: 'markPrice', marginBasis: 'marginBasis' };

/** Maps an engine field path to [control id, message box stem] (null: no place on the form). */
export function controlFor(path) {
  if (path.startsWith('account.')) {
    const id = ACCOUNT_CONTROLS[path.slice('account.'.length)];
    return id ? [id, id] : null;
  }
  const m = /^(positions|markets)\[(\d+)\](?:\.(.*))?$/.exec(path);
  if (!m) return null;
  const i = Number(m[2]);
  const rest = m[3] ?? '';
  const p = state.positions[i];
  if (!p) return null;
  let key = null;
  if (m[1] === 'positions') {
    key = ['symbol', 'side', 'size', 'entryPrice', 'leverage'].includes(rest) ? rest : null;
  } else if (MARKET_KEYS[rest]) {
    key = MARKET_KEYS[rest];
  } else if (rest === 'preset' || (p.rule === 'preset' && (rest.startsWith('margin') || rest === 'tickSize'))) {
    return [`p${i}-rule`, `p${i}-rule`];
  } else if (rest.startsWith('margin')) {
    key = 'mmr';
  }
  if (key && $(`p${i}-${key}`)) return [`p${i}-${key}`, `p${i}-${key}`];
  return [null, `p${i}`];
}

function clearMessages() {
  for (const node of form.querySelectorAll('.error, .warn')) node.textContent = '';
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

function describe(path) {
  const m = /^(positions|markets)\[(\d+)\]/.exec(path);
  return m ? `position ${Number(m[2]) + 1}` : 'account';
}

function showMessages(items, kind) {
  const general = [];
  for (const e of items) {
    const target = controlFor(e.field);
    const box = target && $(`${target[1]}-${kind}`);
    if (box) {
      box.textContent = box.textContent ? `${box.textContent} ${e.message}` : e.message;
      if (kind === 'error' && target[0]) $(target[0]).setAttribute('aria-invalid', 'true');
    } else {
      general.push(`${e.field}: ${e.message}`);
    }
  }
  if (kind === 'error' && general.length) $('form-error').textContent = general.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Results

function dl(rows) {
  return h('dl', { class: 'figures' }, rows.flatMap(([label, id, node]) => [h('dt', { text: label }), h('dd', { id }, node)]));
}

function setFigure(id, exact, text) {
  $(id).replaceChildren(figure(exact, text));
}

function renderAccount(a) {
  const unit = a.settlement === 'inverse' ? 'coin' : 'USDT';
  setFigure('out-equity', a.equity, fmt.money(a.equity, unit));
  setFigure('out-unrealizedPnl', a.unrealizedPnl, fmt.money(a.unrealizedPnl, unit));
  setFigure('out-initialMargin', a.initialMargin, fmt.money(a.initialMargin, unit));
  setFigure('out-initialMarginRatio', a.initialMarginRatio, fmt.ratioPercent(a.initialMarginRatio));
  setFigure('out-maintenanceMargin', a.maintenanceMargin, fmt.money(a.maintenanceMargin, unit));
  setFigure('out-availableBalance', a.availableBalance, fmt.money(a.availableBalance, unit));
  setFigure('out-effectiveLeverage', a.effectiveLeverage, fmt.leverage(a.effectiveLeverage));
  setFigure('out-marginRatio', a.marginRatio, fmt.ratioPercent(a.marginRatio, 2));
}

function tierText(tier) {
  if (!tier) return '–';
  const cap = tier.notionalCap === null ? '∞' : fmt.quantity(tier.notionalCap);
  return `Tier ${tier.tier}: notional ${fmt.quantity(tier.notionalFloor)}–${cap}, MMR ${fmt.ratioPercent(tier.maintenanceMarginRate)}, max ${fmt.leverage(tier.maxLeverage)}`;
}

function renderPosition(p, i, unit) {
  const liq = p.liquidation;
  const id = (k) => `out-p${i}-${k}`;
  let liqNode;
  if (liq.price === null) liqNode = document.createTextNode(`none — ${liq.reason ?? 'no liquidation'}`);
  else liqNode = figure(liq.price, fmt.price(liq.price));
  const distance = liq.distancePercent === null
    ? document.createTextNode('–')
    : h('span', {}, figure(liq.distancePercent, fmt.percent(liq.distancePercent)), liq.alreadyLiquidatable ? ' (already past it)' : '');
  const rows = [
    ['Notional', id('notional'), figure(p.notional, fmt.money(p.notional, unit))],
    ['Leverage used', id('leverage'), figure(p.leverage, fmt.leverage(p.leverage))],
    ['Initial margin', id('initialMargin'), figure(p.initialMargin, fmt.money(p.initialMargin, unit))],
    ['Initial margin rate', id('initialMarginRate'), figure(p.initialMarginRate, fmt.ratioPercent(p.initialMarginRate))],
    ['Maintenance margin', id('maintenanceMargin'), figure(p.maintenanceMargin, fmt.money(p.maintenanceMargin, unit))],
    ['Maintenance margin rate', id('maintenanceMarginRate'), figure(p.maintenanceMarginRate, fmt.ratioPercent(p.maintenanceMarginRate))],
    ['Unrealised PnL', id('unrealizedPnl'), figure(p.unrealizedPnl, fmt.money(p.unrealizedPnl, unit))],
    ['Liquidation price', id('liquidationPrice'), liqNode],
    ['Distance to liquidation', id('distance'), distance],
    ['Bankruptcy price', id('bankruptcyPrice'), figure(p.bankruptcyPrice, fmt.price(p.bankruptcyPrice))],
    ['Tier used', id('tier'), document.createTextNode(tierText(p.tier))],
    ['Max additional size', id('maxAdditionalSize'), figure(p.maxAdditionalSize, `${fmt.quantity(p.maxAdditionalSize)} contracts`)],
  ];
  if (p.isolatedMargin !== null) rows.splice(2, 0, ['Isolated margin', id('isolatedMargin'), figure(p.isolatedMargin, fmt.money(p.isolatedMargin, unit))]);
  const table = h('table', { id: `breakdown-${i}`, class: 'breakdown' },
    h('caption', { class: 'visually-hidden', text: `How each number of ${p.symbol} was computed` }),
    h('thead', {}, h('tr', {}, ['Figure', 'Formula', 'Value'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, p.breakdown.map((step) => h('tr', {}, [step.label, step.formula, step.value].map((t) => h('td', { text: t }))))));
  return h('article', { class: 'pos-result', id: `result-p${i}`, 'aria-labelledby': `result-p${i}-title` },
    h('h3', { id: `result-p${i}-title`, text: `${p.symbol} · ${p.side} ${fmt.quantity(p.size)} @ ${fmt.price(p.entryPrice)}` }),
    dl(rows),
    h('details', {}, h('summary', { text: 'How each number was computed' }), table));
}

function renderResult(result) {
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  renderAccount(result.account);
  const open = new Set([...document.querySelectorAll('#position-results details[open]')].map((d) => d.closest('article').id));
  $('position-results').replaceChildren(...result.positions.map((p, i) => renderPosition(p, i, unit)));
  for (const id of open) $(id)?.querySelector('details')?.setAttribute('open', '');
  $('notes').replaceChildren(...result.account.notes.map((n) => h('li', { text: n })));
  $('warnings').replaceChildren(...result.warnings.map((w) => h('li', { text: `${describe(w.field)}: ${w.message}` })));
  $('warnings-box').hidden = result.warnings.length === 0;
}

function summary(result) {
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  const liqs = result.positions.map((p) => `${p.symbol} liquidation ${p.liquidation.price === null ? 'none' : fmt.price(p.liquidation.price)}`);
  return `Up to date. Equity ${fmt.money(result.account.equity, unit)}; ${liqs.join('; ')}.`;
}

function announce(text) {
  statusEl.textContent = text;
}

function setStale(stale) {
  resultsEl.classList.toggle('stale', stale);
  resultsEl.dataset.stale = String(stale);
}

// ---------------------------------------------------------------------------------------------
// The chart: the engine evaluated over a grid of mark prices for the first position

function scheduleChart() {
  cancelAnimationFrame(chartFrame);
  chartFrame = requestAnimationFrame(updateChart);
}

function updateChart() {
  if (!lastGood || resultsEl.dataset.stale === 'true') return;
  const request = toRequest(state);
  const key = JSON.stringify(request);
  if (key === chartKey) return;
  const first = lastGood.positions[0];
  const mark = Number(first.markPrice);
  const liqPrice = first.liquidation.price === null ? null : Number(first.liquidation.price);
  let lo = liqPrice === null ? mark * 0.5 : Math.min(mark, liqPrice);
  let hi = liqPrice === null ? mark * 1.5 : Math.max(mark, liqPrice);
  const span = Math.max(hi - lo, mark * 0.05);
  lo = Math.max(lo - span * 0.4, mark * 0.001);
  hi += span * 0.4;
  const isolated = lastGood.account.marginMode === 'isolated';
  const at = (x) => {
    const r = structuredClone(request);
    r.markets[0].markPrice = Number(x.toPrecision(12));
    const out = calculate(r);
    if (!out.ok) return null;
    const p = out.result.positions[0];
    // Isolated: the margin backing the position is its isolated margin plus its PnL;
    // cross: the account's equity. Both are the engine's figures, only placed side by side.
    const equity = isolated ? Number(p.isolatedMargin) + Number(p.unrealizedPnl) : Number(out.result.account.equity);
    const mm = isolated ? Number(p.maintenanceMargin) : Number(out.result.account.maintenanceMargin);
    return { x, equity, mm };
  };
  const N = 40;
  const xs = Array.from({ length: N + 1 }, (_, k) => lo + ((hi - lo) * k) / N);
  xs.push(mark);
  if (liqPrice !== null) xs.push(liqPrice);
  xs.sort((a, b) => a - b);
  const points = xs.map(at).filter(Boolean);
  if (points.length < 2) return;
  const liqPoint = liqPrice === null ? null : points.find((pt) => pt.x === liqPrice) ?? null;
  const unit = lastGood.account.settlement === 'inverse' ? 'coin' : 'USDT';
  drawChart($('chart'), {
    points, mark, unit, symbol: first.symbol,
    liq: liqPoint ? { x: liqPoint.x, y: liqPoint.mm, exact: first.liquidation.price } : null,
    equityLabel: isolated ? 'Position margin + PnL' : 'Account equity',
    mmLabel: 'Maintenance margin',
  });
  const g = $('chart').querySelector('[data-liquidation]');
  if (g) g.dataset.liquidation = first.liquidation.price;
  chartKey = key;
}

// ---------------------------------------------------------------------------------------------
// Share, import, export

function shareUrl(hash) {
  const search = new URLSearchParams(location.search);
  search.delete('embed');
  const query = search.toString();
  return `${location.href.split(/[?#]/)[0]}${query ? `?${query}` : ''}#${hash}`;
}

function saveState() {
  const hash = toHash(state);
  history.replaceState(null, '', `${location.pathname}${location.search}#${hash}`);
  $('share-link').href = `#${hash}`;
  const full = shareUrl(hash);
  $('share-url').value = full;
  $('open-full').href = full;
}

async function copyLink() {
  const url = $('share-url').value;
  try {
    await navigator.clipboard.writeText(url);
    $('copy-status').textContent = 'Link copied.';
  } catch {
    $('share-url').select();
    $('copy-status').textContent = 'Copying is not allowed here: the link is selected, press Ctrl+C (⌘C) to copy it.';
  }
}

function exportJson() {
  const text = `${JSON.stringify(toRequest(state), null, 2)}\n`;
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = h('a', { href: url, download: 'imr-book.json', class: 'visually-hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
  $('import-status').textContent = 'Exported imr-book.json (the engine request; the imr command line reads it too).';
}

async function importJson(event) {
  const file = event.target.files?.[0];
  if (!file) return;
  const status = $('import-status');
  try {
    if (file.size > 1_000_000) throw new Error('the file is larger than 1 MB');
    state = fromRequest(JSON.parse(await file.text()));
    renderBook();
    recompute();
    status.textContent = `Imported ${state.positions.length} position${state.positions.length === 1 ? '' : 's'} from ${file.name.slice(0, MAX_TEXT)}.`;
  } catch (e) {
    status.textContent = `Could not import ${file.name.slice(0, MAX_TEXT)}: ${e instanceof SyntaxError ? 'not valid JSON' : e.message}.`;
  } finally {
    event.target.value = '';
  }
}

// ---------------------------------------------------------------------------------------------

function recompute() {
  saveState();
  const outcome = calculate(toRequest(state));
  clearMessages();
  if (outcome.ok) {
    lastGood = outcome.result;
    renderResult(outcome.result);
    showMessages(outcome.result.warnings, 'warn');
    setStale(false);
    announce(summary(outcome.result));
    scheduleChart();
  } else {
    showMessages(outcome.errors, 'error');
    setStale(lastGood !== null);
    const first = outcome.errors[0];
    const more = outcome.errors.length > 1 ? ` (and ${outcome.errors.length - 1} more)` : '';
    announce(`Fix ${describe(first.field)}: ${first.message}${more}. ${lastGood ? 'The figures below are from the last valid input.' : ''}`.trim());
  }
  document.body.dataset.ready = 'true';
}

function applyTheme(theme) {
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

async function main() {
  const search = new URLSearchParams(location.search);
  if (search.get('embed') === '1') document.body.classList.add('embed');
  const theme = search.get('theme');
  applyTheme(theme);
  $('theme').value = theme === 'dark' || theme === 'light' ? theme : '';
  try {
    await load();
  } catch (e) {
    statusEl.textContent = `The engine could not be loaded: ${e}`;
    return;
  }
  onTrap((error, reloaded) => {
    statusEl.textContent = `The engine stopped unexpectedly (${error.message}); restarting it…`;
    reloaded.then(() => {
      recompute();
      statusEl.textContent = `The engine stopped unexpectedly (${error.message}) and was restarted. ${statusEl.textContent}`;
    }, (e) => { statusEl.textContent = `The engine stopped and could not be restarted: ${e}`; });
  });
  if (search.get('testHooks') === '1') window.imrTestTrap = testTrap;
  // The book editor builds futures; option presets need the option fields it does not have yet.
  presets = listPresets().filter((p) => p.market?.kind !== 'option');
  $('version').textContent = `v${version()}`;
  const fromLink = fromHash(location.hash);
  if (fromLink) {
    state = fromLink;
  } else if (search.has('preset')) {
    const preset = presetByName(search.get('preset'));
    if (preset) {
      Object.assign(state.positions[0], { rule: 'preset', preset: preset.name, symbol: preset.symbol });
    } else {
      $('form-error').textContent = `No preset named "${search.get('preset').slice(0, MAX_TEXT)}"; using a fixed rate.`;
    }
  }
  renderBook(null);
  const presetNotice = $('form-error').textContent;
  form.addEventListener('input', onEdit);
  form.addEventListener('change', onEdit);
  form.addEventListener('click', onAction);
  form.addEventListener('submit', (e) => e.preventDefault());
  $('add-position').addEventListener('click', addPosition);
  $('copy-link').addEventListener('click', copyLink);
  $('export-json').addEventListener('click', exportJson);
  $('import-button').addEventListener('click', () => $('import-json').click());
  $('import-json').addEventListener('change', importJson);
  $('theme').addEventListener('change', (e) => applyTheme(e.target.value));
  recompute();
  if (presetNotice && !$('form-error').textContent) $('form-error').textContent = presetNotice;
}

main();
