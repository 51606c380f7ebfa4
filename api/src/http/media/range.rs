//! `Range: bytes=…` (RFC 9110 §14): one range, resolved against the file's size. Several ranges
//! or another unit are ignored (the whole file is served), as the RFC allows.

use std::ops::Range;

/// What a request's `Range` asks of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    Whole,
    Part(Range<u64>),
    /// Nothing of the file is in the range (416).
    Unsatisfiable,
}

pub fn resolve(header: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = header.map(str::trim).and_then(|h| h.strip_prefix("bytes=")) else { return Wanted::Whole };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Wanted::Whole };
    let number = |s: &str| if s.is_empty() { Ok(None) } else { s.parse::<u64>().map(Some) };
    let (Ok(first), Ok(last)) = (number(first.trim()), number(last.trim())) else { return Wanted::Whole };
    match (first, last) {
        (Some(a), _) if a >= size => Wanted::Unsatisfiable,
        (Some(a), Some(b)) if b < a => Wanted::Whole,
        (Some(a), Some(b)) => Wanted::Part(a..(b + 1).min(size)),
        (Some(a), None) => Wanted::Part(a..size),
        (None, Some(0)) => Wanted::Unsatisfiable,
        (None, Some(n)) => Wanted::Part(size - n.min(size)..size),
        (None, None) => Wanted::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::{Wanted, resolve};

    #[test]
    fn ranges_resolve_as_rfc_9110_says() {
        use Wanted::*;
        let cases = [
            (None, Whole),
            (Some("bytes=0-0"), Part(0..1)),
            (Some("bytes=2-5"), Part(2..6)),
            (Some("bytes=2-"), Part(2..10)),
            (Some("bytes=5-100"), Part(5..10)),
            (Some("bytes=-3"), Part(7..10)),
            (Some("bytes=-30"), Part(0..10)),
            (Some("bytes=10-"), Unsatisfiable),
            (Some("bytes=-0"), Unsatisfiable),
            (Some("bytes=5-2"), Whole),
            (Some("bytes=0-1,4-5"), Whole),
            (Some("items=0-1"), Whole),
            (Some("bytes=a-b"), Whole),
        ];
        for (header, want) in cases {
            assert_eq!(resolve(header, 10), want, "{header:?}");
        }
    }
}
