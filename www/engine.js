// The wasm engine behind a trap guard. A WebAssembly trap (a bug: a panic aborts) leaves the
// instance unusable; instead of a dead page, the page says what happened and re-instantiates a
// fresh module (a new import of the glue, so no state survives), then recomputes.
// The module is www/pkg/page/: the engine without the option-pricing exports (priceOption,
// impliedVol and the batches), which the page does not call; www/pkg/ has the full API.

import { WASM_URL, compile, firstModule, firstGlue } from './boot.js';

let api = null;
let generation = 0;
let reloading = null;
const trapListeners = [];

/** Loads (or reloads) the engine. */
export async function load() {
  generation += 1;
  const glue = generation === 1 ? './pkg/page/imr.js' : `./pkg/page/imr.js?instance=${generation}`;
  const first = generation === 1;
  const [mod, module] = await Promise.all([first ? firstGlue : import(glue), first ? firstModule : compile(WASM_URL)]);
  await mod.default({ module_or_path: module });
  performance.mark('imr:engine-ready');
  api = mod;
  return generation;
}

/** Registers `fn(error, reloaded: Promise)` to hear about traps. */
export function onTrap(fn) {
  trapListeners.push(fn);
}

function call(name, ...args) {
  if (api === null) {
    return { ok: false, errors: [{ field: 'engine', code: 'not_loaded', message: 'The engine is still loading.' }] };
  }
  try {
    return api[name](...args);
  } catch (error) {
    if (!(error instanceof WebAssembly.RuntimeError)) throw error;
    api = null;
    reloading = reloading ?? load().finally(() => { reloading = null; });
    for (const fn of trapListeners) fn(error, reloading);
    return {
      ok: false,
      errors: [{ field: 'engine', code: 'trapped', message: `The engine stopped unexpectedly (${error.message}); it is being restarted.` }],
    };
  }
}

export const calculate = (request) => call('calculate', request);
export const listPresets = () => call('listPresets');
export const version = () => call('version');
/** Test hook: makes the module trap on purpose (see `__testTrap` in src/wasm.rs). */
export const testTrap = () => call('__testTrap');
export const generationNumber = () => generation;
