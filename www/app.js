// imr page: keeps a book (account + positions), builds the engine request from it, calls the
// wasm engine on every edit and renders what `calculate` returns (figures, breakdown, field
// errors, warnings, notes, a chart). It knows nothing of formulas. User text is only ever
// written with textContent / value, never as markup.
import { load, calculate, listPresets, version, onTrap, testTrap } from './engine.js';
import * as fmt from './format.js';
import { drawChart } from './chart.js';
import {
  defaultState, defaultPosition, toRequest, toHash, fromHash, fromRequest, uniqueSymbol, hasOptions, nowMinute,
  MAX_POSITIONS, MAX_TEXT,
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
let chartJob = 0;
let valuationTouched = false; // the valuation time came from a link, a file or the user

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

const presetKind = (preset) => preset?.market?.kind ?? 'perpetual';
const family = (kind) => (kind === 'option' ? 'option' : 'futures');

/** A preset fixes the contract type: a position on a bundled preset takes the preset's kind. */
function normalize(s) {
  for (const p of s.positions) {
    const preset = p.rule === 'preset' ? presetByName(p.preset) : null;
    if (preset) p.kind = presetKind(preset);
  }
  return s;
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

/** Implied volatility in percent: a slider and a text field, kept in step (one state value). */
const IV_MIN = 1;
const IV_MAX = 300;
function ivField(p, i) {
  const id = `p${i}-iv`;
  const input = textInput(p.iv);
  Object.assign(input, { id });
  input.dataset.i = String(i);
  input.dataset.k = 'iv';
  input.setAttribute('aria-describedby', `${id}-hint ${id}-warn ${id}-error`);
  const slider = h('input', {
    type: 'range', id: `${id}Slider`, min: IV_MIN, max: IV_MAX, step: '0.1',
    'aria-label': 'Implied volatility (%), slider', 'aria-describedby': `${id}-hint`, 'data-i': i, 'data-k': 'iv',
  });
  slider.value = ivSliderValue(p.iv);
  return h('div', { class: 'field iv', 'data-field': 'iv' },
    h('label', { for: id, text: 'Implied volatility (%)' }),
    h('div', { class: 'iv-pair' }, input, slider),
    h('p', { class: 'hint', id: `${id}-hint`, text: `Black-76 volatility in percent (60 is 60 %); the slider covers ${IV_MIN}–${IV_MAX} %.` }),
    h('p', { class: 'warn', id: `${id}-warn` }),
    h('p', { class: 'error', id: `${id}-error` }));
}

function ivSliderValue(text) {
  const x = Number(String(text).trim());
  if (String(text).trim() === '' || !Number.isFinite(x)) return String((IV_MIN + IV_MAX) / 2);
  return String(Math.min(IV_MAX, Math.max(IV_MIN, x)));
}

function presetInfo(p, i) {
  const preset = presetByName(p.preset);
  return h('div', { class: 'preset-info field wide', id: `p${i}-preset-info` },
    preset
      ? [h('p', { text: `${preset.venue} · ${preset.symbol}` }),
        h('p', {}, 'As of ', h('time', { datetime: preset.asOf, text: preset.asOf }), ` · Source: ${preset.source}`),
        preset.notes ? h('p', { class: 'hint', text: preset.notes }) : null]
      : h('p', { text: 'This preset is not bundled with this version of the engine.' }));
}

function positionFieldset(p, i, count) {
  const isPreset = p.rule === 'preset';
  const isOption = p.kind === 'option';
  const inverse = effectiveSettlement(p) === 'inverse';
  const legendName = h('span', { class: 'legend-symbol', id: `p${i}-legend-symbol`, text: p.symbol ? ` — ${p.symbol}` : '' });
  // Presets of the position's family: option presets for options, futures presets otherwise.
  const offered = presets.filter((x) => family(presetKind(x)) === family(p.kind));
  const ruleOptions = [['fixed', isOption ? 'Standard option rule' : 'Fixed maintenance rate'], ...offered.map((x) => [`preset:${x.name}`, `Preset: ${x.name}`])];
  const ruleValue = isPreset ? `preset:${p.preset}` : 'fixed';
  if (isPreset && !offered.some((x) => x.name.toLowerCase() === p.preset.trim().toLowerCase())) ruleOptions.push([ruleValue, `Preset: ${p.preset} (unknown)`]);
  const ruleSelect = select(ruleOptions, ruleValue);
  const premiumUnit = inverse ? 'coin' : 'USDT';
  const fields = [
    field(i, 'symbol', 'Symbol', textInput(p.symbol, 'text')),
    field(i, 'kind', 'Position type', select([['perpetual', 'Perpetual'], ['future', 'Future'], ['option', 'Option']], p.kind)),
    field(i, 'side', 'Side', select([['long', 'Long'], ['short', 'Short']], p.side)),
    field(i, 'size', 'Size (contracts)', textInput(p.size)),
  ];
  if (isOption) {
    const expiry = h('input', { type: 'datetime-local', step: '60' });
    expiry.value = p.expiry;
    fields.push(
      field(i, 'optionType', 'Call or put', select([['call', 'Call'], ['put', 'Put']], p.optionType)),
      field(i, 'strike', 'Strike (USD)', textInput(p.strike)),
      field(i, 'expiry', 'Expiry (UTC)', expiry),
      field(i, 'underlyingPrice', 'Underlying price (USD)', textInput(p.underlyingPrice)),
      field(i, 'entryPrice', `Entry premium (${premiumUnit} per unit)`, textInput(p.entryPrice)),
      field(i, 'pricing', 'Priced from', select([['iv', 'Implied volatility'], ['premium', 'Mark premium']], p.pricing)),
      p.pricing === 'premium'
        ? field(i, 'premium', `Mark premium (${premiumUnit} per unit)`, textInput(p.premium), 'The volatility is implied from it.')
        : ivField(p, i),
    );
  } else {
    fields.push(
      field(i, 'entryPrice', 'Entry price', textInput(p.entryPrice)),
      field(i, 'markPrice', 'Mark price', textInput(p.markPrice)),
      field(i, 'leverage', 'Leverage (×)', textInput(p.leverage)),
    );
  }
  fields.push(field(i, 'rule', 'Margin rule', ruleSelect));
  if (isPreset) {
    fields.push(presetInfo(p, i));
  } else if (isOption) {
    fields.push(
      field(i, 'imRate', 'Initial rate a', textInput(p.imRate), 'Fractions of the underlying price (0.15 is 15 %); the breakdown shows how each is used.'),
      field(i, 'imFloorRate', 'Initial floor rate b', textInput(p.imFloorRate)),
      field(i, 'mmRate', 'Maintenance rate c', textInput(p.mmRate)),
      field(i, 'settlement', 'Settlement', select([['linear', 'Linear (USD)'], ['inverse', 'Inverse (coin)']], p.settlement)),
      field(i, 'contractSize', 'Contract size (underlying units)', textInput(p.contractSize)),
    );
  } else {
    fields.push(
      field(i, 'mmr', 'Maintenance margin rate', textInput(p.mmr), 'A fraction: 0.005 is 0.5 %.'),
      field(i, 'marginBasis', 'Margin on', select([['mark', 'Mark price'], ['entry', 'Entry price']], p.marginBasis)),
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
  form.elements.valuationTime.value = state.valuationTime;
  $('valuationTime-field').hidden = !hasOptions(state);
  $('walletBalance-unit').textContent = `(${settlementUnit(state)})`;
  $('positions').replaceChildren(...state.positions.map((p, i) => positionFieldset(p, i, state.positions.length)));
  $('add-position').disabled = state.positions.length >= MAX_POSITIONS;
  if (active && $(active)) $(active).focus();
}

const STRUCTURAL = new Set(['rule', 'settlement', 'kind', 'pricing']);

/** Round strikes: two significant figures of the underlying (60000 → 60000, 3123 → 3100). */
const roundStrike = (x) => String(Number(Number(x).toPrecision(2)));

/** Expiry a few weeks after the valuation time, at 08:00 UTC (when Deribit and OKX options expire). */
function defaultExpiry(valuation) {
  const t = Date.parse(`${valuation || nowMinute()}:00Z`);
  const d = new Date((Number.isNaN(t) ? Date.now() : t) + 28 * 86_400_000);
  d.setUTCHours(8, 0, 0, 0);
  return nowMinute(d);
}

/** The engine's mark premium of an option position on its own (the entry premium of a flat trade). */
function markPremiumOf(p) {
  const book = { walletBalance: '0', marginMode: 'cross', includeFees: false, takerFeeRate: '0', valuationTime: state.valuationTime, positions: [{ ...p, entryPrice: '1' }] };
  const out = calculate(toRequest(book));
  return out.ok ? out.result.positions[0].option?.markPremium ?? null : null;
}

/** A position becomes an option: fill the contract from what it had, priced by the engine. */
function becomeOption(p) {
  const notes = [];
  if (!hasOptions(state) && !valuationTouched) state.valuationTime = nowMinute();
  p.kind = 'option';
  if (state.marginMode === 'isolated') {
    state.marginMode = 'cross';
    notes.push('Options are margined in cross mode only: the margin mode is now Cross.');
  }
  const underlying = Number(p.underlyingPrice || p.markPrice);
  if (!p.underlyingPrice) p.underlyingPrice = Number.isFinite(underlying) && underlying > 0 ? p.markPrice : '60000';
  if (!p.strike) p.strike = roundStrike(p.underlyingPrice);
  if (!p.expiry) p.expiry = defaultExpiry(state.valuationTime);
  const premium = markPremiumOf(p);
  if (premium !== null) p.entryPrice = fmt.plainPrice(premium);
  return notes;
}

function onEdit(event) {
  const t = event.target;
  if (t.id === 'import-json' || t.id === 'share-url' || t.id === 'theme') return;
  let notes = [];
  if (t.dataset.k !== undefined) {
    const p = state.positions[Number(t.dataset.i)];
    if (!p) return;
    const key = t.dataset.k;
    // A select fires input then change: structural edits are applied (and re-rendered) once.
    if (STRUCTURAL.has(key) && event.type !== 'change') return;
    if (key === 'rule') {
      if (t.value.startsWith('preset:')) {
        p.rule = 'preset';
        p.preset = t.value.slice('preset:'.length);
        const preset = presetByName(p.preset);
        if (preset) p.kind = presetKind(preset);
        if (preset && !state.positions.some((o) => o !== p && o.symbol === preset.symbol)) p.symbol = preset.symbol;
      } else {
        p.rule = 'fixed';
      }
    } else if (key === 'kind') {
      const was = p.kind;
      if (p.rule === 'preset' && presetKind(presetByName(p.preset)) !== t.value) p.rule = 'fixed';
      if (t.value === 'option' && was !== 'option') notes = becomeOption(p);
      // Back to a future: the entry premium means nothing there; start flat at the mark.
      if (t.value !== 'option' && was === 'option') p.entryPrice = p.markPrice;
      p.kind = t.value;
    } else {
      p[key] = t.value;
    }
    if (key === 'iv') {
      // The slider and the field are one value: move the other one.
      const other = t.type === 'range' ? $(`p${t.dataset.i}-iv`) : $(`p${t.dataset.i}-ivSlider`);
      if (other) other.value = t.type === 'range' ? t.value : ivSliderValue(t.value);
    }
    if (key === 'symbol') $(`p${t.dataset.i}-legend-symbol`).textContent = t.value ? ` — ${t.value}` : '';
    if (STRUCTURAL.has(key)) renderBook(t.id);
  } else if (t.name === 'includeFees') {
    state.includeFees = t.checked;
    form.elements.takerFeeRate.disabled = !state.includeFees;
  } else if (t.name in state) {
    state[t.name] = t.value;
    if (t.name === 'valuationTime') valuationTouched = true;
  } else {
    return;
  }
  recompute();
  if (notes.length) announce(`${notes.join(' ')} ${statusEl.textContent}`);
}

function setValuationNow() {
  state.valuationTime = nowMinute();
  valuationTouched = true;
  form.elements.valuationTime.value = state.valuationTime;
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
const MARKET_KEYS = {
  symbol: 'symbol', kind: 'kind', settlement: 'settlement', contractSize: 'contractSize', markPrice: 'markPrice', marginBasis: 'marginBasis',
  optionType: 'optionType', strike: 'strike', expiry: 'expiry', underlyingPrice: 'underlyingPrice', impliedVolatility: 'iv',
};
const OPTION_RULE_KEYS = { 'margin.initialRate': 'imRate', 'margin.initialFloorRate': 'imFloorRate', 'margin.maintenanceRate': 'mmRate' };

/** Maps an engine field path to [control id, message box stem] (null: no place on the form). */
export function controlFor(path) {
  if (path === 'valuationTime') return ['valuationTime', 'valuationTime'];
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
  const option = p.kind === 'option';
  let key = null;
  if (m[1] === 'positions') {
    key = ['symbol', 'side', 'size', 'entryPrice', 'leverage'].includes(rest) ? rest : null;
  } else if (option && rest === 'markPrice') {
    key = 'premium';
  } else if (MARKET_KEYS[rest]) {
    key = MARKET_KEYS[rest];
  } else if (rest === 'preset' || (p.rule === 'preset' && (rest.startsWith('margin') || rest === 'tickSize'))) {
    return [`p${i}-rule`, `p${i}-rule`];
  } else if (option && rest.startsWith('margin')) {
    key = OPTION_RULE_KEYS[rest] ?? 'rule';
  } else if (rest.startsWith('margin')) {
    key = 'mmr';
  }
  if (key && $(`p${i}-${key}`)) return [`p${i}-${key}`, `p${i}-${key}`];
  return [null, `p${i}`];
}

/** The engine's message, reworded where the page's control differs from the request field. */
function messageFor(e) {
  if (/\.impliedVolatility$/.test(e.field) && e.code === 'out_of_range') return 'must be at most 1000 (in %)';
  return e.message;
}

function clearMessages() {
  for (const node of form.querySelectorAll('.error, .warn')) node.textContent = '';
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

function describe(path) {
  const m = /^(positions|markets)\[(\d+)\]/.exec(path);
  if (path === 'valuationTime') return 'the valuation time';
  return m ? `position ${Number(m[2]) + 1}` : 'account';
}

function showMessages(items, kind) {
  const general = [];
  for (const e of items) {
    const target = controlFor(e.field);
    const box = target && $(`${target[1]}-${kind}`);
    const message = messageFor(e);
    if (box) {
      box.textContent = box.textContent ? `${box.textContent} ${message}` : message;
      if (kind === 'error' && target[0]) $(target[0]).setAttribute('aria-invalid', 'true');
    } else {
      general.push(`${e.field}: ${message}`);
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

const GREEKS = [
  ['delta', 'Delta', 'USD per 1 USD of underlying'],
  ['gamma', 'Gamma', 'delta per 1 USD of underlying'],
  ['vega', 'Vega', 'USD per 1.00 of volatility (÷ 100 per vol point)'],
  ['theta', 'Theta', 'USD per year (÷ 365 per day)'],
];

/** An option position: the contract, its valuation, Greeks (with units) and margin. */
function optionRows(p, i, unit) {
  const o = p.option;
  const id = (k) => `out-p${i}-${k}`;
  const model = (x, sig = 6) => figure(String(x), fmt.modelNumber(x, sig));
  const expiry = `${o.expiry.replace('T', ' ').replace(/Z$/, '')} UTC`;
  const vol = h('span', {}, model(o.volatility * 100, 5), ` % (${o.volatilitySource === 'impliedFromMark' ? 'implied from the mark premium' : 'given'})`);
  const premium = unit === 'USDT'
    ? figure(o.markPremium, `${fmt.price(o.markPremium)} ${unit}`)
    : h('span', {}, figure(o.markPremium, fmt.money(o.markPremium, unit)), ` (${fmt.price(o.markPremiumUsd)} USD)`);
  return [
    ['Contract', id('contract'), document.createTextNode(`${o.optionType === 'put' ? 'Put' : 'Call'} ${fmt.price(o.strike)} · expires ${expiry}`)],
    ['Time to expiry', id('timeToExpiry'), h('span', {}, model(o.timeToExpiryYears, 4), ` years (${(o.timeToExpiryYears * 365).toFixed(1)} days)`)],
    ['Underlying price', id('underlyingPrice'), figure(o.underlyingPrice, fmt.price(o.underlyingPrice))],
    ['Volatility', id('volatility'), vol],
    ['Mark premium (per unit)', id('markPremium'), premium],
    ['Notional', id('notional'), figure(p.notional, fmt.money(p.notional, unit))],
    ['Initial margin', id('initialMargin'), figure(p.initialMargin, fmt.money(p.initialMargin, unit))],
    ['Initial margin per unit', id('initialMarginPerUnit'), figure(o.initialMarginPerUnit, fmt.money(o.initialMarginPerUnit, unit))],
    ['Maintenance margin', id('maintenanceMargin'), figure(p.maintenanceMargin, fmt.money(p.maintenanceMargin, unit))],
    ['Maintenance margin per unit', id('maintenanceMarginPerUnit'), figure(o.maintenanceMarginPerUnit, fmt.money(o.maintenanceMarginPerUnit, unit))],
    ['Unrealised PnL', id('unrealizedPnl'), figure(p.unrealizedPnl, fmt.money(p.unrealizedPnl, unit))],
    ['Liquidation', id('liquidationPrice'), document.createTextNode(p.liquidation.alreadyLiquidatable ? 'with the whole book (already past it): see Book liquidation' : 'with the whole book: see Book liquidation')],
    ['Max additional size', id('maxAdditionalSize'), figure(p.maxAdditionalSize, `${fmt.quantity(p.maxAdditionalSize)} contracts`)],
  ];
}

function greeksTable(p, i) {
  const o = p.option;
  const cell = (g, k, key) => h('td', { id: `out-p${i}-${key}-${k}`, class: 'num' }, figure(String(g[k]), fmt.modelNumber(g[k])));
  return h('table', { class: 'greeks', id: `greeks-${i}` },
    h('caption', { class: 'visually-hidden', text: `Greeks of ${p.symbol}` }),
    h('thead', {}, h('tr', {}, ['Greek (unit)', 'Per unit', 'Position'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, GREEKS.map(([k, name, units]) => h('tr', {},
      h('th', { scope: 'row' }, name, h('span', { class: 'units', text: units })),
      cell(o.greeks, k, 'greek'), cell(o.positionGreeks, k, 'positionGreek')))));
}

function renderPosition(p, i, unit) {
  if (p.option) return renderOptionPosition(p, i, unit);
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
  const table = breakdownTable(p, i);
  return h('article', { class: 'pos-result', id: `result-p${i}`, 'aria-labelledby': `result-p${i}-title` },
    h('h3', { id: `result-p${i}-title`, text: `${p.symbol} · ${p.side} ${fmt.quantity(p.size)} @ ${fmt.price(p.entryPrice)}` }),
    dl(rows),
    h('details', {}, h('summary', { text: 'How each number was computed' }), table));
}

function breakdownTable(p, i) {
  return h('table', { id: `breakdown-${i}`, class: 'breakdown' },
    h('caption', { class: 'visually-hidden', text: `How each number of ${p.symbol} was computed` }),
    h('thead', {}, h('tr', {}, ['Figure', 'Formula', 'Value'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, p.breakdown.map((step) => h('tr', {}, [step.label, step.formula, step.value].map((t) => h('td', { text: t }))))));
}

function renderOptionPosition(p, i, unit) {
  const o = p.option;
  return h('article', { class: 'pos-result option', id: `result-p${i}`, 'aria-labelledby': `result-p${i}-title` },
    h('h3', { id: `result-p${i}-title`, text: `${p.symbol} · ${p.side} ${fmt.quantity(p.size)} ${o.optionType} ${fmt.price(o.strike)} @ ${fmt.price(p.entryPrice)}` }),
    dl(optionRows(p, i, unit)),
    greeksTable(p, i),
    h('p', { class: 'units', text: `Units: ${o.units}.` }),
    h('details', {}, h('summary', { text: 'How each number was computed' }), breakdownTable(p, i)));
}

/** The whole book's liquidation prices (books holding options): below and above, with distances. */
function renderBookLiquidation(result) {
  const book = result.account.bookLiquidation;
  $('book-liq-box').hidden = !book;
  if (!book) return;
  const ref = result.positions.find((p) => p.option);
  const at = (price) => book.prices.find((r) => r.price === price) ?? null;
  for (const side of ['below', 'above']) {
    const price = book[side];
    const root = price === null ? null : at(price);
    setFigure(`out-bookLiq-${side}`, price, price === null ? 'none in the searched range' : fmt.price(price));
    $(`out-bookLiq-${side}Distance`).replaceChildren(root
      ? figure(root.distancePercent, fmt.percent(root.distancePercent))
      : document.createTextNode('–'));
  }
  $('book-liq-ref').textContent = `Every market moves by the same relative amount as ${ref?.symbol ?? 'the first option'}'s underlying, now ${fmt.price(book.referencePrice)}${book.alreadyLiquidatable ? ' — the book is already at or below its maintenance margin' : ''}.`;
  $('book-liq-all').textContent = book.prices.length > 2
    ? `All liquidation prices (lowest first): ${book.prices.map((r) => fmt.price(r.price)).join(', ')}.`
    : '';
}

function renderResult(result) {
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  renderAccount(result.account);
  renderBookLiquidation(result);
  const open = new Set([...document.querySelectorAll('#position-results details[open]')].map((d) => d.closest('article').id));
  $('position-results').replaceChildren(...result.positions.map((p, i) => renderPosition(p, i, unit)));
  for (const id of open) $(id)?.querySelector('details')?.setAttribute('open', '');
  $('notes').replaceChildren(...result.account.notes.map((n) => h('li', { text: n })));
  $('warnings').replaceChildren(...result.warnings.map((w) => h('li', { text: `${describe(w.field)}: ${w.message}` })));
  $('warnings-box').hidden = result.warnings.length === 0;
}

function summary(result) {
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  const liqs = result.positions.filter((p) => !p.option)
    .map((p) => `${p.symbol} liquidation ${p.liquidation.price === null ? 'none' : fmt.price(p.liquidation.price)}`);
  const book = result.account.bookLiquidation;
  if (book) {
    const side = (k) => (book[k] === null ? 'none' : fmt.price(book[k]));
    liqs.unshift(`book liquidation below ${side('below')}, above ${side('above')}`);
  }
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
// The chart: the engine evaluated over a grid of prices. A futures book is plotted against the
// first position's mark price; a book holding options against the reference underlying (the
// first option's), every market moved by the same relative amount, as the engine's book search
// does. An option book costs a whole-book search per point, so the grid is computed in slices
// between frames and abandoned as soon as the book changes.

const SLICE_MS = 12;

function scheduleChart() {
  cancelAnimationFrame(chartFrame);
  chartJob += 1;
  chartFrame = requestAnimationFrame(updateChart);
}

/** `x` rounded to 12 significant digits, as the engine reads numbers. */
const num = (x) => Number(x.toPrecision(12));

/** Sorted, de-duplicated grid: `n` steps over [lo, hi] plus the given points. */
function grid(lo, hi, n, extra) {
  const xs = Array.from({ length: n + 1 }, (_, k) => num(lo + ((hi - lo) * k) / n));
  return [...new Set([...xs, ...extra])].sort((a, b) => a - b);
}

/** Futures: equity and MM (isolated: the position's margin + PnL) against the first position's mark. */
function positionPlan(request, result) {
  const first = result.positions[0];
  const mark = Number(first.markPrice);
  const liqPrice = first.liquidation.price === null ? null : Number(first.liquidation.price);
  let lo = liqPrice === null ? mark * 0.5 : Math.min(mark, liqPrice);
  let hi = liqPrice === null ? mark * 1.5 : Math.max(mark, liqPrice);
  const span = Math.max(hi - lo, mark * 0.05);
  lo = Math.max(lo - span * 0.4, mark * 0.001);
  hi += span * 0.4;
  const isolated = result.account.marginMode === 'isolated';
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  const equityLabel = isolated ? 'Position margin + PnL' : 'Account equity';
  return {
    xs: grid(lo, hi, 40, [mark, ...(liqPrice === null ? [] : [liqPrice])]),
    at(x) {
      const r = structuredClone(request);
      r.markets[0].markPrice = num(x);
      const out = calculate(r);
      if (!out.ok) return null;
      const p = out.result.positions[0];
      // Isolated: the margin backing the position is its isolated margin plus its PnL;
      // cross: the account's equity. Both are the engine's figures, only placed side by side.
      const equity = isolated ? Number(p.isolatedMargin) + Number(p.unrealizedPnl) : Number(out.result.account.equity);
      const mm = isolated ? Number(p.maintenanceMargin) : Number(out.result.account.maintenanceMargin);
      return { x, equity, mm };
    },
    draw(points) {
      const liqPoint = liqPrice === null ? null : points.find((pt) => pt.x === liqPrice) ?? null;
      $('chart-title').textContent = 'Equity and maintenance margin vs price';
      drawChart($('chart'), {
        points, mark, unit, equityLabel, mmLabel: 'Maintenance margin',
        title: `${equityLabel} and Maintenance margin of ${first.symbol} against its price`,
        xLabel: `${first.symbol} price`,
        markers: liqPoint ? [{
          x: liqPoint.x, y: liqPoint.mm, exact: first.liquidation.price, kind: 'liquidation',
          text: `liquidation ${fmt.price(first.liquidation.price)}`, spoken: `liquidation price ${fmt.price(first.liquidation.price)}`,
        }] : [],
      });
    },
  };
}

/** Options: account equity and MM against the reference underlying, the book's roots marked. */
function bookPlan(request, result) {
  const book = result.account.bookLiquidation;
  const ref = Number(book.referencePrice);
  const refSymbol = result.positions.find((p) => p.option)?.symbol ?? '';
  const near = [book.below, book.above].filter((v) => v !== null).map(Number);
  let lo = Math.min(ref, ...near);
  let hi = Math.max(ref, ...near);
  if (book.below === null) lo = Math.min(lo, ref * 0.5);
  if (book.above === null) hi = Math.max(hi, ref * 1.5);
  const span = hi - lo;
  lo = Math.max(lo - span * 0.15, ref * 0.001);
  hi += span * 0.15;
  const roots = book.prices.filter((r) => Number(r.price) >= lo && Number(r.price) <= hi);
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  return {
    xs: grid(lo, hi, 32, [ref, ...roots.map((r) => Number(r.price))]),
    at(x) {
      const r = structuredClone(request);
      r.markets.forEach((m, k) => {
        const p = result.positions[k];
        if (p.option) {
          const u = Number(p.option.underlyingPrice);
          m.underlyingPrice = u === ref ? x : num((u * x) / ref);
          // Held fixed, as in the engine's search: the volatility (given, or implied from the mark).
          if (m.markPrice !== undefined) {
            delete m.markPrice;
            m.impliedVolatility = p.option.volatility;
          }
        } else {
          m.markPrice = num((Number(p.markPrice) * x) / ref);
        }
      });
      const out = calculate(r);
      if (!out.ok) return null;
      return { x, equity: Number(out.result.account.equity), mm: Number(out.result.account.maintenanceMargin) };
    },
    draw(points) {
      $('chart-title').textContent = 'Equity and maintenance margin vs underlying price';
      const markers = roots.map((root) => {
        const pt = points.find((q) => q.x === Number(root.price));
        return pt && {
          x: pt.x, y: pt.mm, exact: root.price, kind: 'book-liquidation',
          text: `liquidation ${fmt.price(root.price)}`,
          spoken: `book liquidation price ${fmt.price(root.price)} (${root.direction}, ${fmt.percent(root.distancePercent)} away)`,
        };
      }).filter(Boolean);
      drawChart($('chart'), {
        points, mark: ref, markLabel: 'underlying', unit, markers,
        equityLabel: 'Account equity', mmLabel: 'Maintenance margin',
        title: `Account equity and Maintenance margin against ${refSymbol}'s underlying price (every market moved together)`,
        xLabel: `${refSymbol} underlying price`,
      });
    },
  };
}

function updateChart() {
  if (!lastGood || resultsEl.dataset.stale === 'true') return;
  const request = toRequest(state);
  const key = JSON.stringify(request);
  if (key === chartKey) return;
  const job = chartJob;
  const plan = lastGood.account.bookLiquidation ? bookPlan(request, lastGood) : positionPlan(request, lastGood);
  const points = [];
  let k = 0;
  const slice = () => {
    if (job !== chartJob) return; // the book changed: a newer chart is on its way
    const start = performance.now();
    while (k < plan.xs.length && performance.now() - start < SLICE_MS) {
      const pt = plan.at(plan.xs[k]);
      if (pt && Number.isFinite(pt.equity) && Number.isFinite(pt.mm)) points.push(pt);
      k += 1;
    }
    if (k < plan.xs.length) {
      setTimeout(slice, 0);
      return;
    }
    if (points.length < 2) return;
    plan.draw(points);
    chartKey = key;
  };
  slice();
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
    const data = JSON.parse(await file.text());
    state = normalize(fromRequest(data));
    valuationTouched = data.valuationTime !== undefined;
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
  chartJob += 1; // any chart being computed is for another book
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
    announce(`Fix ${describe(first.field)}: ${messageFor(first)}${more}. ${lastGood ? 'The figures below are from the last valid input.' : ''}`.trim());
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
  presets = listPresets();
  $('version').textContent = `v${version()}`;
  const fromLink = fromHash(location.hash);
  if (fromLink) {
    state = normalize(fromLink);
    valuationTouched = /(?:^#?|&)vt=/.test(location.hash);
  } else if (search.has('preset')) {
    const preset = presetByName(search.get('preset'));
    if (preset) {
      const p = state.positions[0];
      Object.assign(p, { rule: 'preset', preset: preset.name, symbol: preset.symbol });
      if (presetKind(preset) === 'option') becomeOption(p);
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
  $('valuation-now').addEventListener('click', setValuationNow);
  $('copy-link').addEventListener('click', copyLink);
  $('export-json').addEventListener('click', exportJson);
  $('import-button').addEventListener('click', () => $('import-json').click());
  $('import-json').addEventListener('change', importJson);
  $('theme').addEventListener('change', (e) => applyTheme(e.target.value));
  recompute();
  if (presetNotice && !$('form-error').textContent) $('form-error').textContent = presetNotice;
}

main();
