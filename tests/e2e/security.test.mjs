// Security and resilience of the page: CSP without unsafe-eval, no inline script, hostile share
// links stay text, nothing leaves the origin, and a trapped module is reported and replaced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, launch, shutdown, WWW } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await shutdown(); await server.close(); });

test('the page declares a CSP without unsafe-eval or unsafe-inline, and has no inline script', async () => {
  const html = await readFile(join(WWW, 'index.html'), 'utf8');
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  assert.ok(csp, 'a CSP meta tag');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'/);
  assert.match(csp, /connect-src 'self'/);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length >= 1);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, /src=/, 'every script is external');
    assert.equal(body.trim(), '');
  }
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
});

test('an XSS attempt in the share link is shown as text and never runs', async () => {
  const b = await launch(server.origin);
  try {
    const payload = '<img src=x onerror="window.__pwned=1">';
    const hash = new URLSearchParams({ v: '2', 'p0.symbol': payload, 'p0.size': '<script>window.__pwned=2</script>' }).toString();
    await b.page.goto(`${server.origin}/#${hash}`);
    await b.page.waitForSelector('body[data-ready="true"]');
    assert.equal(await b.page.evaluate(() => window.__pwned), undefined);
    assert.equal(await b.page.evaluate(() => document.querySelectorAll('img').length), 0);
    const text = await b.page.textContent('body');
    assert.ok(text.includes('<img src=x') || (await b.page.inputValue('#p0-symbol')).includes('<img'), 'payload kept as text');
    assert.deepEqual(b.offOrigin, [], 'the payload did not fetch anything');
  } finally { await b.close(); }
});

test('a trapped module is reported and the page recovers with a fresh instance', async () => {
  const b = await launch(server.origin);
  try {
    const { page } = b;
    await page.goto(`${server.origin}/?testHooks=1`);
    await page.waitForSelector('body[data-ready="true"]');
    const before = await page.textContent('#out-initialMargin');
    const result = await page.evaluate(() => window.imrTestTrap());
    assert.equal(result.ok, false);
    assert.equal(result.errors[0].code, 'trapped');
    await page.waitForFunction(() => /was restarted/.test(document.querySelector('#status').textContent));
    // The fresh instance computes again: an edit updates the figures.
    await page.fill('#p0-leverage', '5');
    await page.waitForFunction((old) => document.querySelector('#out-initialMargin').textContent !== old, before);
    assert.notEqual(await page.textContent('#out-initialMargin'), before);
    assert.deepEqual(b.offOrigin, []);
    // The trap itself is logged by the browser as an uncaught error only if unhandled: it is handled.
    assert.deepEqual(b.consoleErrors, []);
  } finally { await b.close(); }
});
