// Loaded `async` from the page's <head>, before anything else runs: starts compiling the engine
// while its bytes stream in (the <head> preloads them) and starts loading its JS glue, so that
// neither waits for the page's own modules or for the document to be parsed. engine.js takes
// both over; a trap's re-instantiation compiles afresh (engine.js).

export const WASM_URL = new URL('./pkg/page/imr_bg.wasm', import.meta.url);

/** Compiles the module from `url`: streaming when the server says application/wasm, else from
 *  the downloaded bytes (any static server works). */
export function compile(url) {
  const bytes = () => fetch(url).then((r) => {
    if (!r.ok) throw new Error(`${url} answered ${r.status}`);
    return r.arrayBuffer();
  }).then((b) => WebAssembly.compile(b));
  return typeof WebAssembly.compileStreaming === 'function'
    ? WebAssembly.compileStreaming(fetch(url)).catch(bytes)
    : bytes();
}

export const firstModule = compile(WASM_URL);
firstModule.then(() => performance.mark('imr:compiled'), () => {}); // failures: engine.js load()
export const firstGlue = import('./pkg/page/imr.js');
firstGlue.catch(() => {});
