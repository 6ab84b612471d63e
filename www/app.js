// imr page: keeps a book (account + positions), builds the engine request from it, calls the
// wasm engine on every edit and renders what `calculate` returns (figures, breakdown, field
// errors, warnings, notes, a chart). It knows nothing of formulas. User text is only ever
// written with textContent / value, never as markup.
import { load, calculate, listPresets, version, onTrap, testTrap } from './engine.js';
import * as fmt from './format.js';
import { drawChart, drawCurve } from './chart.js';
import {
  defaultState, defaultPosition, defaultStressRow, toRequest, toHash, fromHash, fromRequest, uniqueSymbol, hasOptions, nowMinute,
  shiftDecimal, defaultTiers, defaultCollateralRow, defaultScenarioRow, futuresRuleFrom, optionRuleFrom, seriesFitsLink,
  defaultOrderRow, orderTakesLeverage,
  MAX_POSITIONS, MAX_STRESS, MAX_TEXT, MAX_TIERS, MAX_COLLATERAL, MAX_SCENARIOS, MAX_SERIES, MAX_SERIES_IN_LINK, MAX_ORDERS,
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
let chartAfterFirstFrame = false; // the first load draws its charts after the first frame
let valuationTouched = false; // the valuation time came from a link, a file or the user
let scanRangeTouched = false; // the SPAN price scan range came from a link, a file or the user
let curveKey = '';

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
        preset.notes ? h('p', { class: 'hint', text: preset.notes }) : null,
        h('div', { class: 'row-actions' }, h('button', {
          type: 'button', 'data-action': 'edit-preset', 'data-i': i, id: `p${i}-edit-preset`,
          'aria-describedby': `p${i}-edit-preset-hint`, text: 'Edit a copy of these parameters',
        })),
        h('p', { class: 'hint', id: `p${i}-edit-preset-hint`, text: 'Copies the preset\'s rule and contract into editable fields; the preset itself is left as published.' })]
      : h('p', { text: 'This preset is not bundled with this version of the engine.' }));
}

/** A small text control of a row editor (tiers, collateral, scenarios): label, input, error. */
function rowInput(id, labelText, value, data, { inputmode = 'decimal', hint } = {}) {
  const control = h('input', { id, inputmode, maxlength: MAX_TEXT, spellcheck: 'false', 'aria-describedby': `${hint ? `${id}-hint ` : ''}${id}-error`, ...data });
  control.value = value;
  return h('div', { class: 'field' },
    h('label', { for: id, text: labelText }),
    control,
    hint ? h('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null,
    h('p', { class: 'error', id: `${id}-error` }));
}

/** The tier table of a futures position: one small fieldset per tier, add and remove. */
function tierEditor(p, i) {
  const rows = p.tiers.map((t, k) => {
    const input = (key, labelText, hint) => rowInput(`p${i}-t${k}-${key}`, labelText, t[key], { 'data-i': i, 'data-t': k, 'data-tk': key }, { hint });
    return h('fieldset', { class: 'tier-row', id: `p${i}-t${k}` },
      h('legend', {}, `Tier ${k + 1}`, h('span', { class: 'tier-used', id: `p${i}-t${k}-used` })),
      h('div', { class: 'fields tier-fields' },
        input('floor', 'Notional from'),
        input('cap', 'Notional up to'),
        input('mmr', 'Maint. margin rate'),
        input('lev', 'Max leverage (×)'),
        input('amount', 'Maint. amount')),
      h('p', { class: 'error', id: `p${i}-t${k}-error` }),
      h('div', { class: 'row-actions' },
        h('button', { type: 'button', 'data-action': 'remove-tier', 'data-i': i, 'data-t': k, 'aria-label': `Remove tier ${k + 1} of position ${i + 1}`, disabled: p.tiers.length <= 1, text: 'Remove tier' })));
  });
  return h('div', { class: 'field wide rule-editor', id: `p${i}-tiers`, 'data-field': 'tiers' },
    h('p', { class: 'hint', id: `p${i}-tiers-hint`, text: 'Tiers by notional (settlement currency), lowest first, contiguous; the last may be open-ended (blank upper bound). MM = notional × rate − amount in the tier holding the notional; each tier caps leverage. A blank maintenance amount is derived by the engine (which makes MM continuous); a given one is checked. The engine marks the tier in use.' }),
    ...rows,
    h('p', { class: 'error', id: `p${i}-tiers-error` }),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', 'data-action': 'add-tier', 'data-i': i, id: `p${i}-add-tier`, disabled: p.tiers.length >= MAX_TIERS, text: 'Add tier' })));
}

/** The standard option rule's other parameters, collapsed unless one is set. */
function optionExtras(p, i) {
  const set = [p.optItm, p.optMf, p.optPm, p.optLf].some((v) => String(v).trim() !== '') || p.optPae;
  const id = `p${i}-optPae`;
  const box = h('input', { type: 'checkbox', id, 'data-i': i, 'data-k': 'optPae', 'aria-describedby': `${id}-hint ${id}-error` });
  box.checked = p.optPae;
  return h('details', { class: 'field wide option-extras', id: `p${i}-option-extras`, open: set },
    h('summary', { text: 'More option-rule parameters' }),
    h('div', { class: 'fields' },
      field(i, 'optItm', 'In-the-money maint. rate c′', textInput(p.optItm), 'Blank: none (Paradex form MM = max(c′·S − OTM, c·S) + …).'),
      field(i, 'optMf', 'Margin factor MF', textInput(p.optMf), 'Multiplies the rate terms; blank: 1 (OKX tier factor).'),
      field(i, 'optPm', 'Premium multiplier in MM', textInput(p.optPm), 'Blank: 1 (Paradex example 0.5).'),
      field(i, 'optLf', 'Liquidation fee rate', textInput(p.optLf), 'Of the underlying, added to MM; blank: 0 (Bybit).'),
      h('div', { class: 'field wide', 'data-field': 'optPae' },
        h('div', { class: 'check-row' }, box, h('label', { for: id, text: 'Initial margin charges max(entry, mark) premium' })),
        h('p', { class: 'hint', id: `${id}-hint`, text: 'Bybit\'s rule; off: the mark premium.' }),
        h('p', { class: 'warn', id: `${id}-warn` }),
        h('p', { class: 'error', id: `${id}-error` }))));
}

/**
 * A collapsed section whose fields are built when it is first opened (open at once when
 * `open`): optional parameters cost the first render nothing.
 */
function lazyDetails(id, summary, open, build) {
  const box = h('details', { class: 'field wide option-extras', id, open }, summary);
  const fill = () => {
    if (box.dataset.built) return;
    box.dataset.built = 'true';
    box.append(build());
  };
  if (open) fill();
  else box.addEventListener('toggle', () => { if (box.open) fill(); });
  return box;
}

/** The market's underlying (its risk unit), collapsed unless named: most books have one. */
function underlyingField(p, i) {
  const named = p.underlying.trim() !== '';
  return lazyDetails(`p${i}-unit-box`,
    h('summary', {}, 'Risk unit: ', h('span', { id: `p${i}-unit-name`, text: named ? p.underlying : 'shared (no underlying named)' })),
    named,
    () => h('div', { class: 'fields' },
      field(i, 'underlying', 'Underlying (risk unit)', textInput(p.underlying, 'text'),
        'BTC, ETH… Markets naming one underlying move together; each underlying is its own risk unit, margined and liquidated per unit. Names ignore case (btc is BTC). Blank: moves with the markets that name none.')));
}

/** The fixed rule's other parameters (maintenance amount, initial rate, leverage cap), collapsed unless one is set. */
function fixedExtras(p, i) {
  const set = [p.mmAmount, p.fixedImr, p.fixedMaxLev].some((v) => String(v).trim() !== '');
  return lazyDetails(`p${i}-fixed-extras`, h('summary', { text: 'More fixed-rule parameters' }), set,
    () => h('div', { class: 'fields' },
      field(i, 'mmAmount', 'Maintenance amount', textInput(p.mmAmount), 'Deducted: MM = notional × rate − this (settlement currency). Blank: 0.'),
      field(i, 'fixedImr', 'Initial margin rate (minimum)', textInput(p.fixedImr), 'The venue\'s floor on the initial rate (dYdX IMF): a fraction, at least the maintenance rate. Blank: none.'),
      field(i, 'fixedMaxLev', 'Max leverage (×)', textInput(p.fixedMaxLev), 'The venue\'s leverage cap. Blank: none.')));
}

/** "Start from preset": copies a bundled preset's parameters into the editable rule. */
function copyFromPreset(p, i, offered) {
  if (offered.length === 0) return null;
  const id = `p${i}-copyFrom`;
  const sel = h('select', { id, 'data-i': i, 'data-no-state': '', 'aria-describedby': `${id}-hint` }, offered.map((x) => h('option', { value: x.name, text: x.name })));
  return h('div', { class: 'field wide copy-from' },
    h('label', { for: id, text: 'Start from preset' }),
    h('div', { class: 'row tight' }, sel,
      h('button', { type: 'button', 'data-action': 'copy-preset', 'data-i': i, id: `p${i}-copy-preset`, text: 'Copy its parameters' })),
    h('p', { class: 'hint', id: `${id}-hint`, text: 'Replaces this rule with the preset\'s (and its settlement, contract size and margin basis), then edit freely.' }));
}

/** Copies `preset`'s rule and contract fields into position `p` as an editable rule. */
function copyPresetInto(p, preset) {
  const m = preset.market ?? {};
  const str = (v, fallback = '') => (v === undefined || v === null ? fallback : String(v).slice(0, MAX_TEXT));
  if (presetKind(preset) === 'option') Object.assign(p, optionRuleFrom(m.margin ?? {}, str, preset.name));
  else {
    Object.assign(p, futuresRuleFrom(m.margin ?? {}, str, preset.name));
    if (m.marginBasis) p.marginBasis = m.marginBasis;
  }
  if (m.settlement) p.settlement = m.settlement;
  if (m.contractSize !== undefined) p.contractSize = str(m.contractSize, '1');
}

/**
 * Futures: "Volatility-scaled initial margin" — a checkbox and, when ticked, the model's floor,
 * confidence, horizon and multiplier (σ is the risk assumptions' volatility).
 */
function imModelFields(p, i) {
  const id = `p${i}-imModel`;
  const box = h('input', { type: 'checkbox', id, 'data-i': i, 'data-k': 'imModel', 'aria-describedby': `${id}-hint ${id}-warn ${id}-error` });
  box.checked = p.imModel;
  const out = [h('div', { class: 'field wide im-model', 'data-field': 'imModel' },
    h('div', { class: 'check-row' }, box, h('label', { for: id, text: 'Volatility-scaled initial margin' })),
    h('p', { class: 'hint', id: `${id}-hint`, text: p.imModel
      ? 'The initial margin rate becomes the larger of the rule\'s and the floor and z·σ·√(horizon/365)·multiplier, σ from Risk assumptions; plotted against σ below the chart.'
      : 'Raise the initial margin rate with volatility (a parametric VaR margin).' }),
    h('p', { class: 'warn', id: `${id}-warn` }),
    h('p', { class: 'error', id: `${id}-error` }))];
  if (p.imModel) {
    out.push(
      field(i, 'imFloor', 'IM floor rate', textInput(p.imFloor), 'A fraction; it starts at the rule\'s rate.'),
      field(i, 'imConfidence', 'Confidence', textInput(p.imConfidence), '0.99 is 99 %.'),
      field(i, 'imHorizon', 'IM horizon (days)', textInput(p.imHorizon)),
      field(i, 'imMultiplier', 'Multiplier', textInput(p.imMultiplier)),
    );
  }
  return out;
}

function positionFieldset(p, i, count) {
  const isPreset = p.rule === 'preset';
  const isOption = p.kind === 'option';
  const inverse = effectiveSettlement(p) === 'inverse';
  const legendName = h('span', { class: 'legend-symbol', id: `p${i}-legend-symbol`, text: p.symbol ? ` — ${p.symbol}` : '' });
  // Presets of the position's family: option presets for options, futures presets otherwise.
  const offered = presets.filter((x) => family(presetKind(x)) === family(p.kind));
  const editable = isOption
    ? [['fixed', 'Standard option rule (editable)']]
    : [['fixed', 'Fixed maintenance rate'], ['tiered', 'Tier table (editable)'], ['sizeScaled', 'Size-scaled rates (editable)']];
  const ruleOptions = [...editable, ...offered.map((x) => [`preset:${x.name}`, `Preset: ${x.name}`])];
  const ruleValue = isPreset ? `preset:${p.preset}` : p.rule;
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
      optionExtras(p, i),
      copyFromPreset(p, i, offered),
      field(i, 'settlement', 'Settlement', select([['linear', 'Linear (USD)'], ['inverse', 'Inverse (coin)']], p.settlement)),
      field(i, 'contractSize', 'Contract size (underlying units)', textInput(p.contractSize)),
    );
  } else {
    if (p.rule === 'tiered') fields.push(tierEditor(p, i));
    else if (p.rule === 'sizeScaled') {
      fields.push(
        field(i, 'ssInitial', 'Initial rate at zero size', textInput(p.ssInitial), 'IMR = this + slope × size (base units), MMR likewise: Deribit\'s form.'),
        field(i, 'ssMaint', 'Maintenance rate at zero size', textInput(p.ssMaint)),
        field(i, 'ssSlope', 'Slope per unit of size', textInput(p.ssSlope), 'Added to both rates per base unit: 0.00005 is 0.005 % per BTC.'),
      );
    } else {
      fields.push(field(i, 'mmr', 'Maintenance margin rate', textInput(p.mmr), 'A fraction: 0.005 is 0.5 %.'), fixedExtras(p, i));
    }
    fields.push(
      copyFromPreset(p, i, offered),
      field(i, 'marginBasis', 'Margin on', select([['mark', 'Mark price'], ['entry', 'Entry price']], p.marginBasis)),
      field(i, 'settlement', 'Settlement', select([['linear', 'Linear (USDT)'], ['inverse', 'Inverse (coin)']], p.settlement)),
      field(i, 'contractSize', inverse ? 'Contract face value (USD)' : 'Contract size (base units)', textInput(p.contractSize)),
    );
  }
  fields.push(underlyingField(p, i));
  if (!isOption) fields.push(...imModelFields(p, i));
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
  form.elements.riskVol.value = state.riskVol;
  $('riskVolSlider').value = sliderValue(state.riskVol, RISK_VOL_MIN, RISK_VOL_MAX);
  form.elements.riskHorizon.value = state.riskHorizon;
  form.elements.pmGrid.value = state.pmGrid;
  form.elements.pmPriceRange.value = state.pmPriceRange;
  form.elements.pmVolRange.value = state.pmVolRange;
  for (const key of PM_EXTRA_FIELDS) form.elements[key].value = state[key];
  $('pm-custom').replaceChildren(); // rebuilt by syncAccountControls for a custom grid
  syncAccountControls();
  renderStressRows();
  renderCollateralRows();
  renderOrderRows();
  renderVarControls();
  if (active && $(active)) $(active).focus();
}

/** The book's market symbols, in order, once each (what an order can be placed on). */
const bookSymbols = () => [...new Set(state.positions.map((p) => p.symbol).filter((x) => x.trim() !== ''))];

/** The market choices of an order: the book's symbols, and its own when no longer in the book. */
function orderMarketOptions(o) {
  const symbols = bookSymbols();
  const options = symbols.map((x) => [x, x]);
  if (!symbols.includes(o.symbol)) options.push([o.symbol, o.symbol ? `${o.symbol} (not in the book)` : '(choose a market)']);
  return options;
}

/** Resting orders: one small fieldset each (market, side, size, price, leverage). */
function renderOrderRows(focusId) {
  const rows = state.orders.map((o, k) => {
    const input = (key, labelText, opts) => rowInput(`o${k}-${key}`, labelText, o[key], { 'data-o': k, 'data-ok': key }, opts);
    const choice = (key, labelText, options) => {
      const id = `o${k}-${key}`;
      const control = select(options, o[key]);
      Object.assign(control, { id });
      control.dataset.o = String(k);
      control.dataset.ok = key;
      control.setAttribute('aria-describedby', `${id}-error`);
      return h('div', { class: 'field' }, h('label', { for: id, text: labelText }), control, h('p', { class: 'error', id: `${id}-error` }));
    };
    return h('fieldset', { class: 'stress-row order-row', id: `o${k}` },
      h('legend', { text: `Order ${k + 1}` }),
      h('div', { class: 'fields stress-fields' },
        choice('symbol', 'Market', orderMarketOptions(o)),
        choice('side', 'Side', [['buy', 'Buy'], ['sell', 'Sell']]),
        input('size', 'Size (contracts)'),
        input('price', 'Price', { hint: 'Blank: at the mark (an option\'s premium).' }),
        input('leverage', 'Leverage (×)', { hint: 'Blank: the position\'s.' })),
      h('p', { class: 'error', id: `o${k}-error` }),
      h('div', { class: 'row-actions' },
        h('button', { type: 'button', 'data-action': 'remove-order', 'data-o': k, 'aria-label': `Remove order ${k + 1}`, text: 'Remove' })));
  });
  $('order-rows').replaceChildren(...rows);
  $('add-order').disabled = state.orders.length >= MAX_ORDERS || bookSymbols().length === 0;
  const n = state.orders.length;
  $('orders-count').textContent = n ? `(${n} order${n === 1 ? '' : 's'})` : '(none)';
  if (n) $('orders-box').open = true;
  syncOrderControls();
  if (focusId && $(focusId)) $(focusId).focus();
}

/** Order controls that follow the book: market choices, and leverage (not used in portfolio mode or on options). */
function syncOrderControls() {
  state.orders.forEach((o, k) => {
    const sel = $(`o${k}-symbol`);
    if (!sel) return;
    const options = orderMarketOptions(o);
    if (sel.options.length !== options.length || options.some(([v], j) => sel.options[j].value !== v)) {
      sel.replaceChildren(...options.map(([v, t]) => h('option', { value: v, text: t })));
      sel.value = o.symbol;
    }
    const lev = $(`o${k}-leverage`);
    lev.disabled = !orderTakesLeverage(state, o);
    $(`o${k}-leverage-hint`).textContent = state.marginMode === 'portfolio'
      ? 'Not used in portfolio mode (the grid sets the margin).'
      : lev.disabled ? 'Options take no leverage.' : 'Blank: the position\'s.';
  });
  $('add-order').disabled = state.orders.length >= MAX_ORDERS || bookSymbols().length === 0;
}

function addOrder() {
  if (state.orders.length >= MAX_ORDERS) return;
  const last = state.orders.at(-1);
  const p = state.positions.find((x) => x.symbol === last?.symbol) ?? state.positions.find((x) => x.symbol.trim() !== '');
  state.orders.push(defaultOrderRow(p));
  renderOrderRows(`o${state.orders.length - 1}-symbol`);
  recompute();
  announce(`Order ${state.orders.length} added. ${statusEl.textContent}`);
}

/**
 * The portfolio-margin fields: shown in portfolio mode; the scan ranges for SPAN and for a custom
 * grid whose moves are in scan-range units; the custom grid's editor for a custom grid.
 */
function syncAccountControls() {
  $('pm-fieldset').hidden = state.marginMode !== 'portfolio';
  const span = state.pmGrid === 'span16';
  const custom = state.pmGrid === 'custom';
  form.elements.pmPriceRange.disabled = !(span || (custom && state.custom.priceUnit === 'scanRange'));
  form.elements.pmVolRange.disabled = !(span || (custom && state.custom.volUnit === 'scanRange'));
  const underlyings = new Set(state.positions.map((p) => p.underlying.trim().toUpperCase()));
  $('pmPriceRange-hint').textContent = span
    ? `SPAN moves the reference underlying by ⅓, ⅔ and 1 of it (2× at 35 %).${underlyings.size > 1 ? ' This book has several underlyings: one absolute scan range cannot move them all, so the engine refuses SPAN here; pick a grid of relative moves.' : ''}`
    : custom
      ? 'Used by a custom grid whose price (or volatility) moves are in scan-range units.'
      : 'SPAN only: this grid moves prices and volatilities by fixed fractions.';
  form.elements.pmExtreme.disabled = !span;
  const extras = PM_EXTRA_FIELDS.filter((k) => String(state[k]).trim() !== '').length;
  $('pm-more-count').textContent = extras ? `(${extras} set)` : '';
  if (extras) $('pm-more').open = true;
  $('pm-custom').hidden = !custom;
  if (custom && !$('pm-custom').hasChildNodes()) renderCustomGrid();
  if ($('order-rows').hasChildNodes()) syncOrderControls();
}

/** Portfolio-margin parameters beyond the grid and scan ranges (blank: the engine's default). */
const PM_EXTRA_FIELDS = ['pmDays', 'pmShortMin', 'pmExtreme'];

/** Other collateral assets: one small fieldset each (asset, amount, price, haircut). */
function renderCollateralRows(focusId) {
  const rows = state.collateral.map((c, k) => {
    const input = (key, labelText, opts) => rowInput(`c${k}-${key}`, labelText, c[key], { 'data-c': k, 'data-ck': key }, opts);
    return h('fieldset', { class: 'stress-row', id: `c${k}` },
      h('legend', { text: `Asset ${k + 1}` }),
      h('div', { class: 'fields stress-fields' },
        input('asset', 'Asset', { inputmode: 'text' }),
        input('amount', 'Amount'),
        input('price', 'Price'),
        input('haircut', 'Haircut', { hint: '0.1 is 10 %.' })),
      h('p', { class: 'error', id: `c${k}-error` }),
      h('div', { class: 'row-actions' },
        h('button', { type: 'button', 'data-action': 'remove-collateral', 'data-c': k, 'aria-label': `Remove collateral asset ${k + 1}`, text: 'Remove' })));
  });
  $('collateral-rows').replaceChildren(...rows);
  $('add-collateral').disabled = state.collateral.length >= MAX_COLLATERAL;
  const n = state.collateral.length;
  $('collateral-count').textContent = n ? `(${n} asset${n === 1 ? '' : 's'})` : '(none)';
  if (n) $('collateral-box').open = true;
  if (focusId && $(focusId)) $(focusId).focus();
}

function addCollateral() {
  if (state.collateral.length >= MAX_COLLATERAL) return;
  state.collateral.push(defaultCollateralRow());
  renderCollateralRows(`c${state.collateral.length - 1}-asset`);
  recompute();
  announce(`Collateral asset ${state.collateral.length} added. ${statusEl.textContent}`);
}

const PRICE_UNIT_HINT = {
  relative: 'Relative: −0.1 moves every price by −10 %.',
  scanRange: 'Scan ranges: −1 moves the price by one price scan range (set above).',
};
const VOL_UNIT_HINT = {
  literal: { additive: '0.1 adds 10 volatility points.', relative: '0.1 raises each volatility by 10 % of itself.', dteScaled: '0.1 is a +10 % shock, scaled by days to expiry (Paradex form).' },
  scanRange: { additive: '1 adds one volatility scan range (set above).', relative: '1 is one volatility scan range, relative.', dteScaled: '1 is one volatility scan range, scaled by days to expiry.' },
};

/** The custom scenario grid: name, units and conventions, scenarios, min delta, IM/MM factors. */
function renderCustomGrid(focusId) {
  const g = state.custom;
  const box = $('pm-custom');
  const gridField = (key, labelText, control, hint) => {
    const id = `pmc-${key}`;
    Object.assign(control, { id });
    control.dataset.gc = key;
    control.setAttribute('aria-describedby', `${hint ? `${id}-hint ` : ''}${id}-error`);
    return h('div', { class: 'field' }, h('label', { for: id, text: labelText }), control,
      hint ? h('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null,
      h('p', { class: 'error', id: `${id}-error` }));
  };
  const text = (v) => textInput(v, 'text');
  const volHint = VOL_UNIT_HINT[g.volUnit]?.[g.volConvention] ?? '';
  const scenarios = g.scenarios.map((x, k) => {
    const input = (key, labelText, opts) => rowInput(`g${k}-${key}`, labelText, x[key], { 'data-g': k, 'data-gk': key }, opts);
    return h('fieldset', { class: 'stress-row', id: `g${k}` },
      h('legend', { text: `Scenario ${k + 1}` }),
      h('div', { class: 'fields stress-fields' },
        input('label', 'Label', { inputmode: 'text' }),
        input('price', 'Price move'),
        input('vol', 'Vol move'),
        input('weight', 'Weight')),
      h('p', { class: 'error', id: `g${k}-error` }),
      h('div', { class: 'row-actions' },
        h('button', { type: 'button', 'data-action': 'remove-scenario', 'data-g': k, 'aria-label': `Remove scenario ${k + 1} of the custom grid`, disabled: g.scenarios.length <= 1, text: 'Remove' })));
  });
  const md = h('input', { type: 'checkbox', id: 'pmc-minDelta', 'data-gc': 'minDelta', 'aria-describedby': 'pmc-minDelta-hint pmc-minDelta-error' });
  md.checked = g.minDelta;
  box.replaceChildren(
    h('h3', { id: 'pm-custom-title', text: 'Custom grid' }),
    h('div', { class: 'fields' },
      gridField('name', 'Grid name', text(g.name)),
      gridField('priceUnit', 'Price moves in', select([['relative', 'Fractions of the price'], ['scanRange', 'Price scan ranges']], g.priceUnit), PRICE_UNIT_HINT[g.priceUnit]),
      gridField('volUnit', 'Volatility moves in', select([['literal', 'Volatility units'], ['scanRange', 'Volatility scan ranges']], g.volUnit)),
      gridField('volConvention', 'Volatility shift', select([['additive', 'Additive'], ['relative', 'Relative'], ['dteScaled', 'Scaled by days to expiry']], g.volConvention), volHint),
      gridField('imPer', 'IM per requirement', textInput(g.imPer), 'IM = this × requirement; blank: 1.'),
      gridField('mmPer', 'MM per requirement', textInput(g.mmPer), 'MM = this × requirement (Paradex 0.5); blank: 1.')),
    h('p', { class: 'hint', id: 'pm-custom-hint', text: 'Every scenario moves the reference underlying (and every market with it) and the volatilities; its loss counts × its weight (blank: 1). The requirement is the largest weighted loss, or the minimum delta charge when larger.' }),
    ...scenarios,
    h('p', { class: 'error', id: 'pm-custom-error' }),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', id: 'add-scenario', disabled: g.scenarios.length >= MAX_SCENARIOS, text: 'Add grid scenario' })),
    h('div', { class: 'fields' },
      h('div', { class: 'field wide' },
        h('div', { class: 'check-row' }, md, h('label', { for: 'pmc-minDelta', text: 'Minimum delta charge' })),
        h('p', { class: 'hint', id: 'pmc-minDelta-hint', text: '(unhedged × |net delta| + hedged × hedged delta) × reference price, when larger than the worst loss.' }),
        h('p', { class: 'error', id: 'pmc-minDelta-error' })),
      g.minDelta ? gridField('mdUnhedged', 'Unhedged factor', textInput(g.mdUnhedged)) : null,
      g.minDelta ? gridField('mdHedged', 'Hedged factor', textInput(g.mdHedged)) : null));
  $('add-scenario').addEventListener('click', addScenario);
  if (focusId && $(focusId)) $(focusId).focus();
}

function addScenario() {
  if (state.custom.scenarios.length >= MAX_SCENARIOS) return;
  state.custom.scenarios.push(defaultScenarioRow());
  renderCustomGrid(`g${state.custom.scenarios.length - 1}-label`);
  recompute();
  announce(`Scenario ${state.custom.scenarios.length} added to the custom grid. ${statusEl.textContent}`);
}

/** The VaR controls from the state. */
function renderVarControls() {
  const v = state.var;
  $('varSeries').value = v.series;
  for (const [id, key] of [['varFormat', 'format'], ['varColumn', 'column'], ['varConfidence', 'confidence'], ['varHorizon', 'horizon'], ['varWindows', 'windows'], ['varQuantile', 'quantile'], ['varEs', 'es']]) $(id).value = v[key];
  if (v.series.trim() !== '' || state.seriesLeftOut) $('var-box').open = true;
  syncVarControls();
}

/** Non-blank text's line count, ignoring blank lines at either end (without copying a long text). */
function lineCount(text) {
  let start = 0;
  let end = text.length;
  while (start < end && /\s/.test(text[start])) start += 1;
  while (end > start && /\s/.test(text[end - 1])) end -= 1;
  if (start === end) return 0;
  let n = 1;
  for (let k = text.indexOf('\n', start); k !== -1 && k < end; k = text.indexOf('\n', k + 1)) n += 1;
  return n;
}

/** What the series control says about itself: its size and whether the link carries it. */
function syncVarControls() {
  const series = state.var.series;
  const lines = lineCount(series);
  $('varSeries-count').textContent = lines ? `(${lines} line${lines === 1 ? '' : 's'})` : '';
  let note = '';
  if (state.seriesLeftOut && lines === 0) note = 'The link that opened this page did not carry its series (too long for a link): paste it, or import the JSON export.';
  else if (lines && !seriesFitsLink(series)) note = `This series is too long for a share link (over ${MAX_SERIES_IN_LINK} characters once encoded): the link keeps the VaR settings only; Export JSON carries the series.`;
  else if (lines) note = 'The share link carries this series.';
  $('varSeries-link').textContent = note;
}

async function loadSeriesFile(event) {
  const file = event.target.files?.[0];
  if (!file) return;
  const status = $('var-file-status');
  const name = file.name.slice(0, MAX_TEXT);
  try {
    if (file.size > MAX_SERIES) throw new Error(`it is larger than ${MAX_SERIES} bytes`);
    const text = await file.text();
    state.var.series = text;
    state.seriesLeftOut = false;
    $('varSeries').value = text;
    syncVarControls();
    recompute();
    status.textContent = `Loaded ${name} (${lineCount(text)} lines), read in this browser only.`;
  } catch (e) {
    status.textContent = `Could not load ${name}: ${e.message}.`;
  } finally {
    event.target.value = '';
  }
}

function clearSeries() {
  state.var.series = '';
  state.seriesLeftOut = false;
  $('varSeries').value = '';
  syncVarControls();
  recompute();
  $('varSeries').focus();
}

const RISK_VOL_MIN = 1;
const RISK_VOL_MAX = 300;

/** A slider position for a text value (the middle when it is not a number, clamped). */
function sliderValue(text, min, max) {
  const x = Number(String(text).trim());
  if (String(text).trim() === '' || !Number.isFinite(x)) return String((min + max) / 2);
  return String(Math.min(max, Math.max(min, x)));
}

/** Stress scenarios: one small fieldset each (name, price move, volatility move, days forward). */
function renderStressRows(focusId) {
  const n = state.stress.length;
  const rows = state.stress.map((x, i) => {
    const input = (key, labelText, hint) => {
      const id = `s${i}-${key}`;
      const control = h('input', { id, inputmode: key === 'name' ? 'text' : 'decimal', maxlength: MAX_TEXT, spellcheck: 'false', 'data-s': i, 'data-sk': key, 'aria-describedby': `${hint ? `${id}-hint ` : ''}${id}-error` });
      control.value = x[key];
      return h('div', { class: 'field' },
        h('label', { for: id, text: labelText }),
        control,
        hint ? h('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null,
        h('p', { class: 'error', id: `${id}-error` }));
    };
    return h('fieldset', { class: 'stress-row', id: `s${i}` },
      h('legend', { text: `Scenario ${i + 1}` }),
      h('div', { class: 'fields stress-fields' },
        input('name', 'Name'),
        input('move', 'Price move (%)'),
        input('vol', 'Volatility move (pts)'),
        input('days', 'Days forward')),
      h('p', { class: 'error', id: `s${i}-error` }),
      h('div', { class: 'row-actions' },
        h('button', { type: 'button', 'data-action': 'remove-stress', 'data-s': i, 'aria-label': `Remove stress scenario ${i + 1}`, text: 'Remove' })));
  });
  $('stress-rows').replaceChildren(...rows);
  $('add-stress').disabled = n >= MAX_STRESS;
  if (focusId && $(focusId)) $(focusId).focus();
}

function addStress() {
  if (state.stress.length >= MAX_STRESS) return;
  state.stress.push(defaultStressRow());
  const i = state.stress.length - 1;
  renderStressRows(`s${i}-name`);
  recompute();
  announce(`Stress scenario ${i + 1} added. ${statusEl.textContent}`);
}

/** A SPAN price scan range suggested from the book: 10 % of the reference price, two figures. */
function suggestScanRange() {
  const ref = state.positions.find((p) => p.kind === 'option')?.underlyingPrice ?? state.positions[0]?.markPrice;
  const x = Number(ref) * 0.1;
  return Number.isFinite(x) && x > 0 ? String(Number(x.toPrecision(2))) : state.pmPriceRange;
}

const STRUCTURAL = new Set(['rule', 'settlement', 'kind', 'pricing', 'imModel']);

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
  if (t.id === 'import-json' || t.id === 'share-url' || t.id === 'theme' || t.id === 'var-file' || t.dataset.noState !== undefined) return;
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
        p.rule = ['tiered', 'sizeScaled'].includes(t.value) && p.kind !== 'option' ? t.value : 'fixed';
        if (p.rule === 'tiered' && p.tiers.length === 0) p.tiers = defaultTiers();
      }
    } else if (key === 'kind') {
      const was = p.kind;
      if (p.rule === 'preset' && presetKind(presetByName(p.preset)) !== t.value) p.rule = 'fixed';
      if (t.value === 'option' && was !== 'option') notes = becomeOption(p);
      // Back to a future: the entry premium means nothing there; start flat at the mark.
      if (t.value !== 'option' && was === 'option') p.entryPrice = p.markPrice;
      p.kind = t.value;
      if (p.kind === 'option' && (p.rule === 'tiered' || p.rule === 'sizeScaled')) p.rule = 'fixed';
    } else if (key === 'imModel') {
      p.imModel = t.checked;
      // The floor starts at the rule's rate: the engine's rate for this position without the model.
      const rate = lastGood?.positions[Number(t.dataset.i)]?.initialMarginRate;
      if (p.imModel && p.imFloor.trim() === '') p.imFloor = rate ?? '0.01';
    } else if (key === 'optPae') {
      p.optPae = t.checked;
    } else if (key === 'symbol') {
      // Orders on this market follow its new name (unless another position keeps the old one).
      const old = p.symbol;
      p.symbol = t.value;
      if (old !== t.value && !state.positions.some((x) => x !== p && x.symbol === old)) {
        for (const o of state.orders) if (o.symbol === old) o.symbol = t.value;
      }
      syncOrderControls();
    } else {
      p[key] = t.value;
    }
    if (key === 'iv') {
      // The slider and the field are one value: move the other one.
      const other = t.type === 'range' ? $(`p${t.dataset.i}-iv`) : $(`p${t.dataset.i}-ivSlider`);
      if (other) other.value = t.type === 'range' ? t.value : ivSliderValue(t.value);
    }
    if (key === 'symbol') $(`p${t.dataset.i}-legend-symbol`).textContent = t.value ? ` — ${t.value}` : '';
    if (key === 'underlying') {
      $(`p${t.dataset.i}-unit-name`).textContent = t.value.trim() !== '' ? t.value : 'shared (no underlying named)';
      syncAccountControls();
    }
    if (STRUCTURAL.has(key)) renderBook(t.id);
  } else if (t.dataset.sk !== undefined) {
    const row = state.stress[Number(t.dataset.s)];
    if (!row) return;
    row[t.dataset.sk] = t.value;
  } else if (t.dataset.tk !== undefined) {
    const tier = state.positions[Number(t.dataset.i)]?.tiers[Number(t.dataset.t)];
    if (!tier) return;
    tier[t.dataset.tk] = t.value;
  } else if (t.dataset.ok !== undefined) {
    const o = state.orders[Number(t.dataset.o)];
    if (!o) return;
    if (t.tagName === 'SELECT' && event.type !== 'change') return;
    o[t.dataset.ok] = t.value;
    if (t.dataset.ok === 'symbol') syncOrderControls();
  } else if (t.dataset.ck !== undefined) {
    const row = state.collateral[Number(t.dataset.c)];
    if (!row) return;
    row[t.dataset.ck] = t.value;
  } else if (t.dataset.gk !== undefined) {
    const row = state.custom.scenarios[Number(t.dataset.g)];
    if (!row) return;
    row[t.dataset.gk] = t.value;
  } else if (t.dataset.gc !== undefined) {
    const key = t.dataset.gc;
    if (key === 'minDelta') {
      if (event.type !== 'change') return;
      state.custom.minDelta = t.checked;
      renderCustomGrid(t.id);
    } else {
      state.custom[key] = t.value;
      if (key === 'priceUnit' || key === 'volUnit' || key === 'volConvention') {
        if (event.type !== 'change') return;
        syncAccountControls();
        renderCustomGrid(t.id);
      }
    }
  } else if (t.dataset.var !== undefined) {
    state.var[t.dataset.var] = t.value;
    if (t.dataset.var === 'series') {
      state.seriesLeftOut = false;
      syncVarControls();
    }
  } else if (t.id === 'riskVolSlider') {
    state.riskVol = t.value;
    form.elements.riskVol.value = t.value;
  } else if (t.name === 'includeFees') {
    state.includeFees = t.checked;
    form.elements.takerFeeRate.disabled = !state.includeFees;
  } else if (t.name in state) {
    if (t.name === 'marginMode' && t.value === 'portfolio' && state.marginMode !== 'portfolio' && !scanRangeTouched) {
      state.pmPriceRange = suggestScanRange();
      form.elements.pmPriceRange.value = state.pmPriceRange;
    }
    state[t.name] = t.value;
    if (t.name === 'valuationTime') valuationTouched = true;
    if (t.name === 'pmPriceRange') scanRangeTouched = true;
    if (t.name === 'riskVol') $('riskVolSlider').value = sliderValue(t.value, RISK_VOL_MIN, RISK_VOL_MAX);
    if (t.name === 'marginMode' || t.name === 'pmGrid' || PM_EXTRA_FIELDS.includes(t.name)) syncAccountControls();
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
    const copy = structuredClone(state.positions[i]);
    copy.symbol = uniqueSymbol(state, copy.symbol || 'MARKET');
    state.positions.splice(i + 1, 0, copy);
    renderBook(`p${i + 1}-symbol`);
    announce(`Position ${i + 2} added as a copy of position ${i + 1}; its symbol is ${copy.symbol}.`);
  } else if (button.dataset.action === 'remove' && state.positions.length > 1) {
    state.positions.splice(i, 1);
    const next = Math.min(i, state.positions.length - 1);
    renderBook(`p${next}-symbol`);
    announce(`Position ${i + 1} removed.`);
  } else if (button.dataset.action === 'add-tier') {
    const p = state.positions[i];
    if (!p || p.tiers.length >= MAX_TIERS) return;
    const last = p.tiers.at(-1);
    // The open-ended last tier gets a cap (five times its floor, or 100 000) and the new tier
    // starts there with the same rate and leverage, to be edited.
    if (last && last.cap.trim() === '') {
      const floor = Number(last.floor);
      last.cap = String(Number.isFinite(floor) && floor > 0 ? floor * 5 : 100000);
    }
    p.tiers.push({ floor: last?.cap ?? '0', cap: '', mmr: last?.mmr ?? '0.01', lev: last?.lev ?? '20', amount: '' });
    renderBook(`p${i}-t${p.tiers.length - 1}-mmr`);
    recompute();
    announce(`Tier ${p.tiers.length} added to position ${i + 1}. ${statusEl.textContent}`);
    return;
  } else if (button.dataset.action === 'remove-tier') {
    const p = state.positions[i];
    const k = Number(button.dataset.t);
    if (!p || p.tiers.length <= 1) return;
    p.tiers.splice(k, 1);
    renderBook(`p${i}-t${Math.min(k, p.tiers.length - 1)}-floor`);
    recompute();
    announce(`Tier ${k + 1} of position ${i + 1} removed. ${statusEl.textContent}`);
    return;
  } else if (button.dataset.action === 'copy-preset' || button.dataset.action === 'edit-preset') {
    const p = state.positions[i];
    const name = button.dataset.action === 'edit-preset' ? p?.preset : $(`p${i}-copyFrom`)?.value;
    const preset = name ? presetByName(name) : null;
    if (!p || !preset) return;
    copyPresetInto(p, preset);
    renderBook(`p${i}-rule`);
    recompute();
    announce(`Position ${i + 1}: the parameters of ${preset.name} (as of ${preset.asOf}) were copied into an editable rule. ${statusEl.textContent}`);
    return;
  } else if (button.dataset.action === 'remove-collateral') {
    const k = Number(button.dataset.c);
    state.collateral.splice(k, 1);
    const next = Math.min(k, state.collateral.length - 1);
    renderCollateralRows(next >= 0 ? `c${next}-asset` : 'add-collateral');
    recompute();
    announce(`Collateral asset ${k + 1} removed. ${statusEl.textContent}`);
    return;
  } else if (button.dataset.action === 'remove-order') {
    const k = Number(button.dataset.o);
    state.orders.splice(k, 1);
    const next = Math.min(k, state.orders.length - 1);
    renderOrderRows(next >= 0 ? `o${next}-symbol` : 'add-order');
    recompute();
    announce(`Order ${k + 1} removed. ${statusEl.textContent}`);
    return;
  } else if (button.dataset.action === 'remove-scenario') {
    const k = Number(button.dataset.g);
    if (state.custom.scenarios.length <= 1) return;
    state.custom.scenarios.splice(k, 1);
    renderCustomGrid(`g${Math.min(k, state.custom.scenarios.length - 1)}-label`);
    recompute();
    announce(`Scenario ${k + 1} removed from the custom grid. ${statusEl.textContent}`);
    return;
  } else if (button.dataset.action === 'remove-stress') {
    const k = Number(button.dataset.s);
    state.stress.splice(k, 1);
    const next = Math.min(k, state.stress.length - 1);
    renderStressRows(next >= 0 ? `s${next}-name` : 'add-stress');
    recompute();
    announce(`Stress scenario ${k + 1} removed. ${statusEl.textContent}`);
    return;
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
  underlying: 'underlying',
};
const OPTION_RULE_KEYS = {
  'margin.initialRate': 'imRate', 'margin.initialFloorRate': 'imFloorRate', 'margin.maintenanceRate': 'mmRate',
  'margin.maintenanceItmRate': 'optItm', 'margin.marginFactor': 'optMf', 'margin.maintenancePremiumMultiplier': 'optPm',
  'margin.liquidationFeeRate': 'optLf', 'margin.premiumAtLeastEntry': 'optPae',
};
const FIXED_RULE_KEYS = { 'margin.maintenanceMarginRate': 'mmr', 'margin.maintenanceAmount': 'mmAmount', 'margin.initialMarginRate': 'fixedImr', 'margin.maxLeverage': 'fixedMaxLev' };
const SIZE_SCALED_RULE_KEYS = { 'margin.initialBaseRate': 'ssInitial', 'margin.maintenanceBaseRate': 'ssMaint', 'margin.slopePerUnit': 'ssSlope' };
const TIER_FIELDS = { notionalFloor: 'floor', notionalCap: 'cap', maintenanceMarginRate: 'mmr', maxLeverage: 'lev', maintenanceAmount: 'amount' };
const ORDER_FIELDS = { symbol: 'symbol', side: 'side', size: 'size', price: 'price', leverage: 'leverage' };
const COLLATERAL_FIELDS = { asset: 'asset', amount: 'amount', price: 'price', haircut: 'haircut' };
const VAR_FIELDS = {
  series: 'varSeries', seriesFormat: 'varFormat', column: 'varColumn', confidence: 'varConfidence', horizonDays: 'varHorizon',
  windows: 'varWindows', quantile: 'varQuantile', expectedShortfall: 'varEs',
};
const GRID_FIELDS = {
  name: 'pmc-name', priceUnit: 'pmc-priceUnit', volUnit: 'pmc-volUnit', volConvention: 'pmc-volConvention', minDelta: 'pmc-minDelta',
  'minDelta.unhedged': 'pmc-mdUnhedged', 'minDelta.hedged': 'pmc-mdHedged', initialPerRequirement: 'pmc-imPer', maintenancePerRequirement: 'pmc-mmPer',
};
const SCENARIO_FIELDS = { label: 'label', priceMove: 'price', volMove: 'vol', weight: 'weight' };

/** [id, id] when the control exists, else [null, fallback message box] (null: none). */
const placed = (id, fallback) => ($(id) ? [id, id] : (fallback && $(`${fallback}-error`) ? [null, fallback] : null));

const STRESS_FIELDS = { name: 'name', priceMovePercent: 'move', volMove: 'vol', daysForward: 'days' };
const IM_MODEL_KEYS = { floor: 'imFloor', confidence: 'imConfidence', horizonDays: 'imHorizon', multiplier: 'imMultiplier' };

/** Maps an engine field path to [control id, message box stem] (null: no place on the form). */
export function controlFor(path) {
  if (path === 'valuationTime') return ['valuationTime', 'valuationTime'];
  if (path === 'volatility') return ['riskVol', 'riskVol'];
  if (path === 'horizonDays') return ['riskHorizon', 'riskHorizon'];
  if (path === 'account.bookLiquidation') return ['marginMode', 'marginMode'];
  if (isVarField(path)) return placed(VAR_FIELDS[path.slice('var.'.length)] ?? 'varSeries', 'varSeries');
  const om = /^orders(?:\[(\d+)\](?:\.(.*))?)?$/.exec(path);
  if (om) {
    if (om[1] === undefined) return [null, 'orders'];
    const key = ORDER_FIELDS[om[2] ?? ''];
    return placed(key ? `o${om[1]}-${key}` : '', `o${om[1]}`) ?? [null, 'orders'];
  }
  const cm = /^account\.collateral(?:\[(\d+)\](?:\.(.*))?)?$/.exec(path);
  if (cm) {
    if (cm[1] === undefined) return [null, 'collateral'];
    const key = COLLATERAL_FIELDS[cm[2] ?? ''];
    return placed(key ? `c${cm[1]}-${key}` : '', `c${cm[1]}`) ?? [null, 'collateral'];
  }
  if (path.startsWith('account.portfolioMargin.customGrid')) {
    const rest = path.slice('account.portfolioMargin.customGrid'.length).replace(/^\./, '');
    const sc = /^scenarios\[(\d+)\](?:\.(.*))?$/.exec(rest);
    if (sc) {
      const key = SCENARIO_FIELDS[sc[2] ?? ''];
      return placed(key ? `g${sc[1]}-${key}` : '', `g${sc[1]}`) ?? [null, 'pm-custom'];
    }
    return placed(GRID_FIELDS[rest] ?? '', 'pm-custom') ?? [null, 'pm-custom'];
  }
  if (path.startsWith('account.portfolioMargin')) {
    const rest = path.slice('account.portfolioMargin'.length);
    if (rest === '.priceScanRange') return ['pmPriceRange', 'pmPriceRange'];
    if (rest === '.volScanRange') return ['pmVolRange', 'pmVolRange'];
    if (rest === '.daysForward') return ['pmDays', 'pmDays'];
    if (rest === '.shortOptionMinimum') return ['pmShortMin', 'pmShortMin'];
    if (rest === '.extremeMultiple') return ['pmExtreme', 'pmExtreme'];
    return ['pmGrid', 'pmGrid'];
  }
  const sm = /^stress\[(\d+)\](?:\.(.*))?$/.exec(path);
  if (sm) {
    const key = STRESS_FIELDS[sm[2] ?? ''];
    if (!$(`s${sm[1]}`)) return null;
    return key ? [`s${sm[1]}-${key}`, `s${sm[1]}-${key}`] : [null, `s${sm[1]}`];
  }
  const im = /^markets\[(\d+)\]\.initialMarginModel(?:\.(.*))?$/.exec(path);
  if (im) {
    // The model's σ is the risk assumptions' volatility.
    if (im[2] === 'volatility') return ['riskVol', 'riskVol'];
    const key = IM_MODEL_KEYS[im[2] ?? ''] ?? 'imModel';
    if ($(`p${im[1]}-${key}`)) return [`p${im[1]}-${key}`, `p${im[1]}-${key}`];
    return [null, `p${im[1]}`];
  }
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
  } else if (p.rule === 'tiered' && rest.startsWith('margin')) {
    const tm = /^margin\.tiers\[(\d+)\](?:\.(.*))?$/.exec(rest);
    if (tm) {
      const tk = TIER_FIELDS[tm[2] ?? ''];
      return placed(tk ? `p${i}-t${tm[1]}-${tk}` : '', `p${i}-t${tm[1]}`) ?? [null, `p${i}-tiers`];
    }
    return [null, `p${i}-tiers`];
  } else if (p.rule === 'sizeScaled' && rest.startsWith('margin')) {
    key = SIZE_SCALED_RULE_KEYS[rest] ?? 'rule';
  } else if (rest.startsWith('margin')) {
    key = FIXED_RULE_KEYS[rest] ?? 'mmr';
  }
  if (key && $(`p${i}-${key}`)) return [`p${i}-${key}`, `p${i}-${key}`];
  return [null, `p${i}`];
}

/** The engine's message, reworded where the page's control differs from the request field. */
function messageFor(e) {
  if (/\.impliedVolatility$/.test(e.field) && e.code === 'out_of_range') return 'must be at most 1000 (in %)';
  // Controls in percent or volatility points where the request takes fractions.
  if (e.code === 'out_of_range' && /^(volatility|account\.portfolioMargin\.volScanRange|stress\[\d+\]\.volMove|markets\[\d+\]\.initialMarginModel\.volatility)$/.test(e.field)) {
    const unit = e.field === 'volatility' || e.field.endsWith('.volatility') ? '%' : 'volatility points';
    return e.message.replace(/(-?\d+(?:\.\d+)?)/g, (x) => `${shiftDecimal(x, 2)}`).concat(/\d/.test(e.message) ? ` (in ${unit})` : '');
  }
  return e.message;
}

function clearMessages() {
  for (const node of form.querySelectorAll('.error, .warn')) node.textContent = '';
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

function describe(path) {
  const m = /^(positions|markets)\[(\d+)\]/.exec(path);
  if (path === 'valuationTime') return 'the valuation time';
  if (path === 'volatility' || path === 'horizonDays') return 'the risk assumptions';
  if (path.startsWith('account.portfolioMargin')) return 'portfolio margin';
  const sm = /^stress\[(\d+)\]/.exec(path);
  if (sm) return `stress scenario ${Number(sm[1]) + 1}`;
  if (isVarField(path)) return 'the VaR input';
  const om = /^orders\[(\d+)\]/.exec(path);
  if (om) return `order ${Number(om[1]) + 1}`;
  if (path === 'orders') return 'the orders';
  if (path.startsWith('account.collateral')) return 'the collateral';
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
    ...(p.imrSource ? [['Initial margin set by', id('imrSource'), imrSourceNode(p.imrSource)]] : []),
  ];
}

/** Which rule produced the initial margin rate (the engine's imrSource), and its formula. */
function imrSourceNode(src) {
  return h('span', { class: 'imr-source', 'data-model': src.model },
    h('span', { text: `${src.rule} (${src.model})` }),
    h('span', { class: 'units', text: src.formula }),
    src.source ? h('span', { class: 'units', text: `Source: ${src.source}` }) : null);
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
    ...(Number.isFinite(liq.distanceSigmas) ? [['Distance in σ', id('distanceSigmas'), figure(String(liq.distanceSigmas), fmt.sigmas(liq.distanceSigmas))]] : []),
    ...(Number.isFinite(liq.touchProbability) ? [[touchLabel(), id('touchProbability'), figure(String(liq.touchProbability), fmt.probability(liq.touchProbability))]] : []),
    ['Bankruptcy price', id('bankruptcyPrice'), figure(p.bankruptcyPrice, fmt.price(p.bankruptcyPrice))],
    ['Tier used', id('tier'), document.createTextNode(tierText(p.tier))],
    ...(p.imrSource ? [['Initial margin rate set by', id('imrSource'), imrSourceNode(p.imrSource)]] : []),
    ['Max additional size', id('maxAdditionalSize'), figure(p.maxAdditionalSize, `${fmt.quantity(p.maxAdditionalSize)} contracts`)],
  ];
  if (p.isolatedMargin !== null) rows.splice(2, 0, ['Isolated margin', id('isolatedMargin'), figure(p.isolatedMargin, fmt.money(p.isolatedMargin, unit))]);
  const table = breakdownTable(p, i);
  return h('article', { class: 'pos-result', id: `result-p${i}`, 'aria-labelledby': `result-p${i}-title` },
    h('h3', { id: `result-p${i}-title`, text: `${p.symbol} · ${p.side} ${fmt.quantity(p.size)} @ ${fmt.price(p.entryPrice)}` }),
    dl(rows),
    h('details', {}, h('summary', { text: 'How each number was computed' }), table));
}

/** "Touch probability (1 day)": the horizon is the request's (the risk assumptions). */
function touchLabel() {
  const days = String(state.riskHorizon).trim();
  return `Touch probability (${days} day${days === '1' ? '' : 's'})`;
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
    const model = (key, text) => (root && Number.isFinite(root[key]) ? figure(String(root[key]), text(root[key])) : document.createTextNode('–'));
    $(`out-bookLiq-${side}Sigmas`).replaceChildren(model('distanceSigmas', fmt.sigmas));
    $(`out-bookLiq-${side}Touch`).replaceChildren(model('touchProbability', fmt.probability));
  }
  const what = ref ? `${ref.symbol}'s underlying` : `${result.positions[0]?.symbol ?? 'the first position'}'s mark price`;
  const units = book.byRiskUnit ?? [];
  $('book-liq-ref').textContent = `${units.length ? `All ${units.length} risk units together: every` : 'Every'} market moves by the same relative amount as ${what}, now ${fmt.price(book.referencePrice)}${book.alreadyLiquidatable ? ' — the book is already at or below its maintenance margin' : ''}.`;
  renderUnitLiquidations(units, result.account.marginMode === 'portfolio');
  $('book-liq-touch').textContent = Number.isFinite(book.volatility)
    ? `σ is ${fmt.modelNumber(book.volatility * 100, 4)} % a year; distances in σ of the ${fmt.modelNumber(book.horizonDays, 4)}-day move, and the probability of touching each price within ${fmt.modelNumber(book.horizonDays, 4)} day${book.horizonDays === 1 ? '' : 's'} (lognormal, no drift).`
    : '';
  $('book-liq-all').textContent = book.prices.length > 2
    ? `All liquidation prices (lowest first): ${book.prices.map((r) => fmt.price(r.price)).join(', ')}.`
    : '';
}

/**
 * Books of several risk units: each unit's liquidation prices with that unit moving alone and
 * every other unit held at its prices (the engine's `byRiskUnit`), one row per unit and side.
 */
function renderUnitLiquidations(units, portfolio) {
  const box = $('book-liq-units');
  box.hidden = units.length === 0;
  if (!units.length) {
    box.replaceChildren();
    return;
  }
  const LABELS = ['Liquidation price', 'Distance', 'Distance in σ', touchLabel()];
  const cell = (id, c, node) => h('td', { class: node instanceof Text ? 'num none' : 'num', id, role: 'cell', 'data-label': LABELS[c] }, node);
  const model = (root, key, text) => (root && Number.isFinite(root[key]) ? figure(String(root[key]), text(root[key])) : document.createTextNode('–'));
  const rows = units.flatMap((u, k) => ['below', 'above'].map((side) => {
    const price = u[side];
    const root = price === null ? null : u.prices.find((r) => r.price === price) ?? null;
    const id = `out-bu-${k}-${side}`;
    return h('tr', { role: 'row', 'data-underlying': u.underlying, 'data-side': side },
      h('th', { scope: 'row', role: 'rowheader' }, `${u.underlying} ${side}`,
        h('span', { class: 'units' }, 'now ', h('span', { id: `${id}-ref` }, figure(u.referencePrice, fmt.price(u.referencePrice))),
          u.alreadyLiquidatable ? ' (already at or past its maintenance margin)' : '')),
      cell(id, 0, price === null ? document.createTextNode('none in the searched range') : figure(price, fmt.price(price))),
      cell(`${id}-distance`, 1, root ? figure(root.distancePercent, fmt.percent(root.distancePercent)) : document.createTextNode('–')),
      cell(`${id}-sigmas`, 2, model(root, 'distanceSigmas', fmt.sigmas)),
      cell(`${id}-touch`, 3, model(root, 'touchProbability', fmt.probability)));
  }));
  const more = units.filter((u) => u.prices.length > 2)
    .map((u) => `${u.underlying}: ${u.prices.map((r) => fmt.price(r.price)).join(', ')}`);
  box.replaceChildren(
    h('h4', { id: 'book-liq-units-title', text: 'Each risk unit moving alone' }),
    h('p', { class: 'hint', id: 'book-liq-units-hint', text: `Each underlying's liquidation prices when it alone moves (its markets by the same relative amount as its reference) and every other risk unit stays at its prices${portfolio ? ', counting the held units\' grid maintenance margin at those prices' : ''}.` }),
    h('table', { id: 'book-liq-units-table', class: 'stackable', role: 'table', 'aria-labelledby': 'book-liq-units-title' },
      h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ['Risk unit', ...LABELS].map((t) => h('th', { scope: 'col', role: 'columnheader', text: t })))),
      h('tbody', { role: 'rowgroup' }, rows)),
    ...(more.length ? [h('p', { class: 'hint', id: 'book-liq-units-all', text: `All liquidation prices, lowest first — ${more.join('; ')}.` })] : []));
}

/** The P&L of one scenario as a heat-map cell: value, weight, colour level, dominant mark. */
function heatCell(x, level, dominant, unit) {
  const bare = (v) => fmt.moneyNumber(v, unit).replace(/ \S+$/, '');
  return h('td', {
    class: `heat-cell ${level}${dominant ? ' dominant' : ''}`, 'data-scenario': x.label,
    'data-pnl': String(x.pnl), 'data-weighted-pnl': String(x.weightedPnl), 'data-dominant': dominant ? 'true' : null,
  },
  h('span', { class: 'visually-hidden', text: `${x.label}: ` }),
  figure(String(x.pnl), bare(x.pnl)),
  x.weight !== 1 ? h('span', { class: 'heat-weight', text: ` × ${fmt.modelNumber(x.weight * 100, 4)} % = ${bare(x.weightedPnl)}` }) : null,
  dominant ? h('span', { class: 'heat-dominant', text: ' dominant' }) : null);
}

/** Colour level of a weighted P&L against the largest: loss-1..4, gain-1..4 or flat. */
function heatLevel(v, max) {
  if (!(Math.abs(v) > max * 1e-9)) return 'heat-flat';
  return `heat-${v < 0 ? 'loss' : 'gain'}-${Math.max(1, Math.min(4, Math.ceil((4 * Math.abs(v)) / max)))}`;
}

/**
 * Every scenario's P&L as a table with colour-coded cells: rows are the underlying's price,
 * columns the volatility shift (a plain list when two scenarios share both). The table is the
 * text alternative itself; colour only repeats the sign and size of each number shown.
 */
function heatMap(pm, unit, id = 'pm-heatmap', of = '') {
  const scen = pm.scenarios;
  const key = (x) => x.toFixed(6);
  const max = Math.max(...scen.map((x) => Math.abs(x.weightedPnl)), 0) || 1;
  const isDominant = (x) => x.label === pm.dominant;
  const additive = /^additive/.test(pm.volConvention ?? '');
  const volText = (v) => {
    if (v === 0) return 'vol unchanged';
    const n = fmt.modelNumber(Math.abs(v) * 100, 4);
    return `vol ${v > 0 ? '+' : '−'}${n} ${additive ? 'pts' : '%'}`;
  };
  const ref = Number(pm.referencePrice);
  const priceText = (x) => {
    const move = ((x / ref) - 1) * 100;
    return `${fmt.price(x.toFixed(2))} (${move >= 0 ? '+' : '−'}${fmt.modelNumber(Math.abs(Number(move.toFixed(4))), 4)} %)`;
  };
  const caption = h('caption', {},
    `P&L of every scenario of the ${pm.gridName ?? pm.grid} grid${of}, ${unit}`,
    h('span', { class: 'units', text: ' — losses red, gains green, darker is larger; the dominant scenario is outlined and labelled. A weighted scenario shows its P&L × weight.' }));
  const pairs = new Set(scen.map((x) => `${key(x.price)}|${key(x.volShift)}`));
  if (pairs.size !== scen.length) {
    return h('table', { class: 'heat', id }, caption,
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Scenario' }), h('th', { scope: 'col', text: 'P&L' }))),
      h('tbody', {}, scen.map((x) => h('tr', {}, h('th', { scope: 'row', text: x.label }), heatCell(x, heatLevel(x.weightedPnl, max), isDominant(x), unit)))));
  }
  const prices = [...new Map(scen.map((x) => [key(x.price), x.price])).values()].sort((a, b) => b - a);
  const vols = [...new Map(scen.map((x) => [key(x.volShift), x.volShift])).values()].sort((a, b) => a - b);
  const at = new Map(scen.map((x) => [`${key(x.price)}|${key(x.volShift)}`, x]));
  return h('table', { class: 'heat', id }, caption,
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Underlying price' }), vols.map((v) => h('th', { scope: 'col', text: volText(v) })))),
    h('tbody', {}, prices.map((price) => h('tr', {},
      h('th', { scope: 'row', text: priceText(price) }),
      vols.map((v) => {
        const x = at.get(`${key(price)}|${key(v)}`);
        return x ? heatCell(x, heatLevel(x.weightedPnl, max), isDominant(x), unit) : h('td', { class: 'heat-empty', text: '–' });
      })))));
}

/** Portfolio (scenario) margin: the requirement, IM/MM, what dominates, the heat map. */
function renderPortfolio(result) {
  const pm = result.account.portfolioMargin;
  $('pm-box').hidden = !pm;
  if (!pm) return;
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  $('out-pm-grid').textContent = pm.gridName ?? pm.grid;
  setFigure('out-pm-requirement', String(pm.requirement), fmt.moneyNumber(pm.requirement, unit));
  setFigure('out-pm-initialMargin', pm.initialMargin, fmt.money(pm.initialMargin, unit));
  setFigure('out-pm-maintenanceMargin', pm.maintenanceMargin, fmt.money(pm.maintenanceMargin, unit));
  const units = pm.riskUnits ?? [];
  // With several risk units the top-level scenario figures are those of the unit with the
  // largest requirement; its dominant scenario is named "UNIT: label".
  const largest = units.find((u) => pm.dominant === `${u.underlying}: ${u.dominant}`)
    ?? units.reduce((a, u) => (a === null || u.requirement > a.requirement ? u : a), null);
  const scenario = pm.scenarios.find((x) => x.label === (largest ? largest.dominant : pm.dominant));
  $('out-pm-dominant').replaceChildren(h('span', { id: 'out-pm-dominantLabel', text: pm.dominant }),
    scenario ? ` (scenario: P&L ${fmt.moneyNumber(scenario.weightedPnl, unit)})` : '');
  setFigure('out-pm-scanRisk', String(pm.scanRisk), `${fmt.moneyNumber(pm.scanRisk, unit)}${pm.worstScenario ? ` — ${pm.worstScenario}` : ''}`);
  const md = pm.minimumDelta;
  $('out-pm-minimumDelta').replaceChildren(md
    ? h('span', {}, figure(String(md.charge), fmt.moneyNumber(md.charge, unit)),
      h('span', { class: 'units', text: ` (net delta ${fmt.modelNumber(md.netDelta, 4)} × ${fmt.modelNumber(md.unhedgedFactor * 100, 3)} % + hedged delta ${fmt.modelNumber(md.hedgedDelta, 4)} × ${fmt.modelNumber(md.hedgedFactor * 100, 3)} %, of the reference price)` }))
    : document.createTextNode('none: this grid has no minimum delta charge'));
  setFigure('out-pm-shortOptionMinimum', String(pm.shortOptionMinimum), pm.shortOptionMinimum ? fmt.moneyNumber(pm.shortOptionMinimum, unit) : 'none');
  setFigure('out-pm-daysForward', String(pm.daysForward), `${fmt.modelNumber(pm.daysForward, 6)} day${pm.daysForward === 1 ? '' : 's'}`);
  // Shown once used (the basic figures stay few).
  const used = (id, on) => {
    $(id).hidden = !on;
    $(id).previousElementSibling.hidden = !on;
  };
  used('out-pm-shortOptionMinimum', pm.shortOptionMinimum !== 0 || state.pmShortMin.trim() !== '');
  used('out-pm-daysForward', pm.daysForward !== 0 || state.pmDays.trim() !== '');
  renderRiskUnits(pm, units, largest, unit);
  $('pm-heat').replaceChildren(largest
    ? heatMap({ ...pm, dominant: largest.dominant, referencePrice: largest.referencePrice }, unit, 'pm-heatmap', ` for risk unit ${largest.underlying} (the largest requirement)`)
    : heatMap(pm, unit));
  $('pm-notes').textContent = [pm.volConvention ? `Volatility: ${pm.volConvention}.` : '', `IM = ${fmt.modelNumber(pm.initialPerRequirement, 4)} × requirement, MM = ${fmt.modelNumber(pm.maintenancePerRequirement, 4)} × requirement.`, ...(pm.notes ?? [])].filter(Boolean).join(' ');
}

/**
 * Portfolio margin of a book of several underlyings: each risk unit's requirement, IM, MM and
 * dominant scenario (the account's are their sums), and each unit's scenarios on request.
 */
function renderRiskUnits(pm, units, largest, unit) {
  const box = $('pm-units');
  box.hidden = units.length === 0;
  if (!units.length) {
    box.replaceChildren();
    return;
  }
  const open = new Set([...box.querySelectorAll('details[open]')].map((d) => d.dataset.underlying));
  const LABELS = [`Requirement (${unit})`, `Initial margin (${unit})`, `Maint. margin (${unit})`, 'Dominant scenario'];
  const bare = (text) => text.replace(/ \S+$/, '');
  const cell = (id, c, node) => h('td', { class: c < 3 ? 'num' : null, id, role: 'cell', 'data-label': LABELS[c] }, node);
  const rows = units.map((u, k) => h('tr', { role: 'row', 'data-underlying': u.underlying },
    h('th', { scope: 'row', role: 'rowheader' }, u.underlying,
      h('span', { class: 'units', text: ` ${u.symbols.join(', ')} · reference ${fmt.modelNumber(u.referencePrice, 10)}` })),
    cell(`out-pu-${k}-requirement`, 0, figure(String(u.requirement), bare(fmt.moneyNumber(u.requirement, unit)))),
    cell(`out-pu-${k}-initialMargin`, 1, figure(u.initialMargin, bare(fmt.money(u.initialMargin, unit)))),
    cell(`out-pu-${k}-maintenanceMargin`, 2, figure(u.maintenanceMargin, bare(fmt.money(u.maintenanceMargin, unit)))),
    cell(`out-pu-${k}-dominant`, 3, document.createTextNode(u.dominant))));
  const details = units.map((u, k) => {
    const md = u.minimumDelta;
    return h('details', { class: 'unit-scenarios', id: `pm-unit-${k}`, 'data-underlying': u.underlying, open: open.has(u.underlying) },
      h('summary', { text: `${u.underlying}: scan risk, minimum delta and every scenario (${u.scenarios.length})` }),
      dl([
        ['Scan risk (worst scenario)', `out-pu-${k}-scanRisk`, figure(String(u.scanRisk), `${fmt.moneyNumber(u.scanRisk, unit)}${u.worstScenario ? ` — ${u.worstScenario}` : ''}`)],
        ['Minimum delta charge', `out-pu-${k}-minimumDelta`, md ? figure(String(md.charge), `${fmt.moneyNumber(md.charge, unit)} (net delta ${fmt.modelNumber(md.netDelta, 4)})`) : document.createTextNode('none: this grid has no minimum delta charge')],
        ['Short-option minimum', `out-pu-${k}-shortOptionMinimum`, figure(String(u.shortOptionMinimum), u.shortOptionMinimum ? fmt.moneyNumber(u.shortOptionMinimum, unit) : 'none')],
      ]),
      heatMap({ ...pm, ...u }, unit, `pm-heatmap-u${k}`, ` for risk unit ${u.underlying}`));
  });
  box.replaceChildren(
    h('h4', { id: 'pm-units-title', text: 'Risk units' }),
    h('p', { class: 'hint', id: 'pm-units-hint', text: `The grid runs on each underlying separately, from its own reference price; the account's requirement, IM and MM are the sums over the ${units.length} units. The scan risk, minimum delta and heat map above are those of ${largest?.underlying ?? 'the unit with the largest requirement'}, the largest.` }),
    h('table', { id: 'pm-units-table', class: 'stackable', role: 'table', 'aria-labelledby': 'pm-units-title' },
      h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ['Risk unit', ...LABELS].map((t) => h('th', { scope: 'col', role: 'columnheader', text: t })))),
      h('tbody', { role: 'rowgroup' }, rows)),
    ...details);
}

/** Stress scenarios: P&L, equity, maintenance margin, margin ratio, liquidated or not. */
function renderStress(result) {
  const st = result.stress;
  $('stress-box').hidden = !st || st.scenarios.length === 0;
  if (!st) return;
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  const bare = (text) => text.replace(/ \S+$/, '');
  const LABELS = [`P&L (${unit})`, `Equity (${unit})`, 'Maint. margin', 'Margin ratio', 'Liquidated'];
  // Explicit table roles: on narrow screens the rows are stacked (CSS), which would otherwise
  // drop the table semantics in some browsers; each cell also carries its column name for that.
  const num = (k, v, c) => h('td', { class: 'num', id: k, role: 'cell', 'data-label': LABELS[c] }, v);
  const shock = (x) => {
    const move = String(x.priceMovePercent).replace(/^-/, '−');
    const parts = [`price ${Number(x.priceMovePercent) > 0 ? '+' : ''}${move} %`];
    if (x.volMove) parts.push(`vol ${x.volMove > 0 ? '+' : '−'}${fmt.modelNumber(Math.abs(x.volMove) * 100, 4)} pts`);
    if (x.daysForward) parts.push(`${fmt.modelNumber(x.daysForward, 4)} day${x.daysForward === 1 ? '' : 's'} later`);
    return parts.join(', ');
  };
  $('stress-results').replaceChildren(h('table', { id: 'stress-table', class: 'stress', role: 'table' },
    h('caption', { class: 'visually-hidden', text: `Stress test results, ${unit}` }),
    h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ['Scenario', ...LABELS].map((t) => h('th', { scope: 'col', role: 'columnheader', text: t })))),
    h('tbody', { role: 'rowgroup' }, st.scenarios.map((x, i) => h('tr', { class: x.liquidated ? 'liquidated' : null, role: 'row' },
      h('th', { scope: 'row', role: 'rowheader' }, x.name, h('span', { class: 'units', text: shock(x) })),
      num(`out-stress-${i}-pnl`, figure(String(x.pnl), bare(fmt.moneyNumber(x.pnl, unit))), 0),
      num(`out-stress-${i}-equity`, figure(x.equity, bare(fmt.money(x.equity, unit))), 1),
      num(`out-stress-${i}-maintenanceMargin`, figure(x.maintenanceMargin, bare(fmt.money(x.maintenanceMargin, unit))), 2),
      num(`out-stress-${i}-marginRatio`, x.marginRatio === null ? document.createTextNode('– (no equity)') : figure(x.marginRatio, fmt.ratioPercent(x.marginRatio, 2)), 3),
      h('td', { id: `out-stress-${i}-liquidated`, role: 'cell', 'data-label': LABELS[4], class: x.liquidated ? 'bad' : null, 'data-liquidated': String(x.liquidated), text: x.liquidated ? 'Yes' : 'No' }))))));
  $('stress-method').textContent = st.method ? `How: ${st.method}.` : '';
}

/** Multi-asset collateral: each asset's value before and after its haircut, totals, the ratio. */
function renderCollateral(result) {
  const c = result.account.collateral;
  $('collateral-results').hidden = !c;
  if (!c) return;
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  const LABELS = ['Amount', 'Price', 'Haircut', `Value (${unit})`, `After haircut (${unit})`];
  const KEYS = ['amount', 'price', 'haircut', 'value', 'valueAfterHaircut'];
  // Explicit roles and per-cell labels: narrow panels stack the rows (CSS), as for stress.
  const cell = (key, k, node) => h('td', { class: 'num', id: `out-col-${k}-${key}`, role: 'cell', 'data-label': LABELS[KEYS.indexOf(key)] }, node);
  $('collateral-table').replaceChildren(h('table', { id: 'collateral-assets', class: 'stackable', role: 'table' },
    h('caption', { class: 'visually-hidden', text: `Collateral assets, values in ${unit}` }),
    h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ['Asset', ...LABELS].map((t) => h('th', { scope: 'col', role: 'columnheader', text: t })))),
    h('tbody', { role: 'rowgroup' }, c.assets.map((a, k) => h('tr', { role: 'row' },
      h('th', { scope: 'row', role: 'rowheader', text: a.asset }),
      cell('amount', k, figure(a.amount, fmt.quantity(a.amount))),
      cell('price', k, figure(a.price, fmt.price(a.price))),
      cell('haircut', k, figure(a.haircut, fmt.ratioPercent(a.haircut))),
      cell('value', k, figure(a.value, fmt.money(a.value, ''))),
      cell('valueAfterHaircut', k, figure(a.valueAfterHaircut, fmt.money(a.valueAfterHaircut, ''))))))));
  setFigure('out-col-wallet', result.account.walletBalance, fmt.money(result.account.walletBalance, unit));
  setFigure('out-col-gross', c.grossValue, fmt.money(c.grossValue, unit));
  setFigure('out-col-after', c.valueAfterHaircuts, fmt.money(c.valueAfterHaircuts, unit));
  setFigure('out-col-total', c.totalCollateral, fmt.money(c.totalCollateral, unit));
  setFigure('out-col-ratio', c.collateralisationRatio, c.collateralisationRatio === null ? '– (no initial margin)' : `${fmt.leverage(c.collateralisationRatio)} (${fmt.ratioPercent(c.collateralisationRatio, 2)})`);
}

/**
 * Historical VaR / ES and the conventions the engine used. With `varErrors` the last VaR shown
 * stays, marked stale; `pending`: a long series' VaR is being recomputed for new inputs (once
 * typing pauses), and the last one stays marked stale until then — never shown as current.
 */
let lastVar = null;
const VAR_OUT = ['var', 'es', 'confidence', 'horizon', 'observations', 'scenarios', 'tail', 'worst', 'varConvention', 'esConvention'];
function renderVar(result, varErrors, pending = false) {
  const box = $('var-results');
  const v = result.var ?? (varErrors || pending ? lastVar : null);
  const stale = Boolean(varErrors) || pending;
  box.hidden = !v && !pending;
  box.classList.toggle('stale', stale);
  box.dataset.stale = String(stale);
  box.dataset.pending = String(pending);
  $('var-stale').textContent = varErrors
    ? 'The VaR input has an error (see the VaR fields): these figures are from the last valid series and settings.'
    : pending
      ? `Recomputing the VaR of this long series for the new inputs once typing pauses${v ? ': these figures are from the previous inputs' : ''}…`
      : '';
  if (!v) {
    if (!pending) lastVar = null;
    for (const k of VAR_OUT) $(`out-var-${k}`).textContent = '–';
    $('var-method').textContent = '';
    return;
  }
  if (result.var) lastVar = { ...result.var, unit: result.account.settlement === 'inverse' ? 'coin' : 'USDT' };
  const unit = v.unit ?? (result.account.settlement === 'inverse' ? 'coin' : 'USDT');
  setFigure('out-var-var', String(v.var), fmt.moneyNumber(v.var, unit));
  setFigure('out-var-es', String(v.expectedShortfall), fmt.moneyNumber(v.expectedShortfall, unit));
  setFigure('out-var-confidence', String(v.confidence), `${fmt.modelNumber(v.confidence * 100, 6)} %`);
  setFigure('out-var-horizon', String(v.horizonDays), v.horizon);
  setFigure('out-var-observations', String(v.observations), `${v.observations} daily returns`);
  setFigure('out-var-scenarios', String(v.scenarios), String(v.scenarios));
  setFigure('out-var-tail', v.tailSize, v.tailSize);
  $('out-var-worst').replaceChildren(figure(String(v.worstLoss), fmt.moneyNumber(v.worstLoss, unit)),
    v.scale !== 1 ? h('span', { class: 'units', text: ` (before the × ${fmt.modelNumber(v.scale, 6)} horizon scaling)` }) : '');
  $('out-var-varConvention').replaceChildren(h('span', { text: v.varConvention }), v.defaultConventions ? h('span', { class: 'units', text: ' (the default conventions)' }) : '');
  $('out-var-esConvention').textContent = v.esConvention;
  $('var-method').textContent = `How: ${v.method}. Reference price ${fmt.modelNumber(v.referencePrice, 8)}.`;
}

/**
 * Open orders: the margin they hold (per market in cross and isolated mode) and each order's
 * what-if fill as the engine returns it. `errors`: an order is invalid; the last figures stay,
 * marked stale.
 */
let lastOrders = null;
function renderOrders(result, errors) {
  const box = $('orders-results');
  const unitNow = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  const shown = result.orders ? { orders: result.orders, unit: unitNow, portfolio: result.account.marginMode === 'portfolio' } : (errors ? lastOrders : null);
  box.hidden = !shown || state.orders.length === 0;
  box.classList.toggle('stale', Boolean(errors));
  box.dataset.stale = String(Boolean(errors));
  $('orders-stale').textContent = errors ? 'An order has an error (see the order fields): these figures are from the last valid orders.' : '';
  lastOrders = shown;
  if (!shown) return;
  const { orders: o, unit, portfolio } = shown;
  const money = (id, v) => setFigure(id, v, fmt.money(v, unit));
  money('out-orders-initialMargin', o.initialMargin);
  money('out-orders-initialMarginWithOrders', o.initialMarginWithOrders);
  money('out-orders-availableBalanceWithOrders', o.availableBalanceWithOrders);
  const ok = $('out-orders-allowed');
  ok.textContent = o.allowed ? 'Yes' : 'No';
  ok.dataset.allowed = String(o.allowed);
  ok.classList.toggle('bad', !o.allowed);
  // Per market (standard modes): position and order notionals, the exposure and the margin it holds.
  const LABELS = ['Position notional', 'Buy orders', 'Sell orders', 'Exposure', 'IMR', `Held (${unit})`];
  const KEYS = ['positionNotional', 'buyNotional', 'sellNotional', 'exposure', 'initialMarginRate', 'initialMargin'];
  const bare = (v) => fmt.money(v, unit).replace(/ \S+$/, '');
  $('orders-markets').replaceChildren(...(o.markets.length ? [h('table', { id: 'orders-markets-table', class: 'stackable', role: 'table' },
    h('caption', { class: 'visually-hidden', text: `Initial margin held by the orders, per market, ${unit}` }),
    h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ['Market', ...LABELS].map((t) => h('th', { scope: 'col', role: 'columnheader', text: t })))),
    h('tbody', { role: 'rowgroup' }, o.markets.map((m, j) => h('tr', { role: 'row' },
      h('th', { scope: 'row', role: 'rowheader', text: m.symbol }),
      KEYS.map((key, c) => h('td', { class: 'num', id: `out-om-${j}-${key}`, role: 'cell', 'data-label': LABELS[c] },
        figure(m[key], key === 'initialMarginRate' ? fmt.ratioPercent(m[key]) : bare(m[key])))))))),
  ] : []));
  $('orders-fills').replaceChildren(...o.orders.map((x, k) => orderFill(x, k, unit, portfolio)));
  $('orders-notes').replaceChildren(...o.notes.map((n) => h('li', { text: n })));
}

/** One order's what-if fill: the new position, margins, liquidation prices, allowed or not. */
function orderFill(x, k, unit, portfolio) {
  const id = (key) => `out-o${k}-${key}`;
  const money = (v) => figure(v, fmt.money(v, unit));
  const title = `Order ${k + 1}: ${x.side} ${fmt.quantity(x.size)} ${x.symbol} @ ${fmt.price(x.price)}`;
  const f = x.ifFilled;
  if (!f) {
    return h('article', { class: 'order-fill', id: `out-o${k}`, 'aria-labelledby': `out-o${k}-title` },
      h('h4', { id: `out-o${k}-title`, text: title }),
      h('p', { id: id('reason'), text: `Not simulated: ${x.reason ?? 'no reason given'}.` }));
  }
  const pos = f.position;
  const rows = [
    ['Notional', id('notional'), money(x.notional)],
    ['Allowed if filled', id('allowed'), h('span', { class: f.allowed ? null : 'bad', 'data-allowed': String(f.allowed), text: f.allowed ? 'Yes' : 'No' })],
    ['Position after the fill', id('position'), pos
      ? h('span', {}, `${pos.side} ${fmt.quantity(pos.size)} @ `, figure(pos.entryPrice, fmt.price(pos.entryPrice)))
      : document.createTextNode('none (the order closes the position)')],
    ['Realised PnL', id('realizedPnl'), money(f.realizedPnl)],
    ['Extra initial margin', id('incrementalInitialMargin'), money(f.incrementalInitialMargin)],
    ['Account initial margin after', id('initialMargin'), money(f.initialMargin)],
    ['Available balance after', id('availableBalance'), money(f.availableBalance)],
  ];
  if (portfolio) {
    rows.push(
      ['Maintenance margin after', id('maintenanceMargin'), money(f.maintenanceMargin)],
      ['Equity after', id('equity'), money(f.equity)],
      ['Margin ratio after', id('marginRatio'), figure(f.marginRatio, fmt.ratioPercent(f.marginRatio, 2))],
      ['Dominant scenario after', id('dominantScenario'), document.createTextNode(f.dominantScenario ?? '–')],
    );
  } else if (pos) {
    rows.push(
      ['Position initial margin after', id('positionInitialMargin'), money(pos.initialMargin)],
      ['Position maintenance margin after', id('positionMaintenanceMargin'), money(pos.maintenanceMargin)],
    );
  }
  rows.push(['Liquidation prices after', id('liquidationPrices'), f.liquidationPrices.length
    ? h('ul', { class: 'plain' }, f.liquidationPrices.map((l, j) => h('li', { id: `${id('liq')}-${j}`, 'data-symbol': l.symbol },
      `${l.symbol}: `, l.price === null ? 'none' : figure(l.price, fmt.price(l.price)))))
    : document.createTextNode(portfolio ? 'not recomputed per order in portfolio mode (the current book\'s are under Book liquidation)' : 'none')]);
  return h('article', { class: 'order-fill', id: `out-o${k}`, 'aria-labelledby': `out-o${k}-title`, 'data-allowed': String(f.allowed) },
    h('h4', { id: `out-o${k}-title`, text: title }),
    dl(rows));
}

/** Marks, in each tier table, the tier the engine used now and at the liquidation price. */
function markTiersInUse(result) {
  for (const node of form.querySelectorAll('.tier-used')) node.textContent = '';
  for (const node of form.querySelectorAll('.tier-row[data-in-use]')) node.removeAttribute('data-in-use');
  result.positions.forEach((p, i) => {
    if (state.positions[i]?.rule !== 'tiered') return;
    const now = p.tier?.tier ?? null;
    const atLiq = p.liquidation?.tier ?? null;
    for (let k = 1; k <= state.positions[i].tiers.length; k += 1) {
      const notes = [];
      if (k === now) notes.push('in use now');
      if (k === atLiq && atLiq !== now) notes.push('at the liquidation price');
      const span = $(`p${i}-t${k - 1}-used`);
      if (span && notes.length) span.textContent = ` — ${notes.join(', ')}`;
      if (k === now) $(`p${i}-t${k - 1}`)?.setAttribute('data-in-use', 'true');
    }
  });
}

function renderResult(result, layerErrors = {}, varPending = false) {
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  renderAccount(result.account);
  renderCollateral(result);
  renderBookLiquidation(result);
  renderPortfolio(result);
  renderStress(result);
  renderVar(result, layerErrors.var ?? null, varPending);
  renderOrders(result, layerErrors.orders ?? null);
  markTiersInUse(result);
  const open = new Set([...document.querySelectorAll('#position-results details[open]')].map((d) => d.closest('article').id));
  $('position-results').replaceChildren(...result.positions.map((p, i) => renderPosition(p, i, unit)));
  for (const id of open) $(id)?.querySelector('details')?.setAttribute('open', '');
  $('notes').replaceChildren(...result.account.notes.map((n) => h('li', { text: n })));
  $('warnings').replaceChildren(...result.warnings.map((w) => h('li', { text: `${describe(w.field)}: ${w.message}` })));
  $('warnings-box').hidden = result.warnings.length === 0;
}

function summary(result, varPending = false) {
  const unit = result.account.settlement === 'inverse' ? 'coin' : 'USDT';
  const portfolio = result.account.portfolioMargin;
  const liqs = portfolio ? [] : result.positions.filter((p) => !p.option)
    .map((p) => `${p.symbol} liquidation ${p.liquidation.price === null ? 'none' : fmt.price(p.liquidation.price)}`);
  const book = result.account.bookLiquidation;
  if (book) {
    const side = (k) => (book[k] === null ? 'none' : fmt.price(book[k]));
    liqs.unshift(`book liquidation below ${side('below')}, above ${side('above')}`);
    for (const [k, u] of (book.byRiskUnit ?? []).entries()) {
      const at = (key) => (u[key] === null ? 'none' : fmt.price(u[key]));
      liqs.splice(1 + k, 0, `${u.underlying} alone below ${at('below')}, above ${at('above')}`);
    }
  }
  if (portfolio) liqs.unshift(`portfolio margin ${fmt.moneyNumber(portfolio.requirement, unit)}, dominated by ${portfolio.dominant}`);
  const stressed = result.stress?.scenarios.filter((x) => x.liquidated).length ?? 0;
  if (stressed) liqs.push(`liquidated in ${stressed} stress scenario${stressed === 1 ? '' : 's'}`);
  if (result.var) liqs.push(`VaR ${fmt.moneyNumber(result.var.var, unit)} at ${fmt.modelNumber(result.var.confidence * 100, 6)} %`);
  else if (varPending) liqs.push('VaR being recomputed');
  const o = result.orders;
  if (o) {
    const n = o.orders.length;
    const allowed = o.orders.filter((x) => x.ifFilled?.allowed).length;
    liqs.push(`${n} order${n === 1 ? '' : 's'} hold${n === 1 ? 's' : ''} ${fmt.money(o.initialMargin, unit)}; ${allowed} of ${n} fill${n === 1 ? '' : 's'} allowed`);
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
  chartFrame = requestAnimationFrame(() => {
    updateImrCurve();
    updateChart();
  });
}

/** The request for chart points: the book alone (no stress, no touch inputs, no root search asked). */
function chartRequest(from = state) {
  const r = toRequest(from);
  delete r.stress;
  delete r.var;
  delete r.orders;
  delete r.volatility;
  delete r.horizonDays;
  delete r.account.bookLiquidation;
  return r;
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
  const options = result.positions.some((p) => p.option);
  const refSymbol = result.positions.find((p) => p.option)?.symbol ?? result.positions[0]?.symbol ?? '';
  const what = options ? 'underlying price' : 'price';
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
      $('chart-title').textContent = `Equity and maintenance margin vs ${what}`;
      const markers = roots.map((root) => {
        const pt = points.find((q) => q.x === Number(root.price));
        return pt && {
          x: pt.x, y: pt.mm, exact: root.price, kind: 'book-liquidation',
          text: `liquidation ${fmt.price(root.price)}`,
          spoken: `book liquidation price ${fmt.price(root.price)} (${root.direction}, ${fmt.percent(root.distancePercent)} away)`,
        };
      }).filter(Boolean);
      drawChart($('chart'), {
        points, mark: ref, markLabel: options ? 'underlying' : 'mark', unit, markers,
        equityLabel: 'Account equity', mmLabel: 'Maintenance margin',
        title: `Account equity and Maintenance margin against ${refSymbol}'s ${what} (every market moved together)`,
        xLabel: `${refSymbol} ${what}`,
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Initial margin rate vs volatility: the first futures position with a volatility-scaled initial
// margin, alone in a book, its model's σ moved over a grid; every point is the engine's rate.

function updateImrCurve() {
  const box = $('imr-curve-box');
  const i = state.positions.findIndex((p) => p.kind !== 'option' && p.imModel);
  if (i < 0 || !lastGood) {
    box.hidden = true;
    curveKey = '';
    return;
  }
  if (resultsEl.dataset.stale === 'true') return;
  const p = state.positions[i];
  const single = { ...state, marginMode: state.marginMode === 'portfolio' ? 'cross' : state.marginMode, positions: [p], stress: [] };
  const base = chartRequest(single);
  const key = JSON.stringify(base);
  if (key === curveKey && !box.hidden) return;
  const current = base.markets[0].initialMarginModel.volatility;
  const sigma = Number(current);
  if (!(sigma > 0)) return;
  const xs = grid(0.05, Math.max(1.5, sigma * 2), 29, []).filter((x) => Math.abs(x - sigma) > 1e-9);
  const rows = [];
  for (const x of [...xs, sigma].sort((a, b) => a - b)) {
    const r = structuredClone(base);
    r.markets[0].initialMarginModel.volatility = x === sigma ? current : x;
    const out = calculate(r);
    if (!out.ok) continue;
    const pos = out.result.positions[0];
    rows.push({ sigma: x, sigmaText: x === sigma ? current : String(x), rate: pos.initialMarginRate, model: pos.imrSource?.model ?? '', current: x === sigma });
  }
  if (rows.length < 2) return;
  curveKey = key;
  box.hidden = false;
  const now = rows.find((r) => r.current);
  const src = lastGood.positions[i]?.imrSource;
  $('imr-curve-hint').textContent = `${p.symbol}: each point is the engine's initial margin rate with the volatility-scaled model at that σ (floor ${p.imFloor}, confidence ${p.imConfidence}, horizon ${p.imHorizon} day${p.imHorizon.trim() === '1' ? '' : 's'}, multiplier ${p.imMultiplier}), never below the rule's rate; the current σ (Risk assumptions) is marked.${src ? ` Now set by: ${src.rule}.` : ''}`;
  const pct = (x) => `${fmt.modelNumber(x, 4)} %`;
  drawCurve($('imr-curve'), {
    id: 'imr-curve-svg',
    points: rows.map((r) => ({ x: r.sigma * 100, y: Number(r.rate) * 100 })),
    mark: now ? { x: now.sigma * 100, y: Number(now.rate) * 100, text: `σ ${pct(now.sigma * 100)}: IMR ${fmt.ratioPercent(now.rate, 3)}` } : null,
    title: `Initial margin rate of ${p.symbol} against annualised volatility`,
    desc: `From ${fmt.ratioPercent(rows[0].rate, 3)} at σ ${pct(rows[0].sigma * 100)} to ${fmt.ratioPercent(rows.at(-1).rate, 3)} at σ ${pct(rows.at(-1).sigma * 100)}.${now ? ` At the current σ of ${pct(now.sigma * 100)}: ${fmt.ratioPercent(now.rate, 3)}.` : ''} The values are in the table below.`,
    xLabel: 'volatility σ (% a year)', yLabel: 'IMR %',
  });
  $('imr-curve').append(h('details', { class: 'curve-values' },
    h('summary', { text: 'The values (table)' }),
    h('table', { id: 'imr-curve-table' },
      h('caption', { class: 'visually-hidden', text: `Initial margin rate of ${p.symbol} by volatility` }),
      h('thead', {}, h('tr', {}, ['σ (% a year)', 'Initial margin rate', 'Set by'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, rows.map((r) => h('tr', { class: r.current ? 'current' : null, 'data-current': r.current ? 'true' : null },
        h('td', { 'data-sigma': r.sigmaText, text: `${pct(r.sigma * 100)}${r.current ? ' (current)' : ''}` }),
        h('td', { class: 'num' }, figure(r.rate, fmt.ratioPercent(r.rate, 4))),
        h('td', { text: r.model })))))));
}

function updateChart() {
  if (!lastGood || resultsEl.dataset.stale === 'true') return;
  const request = chartRequest();
  const key = JSON.stringify(request);
  if (key === chartKey) return;
  const job = chartJob;
  // Books holding options and portfolio books are liquidated as a whole: plotted against the
  // reference price with the book's roots; other books against the first position's mark.
  const whole = lastGood.account.bookLiquidation && (lastGood.positions.some((p) => p.option) || lastGood.account.marginMode === 'portfolio');
  const plan = whole ? bookPlan(request, lastGood) : positionPlan(request, lastGood);
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
    if (file.size > 2_000_000) throw new Error('the file is larger than 2 MB');
    const data = JSON.parse(await file.text());
    state = normalize(fromRequest(data));
    valuationTouched = data.valuationTime !== undefined;
    scanRangeTouched = state.marginMode === 'portfolio';
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

const isVarField = (field) => field === 'var' || field.startsWith('var.');

/** Series longer than this (characters, about 2 000 prices) get their VaR once typing pauses. */
const VAR_DEFER_CHARS = 20_000;
/** How long typing must pause before a long series' VaR is recomputed. */
const VAR_PAUSE_MS = 250;
/**
 * The VaRs of the last few sets of inputs (the book, the settings and the series), each its
 * result or its errors: going back to earlier inputs (an edit undone) shows theirs at once.
 */
const varCache = new Map();
const VAR_CACHE_SIZE = 4;
function cachedVar(key, series) {
  const hit = varCache.get(key);
  return hit && hit.series === series ? hit : null;
}
function cacheVar(key, entry) {
  varCache.delete(key);
  varCache.set(key, entry);
  while (varCache.size > VAR_CACHE_SIZE) varCache.delete(varCache.keys().next().value);
}
let varTimer = 0;
let varJob = 0;
let lastLayerErrors = {};

/** The cache key of a VaR: the book request it is computed on and the VaR settings (the series is compared as is). */
function varKey(book, v) {
  const { series: _s, ...settings } = v;
  return JSON.stringify([book, settings]);
}

/** The status line: the summary, and what to fix in the orders or the VaR input. */
function statusLine(result, layerErrors, varPending) {
  const errors = Object.values(layerErrors).flat();
  const text = summary(result, varPending);
  return errors.length ? `${text} Fix ${describe(errors[0].field)}: ${messageFor(errors[0])}.` : text;
}

/**
 * Computes a long series' VaR once typing has paused for VAR_PAUSE_MS (an idle callback would
 * add another ~300 ms in Chromium for no gain: the pause is the signal).
 */
function scheduleVar(job) {
  clearTimeout(varTimer);
  varJob += 1;
  const id = varJob;
  varTimer = setTimeout(() => { if (id === varJob) runVar(job); }, VAR_PAUSE_MS);
}

function cancelVar() {
  clearTimeout(varTimer);
  varJob += 1;
}

/** The deferred VaR: computed on the book shown, cached, and shown (or its errors next to the VaR fields). */
function runVar(job) {
  performance.mark('imr:var-start');
  const out = calculate(job.request);
  performance.mark('imr:var-computed');
  let entry;
  if (out.ok) entry = { series: job.series, var: out.result.var };
  else if (out.errors.every((e) => isVarField(e.field))) entry = { series: job.series, errors: out.errors };
  else return; // the engine restarted (a trap): its recompute schedules the VaR again
  cacheVar(job.key, entry);
  if (!lastGood) return;
  const result = entry.var ? { ...lastGood, var: entry.var } : lastGood;
  const layerErrors = entry.errors ? { ...lastLayerErrors, var: entry.errors } : lastLayerErrors;
  renderVar(result, layerErrors.var ?? null);
  if (entry.errors) showMessages(entry.errors, 'error');
  announce(statusLine(result, layerErrors, false));
}
const isOrderField = (field) => field === 'orders' || field.startsWith('orders[');
/** Request parts computed on top of the book, each with the error fields that belong to it. */
const LAYERS = { var: isVarField, orders: isOrderField };

/** Recomputes and renders. `firstLoad`: the state came from the link (or the defaults), so the
 *  link is written after the first frame rather than before the first result. */
function recompute({ firstLoad = false } = {}) {
  if (!firstLoad) saveState();
  const request = toRequest(state);
  // A long series' VaR costs far more than the book (about 1 µs a price): the book is computed
  // now and the VaR once typing pauses (or from the cache when these inputs had one).
  const deferVar = request.var !== undefined && request.var.series.length > VAR_DEFER_CHARS;
  let computed = request;
  if (deferVar) {
    const { var: _later, ...book } = request;
    computed = book;
  }
  let outcome = calculate(computed);
  // The VaR and the orders are analyses on top of the book: when only their inputs are wrong,
  // the book's figures are still computed (without them) and shown fresh; their errors sit next
  // to their fields and their last figures stay, marked stale.
  let layerErrors = {};
  if (!outcome.ok) {
    const layers = Object.keys(LAYERS).filter((k) => computed[k] !== undefined);
    const layerOf = (e) => layers.find((k) => LAYERS[k](e.field));
    if (layers.length && outcome.errors.every((e) => layerOf(e) !== undefined)) {
      const book = { ...computed };
      const found = {};
      for (const e of outcome.errors) (found[layerOf(e)] ??= []).push(e);
      for (const k of Object.keys(found)) delete book[k];
      const retry = calculate(book);
      if (retry.ok) {
        layerErrors = found;
        outcome = retry;
        computed = book;
      }
    }
  }
  chartJob += 1; // any chart being computed is for another book
  clearMessages();
  if (outcome.ok) {
    lastGood = outcome.result;
    let shown = outcome.result;
    let varJobNow = null;
    if (deferVar) {
      const key = varKey(computed, request.var);
      const hit = cachedVar(key, request.var.series);
      if (hit?.var) shown = { ...outcome.result, var: hit.var };
      else if (hit?.errors) layerErrors = { ...layerErrors, var: hit.errors };
      else varJobNow = { request: { ...computed, var: request.var }, key, series: request.var.series };
    }
    lastLayerErrors = layerErrors;
    renderResult(shown, layerErrors, varJobNow !== null);
    showMessages(outcome.result.warnings, 'warn');
    setStale(false);
    showMessages(Object.values(layerErrors).flat(), 'error');
    announce(statusLine(shown, layerErrors, varJobNow !== null));
    if (varJobNow) scheduleVar(varJobNow);
    else cancelVar();
    if (firstLoad) chartAfterFirstFrame = true;
    else scheduleChart();
  } else {
    cancelVar();
    showMessages(outcome.errors, 'error');
    setStale(lastGood !== null);
    const first = outcome.errors[0];
    const more = outcome.errors.length > 1 ? ` (and ${outcome.errors.length - 1} more)` : '';
    announce(`Fix ${describe(first.field)}: ${messageFor(first)}${more}. ${lastGood ? 'The figures below are from the last valid input.' : ''}`.trim());
  }
  if (firstLoad) {
    // The first result is on screen at the next frame after this render. The link and the
    // charts (a dozen milliseconds of engine calls) come in a task after that frame, so they
    // do not hold up its paint; the page is ready once its link is written.
    requestAnimationFrame(() => {
      performance.mark('imr:first-result');
      setTimeout(() => {
        saveState();
        document.body.dataset.ready = 'true';
        if (chartAfterFirstFrame) {
          chartAfterFirstFrame = false;
          scheduleChart();
        }
      }, 0);
    });
  } else {
    document.body.dataset.ready = 'true';
  }
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
    scanRangeTouched = /(?:^#?|&)pmp=/.test(location.hash);
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
  $('add-stress').addEventListener('click', addStress);
  $('add-collateral').addEventListener('click', addCollateral);
  $('add-order').addEventListener('click', addOrder);
  $('varSeries').maxLength = MAX_SERIES;
  $('var-file-button').addEventListener('click', () => $('var-file').click());
  $('var-file').addEventListener('change', loadSeriesFile);
  $('var-clear').addEventListener('click', clearSeries);
  $('valuation-now').addEventListener('click', setValuationNow);
  $('copy-link').addEventListener('click', copyLink);
  $('export-json').addEventListener('click', exportJson);
  $('import-button').addEventListener('click', () => $('import-json').click());
  $('import-json').addEventListener('change', importJson);
  $('theme').addEventListener('change', (e) => applyTheme(e.target.value));
  recompute({ firstLoad: true });
  if (presetNotice && !$('form-error').textContent) $('form-error').textContent = presetNotice;
}

main();
