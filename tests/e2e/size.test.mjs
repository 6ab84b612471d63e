// Download-size budget of the built module: www/pkg/imr_bg.wasm + www/pkg/imr.js, each gzipped at
// level 9 (node:zlib), must stay within BUDGET_BYTES. Build first (`cargo xtask build`; `cargo
// xtask test` does it before the e2e tests).
//
// The target is 120 KB gzipped; it is NOT met today. Measured on 2026-11-24 at 32a0c83
// plus the pricing performance changes (release profile opt-level "z", wasm-opt -Oz):
// imr_bg.wasm 313 531 B + imr.js 4 559 B = 318 090 B gzipped (~311 KiB; the module is 817 228 B
// raw) — 2.65× the target. The budget is that figure rounded up by ~5 KB, so the test catches
// regressions without failing now; lower it as the module shrinks, down to the 120 KB target.
//
// Raised on 2026-12-01 (branch risk) for the rest of issue #5 — dynamic IMR models on option
// markets (delta-equivalent exposure), what-if fills in portfolio mode, risk units per
// underlying: 319 810 B before (e60e49b) → 333 586 B after (imr_bg.wasm 329 027 B + imr.js
// 4 559 B gzipped, 858 575 B raw), with the new cold paths' Decimal arithmetic kept out of line
// (money::mul/add/sub, since folded into money::DecimalOps) to limit the growth. Budget: that figure rounded up by ~4.4 KB.
//
// Lowered on 2026-12-01 (branch json, 84158ca): requests are read by the hand-written
// src/wire.rs instead of serde derive + serde_path_to_error + serde_json's deserializer:
// 330 331 B before (487e010; imr_bg.wasm 325 969 B + glue 4 362 B gzipped, 847 087 B raw) →
// 289 694 B after (imr_bg.wasm 285 332 B + glue 4 362 B gzipped, 732 919 B raw), −40.6 KB.
// Budget: that figure rounded up by ~5.3 KB.
//
// Lowered again on 2026-12-01 (main, after merging json) with Decimal arithmetic out of line
// (money::DecimalOps: rust_decimal's operators are #[inline(always)]): 260 190 B (imr_bg.wasm
// 255 828 B + glue 4 362 B gzipped, 616 586 B raw); then two sorts fewer: 257 765 B (253 403 +
// 4 362 B, 608 517 B raw). Budget: 260 190 B rounded up by ~4.8 KB.
//
// 2026-12-02: rust_decimal at opt-level 3 (Cargo.toml: a few % faster calculate) brought it to
// 263 783 B (imr_bg.wasm 259 463 B + glue 4 320 B gzipped, 618 303 B raw), inside the budget,
// which stays where it was.
//
// Raised on 2026-12-03: the SIMD batch kernel brought it to 261 102 B (imr_bg.wasm 256 380 B +
// glue 4 722 B, 614 203 B raw); then LLVM's inline threshold 100 for the wasm build
// (.cargo/config.toml: calculate ~20–30 % faster in Node) to 281 610 B (276 888 + 4 722 B,
// 689 457 B raw). Budget: that figure rounded up by ~4.4 KB.
//
// Lowered on 2026-12-03: every f64 in a message or formula is written by money::Float (the
// response writer's shortest digits, written out without an exponent), so core's float
// formatter (Grisu + Dragon, ~14 KB of code) is no longer linked: 273 810 B (imr_bg.wasm
// 269 088 + glue 4 722 B) → 266 012 B (261 290 + 4 722 B, 660 241 B raw). Budget: that figure
// rounded up by ~2 KB. The same evening: breakdown inputs in a sorted Vec instead of a BTreeMap,
// root lists sorted by a small insertion sort, size checks through DecimalOps: 253 903 B
// (249 181 + 4 722 B, 629 185 B raw). Budget: that figure rounded up by ~2 KB.
//
// Lowered on 2026-12-03 (night): one exact decimal reader instead of rust_decimal's parsers,
// presets listed as written, a symbol table instead of HashMap, no clone of a preset's market,
// no string slicing/searching/{:?} that keeps core's Unicode tables, text → f64 without core's
// dec2flt, a heapsort instead of driftsort, a size-class allocator instead of dlmalloc:
// 219 085 B (imr_bg.wasm 214 324 + glue 4 761 B, 554 147 B raw). Budget: that figure rounded up
// by ~3 KB. Then rust_decimal at opt-level "z" like the rest (opt-level 3's gain on calculate
// no longer measurable): 214 948 B (210 187 + 4 761 B, 549 139 B raw). Budget: rounded up by
// ~3 KB (214 516 B after that night's review). Lowered on 2026-12-04: cold helpers called from many places (error constructors,
// rounding, field readers) kept out of line instead of inlined at every call site:
// 208 947 B (204 186 + 4 761 B, 533 524 B raw), then 208 755 B (203 994 + 4 761 B, 530 738 B
// raw). Budget: rounded up by ~3 KB. Lowered on 2026-12-06: the build orders the module's
// functions so that similar bodies are neighbours for deflate (xtask/src/gzip_order.rs; same
// code, other order): 201 710 B (196 949 + 4 761 B, 530 622 B raw); the glue minified by terser
// (4 761 → 2 589 B); the request reader's struct walk one function instead of a copy per struct
// and the tool-metadata sections stripped: 193 707 B (191 118 + 2 589 B, 510 035 B raw); the
// array walk of Vec<T>'s reader once: 192 940 B (190 351 + 2 589 B, 507 619 B raw); field paths
// by one concatenation instead of format!: 192 654 B (190 065 + 2 589 B, 505 385 B raw); 192 656 B
// after the review commit (same raw size).
// Budget: rounded up by ~3–4 KB. Lowered again that evening: wasm-opt --low-memory-unused
// (load/store offsets folded): 191 814 B (189 225 + 2 589 B, 502 837 B raw). The build also
// writes Brotli and Zopfli copies of both files (xtask/src/precompress.rs) for servers that send
// precompressed files: 157 900 B and 182 491 B; their budgets are rounded up by ~4 KB. Then
// error::Collector::take out of line: 190 957 B (188 368 + 2 589 B, 498 512 B raw); Brotli
// 156 848 B, Zopfli 181 637 B.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, gunzipSync, brotliDecompressSync, constants } from 'node:zlib';
import { serve, launch, shutdown } from './harness.mjs';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'www', 'pkg');

/** Current gzipped size (190 957 B) rounded up by ~4 KB. Target from the issue: 120 000 B. */
const BUDGET_BYTES = 195_000;
/** The build's precompressed copies (xtask/src/precompress.rs), module + glue: Brotli 11
 *  156 848 B and Zopfli 181 637 B on 2026-12-06, each rounded up by ~4 KB. */
const BROTLI_BUDGET_BYTES = 161_000;
const ZOPFLI_BUDGET_BYTES = 185_500;
const TARGET_BYTES = 120_000;

const gzipped = (bytes) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;

test(`wasm + JS glue stay within ${BUDGET_BYTES} bytes gzipped (target ${TARGET_BYTES})`, async () => {
  const wasm = await readFile(join(PKG, 'imr_bg.wasm'));
  // The glue is imr.js plus any JS snippets it imports (pkg/snippets/**.js), each a file of
  // its own (so gzipped on its own); `cargo xtask build` folds wasm-bindgen's snippets into imr.js.
  const snippets = (await readdir(join(PKG, 'snippets'), { recursive: true }).catch(() => []))
    .filter((f) => f.endsWith('.js'));
  const glueFiles = [await readFile(join(PKG, 'imr.js')),
    ...await Promise.all(snippets.map((f) => readFile(join(PKG, 'snippets', f))))];
  assert.equal(wasm.subarray(0, 4).toString('latin1'), '\0asm', 'imr_bg.wasm is a wasm module');
  const wasmGz = gzipped(wasm);
  const glueGz = glueFiles.reduce((sum, f) => sum + gzipped(f), 0);
  const glue = { length: glueFiles.reduce((sum, f) => sum + f.length, 0) };
  const total = wasmGz + glueGz;
  console.log(`imr_bg.wasm ${wasm.length} B (${wasmGz} B gzipped) + imr.js and ${snippets.length} snippet(s) ${glue.length} B (${glueGz} B gzipped) = ${total} B gzipped; budget ${BUDGET_BYTES}, target ${TARGET_BYTES}`);
  assert.ok(total <= BUDGET_BYTES,
    `gzipped wasm + glue is ${total} B, over the ${BUDGET_BYTES} B budget by ${total - BUDGET_BYTES} B`);
});

test(`the precompressed copies decode to the built files, within ${BROTLI_BUDGET_BYTES} B (br) and ${ZOPFLI_BUDGET_BYTES} B (gzip)`, async () => {
  const totals = { br: 0, gz: 0 };
  for (const name of ['imr_bg.wasm', 'imr.js']) {
    const original = await readFile(join(PKG, name));
    const br = await readFile(join(PKG, `${name}.br`));
    const gz = await readFile(join(PKG, `${name}.gz`));
    assert.ok(brotliDecompressSync(br).equals(original), `${name}.br decodes to ${name}`);
    assert.ok(gunzipSync(gz).equals(original), `${name}.gz decodes to ${name}`);
    const level9 = gzipped(original);
    assert.ok(gz.length < level9, `${name}.gz (${gz.length} B) is smaller than gzip -9 (${level9} B)`);
    assert.ok(br.length < gz.length, `${name}.br (${br.length} B) is smaller than ${name}.gz (${gz.length} B)`);
    totals.br += br.length;
    totals.gz += gz.length;
  }
  console.log(`precompressed module + glue: ${totals.br} B Brotli, ${totals.gz} B gzip (Zopfli)`);
  assert.ok(totals.br <= BROTLI_BUDGET_BYTES, `Brotli copies ${totals.br} B, over ${BROTLI_BUDGET_BYTES} B`);
  assert.ok(totals.gz <= ZOPFLI_BUDGET_BYTES, `gzip copies ${totals.gz} B, over ${ZOPFLI_BUDGET_BYTES} B`);
});

after(async () => { await shutdown(); });

test('the page runs from the precompressed module and glue, as a server with gzip_static/brotli_static sends them', async () => {
  const server = await serve();
  try {
    const b = await launch(server.origin);
    const response = await b.page.goto(`${server.origin}/`);
    const accepted = (await response.request().allHeaders())['accept-encoding'] ?? '';
    await b.page.waitForSelector('body[data-ready="true"]');
    const coding = accepted.includes('br') ? 'br' : 'gzip';
    assert.equal(server.encodings.get('/pkg/imr_bg.wasm'), coding, `module sent as ${coding} (browser accepts '${accepted}')`);
    assert.equal(server.encodings.get('/pkg/imr.js'), coding, `glue sent as ${coding}`);
    assert.equal(server.encodings.get('/app.js'), 'identity', 'files without a copy are sent as they are');
    const margin = await b.page.locator('#out-initialMargin').innerText();
    assert.match(margin, /^[0-9]/, `the engine's initial margin is on screen (${margin})`);
    assert.deepEqual(b.consoleErrors, []);
    await b.close();
  } finally {
    await server.close();
  }
});
