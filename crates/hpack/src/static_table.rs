//! The static table of RFC 7541 Appendix A and the encoder's lookups into it.
//!
//! The table is a `const` array, so decoding an indexed static field hands out
//! `Bytes::from_static` views and never allocates.

use std::sync::LazyLock;

use bytes::Bytes;
use stator_http::fields::CheckedField;

/// Number of entries in the static table (RFC 7541 Appendix A).
pub(crate) const LEN: usize = 61;

/// RFC 7541 Appendix A; entry `i` has index `i + 1`.
pub(crate) static ENTRIES: [(&str, &str); LEN] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// The static entries checked and converted for `stator-http`'s builders (see
/// [`CheckedField`]), made once per process.
static CHECKED: LazyLock<[Option<CheckedField>; LEN]> = LazyLock::new(|| {
    ENTRIES.map(|(name, value)| {
        CheckedField::new(name.as_bytes(), Bytes::from_static(value.as_bytes()))
    })
});

/// The checked form of the entry at 1-based `index`, if it has one.
pub(crate) fn checked(index: usize) -> Option<&'static CheckedField> {
    CHECKED.get(index.checked_sub(1)?)?.as_ref()
}

/// The entry at 1-based `index`, if it is a static index.
pub(crate) fn get(index: usize) -> Option<(&'static str, &'static str)> {
    ENTRIES.get(index.checked_sub(1)?).copied()
}

/// What the static table offers an encoder for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    /// Name and value match the entry at this index.
    Full(usize),
    /// Only the name matches; the lowest such index.
    Name(usize),
    /// The name is not in the static table.
    None,
}

/// Finds `name` (and `value`) in the static table without scanning all 61 entries: a
/// `match` on the name (compiled to length and byte comparisons) narrows the search to
/// the entries that share it.
pub(crate) fn find(name: &[u8], value: &[u8]) -> Match {
    let Some((first, last)) = name_range(name) else {
        return Match::None;
    };
    for index in first..=last {
        if get(index).is_some_and(|(_, v)| v.as_bytes() == value) {
            return Match::Full(index);
        }
    }
    Match::Name(first)
}

/// The 1-based indices of the first and last entries named `name`.
fn name_range(name: &[u8]) -> Option<(usize, usize)> {
    let range = match name {
        b":authority" => (1, 1),
        b":method" => (2, 3),
        b":path" => (4, 5),
        b":scheme" => (6, 7),
        b":status" => (8, 14),
        b"accept-charset" => (15, 15),
        b"accept-encoding" => (16, 16),
        b"accept-language" => (17, 17),
        b"accept-ranges" => (18, 18),
        b"accept" => (19, 19),
        b"access-control-allow-origin" => (20, 20),
        b"age" => (21, 21),
        b"allow" => (22, 22),
        b"authorization" => (23, 23),
        b"cache-control" => (24, 24),
        b"content-disposition" => (25, 25),
        b"content-encoding" => (26, 26),
        b"content-language" => (27, 27),
        b"content-length" => (28, 28),
        b"content-location" => (29, 29),
        b"content-range" => (30, 30),
        b"content-type" => (31, 31),
        b"cookie" => (32, 32),
        b"date" => (33, 33),
        b"etag" => (34, 34),
        b"expect" => (35, 35),
        b"expires" => (36, 36),
        b"from" => (37, 37),
        b"host" => (38, 38),
        b"if-match" => (39, 39),
        b"if-modified-since" => (40, 40),
        b"if-none-match" => (41, 41),
        b"if-range" => (42, 42),
        b"if-unmodified-since" => (43, 43),
        b"last-modified" => (44, 44),
        b"link" => (45, 45),
        b"location" => (46, 46),
        b"max-forwards" => (47, 47),
        b"proxy-authenticate" => (48, 48),
        b"proxy-authorization" => (49, 49),
        b"range" => (50, 50),
        b"referer" => (51, 51),
        b"refresh" => (52, 52),
        b"retry-after" => (53, 53),
        b"server" => (54, 54),
        b"set-cookie" => (55, 55),
        b"strict-transport-security" => (56, 56),
        b"transfer-encoding" => (57, 57),
        b"user-agent" => (58, 58),
        b"vary" => (59, 59),
        b"via" => (60, 60),
        b"www-authenticate" => (61, 61),
        _ => return None,
    };
    Some(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_found_by_name_and_value() {
        for (i, (n, v)) in ENTRIES.iter().enumerate() {
            assert_eq!(
                find(n.as_bytes(), v.as_bytes()),
                Match::Full(i + 1),
                "{n}: {v}"
            );
        }
    }

    #[test]
    fn names_without_the_value() {
        assert_eq!(find(b":status", b"418"), Match::Name(8));
        assert_eq!(find(b"user-agent", b"x"), Match::Name(58));
        assert_eq!(find(b"x-custom", b""), Match::None);
        assert_eq!(get(0), None);
        assert_eq!(get(62), None);
        assert_eq!(get(61), Some(("www-authenticate", "")));
    }
}
