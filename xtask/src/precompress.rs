//! Precompressed copies of the built module and glue (`imr_bg.wasm.br`, `imr_bg.wasm.gz`,
//! `imr.js.br`, `imr.js.gz`), written next to them in `www/pkg/` for servers that send such
//! files as they are: nginx `gzip_static on;` (and the ngx_brotli module's `brotli_static on;`),
//! Caddy `file_server { precompressed br gzip }`, and `cargo xtask serve`. A server compressing on
//! the fly spends a few milliseconds per response and uses a fast level; these are compressed
//! once, at the build, as small as each format allows:
//!
//! - gzip by Zopfli (the `zopfli` crate, a Rust port of Google's Zopfli, 15 iterations): an
//!   ordinary gzip stream, ~5 % smaller than `gzip -9` for this module;
//! - Brotli at quality 11 (the `brotli` crate, Dropbox's Rust port of Google's encoder), which
//!   every current browser accepts (`Accept-Encoding: br`): ~18 % smaller than `gzip -9`.
//!
//! Measured on 2026-12-06 for the module (502 837 B): `gzip -9` 189 225 B (Node's zlib), Zopfli
//! 179 952 B, Brotli 155 596 B; ~2.5 s for the four copies. `tests/e2e/size.test.mjs` checks
//! that each copy decompresses to exactly the file it stands for and holds each format to a
//! budget.

use anyhow::{Context, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A content coding the build writes a copy in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Brotli (RFC 7932), `Content-Encoding: br`.
    Brotli,
    /// gzip (RFC 1952), `Content-Encoding: gzip`.
    Gzip,
}

/// The server's order of preference: the smaller format first.
pub const PREFERENCE: [Encoding; 2] = [Encoding::Brotli, Encoding::Gzip];

impl Encoding {
    /// The `Content-Encoding` / `Accept-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The copy's file name suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Gzip => ".gz",
        }
    }

    /// The path of `file`'s copy in this coding.
    pub fn copy_of(self, file: &Path) -> PathBuf {
        let mut name = file.as_os_str().to_owned();
        name.push(self.suffix());
        PathBuf::from(name)
    }

    /// `bytes` compressed in this coding, as small as the encoder makes it.
    pub fn compress(self, bytes: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(bytes.len() / 2);
        match self {
            Encoding::Gzip => {
                zopfli::compress(
                    zopfli::Options::default(),
                    zopfli::Format::Gzip,
                    bytes,
                    &mut out,
                )
                .context("zopfli")?;
            }
            Encoding::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 11,
                    // A 4 MiB window: larger than the files, and what every decoder accepts.
                    lgwin: 22,
                    size_hint: bytes.len(),
                    ..Default::default()
                };
                let mut input = bytes;
                brotli::BrotliCompress(&mut input, &mut out, &params).context("brotli")?;
            }
        }
        Ok(out)
    }
}

/// Writes `file`'s copies in every coding of [`PREFERENCE`]; returns each copy's size.
pub fn write_copies(file: &Path) -> Result<Vec<(Encoding, usize)>> {
    let bytes = fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    PREFERENCE
        .iter()
        .map(|&encoding| {
            let packed = encoding.compress(&bytes)?;
            let copy = encoding.copy_of(file);
            fs::File::create(&copy)
                .and_then(|mut f| f.write_all(&packed))
                .with_context(|| format!("writing {}", copy.display()))?;
            Ok((encoding, packed.len()))
        })
        .collect()
}

/// The copy of `file` to send for an `Accept-Encoding` header value: the first acceptable
/// coding (in [`PREFERENCE`] order) whose copy exists and is not older than `file` (a copy left
/// from before a rebuild or an edit is never sent); and whether `file` has any copy at all (the
/// response then varies with `Accept-Encoding`).
pub fn choose(file: &Path, accept_encoding: &str) -> (Option<(Encoding, PathBuf)>, bool) {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let original = modified(file);
    let mut has_copies = false;
    let mut chosen = None;
    let accepted = acceptable(accept_encoding);
    for encoding in PREFERENCE {
        let copy = encoding.copy_of(file);
        let Some(written) = modified(&copy) else {
            continue;
        };
        has_copies = true;
        let fresh = original.is_some_and(|f| written >= f);
        if chosen.is_none() && fresh && accepted.contains(&encoding) {
            chosen = Some((encoding, copy));
        }
    }
    (chosen, has_copies)
}

/// The codings of [`PREFERENCE`] that an `Accept-Encoding` header value allows, in that order
/// (RFC 9110 §12.5.3): a coding is acceptable when it is listed, or `*` is, with a non-zero
/// quality value (`;q=0` refuses it; a coding named explicitly overrides `*`). The server's
/// preference decides among acceptable codings, as nginx and Caddy do.
pub fn acceptable(accept_encoding: &str) -> Vec<Encoding> {
    let mut star: Option<bool> = None;
    let mut named: Vec<(String, bool)> = Vec::new();
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        if coding.is_empty() {
            continue;
        }
        let mut allowed = true;
        for parameter in parts {
            let (key, value) = parameter.split_once('=').unwrap_or((parameter, ""));
            if key.trim().eq_ignore_ascii_case("q") {
                allowed = value.trim().parse::<f64>().is_ok_and(|q| q > 0.0);
            }
        }
        if coding == "*" {
            star = Some(allowed);
        } else {
            named.push((coding, allowed));
        }
    }
    PREFERENCE
        .into_iter()
        .filter(|encoding| {
            match named.iter().find(|(coding, _)| {
                coding == encoding.token() || (*encoding == Encoding::Gzip && coding == "x-gzip")
            }) {
                Some(&(_, allowed)) => allowed,
                None => star.unwrap_or(false),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{acceptable, Encoding};
    use std::io::Read;

    #[test]
    fn accept_encoding_negotiation() {
        use Encoding::{Brotli, Gzip};
        // Chromium's header, and others with the server's order kept.
        assert_eq!(acceptable("gzip, deflate, br, zstd"), vec![Brotli, Gzip]);
        assert_eq!(acceptable("gzip"), vec![Gzip]);
        assert_eq!(acceptable("x-gzip, deflate"), vec![Gzip]);
        assert_eq!(acceptable("BR;q=0.5"), vec![Brotli]);
        assert_eq!(acceptable(""), Vec::<Encoding>::new());
        assert_eq!(acceptable("identity"), Vec::<Encoding>::new());
        // q=0 refuses; `*` covers codings not named; a named coding overrides `*`.
        assert_eq!(acceptable("br;q=0, gzip"), vec![Gzip]);
        assert_eq!(acceptable("br; q=0.000, gzip;q=1"), vec![Gzip]);
        assert_eq!(acceptable("*"), vec![Brotli, Gzip]);
        assert_eq!(acceptable("*;q=0, gzip"), vec![Gzip]);
        assert_eq!(acceptable("gzip;q=0, *"), vec![Brotli]);
        assert_eq!(acceptable("br;q=nonsense, gzip"), vec![Gzip]);
    }

    #[test]
    fn copies_decompress_to_the_original() {
        let original: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("line {} of {}\n", i % 97, i % 13).into_bytes())
            .collect();
        let br = Encoding::Brotli.compress(&original).unwrap();
        let mut unpacked = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, original);
        assert!(br.len() < original.len() / 10, "{} bytes", br.len());
        let gz = Encoding::Gzip.compress(&original).unwrap();
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, original);
        assert!(gz.len() < original.len() / 5, "{} bytes", gz.len());
    }

    #[test]
    fn copy_paths() {
        let file = std::path::Path::new("www/pkg/imr_bg.wasm");
        assert_eq!(
            Encoding::Brotli.copy_of(file),
            std::path::Path::new("www/pkg/imr_bg.wasm.br")
        );
        assert_eq!(
            Encoding::Gzip.copy_of(file),
            std::path::Path::new("www/pkg/imr_bg.wasm.gz")
        );
    }
}
