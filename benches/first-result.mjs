// Time to first result: milliseconds from navigation start until the page's first result is on
// screen, in headless Debian Chromium, median of 7 fresh browser contexts. The page marks it
// (`imr:first-result`, in the animation frame after the first render), so the figure does not
// include the harness's own polling; the phases before it are reported too. Run after
// `cargo xtask build`: node benches/first-result.mjs
import { serve, launch, shutdown } from '../tests/e2e/harness.mjs';

const RUNS = 7;
const server = await serve();
const phases = [];
for (let i = 0; i < RUNS; i += 1) {
  const b = await launch(server.origin);
  await b.page.goto(`${server.origin}/`);
  await b.page.waitForSelector('body[data-ready="true"]');
  await b.page.waitForFunction(() => performance.getEntriesByName('imr:first-result').length > 0);
  phases.push(await b.page.evaluate(() => {
    const at = (name) => performance.getEntriesByName(name)[0]?.startTime;
    const wasm = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'));
    return {
      wasmLoaded: wasm?.responseEnd, compiled: at('imr:compiled'), engineReady: at('imr:engine-ready'),
      firstResult: at('imr:first-result'),
    };
  }));
  await b.close();
}
await shutdown();
await server.close();
const sorted = (key) => phases.map((p) => p[key]).sort((a, b) => a - b);
const median = (key) => sorted(key)[RUNS >> 1];
console.log(`phases (medians): wasm downloaded ${median('wasmLoaded').toFixed(0)} ms, compiled ${median('compiled').toFixed(0)} ms, instantiated ${median('engineReady').toFixed(0)} ms`);
console.log(`first result on screen: median ${median('firstResult').toFixed(0)} ms after navigation (runs: ${sorted('firstResult').map((t) => t.toFixed(0)).join(', ')} ms; target 300 ms)`);
