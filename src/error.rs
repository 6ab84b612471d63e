//! Structured input errors and warnings: every one names the field path it is about.

use serde::Serialize;
use std::fmt;
use std::fmt::Write as _;

/// One problem with one input field, e.g. `positions[0].leverage` / `not_positive`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path of the offending field in the request, JSON style (`positions[0].entryPrice`).
    pub field: String,
    /// Stable machine-readable code (`required`, `not_a_number`, `not_positive`, ...).
    pub code: String,
    /// Human-readable explanation, suitable to show next to the field.
    pub message: String,
}

/// `base.field`, the path of a field of the value at `base`, as an owned string (one out-of-line
/// concatenation instead of a `format!` at each of the ~80 call sites that name a nested field;
/// [`FieldPaths`] is the reusable-buffer form for validators that name many fields of one value).
#[inline(never)]
pub fn dotted(base: &str, field: &str) -> String {
    let mut path = String::with_capacity(base.len() + 1 + field.len());
    path.push_str(base);
    path.push('.');
    path.push_str(field);
    path
}

impl FieldError {
    /// A new error for `field` with a stable `code` and a human `message`.
    #[inline(never)]
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.code)
    }
}

/// The paths of one request object's fields (`markets[3]` → `markets[3].markPrice`), written
/// into one reusable buffer: validating a field needs its path only as a `&str` to name it in a
/// possible error, so a book of 1,000 markets need not format (and allocate) 14,000 path strings
/// that no error uses.
#[derive(Debug)]
pub struct FieldPaths {
    buf: String,
    base: usize,
}

impl FieldPaths {
    /// The paths under `base` (`markets[3]`).
    pub fn new(base: &str) -> Self {
        let mut buf = String::with_capacity(base.len() + 32);
        buf.push_str(base);
        Self {
            buf,
            base: base.len(),
        }
    }

    /// `base.name`, valid until the next call.
    pub fn field(&mut self, name: &str) -> &str {
        self.buf.truncate(self.base);
        self.buf.push('.');
        self.buf.push_str(name);
        &self.buf
    }

    /// `base.list[index].name`, valid until the next call.
    pub fn item(&mut self, list: &str, index: usize, name: &str) -> &str {
        self.buf.truncate(self.base);
        self.buf.push('.');
        self.buf.push_str(list);
        // Writing an integer into a `String` cannot fail.
        let _ = write!(self.buf, "[{index}");
        self.buf.push_str("].");
        self.buf.push_str(name);
        &self.buf
    }
}

/// All problems found in a request. Validation collects every field error it can
/// rather than stopping at the first, so a form can mark each bad field at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputErrors {
    /// The individual field errors, in request order. Never empty.
    pub errors: Vec<FieldError>,
}

impl InputErrors {
    /// A single-error set.
    pub fn one(error: FieldError) -> Self {
        Self {
            errors: vec![error],
        }
    }
}

impl From<FieldError> for InputErrors {
    fn from(error: FieldError) -> Self {
        Self::one(error)
    }
}

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

/// Accumulates field errors during validation.
#[derive(Debug, Default)]
pub struct Collector {
    errors: Vec<FieldError>,
}

impl Collector {
    /// Records an error.
    #[inline(never)]
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Unwraps `result`, recording its error and returning `None` on failure.
    #[inline(never)]
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.push(error);
                None
            }
        }
    }

    /// True when nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when no error was recorded, else all recorded errors.
    pub fn finish<T>(self, value: T) -> Result<T, InputErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(InputErrors {
                errors: self.errors,
            })
        }
    }

    /// All recorded errors; callers use this after checking `!is_empty()`.
    pub fn into_errors(self) -> InputErrors {
        InputErrors {
            errors: self.errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FieldPaths;

    #[test]
    fn field_paths_name_fields_and_list_items_under_the_base() {
        let mut at = FieldPaths::new("markets[12]");
        assert_eq!(at.field("markPrice"), "markets[12].markPrice");
        assert_eq!(
            at.item("tiers", 0, "maxLeverage"),
            "markets[12].tiers[0].maxLeverage"
        );
        assert_eq!(
            at.item("tiers", 1407, "notionalCap"),
            "markets[12].tiers[1407].notionalCap"
        );
        assert_eq!(at.field("margin"), "markets[12].margin");
    }
}
