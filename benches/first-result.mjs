// Time to first result: milliseconds from navigation start until the page has computed and
// rendered its first result (body[data-ready]), in headless Debian Chromium, median of 5 fresh
// contexts. Run after `cargo xtask build`: node benches/first-result.mjs
import { serve, launch, shutdown } from '../tests/e2e/harness.mjs';

const server = await serve();
const times = [];
for (let i = 0; i < 5; i += 1) {
  const b = await launch(server.origin);
  await b.page.goto(`${server.origin}/`);
  await b.page.waitForSelector('body[data-ready="true"]');
  times.push(await b.page.evaluate(() => performance.now()));
  await b.close();
}
await shutdown();
await server.close();
times.sort((a, b) => a - b);
console.log(`first result on screen: median ${times[2].toFixed(0)} ms after navigation (runs: ${times.map((t) => t.toFixed(0)).join(', ')} ms; target 300 ms)`);
