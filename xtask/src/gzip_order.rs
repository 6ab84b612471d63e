//! Orders a module's function bodies so that similar ones sit next to each other, which is
//! what gzip (deflate: back-references within a 32 KB window) rewards.
//!
//! LLVM and wasm-opt emit functions in an order that has nothing to do with their content, so a
//! monomorphised copy of a generic and its siblings, or two readers of similar structs, are often
//! hundreds of kilobytes apart and deflate encodes each from scratch. This module computes a
//! greedy nearest-neighbour chain over the bodies (start from the largest; append the remaining
//! body that shares the most distinct 4-byte sequences with the last one, scaled by the square
//! root of its own count so large bodies do not win by size alone), then names the functions in
//! that order (`f00000`, `f00001`, …) in a `name` section, so that wasm-opt's
//! `--reorder-functions-by-name` pass renumbers them, rewriting every call, table entry and
//! export consistently. wasm-opt drops the name section again when it writes the module.
//!
//! Measured on 2026-12-06 (the module of bfd8ad6): 203 994 → 196 949 B gzipped (−3.5 %);
//! sorting by the demangled names instead gave 202 326 B; similarity over 3-, 5-, 6- or 8-byte
//! sequences 197.2–198.3 KB; comparing against the last ~2 KB of bodies instead of the last body
//! alone 196.5 KB for twice the work. Only the order of the bodies changes, never their code.

use anyhow::{bail, Context, Result};

/// Reads an unsigned LEB128 at `*at`, advancing it.
fn leb(bytes: &[u8], at: &mut usize) -> Result<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let Some(&byte) = bytes.get(*at) else {
            bail!("truncated LEB128 at byte {}", *at)
        };
        *at += 1;
        if shift >= 64 {
            bail!("LEB128 too long at byte {}", *at)
        }
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
    }
}

/// Appends `value` as unsigned LEB128.
fn put_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A section: its id and the byte range of its payload.
struct Section {
    id: u8,
    payload: std::ops::Range<usize>,
    /// The whole section, header included.
    whole: std::ops::Range<usize>,
}

fn sections(module: &[u8]) -> Result<Vec<Section>> {
    if module.len() < 8 || &module[..4] != b"\0asm" {
        bail!("not a WebAssembly module");
    }
    let mut at = 8;
    let mut out = Vec::new();
    while at < module.len() {
        let start = at;
        let id = module[at];
        at += 1;
        let len = usize::try_from(leb(module, &mut at)?)?;
        let end = at.checked_add(len).filter(|&e| e <= module.len());
        let Some(end) = end else {
            bail!("section {id} at byte {start} runs past the end")
        };
        out.push(Section {
            id,
            payload: at..end,
            whole: start..end,
        });
        at = end;
    }
    Ok(out)
}

/// The number of imported functions (they come first in the function index space).
fn imported_functions(payload: &[u8]) -> Result<u64> {
    let mut at = 0;
    let count = leb(payload, &mut at)?;
    let mut functions = 0;
    let limits = |at: &mut usize| -> Result<()> {
        let flags = *payload.get(*at).context("truncated limits")?;
        *at += 1;
        leb(payload, at)?;
        if flags & 1 != 0 {
            leb(payload, at)?;
        }
        Ok(())
    };
    for _ in 0..count {
        for _ in 0..2 {
            let len = usize::try_from(leb(payload, &mut at)?)?;
            at += len;
        }
        let kind = *payload.get(at).context("truncated import")?;
        at += 1;
        match kind {
            0 => {
                leb(payload, &mut at)?;
                functions += 1;
            }
            1 => {
                at += 1; // reference type
                limits(&mut at)?;
            }
            2 => limits(&mut at)?,
            3 => at += 2, // value type, mutability
            4 => {
                at += 1; // attribute
                leb(payload, &mut at)?;
            }
            other => bail!("unknown import kind {other}"),
        }
    }
    Ok(functions)
}

/// The function bodies of the code section, in order.
fn bodies(payload: &[u8]) -> Result<Vec<&[u8]>> {
    let mut at = 0;
    let count = leb(payload, &mut at)?;
    let mut out = Vec::new();
    for _ in 0..count {
        let len = usize::try_from(leb(payload, &mut at)?)?;
        let body = payload
            .get(at..at + len)
            .context("function body runs past the code section")?;
        out.push(body);
        at += len;
    }
    Ok(out)
}

/// The distinct 4-byte sequences of a body, sorted.
fn grams(body: &[u8]) -> Vec<u32> {
    let mut g: Vec<u32> = body
        .windows(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    g.sort_unstable();
    g.dedup();
    g
}

/// The number of values two sorted, deduplicated slices share.
fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The greedy chain: positions into `bodies`, each once. Deterministic (ties go to the lower
/// index).
pub fn chain(bodies: &[&[u8]]) -> Vec<usize> {
    let grams: Vec<Vec<u32>> = bodies.iter().map(|b| grams(b)).collect();
    let weight: Vec<f64> = grams
        .iter()
        .map(|g| (g.len() as f64).sqrt() + 1.0)
        .collect();
    let mut left: Vec<usize> = (0..bodies.len()).collect();
    let mut order = Vec::with_capacity(bodies.len());
    // Start from the largest body (the first of the largest, for determinism).
    let Some(first) = (0..bodies.len()).max_by_key(|&i| (bodies[i].len(), std::cmp::Reverse(i)))
    else {
        return order;
    };
    left.retain(|&i| i != first);
    order.push(first);
    let mut last = first;
    while !left.is_empty() {
        let mut best = 0;
        let mut best_score = -1.0;
        for (slot, &candidate) in left.iter().enumerate() {
            let score = shared(&grams[last], &grams[candidate]) as f64 / weight[candidate];
            if score > best_score {
                best_score = score;
                best = slot;
            }
        }
        last = left.remove(best);
        order.push(last);
    }
    order
}

/// `module` with its `name` sections replaced by one naming the defined functions in the order
/// of [`chain`], for `wasm-opt --reorder-functions-by-name`.
pub fn with_order_names(module: &[u8]) -> Result<Vec<u8>> {
    let sections = sections(module)?;
    let imported = match sections.iter().find(|s| s.id == 2) {
        Some(s) => imported_functions(&module[s.payload.clone()])?,
        None => 0,
    };
    let Some(code) = sections.iter().find(|s| s.id == 10) else {
        bail!("the module has no code section")
    };
    let bodies = bodies(&module[code.payload.clone()])?;
    let order = chain(&bodies);

    let mut out = module[..8].to_vec();
    for s in &sections {
        if s.id == 0 {
            let mut at = s.payload.start;
            let len = usize::try_from(leb(module, &mut at)?)?;
            if module.get(at..at + len) == Some(b"name") {
                continue;
            }
        }
        out.extend_from_slice(&module[s.whole.clone()]);
    }
    // Function names subsection (id 1): a name map sorted by function index.
    let mut rank = vec![0usize; bodies.len()];
    for (position, &body) in order.iter().enumerate() {
        rank[body] = position;
    }
    let mut map = Vec::new();
    put_leb(&mut map, bodies.len() as u64);
    for (body, position) in rank.iter().enumerate() {
        put_leb(&mut map, imported + body as u64);
        let name = format!("f{position:05}");
        put_leb(&mut map, name.len() as u64);
        map.extend_from_slice(name.as_bytes());
    }
    let mut payload = Vec::new();
    put_leb(&mut payload, 4);
    payload.extend_from_slice(b"name");
    payload.push(1);
    put_leb(&mut payload, map.len() as u64);
    payload.extend_from_slice(&map);
    out.push(0);
    put_leb(&mut out, payload.len() as u64);
    out.extend_from_slice(&payload);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb_round_trips() {
        for value in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut bytes = Vec::new();
            put_leb(&mut bytes, value);
            let mut at = 0;
            assert_eq!(leb(&bytes, &mut at).unwrap(), value);
            assert_eq!(at, bytes.len());
        }
        let mut at = 0;
        assert!(leb(&[0x80, 0x80], &mut at).is_err());
    }

    #[test]
    fn chain_puts_similar_bodies_together_and_is_a_permutation() {
        let a: &[u8] = b"the quick brown fox jumps over the lazy dog, again and again";
        let b: &[u8] = b"0123456789 abcdefghij 0123456789 klmnopqrst";
        let a2: &[u8] = b"the quick brown fox jumps over the lazy cat";
        let b2: &[u8] = b"0123456789 abcdefghij 9876543210";
        let order = chain(&[a, b, a2, b2]);
        assert_eq!(order, vec![0, 2, 1, 3]);
        assert_eq!(chain(&[]), Vec::<usize>::new());
    }

    /// A module with one imported function and three defined ones, and an existing name
    /// section: the new names cover exactly the defined functions, by chain position, and the
    /// old name section is gone.
    #[test]
    fn names_follow_the_chain() {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        let section = |module: &mut Vec<u8>, id: u8, payload: &[u8]| {
            module.push(id);
            put_leb(module, payload.len() as u64);
            module.extend_from_slice(payload);
        };
        section(&mut module, 1, &[1, 0x60, 0, 0]); // one type: [] -> []
        section(&mut module, 2, b"\x01\x01m\x01f\x00\x00"); // import m.f : type 0
        section(&mut module, 3, &[3, 0, 0, 0]);
        let body = |code: &[u8]| {
            let mut b = vec![0u8]; // no locals
            b.extend_from_slice(code);
            b.push(0x0b);
            b
        };
        let bodies = [
            body(&[0x01; 8]),
            body(&[0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x10, 0x00]),
            body(&[0x01; 6]),
        ];
        let mut code = vec![3u8];
        for b in &bodies {
            put_leb(&mut code, b.len() as u64);
            code.extend_from_slice(b);
        }
        section(&mut module, 10, &code);
        section(&mut module, 0, b"\x04nameold");
        let out = with_order_names(&module).unwrap();
        let sections = sections(&out).unwrap();
        let names: Vec<&Section> = sections.iter().filter(|s| s.id == 0).collect();
        assert_eq!(names.len(), 1);
        let payload = &out[names[0].payload.clone()];
        // "name", subsection 1, then (index, name) for indices 1, 2, 3.
        let mut at = 5;
        assert_eq!(payload[at], 1);
        at += 1;
        leb(payload, &mut at).unwrap();
        assert_eq!(leb(payload, &mut at).unwrap(), 3);
        let mut got = Vec::new();
        for _ in 0..3 {
            let index = leb(payload, &mut at).unwrap();
            let len = leb(payload, &mut at).unwrap() as usize;
            got.push((
                index,
                String::from_utf8(payload[at..at + len].to_vec()).unwrap(),
            ));
            at += len;
        }
        // Largest body (index 2 overall, the call sequence) first, then the two alike.
        assert_eq!(
            got,
            vec![
                (1, "f00001".to_string()),
                (2, "f00000".to_string()),
                (3, "f00002".to_string())
            ]
        );
        assert_eq!(
            &out[..out.len() - names[0].whole.len()],
            &module[..module.len() - 10]
        );
    }
}
