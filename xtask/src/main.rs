//! Build, serve and test tooling for imr (the cargo xtask pattern).
//!
//! - `cargo xtask serve [--port N]`: installs the wasm target if missing, builds the release wasm,
//!   generates the JS glue with the wasm-bindgen CLI linked into this binary (so its version is
//!   exactly the one in Cargo.lock), folds its JS snippets into `imr.js` (one request fewer before
//!   the engine starts), minifies it with terser and optimises the module with wasm-opt (npm
//!   `terser`, `binaryen`) when present, orders the module's functions for gzip (`gzip_order`),
//!   writes `www/pkg/` (the full JavaScript API) and `www/pkg/page/` (the page's module, without
//!   the option-pricing exports) with Brotli and gzip copies of each module and glue
//!   (`precompress`) and serves `www/` on http://127.0.0.1:8080 (the copies when the browser
//!   accepts them).
//! - `cargo xtask test`: installs what the tests need if missing (wasm target, Debian `chromium`
//!   and `chromium-driver`, `npm ci`), then runs native `cargo test`, the wasm-bindgen tests in
//!   Node and in headless Chromium, and the browser end-to-end tests of the page.
//! - `cargo xtask build`: only the `www/pkg/` and `www/pkg/page/` builds.
//! - `cargo xtask bench`: criterion natively, then the Node benchmark of the built module.
//! - Invoked with a `.wasm` file as first argument it is the wasm-bindgen test runner
//!   (`CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER` points here during `cargo xtask test`).

mod gzip_order;
mod precompress;

use anyhow::{bail, Context, Result};
use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<OsString> = env::args_os().collect();
    // Runner mode: cargo calls `<runner> <test.wasm> [args...]`.
    if args
        .get(1)
        .is_some_and(|a| a.to_string_lossy().ends_with(".wasm"))
    {
        let mut runner_args = vec![OsString::from("wasm-bindgen-test-runner")];
        runner_args.extend(args.into_iter().skip(1));
        return wasm_bindgen_cli::wasm_bindgen_test_runner::run_cli_with_args(runner_args);
    }
    let command = args
        .get(1)
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rest: Vec<String> = args
        .iter()
        .skip(2)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let root = project_root()?;
    env::set_current_dir(&root)?;
    match command.as_str() {
        "serve" => {
            let port = flag_value(&rest, "--port").unwrap_or_else(|| "8080".into());
            if !rest.iter().any(|a| a == "--no-build") {
                build_www(&root)?;
            }
            serve(&root.join("www"), &format!("127.0.0.1:{port}"))
        }
        "build" => build_www(&root),
        "test" => test(&root, &rest),
        "bench" => bench(&root),
        "wasm-bindgen" => {
            let mut a = vec![OsString::from("wasm-bindgen")];
            a.extend(rest.into_iter().map(OsString::from));
            wasm_bindgen_cli::wasm_bindgen::run_cli_with_args(a)
        }
        _ => {
            eprintln!("usage: cargo xtask <serve [--port N] [--no-build] | build | test [--skip-e2e] | bench>");
            bail!("unknown command '{command}'")
        }
    }
}

fn flag_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn project_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    Ok(manifest
        .parent()
        .context("xtask has no parent directory")?
        .to_path_buf())
}

fn step(name: &str) -> Instant {
    println!("\n==> {name}");
    Instant::now()
}

fn done(started: Instant) {
    println!("    ({:.1} s)", started.elapsed().as_secs_f64());
}

fn status(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let st = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !st.success() {
        bail!("{shown} failed with {st}");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Adds the wasm target through rustup if it is not installed.
fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match out {
        Ok(o)
            if String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == WASM_TARGET) =>
        {
            Ok(())
        }
        Ok(_) => {
            let t = step("installing the wasm32-unknown-unknown target (rustup)");
            status(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
            done(t);
            Ok(())
        }
        Err(_) => {
            println!("    rustup not found; assuming the {WASM_TARGET} target is available");
            Ok(())
        }
    }
}

/// `npm ci` when node_modules is missing or older than package-lock.json.
fn ensure_node_modules(root: &Path) -> Result<()> {
    let lock = root.join("package-lock.json");
    let marker = root.join("node_modules/.package-lock.json");
    let fresh = match (fs::metadata(&lock), fs::metadata(&marker)) {
        (Ok(l), Ok(m)) => m.modified()? >= l.modified()?,
        _ => false,
    };
    if !fresh {
        let t = step("npm ci (playwright-core, binaryen, axe-core, benchmark baseline)");
        status(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(root),
        )?;
        done(t);
    }
    Ok(())
}

/// Debian's Chromium and ChromeDriver (never a browser download).
fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    let t = step("installing Debian packages chromium and chromium-driver (apt-get)");
    let sudo = if is_root() { None } else { Some("sudo") };
    let apt = |args: &[&str]| -> Result<()> {
        let mut c = match sudo {
            Some(s) => {
                let mut c = Command::new(s);
                c.arg("apt-get");
                c
            }
            None => Command::new("apt-get"),
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        status(&mut c)
    };
    apt(&["update", "-qq"])?;
    apt(&["install", "-y", "-qq", "chromium", "chromium-driver"])?;
    done(t);
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The WebAssembly features the module uses, for every wasm-opt run.
const WASM_FEATURES: [&str; 7] = [
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-mutable-globals",
    "--enable-multivalue",
    "--enable-reference-types",
    "--enable-simd",
];

/// One wasm module of the build: the same crate, with or without its default Cargo features,
/// built for size or for speed.
struct WasmModule {
    /// Output directory, relative to the project root.
    dir: &'static str,
    /// Whether the crate's default features (`pricing-exports`) are on.
    default_features: bool,
    /// The Cargo profile: `release` (opt-level "z") or `release-speed` (opt-level 3).
    profile: &'static str,
    /// wasm-opt's optimisation level to match (`-Oz` or `-O3`).
    wasm_opt_level: &'static str,
    /// Compiler flags in place of `.cargo/config.toml`'s wasm32 `rustflags`
    /// (`CARGO_ENCODED_RUSTFLAGS`: arguments separated by 0x1f), or `None` to keep those.
    rustflags: Option<&'static str>,
    /// What it is for, printed by the build.
    purpose: &'static str,
}

/// The modules `cargo xtask build` writes. `www/pkg/` is the full JavaScript API (the README's
/// `import … from './pkg/imr.js'`: `calculate`, `calculateJson`, `listPresets`, `version`,
/// `priceOption`, `impliedVol`, `priceDeltaBatch`, `impliedVolBatch`, `optionChain`), built for
/// speed (Cargo profile `release-speed`, wasm-opt `-O3`: for Node and programs that compute many
/// books, where 256 KB against 198 KB gzipped does not count); `www/pkg/page/` is the
/// module the page loads, without the option-pricing exports the page never calls (Cargo
/// feature `pricing-exports` off): 2026-12-07, 188 368 → 171 569 B gzipped; and without the
/// portfolio search's SIMD scenario kernel (`scenario-kernel` off, 3.7 KB: the page prices a
/// book at a time, where a tenth of a millisecond goes unseen); built for size with opt-level
/// "z"'s own inlining ([`PAGE_RUSTFLAGS`]). Both give the same answers to `calculate`, bit for
/// bit (tests/e2e/modules.test.mjs compares them).
const WASM_MODULES: [WasmModule; 2] = [
    WasmModule {
        dir: "www/pkg",
        default_features: true,
        profile: "release-speed",
        wasm_opt_level: "-O3",
        rustflags: None,
        purpose: "the full JavaScript API, built for speed",
    },
    WasmModule {
        dir: "www/pkg/page",
        default_features: false,
        profile: "release",
        wasm_opt_level: "-Oz",
        rustflags: Some(PAGE_RUSTFLAGS),
        purpose: "the page's module, without the option-pricing exports, built for size",
    },
];

/// The page's module's compiler flags, in place of `.cargo/config.toml`'s for wasm32: SIMD as
/// there (without it the module is 5.9 KB larger: struct copies take scalar loads and stores),
/// but LLVM's inline threshold left at opt-level "z"'s own instead of 100. The issue's speed
/// targets are measured on the speed-built full module; in the page one book's `calculate`
/// 27–35 % slower goes unseen (alternated in Node, 2026-12-08: 10 futures 150–160 → 197–202 µs,
/// mixed book 0.73–0.78 → 1.01–1.04 ms), while every visitor downloads 5.9 KB less (176 811 →
/// 170 901 B gzipped; threshold 50: −2.6 KB for 3–5 %).
const PAGE_RUSTFLAGS: &str = "-Ctarget-feature=+simd128";

/// Builds every module of [`WASM_MODULES`] into `www/`.
fn build_www(root: &Path) -> Result<()> {
    ensure_wasm_target()?;
    for module in &WASM_MODULES {
        build_module(root, module)?;
    }
    Ok(())
}

/// Builds the wasm with the module's features and profile, generates the glue into its
/// directory, optimises it with wasm-opt at the module's level, then orders its functions for
/// gzip ([`gzip_order`]) and writes its precompressed copies ([`precompress`]).
fn build_module(root: &Path, spec: &WasmModule) -> Result<()> {
    let t = step(&format!(
        "building the release wasm module for {} ({})",
        spec.dir, spec.purpose
    ));
    let mut build = cargo();
    build.args([
        "build",
        "--profile",
        spec.profile,
        "--lib",
        "--target",
        WASM_TARGET,
        "-p",
        "imr",
    ]);
    if !spec.default_features {
        build.arg("--no-default-features");
    }
    if let Some(flags) = spec.rustflags {
        build.env("CARGO_ENCODED_RUSTFLAGS", flags);
    }
    status(&mut build)?;
    done(t);
    let target_dir = env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let wasm = target_dir
        .join(WASM_TARGET)
        .join(spec.profile)
        .join("imr.wasm");
    let out_dir = root.join(spec.dir);
    let t = step(&format!(
        "wasm-bindgen (linked at the Cargo.lock version) → {}/",
        spec.dir
    ));
    let args: Vec<OsString> = vec![
        "wasm-bindgen".into(),
        "--target".into(),
        "web".into(),
        "--out-dir".into(),
        out_dir.clone().into(),
        "--remove-name-section".into(),
        wasm.into(),
    ];
    wasm_bindgen_cli::wasm_bindgen::run_cli_with_args(args)?;
    fold_snippets(&out_dir)?;
    done(t);
    minify_glue(root, &out_dir.join("imr.js"))?;
    let wasm_opt = root.join("node_modules/.bin/wasm-opt");
    let module = out_dir.join("imr_bg.wasm");
    if wasm_opt.exists() {
        let t = step(&format!(
            "wasm-opt {} --low-memory-unused (npm binaryen)",
            spec.wasm_opt_level
        ));
        let before = fs::metadata(&module)?.len();
        status(
            Command::new(&wasm_opt)
                .arg(spec.wasm_opt_level)
                // Lets wasm-opt fold `p + C` (C < 1024) into a load's or store's offset: Rust's
                // wasm32 layout puts the 1 MiB stack first, growing down towards 0, so the low
                // 1 KiB is only reached by a stack overflow. 2026-12-06, after the gzip order:
                // −2.5 KB raw, −0.8 KB gzipped.
                .arg("--low-memory-unused")
                .args(WASM_FEATURES)
                .arg(&module)
                .arg("-o")
                .arg(&module),
        )?;
        println!("    {} → {} bytes", before, fs::metadata(&module)?.len());
        done(t);
        let t = step(
            "function order for gzip (wasm-opt --reorder-functions-by-name), metadata stripped",
        );
        let named = target_dir.join("imr_bg.order-names.wasm");
        fs::write(&named, gzip_order::with_order_names(&fs::read(&module)?)?)?;
        status(
            Command::new(&wasm_opt)
                .args(WASM_FEATURES)
                .arg("--reorder-functions-by-name")
                // Tool metadata that no engine reads (−0.2 KB gzipped).
                .args(["--strip-producers", "--strip-target-features"])
                .arg(&named)
                .arg("-o")
                .arg(&module),
        )?;
        fs::remove_file(&named)?;
        done(t);
    } else {
        println!("    wasm-opt not installed (run npm ci); keeping the unoptimised module");
    }
    fs::write(out_dir.join(".gitignore"), "*\n")?;
    println!(
        "    {}/imr_bg.wasm: {} bytes",
        spec.dir,
        fs::metadata(&module)?.len()
    );
    let t = step("precompressed copies for static servers (Brotli 11, Zopfli gzip)");
    for file in [&module, &out_dir.join("imr.js")] {
        let sizes = precompress::write_copies(file)?;
        let sizes: Vec<String> = sizes
            .iter()
            .map(|(encoding, n)| format!("{n} B {}", encoding.token()))
            .collect();
        println!(
            "    {}: {}",
            file.file_name().unwrap_or_default().to_string_lossy(),
            sizes.join(", ")
        );
    }
    done(t);
    Ok(())
}

/// Minifies the JS glue with terser (npm, a dev dependency) when present: wasm-bindgen writes
/// each export's Rust doc comment into `imr.js` as JSDoc, which `imr.d.ts` (referenced by the
/// kept `@ts-self-types` comment) already carries for editors. 2026-12-06: 19 140 → 7 209 B,
/// 4 761 → 2 589 B gzipped. Export names and property keys (the wasm imports) are kept: only
/// local names are shortened.
fn minify_glue(root: &Path, glue: &Path) -> Result<()> {
    let terser = root.join("node_modules/.bin/terser");
    if !terser.exists() {
        println!("    terser not installed (run npm ci); keeping the glue as generated");
        return Ok(());
    }
    let t = step("terser: minify imr.js");
    let before = fs::metadata(glue)?.len();
    status(
        Command::new(&terser)
            .arg(glue)
            .args([
                "--module",
                "--compress",
                "--mangle",
                "--comments",
                "/@ts-self-types/",
                "-o",
            ])
            .arg(glue),
    )?;
    println!("    {} → {} bytes", before, fs::metadata(glue)?.len());
    done(t);
    Ok(())
}

/// The declarations a folded snippet may export (each followed by the declared name).
const FOLDABLE_EXPORTS: [&str; 6] = [
    "function ",
    "function* ",
    "async function ",
    "const ",
    "let ",
    "class ",
];

/// Folds the `inline_js` snippets that wasm-bindgen writes to `pkg/snippets/<crate>-<hash>/` into
/// `imr.js` and deletes the snippets directory. Imported statically by `imr.js`, a snippet is only
/// requested once `imr.js` has been fetched and parsed: a serial round trip before the engine can
/// start (15–150 ms on this machine). Each `import { a, b } from './snippets/…';` line becomes
/// `const { a, b } = (() => { <snippet without its `export`s>; return { a, b }; })();`, so the
/// snippet's own top-level names stay out of the glue's scope; a namespace import
/// (`import * as m from './snippets/…';`, which wasm-bindgen writes when the module imports the
/// snippet's functions directly, without glue) becomes `const m = (() => { …; return { <every
/// export> }; })();`, and a second namespace import of the same file `const m2 = m;`. Anything
/// else (another import shape, a snippet line importing or exporting other than
/// `export function|const|let|class`) fails the build rather than shipping a glue that cannot
/// load.
fn fold_snippets(out_dir: &Path) -> Result<()> {
    let glue_path = out_dir.join("imr.js");
    let glue = fs::read_to_string(&glue_path)
        .with_context(|| format!("cannot read {}", glue_path.display()))?;
    let snippets_dir = out_dir.join("snippets");
    let mut folded = String::with_capacity(glue.len() + 4096);
    let mut count = 0;
    // Namespace imports already folded: snippet path → the constant holding its exports.
    let mut namespaces: Vec<(String, String)> = Vec::new();
    for line in glue.split_inclusive('\n') {
        if !is_import(line) || !line.contains("snippets/") {
            // Including the import object's `"./snippets/…": import1,` keys: they are the
            // module names the wasm module imports from, and now name the folded constants.
            folded.push_str(line);
            continue;
        }
        let (import, path) = parse_snippet_import(line.trim_end())
            .with_context(|| format!("imr.js: unexpected line referring to a snippet: {line:?}"))?;
        let local_namespace = match &import {
            SnippetImport::Namespace(local) => {
                if let Some((_, first)) = namespaces.iter().find(|(p, _)| *p == path) {
                    folded.push_str(&format!("const {local} = {first};\n"));
                    continue;
                }
                Some(local.clone())
            }
            SnippetImport::Named(_) => None,
        };
        let file = out_dir.join(&path);
        let code = fs::read_to_string(&file)
            .with_context(|| format!("cannot read the snippet {}", file.display()))?;
        let mut body = String::with_capacity(code.len());
        let mut exports = Vec::new();
        for l in code.split_inclusive('\n') {
            let t = l.trim_start();
            if t.starts_with("import ") || t.starts_with("import{") || t.starts_with("import(") {
                bail!(
                    "{}: a snippet importing something cannot be folded: {l:?}",
                    file.display()
                );
            }
            if let Some(rest) = t.strip_prefix("export ") {
                let Some(name) = FOLDABLE_EXPORTS
                    .iter()
                    .find_map(|k| rest.strip_prefix(k))
                    .map(|declared| {
                        declared
                            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
                            .next()
                            .unwrap_or("")
                    })
                    .filter(|name| !name.is_empty())
                else {
                    bail!("{}: cannot fold this export: {l:?}", file.display());
                };
                exports.push(name.to_string());
                body.push_str(&l[..l.len() - t.len()]);
                body.push_str(rest);
            } else if t.contains("export ") || t.contains("export{") {
                bail!("{}: cannot fold this export: {l:?}", file.display());
            } else {
                body.push_str(l);
            }
        }
        let (binding, returned) = match import {
            SnippetImport::Named(names) => {
                for (imported, _) in &names {
                    if !exports.contains(imported) {
                        bail!("{}: does not export `{imported}`", file.display());
                    }
                }
                let pattern = names
                    .iter()
                    .map(|(imported, local)| {
                        if imported == local {
                            imported.clone()
                        } else {
                            format!("{imported}: {local}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let returned = names
                    .iter()
                    .map(|(imported, _)| imported.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                (format!("{{ {pattern} }}"), returned)
            }
            SnippetImport::Namespace(local) => {
                if exports.is_empty() {
                    bail!("{}: exports nothing", file.display());
                }
                (local, exports.join(", "))
            }
        };
        folded.push_str(&format!(
            "// {} (an inline_js snippet), folded in by `cargo xtask build`\nconst {binding} = (() => {{\n{}\nreturn {{ {returned} }};\n}})();\n",
            path.trim_start_matches("snippets/"),
            body.trim_end()
        ));
        if let Some(local) = local_namespace {
            namespaces.push((path, local));
        }
        count += 1;
    }
    if folded
        .split_inclusive('\n')
        .any(|line| is_import(line) && line.contains("snippets/"))
    {
        bail!("imr.js still imports from snippets/ after folding");
    }
    fs::write(&glue_path, folded)?;
    if snippets_dir.exists() {
        fs::remove_dir_all(&snippets_dir)
            .with_context(|| format!("cannot remove {}", snippets_dir.display()))?;
    }
    println!("    folded {count} JS snippet(s) into imr.js");
    Ok(())
}

/// Whether a glue line is a static or dynamic import.
fn is_import(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("import ") || t.starts_with("import{") || t.starts_with("import(")
}

/// How `imr.js` imports a snippet.
#[derive(Debug, PartialEq)]
enum SnippetImport {
    /// `import { a, b as c } from …`: (imported, local) names.
    Named(Vec<(String, String)>),
    /// `import * as m from …`: the namespace's local name.
    Namespace(String),
}

/// `import { a, b as c } from './snippets/x/inline0.js';` → (`Named([("a", "a"), ("b", "c")])`,
/// "snippets/x/inline0.js"); `import * as m from "./snippets/x/inline0.js"` → (`Namespace("m")`, …).
fn parse_snippet_import(line: &str) -> Option<(SnippetImport, String)> {
    let ident = |s: &str| {
        !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    };
    let (list, rest) = if let Some(rest) = line.strip_prefix("import * as ") {
        let (local, rest) = rest.split_once(' ')?;
        if !ident(local) {
            return None;
        }
        (None, (local, rest))
    } else {
        let rest = line.strip_prefix("import {")?;
        let (list, rest) = rest.split_once('}')?;
        (Some(list), ("", rest))
    };
    let (namespace, rest) = rest;
    let rest = rest.trim_start().strip_prefix("from")?.trim();
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = rest.strip_prefix(quote)?;
    let (path, tail) = rest.split_once(quote)?;
    if !matches!(tail.trim(), "" | ";") {
        return None;
    }
    let path = path.strip_prefix("./")?;
    if !path.starts_with("snippets/")
        || !path.ends_with(".js")
        || path.split('/').any(|c| c == ".." || c.is_empty())
    {
        return None;
    }
    let Some(list) = list else {
        return Some((
            SnippetImport::Namespace(namespace.to_string()),
            path.to_string(),
        ));
    };
    let mut names = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (imported, local) = match item.split_once(" as ") {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (item, item),
        };
        if !ident(imported) || !ident(local) {
            return None;
        }
        names.push((imported.to_string(), local.to_string()));
    }
    if names.is_empty() {
        return None;
    }
    Some((SnippetImport::Named(names), path.to_string()))
}

fn test(root: &Path, rest: &[String]) -> Result<()> {
    let started = Instant::now();
    ensure_wasm_target()?;
    ensure_chromium()?;
    ensure_node_modules(root)?;

    let t = step("native tests: cargo test");
    status(cargo().args(["test", "-p", "imr"]))?;
    // The build tooling's own tests (the glue post-processing), at the profile the tool is
    // already built with.
    status(cargo().args(["test", "-p", "xtask", "--profile", "tools"]))?;
    done(t);

    let runner = env::current_exe()?;
    let webdriver_json = root.join("tests/webdriver.json");
    let wasm_test = |browser: bool| -> Result<()> {
        let mut c = cargo();
        c.args([
            "test",
            "-p",
            "imr",
            "--target",
            WASM_TARGET,
            "--test",
            "wasm_api",
        ])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &webdriver_json)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
        if browser {
            c.env("WASM_BINDGEN_USE_BROWSER", "1");
        }
        status(&mut c)
    };
    let t = step("wasm-bindgen tests of the exported API in Node");
    wasm_test(false)?;
    done(t);
    let t = step("wasm-bindgen tests of the exported API in headless Chromium");
    wasm_test(true)?;
    done(t);

    if !rest.iter().any(|a| a == "--skip-e2e") {
        build_www(root)?;
        let t = step("browser end-to-end tests of the page (node --test, playwright-core, /usr/bin/chromium)");
        status(
            Command::new("node")
                .args(["--test", "--test-concurrency=1", "tests/e2e/"])
                .current_dir(root),
        )?;
        done(t);
    }
    println!(
        "\nall test layers passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn bench(root: &Path) -> Result<()> {
    let t = step("criterion benchmarks (native)");
    status(cargo().args(["bench", "-p", "imr"]))?;
    done(t);
    build_www(root)?;
    ensure_node_modules(root)?;
    let t = step("Node benchmark of the built wasm module");
    status(
        Command::new("node")
            .arg("benches/wasm.mjs")
            .current_dir(root),
    )?;
    done(t);
    ensure_chromium()?;
    let t = step("time to first result in headless Chromium");
    status(
        Command::new("node")
            .arg("benches/first-result.mjs")
            .current_dir(root),
    )?;
    done(t);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A small static file server for `www/` (GET/HEAD only, no directory escape).

fn serve(dir: &Path, addr: &str) -> Result<()> {
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    println!(
        "\nserving {} on http://{addr}/  (Ctrl-C to stop)",
        dir.display()
    );
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let dir = dir.to_path_buf();
        std::thread::spawn(move || {
            let _ = handle(stream, &dir);
        });
    }
    Ok(())
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn handle(mut stream: TcpStream, dir: &Path) -> Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut accept_encoding = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("accept-encoding") {
                accept_encoding = value.trim().to_string();
            }
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"method not allowed",
            method == "HEAD",
        );
    }
    let relative = path.trim_start_matches('/');
    if relative.split('/').any(|c| c == ".." || c.starts_with('.')) || relative.contains('\\') {
        return respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found",
            false,
        );
    }
    let mut file = dir.join(relative);
    if file.is_dir() {
        file = file.join("index.html");
    }
    // A precompressed copy (the build writes them for www/pkg/) when the client accepts it.
    let (copy, has_copies) = precompress::choose(&file, &accept_encoding);
    let extra = match (&copy, has_copies) {
        (Some((encoding, _)), _) => format!(
            "Content-Encoding: {}\r\nVary: Accept-Encoding\r\n",
            encoding.token()
        ),
        (None, true) => "Vary: Accept-Encoding\r\n".to_string(),
        (None, false) => String::new(),
    };
    let body = fs::read(copy.as_ref().map_or(&file, |(_, path)| path));
    match body {
        Ok(body) => respond_with(
            &mut stream,
            "200 OK",
            content_type(&file),
            &extra,
            &body,
            method == "HEAD",
        ),
        Err(_) => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found",
            method == "HEAD",
        ),
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    ctype: &str,
    body: &[u8],
    head_only: bool,
) -> Result<()> {
    respond_with(stream, status, ctype, "", body, head_only)
}

/// [`respond`] with `extra` header lines (each ending in CRLF).
fn respond_with(
    stream: &mut TcpStream,
    status: &str,
    ctype: &str,
    extra: &str,
    body: &[u8],
    head_only: bool,
) -> Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n{extra}Content-Length: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()?;
    let _ = stream.shutdown(std::net::Shutdown::Both);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{handle, parse_snippet_import, precompress::Encoding, SnippetImport};
    use std::fs;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, SystemTime};

    /// One request to `handle` serving `dir`: the response's head (lower-cased) and body.
    fn fetch(dir: &std::path::Path, request: &str) -> (String, Vec<u8>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let dir = dir.to_path_buf();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            handle(stream, &dir).unwrap();
        });
        let mut client = TcpStream::connect(addr).unwrap();
        client.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        client.read_to_end(&mut response).unwrap();
        server.join().unwrap();
        let end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(response[..end].to_vec()).unwrap();
        (head.to_ascii_lowercase(), response[end + 4..].to_vec())
    }

    #[test]
    fn serve_sends_a_fresh_precompressed_copy_when_accepted() {
        let dir = std::env::temp_dir().join(format!("imr-xtask-serve-{}", std::process::id()));
        fs::create_dir_all(dir.join("pkg")).unwrap();
        let module = dir.join("pkg/m.wasm");
        let original = b"\0asm\x01\0\0\0 a module, a module, a module, a module".to_vec();
        fs::write(&module, &original).unwrap();
        let (br, gz) = (
            Encoding::Brotli.copy_of(&module),
            Encoding::Gzip.copy_of(&module),
        );
        fs::write(&br, Encoding::Brotli.compress(&original).unwrap()).unwrap();
        fs::write(&gz, Encoding::Gzip.compress(&original).unwrap()).unwrap();
        fs::write(dir.join("plain.js"), "export {};").unwrap();
        let get = |path: &str, accept: &str| {
            let accept = if accept.is_empty() {
                String::new()
            } else {
                format!("Accept-Encoding: {accept}\r\n")
            };
            fetch(
                &dir,
                &format!("GET {path} HTTP/1.1\r\nHost: x\r\n{accept}\r\n"),
            )
        };

        let (head, body) = get("/pkg/m.wasm", "gzip, deflate, br, zstd");
        assert!(head.contains("content-encoding: br\r\n"), "{head}");
        assert!(head.contains("vary: accept-encoding"), "{head}");
        assert!(head.contains("content-type: application/wasm"), "{head}");
        assert_eq!(body, fs::read(&br).unwrap());
        let (head, body) = get("/pkg/m.wasm", "gzip;q=1, br;q=0");
        assert!(head.contains("content-encoding: gzip\r\n"), "{head}");
        assert_eq!(body, fs::read(&gz).unwrap());
        let (head, body) = get("/pkg/m.wasm", "");
        assert!(!head.contains("content-encoding"), "{head}");
        assert!(head.contains("vary: accept-encoding"), "{head}");
        assert_eq!(body, original);
        let (head, body) = get("/plain.js", "br");
        assert!(
            !head.contains("content-encoding") && !head.contains("vary"),
            "{head}"
        );
        assert_eq!(body, b"export {};");
        // A copy older than its file (the file rebuilt or edited since) is not sent.
        let earlier = SystemTime::now() - Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(&br)
            .unwrap()
            .set_modified(earlier)
            .unwrap();
        let (head, body) = get("/pkg/m.wasm", "br, gzip");
        assert!(head.contains("content-encoding: gzip\r\n"), "{head}");
        assert_eq!(body, fs::read(&gz).unwrap());
        // HEAD: the headers of the copy, no body.
        let (head, body) = fetch(
            &dir,
            "HEAD /pkg/m.wasm HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n",
        );
        let length = fs::metadata(&gz).unwrap().len();
        assert!(
            head.contains(&format!("content-length: {length}\r\n")),
            "{head}"
        );
        assert!(body.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn snippet_imports() {
        let (names, path) =
            parse_snippet_import("import { requestJson } from './snippets/imr-8bed/inline0.js';")
                .unwrap();
        assert_eq!(
            names,
            SnippetImport::Named(vec![("requestJson".into(), "requestJson".into())])
        );
        assert_eq!(path, "snippets/imr-8bed/inline0.js");
        let (names, _) =
            parse_snippet_import(r#"import { a, b as c } from "./snippets/x/inline1.js""#).unwrap();
        assert_eq!(
            names,
            SnippetImport::Named(vec![("a".into(), "a".into()), ("b".into(), "c".into())])
        );
        let (namespace, path) =
            parse_snippet_import(r#"import * as import1 from "./snippets/x/inline0.js""#).unwrap();
        assert_eq!(namespace, SnippetImport::Namespace("import1".into()));
        assert_eq!(path, "snippets/x/inline0.js");
        for bad in [
            "import * as 1s from './snippets/x/inline0.js';",
            "import * from './snippets/x/inline0.js';",
            "import s from './snippets/x/inline0.js';",
            "import { a } from './snippets/../x.js';",
            "import { a } from './other/x.js';",
            "import { } from './snippets/x/inline0.js';",
            "import { a-b } from './snippets/x/inline0.js';",
        ] {
            assert!(parse_snippet_import(bad).is_none(), "{bad}");
        }
    }
}
