// Shared harness for the browser end-to-end tests: a static server for www/ on a free loopback
// port, and Debian's Chromium driven by playwright-core (never a downloaded browser).
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, normalize, extname, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

export const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
export const WWW = join(ROOT, 'www');
export const ARTIFACTS = join(ROOT, 'tests', 'e2e', 'artifacts');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/** Precompressed copies a file may have, in the server's order of preference. */
const PRECOMPRESSED = [['br', '.br'], ['gzip', '.gz']];

/** The codings an Accept-Encoding value allows (listed without `q=0`; `*` is not needed here). */
function acceptedCodings(header) {
  const codings = new Set();
  for (const item of header.split(',')) {
    const [coding, ...parameters] = item.split(';').map((p) => p.trim().toLowerCase());
    const q = parameters.find((p) => p.startsWith('q='));
    if (coding && !(q && !(Number(q.slice(2)) > 0))) codings.add(coding);
  }
  return codings;
}

/** Serves `dir` on 127.0.0.1 at a free port. Extra routes map a path to [type, body]. The
 *  returned `encodings` maps each path served from `dir` to the content coding it was sent in. */
export async function serve(dir = WWW, routes = {}) {
  const encodings = new Map();
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (routes[path]) {
      const [type, body] = routes[path];
      res.writeHead(200, { 'content-type': type });
      res.end(body);
      return;
    }
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir)) { res.writeHead(403); res.end(); return; }
    try {
      let body = await readFile(file);
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
      // The build's precompressed copies (www/pkg/*.br, *.gz), served as a static server with
      // nginx's gzip_static / Caddy's precompressed would: the browser decodes them.
      const accepted = acceptedCodings(req.headers['accept-encoding'] ?? '');
      for (const [coding, suffix] of PRECOMPRESSED) {
        if (!existsSync(file + suffix)) continue;
        headers.vary = 'accept-encoding';
        if (accepted.has(coding) && headers['content-encoding'] === undefined) {
          body = await readFile(file + suffix);
          headers['content-encoding'] = coding;
        }
      }
      encodings.set(path, headers['content-encoding'] ?? 'identity');
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404); res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, encodings, close: () => new Promise((r) => server.close(r)) };
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/**
 * Launches Debian's Chromium with a fresh profile; records console errors and off-origin requests.
 * `origin` may be a list (a host page and an embedded page on another origin). Same-origin blob:
 * URLs (a JSON export) count as on-origin.
 */
export async function launch(origin, options = {}) {
  const origins = [origin].flat();
  const browser = await shared();
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1200, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const consoleErrors = [];
  const offOrigin = [];
  const watch = (p) => {
    p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    p.on('pageerror', (e) => consoleErrors.push(String(e)));
  };
  watch(page);
  context.on('page', watch);
  context.on('request', (r) => {
    const url = r.url();
    const ours = origins.some((o) => url.startsWith(`${o}/`) || url === o || url.startsWith(`blob:${o}/`));
    if (!ours && !url.startsWith('data:') && !url.startsWith('about:')) offOrigin.push(url);
  });
  return {
    page, context, consoleErrors, offOrigin,
    async close() { await context.close(); },
  };
}

// One Chromium per test file (a fresh, isolated context per test): launching is the slow part.
let browserPromise = null;
function shared() {
  browserPromise ??= chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  return browserPromise;
}

/** Closes the shared browser (call from `after` in each test file). */
export async function shutdown() {
  const pending = browserPromise;
  browserPromise = null;
  if (!pending) return;
  try { await (await pending).close(); } catch { /* never launched */ }
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Opens `path` on `origin` in a fresh browser and waits for the first calculation. */
export async function openPage(origin, path = '/', options = {}) {
  return openLink(origin, `${origin}${path}`, options);
}

/** Opens the full address `url` (a share link) in a fresh browser allowed to reach `origin`,
 * and waits for the first calculation; the browser is closed if that fails. */
export async function openLink(origin, url, options = {}) {
  const b = await launch(origin, options);
  try {
    await b.page.goto(url);
    await b.page.waitForSelector('body[data-ready="true"]');
  } catch (e) {
    await b.close();
    throw e;
  }
  return b;
}

/** The engine's exact value behind a displayed figure (`<data value>`), or its text. */
export async function exact(page, selector) {
  return page.$eval(selector, (el) => el.querySelector('data')?.value ?? el.textContent);
}

/** The built engine itself, loaded in Node: tests compare the page with what it returns. */
export async function engine() {
  const glue = await import(join(WWW, 'pkg', 'imr.js'));
  glue.initSync({ module: await readFile(join(WWW, 'pkg', 'imr_bg.wasm')) });
  return glue;
}

/** `text` with every non-ASCII UTF-16 unit escaped as `\uXXXX` (lower-case hex): what the wasm
 *  export `calculateJson` answers where the native engine writes UTF-8 (imr::calculate_json_ascii). */
export function asciiEscaped(text) {
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Fills controls by id: `{ 'p0-size': '1', 'p0-side': 'short' }` (selects are selected). */
export async function fillAll(page, values) {
  for (const [id, value] of Object.entries(values)) {
    const tag = await page.$eval(`#${id}`, (el) => el.tagName);
    if (tag === 'SELECT') await page.selectOption(`#${id}`, value);
    else await page.fill(`#${id}`, value);
  }
}

/** Every test ends with this: no console errors, nothing fetched from another origin. */
export function assertClean(assert, b) {
  assert.deepEqual(b.consoleErrors, [], 'console errors');
  assert.deepEqual(b.offOrigin, [], 'off-origin requests');
}

// Shared by the journeys of the later page sections (risk units, orders, parameters, typing).

/** Where the test server serves axe-core (the page's CSP blocks inlined scripts, rightly). */
export const AXE_URL = '/__test__/axe.min.js';

/** The extra test-server route that serves axe-core next to the page. */
export async function axeRoute() {
  return { [AXE_URL]: ['text/javascript; charset=utf-8', await readFile(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'))] };
}

/** axe-core's serious and critical violations on the page, summarised. */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url: AXE_URL });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The request the page sends to the engine (its JSON export, downloaded). */
export async function exportedRequest(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  return JSON.parse(await readFile(await download.path(), 'utf8'));
}

/** Nothing wider than a phone's screen, and touch-sized controls (of those shown). */
export async function assertFitsPhone(assert, page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  const tooWide = await page.$$eval('input, select, textarea, button, .figures, svg, table', (els) => els
    .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .map((e) => e.id || e.tagName));
  assert.deepEqual(tooWide, []);
  const small = await page.$$eval('#calc input:not([type=checkbox]), #calc select, #calc button', (els) => els
    .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().height < 32).map((e) => e.id || e.textContent));
  assert.deepEqual(small, []);
}

/** Imports `request` through the page's Import JSON control and waits for its status line. */
export async function importRequest(page, request, name = 'book.json') {
  await page.$eval('#import-status', (el) => { el.textContent = ''; });
  await page.setInputFiles('#import-json', { name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(request)) });
  await page.waitForFunction(() => /^(Imported|Could not import)/.test(document.querySelector('#import-status').textContent));
  return page.textContent('#import-status');
}

/** Resolves once the page's results are fresh (computed for the inputs on screen). */
export const waitFresh = (page) => page.waitForFunction(() => document.querySelector('#results').dataset.stale === 'false');

/** Resolves once the page's results are marked stale (an input is invalid or being recomputed). */
export const waitStale = (page) => page.waitForFunction(() => document.querySelector('#results').dataset.stale === 'true');

/** The engine's result for `request`, asserting it succeeded: the figure the page must show. */
export function resultOf(imr, request) {
  const out = imr.calculate(request);
  assert.equal(out.ok, true, JSON.stringify(out.errors));
  return out.result;
}

/** Share-link parameters of position `i`: one short linear option (fixed rule 0.15/0.1/0.075,
 * 60 % IV, underlying 60 000, expiring 2025-06-27 08:00) — the journeys' option legs. */
export function shortOptionLeg(i, symbol, optionType, strike, entry) {
  return {
    [`p${i}.symbol`]: symbol, [`p${i}.kind`]: 'option', [`p${i}.side`]: 'short', [`p${i}.size`]: '1', [`p${i}.entryPrice`]: entry,
    [`p${i}.optionType`]: optionType, [`p${i}.strike`]: strike, [`p${i}.expiry`]: '2025-06-27T08:00', [`p${i}.underlyingPrice`]: '60000',
    [`p${i}.pricing`]: 'iv', [`p${i}.iv`]: '60', [`p${i}.rule`]: 'fixed', [`p${i}.imRate`]: '0.15', [`p${i}.imFloorRate`]: '0.1',
    [`p${i}.mmRate`]: '0.075', [`p${i}.settlement`]: 'linear', [`p${i}.contractSize`]: '1',
  };
}
