//! The per-field rules of RFC 9113 §8.2 and RFC 9114 §4.2, the `host` ⇄ `:authority`
//! comparison of RFC 9113 §8.3.1, and two helpers for intermediaries that translate
//! between HTTP/1.1 and HTTP/2 or HTTP/3.

use http::header::{CONNECTION, COOKIE, HeaderMap, HeaderName, HeaderValue, TE};
use http::uri::{Authority, Scheme};

use super::error::{ConnectionHeader, Malformed};

/// `tchar` of RFC 9110 §5.6.2, the octets of a field name (RFC 9110 §5.1).
pub(crate) use crate::token::is_tchar;
use crate::token::is_token;

/// A regular field name: non-empty, lowercase `tchar`s (RFC 9113 §8.2, §8.2.1). The
/// first offending octet decides the reason.
pub(crate) fn check_name(name: &[u8]) -> Result<(), Malformed> {
    if name.is_empty() {
        return Err(Malformed::EmptyName);
    }
    for &b in name {
        if b.is_ascii_uppercase() {
            return Err(Malformed::UppercaseName);
        }
        if !is_tchar(b) {
            return Err(Malformed::InvalidName);
        }
    }
    Ok(())
}

/// A field value: no NUL, CR or LF (RFC 9113 §8.2.1, the MUST), no other control but
/// HTAB (RFC 9110 §5.5), no whitespace at either end (RFC 9113 §8.2.1). Octets 0x80–0xFF
/// (`obs-text`) are allowed.
pub(crate) fn check_value(value: &[u8]) -> Result<(), Malformed> {
    for &b in value {
        match b {
            0 | b'\r' | b'\n' => return Err(Malformed::ForbiddenValueOctet),
            b'\t' => {}
            0x01..=0x1f | 0x7f => return Err(Malformed::InvalidValueOctet),
            _ => {}
        }
    }
    if matches!(value.first(), Some(b' ' | b'\t')) || matches!(value.last(), Some(b' ' | b'\t')) {
        return Err(Malformed::ValueSurroundingWhitespace);
    }
    Ok(())
}

/// Which connection-specific field `name` is, `te` included (RFC 9113 §8.2.2).
pub(crate) fn connection_specific(name: &[u8]) -> Option<ConnectionHeader> {
    match name {
        b"connection" => Some(ConnectionHeader::Connection),
        b"keep-alive" => Some(ConnectionHeader::KeepAlive),
        b"proxy-connection" => Some(ConnectionHeader::ProxyConnection),
        b"transfer-encoding" => Some(ConnectionHeader::TransferEncoding),
        b"upgrade" => Some(ConnectionHeader::Upgrade),
        b"te" => Some(ConnectionHeader::Te),
        _ => None,
    }
}

/// Where a regular field appears, which decides whether `te` is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// A request header section: `te: trailers` allowed (RFC 9113 §8.2.2).
    Request,
    /// A response header section or any trailer section: `te` is connection-specific.
    Other,
}

/// Every per-field rule for a regular (non-pseudo) field.
pub(crate) fn check_regular(name: &[u8], value: &[u8], section: Section) -> Result<(), Malformed> {
    check_name(name)?;
    check_value(value)?;
    match connection_specific(name) {
        None => Ok(()),
        Some(ConnectionHeader::Te) if section == Section::Request => {
            // "trailers" is a case-insensitive keyword (RFC 9110 §10.1.4).
            if value.eq_ignore_ascii_case(b"trailers") {
                Ok(())
            } else {
                Err(Malformed::TeNotTrailers)
            }
        }
        Some(which) => Err(Malformed::ConnectionSpecific(which)),
    }
}

/// An upgrade token as `:protocol` carries it (RFC 9110 §7.8: `token [ "/" token ]`).
pub(crate) fn is_upgrade_token(value: &[u8]) -> bool {
    let mut parts = value.splitn(2, |&b| b == b'/');
    parts.next().is_some_and(is_token) && parts.next().is_none_or(is_token)
}

/// The single `host` field of a request, parsed, if there is one (RFC 9110 §7.2).
pub(crate) fn host(headers: &HeaderMap) -> Result<Option<Authority>, Malformed> {
    let mut values = headers.get_all(http::header::HOST).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Malformed::DuplicateHost);
    }
    let bytes = value.as_bytes();
    // Host is `uri-host [ ":" port ]`: never empty, never userinfo.
    if bytes.is_empty() || bytes.contains(&b'@') {
        return Err(Malformed::InvalidHost);
    }
    Authority::try_from(bytes)
        .map(Some)
        .map_err(|_| Malformed::InvalidHost)
}

/// The default port of `http` and `https` (RFC 9110 §4.2.1, §4.2.2); schemes are
/// case-insensitive (RFC 3986 §3.1).
fn default_port(scheme: Option<&Scheme>) -> Option<u16> {
    let scheme = scheme?.as_str();
    if scheme.eq_ignore_ascii_case("https") {
        Some(443)
    } else if scheme.eq_ignore_ascii_case("http") {
        Some(80)
    } else {
        None
    }
}

/// The checks on an authority that depend on the scheme (RFC 9113 §8.3.1, §8.5): for
/// `http`, `https` and a plain CONNECT (`scheme` `None`, `connect` true) no userinfo and
/// a non-empty host (RFC 9110 §4.2.1, §4.2.2, §9.3.6).
pub(crate) fn check_authority(
    scheme: Option<&Scheme>,
    connect: bool,
    authority: &Authority,
) -> Result<(), Malformed> {
    if !(connect || default_port(scheme).is_some()) {
        return Ok(());
    }
    if authority.as_str().contains('@') {
        return Err(Malformed::UserinfoInAuthority);
    }
    if authority.host().is_empty() {
        return Err(Malformed::InvalidAuthority);
    }
    Ok(())
}

/// Whether two authorities identify the same entity after scheme-based normalization
/// (RFC 9110 §4.2.3): hosts compared without regard to case, an empty or absent port
/// equal to the scheme's default.
pub(crate) fn same_entity(scheme: Option<&Scheme>, a: &Authority, b: &Authority) -> bool {
    let default = default_port(scheme);
    let port = |x: &Authority| x.port_u16().or(default);
    a.host().eq_ignore_ascii_case(b.host()) && port(a) == port(b)
}

/// Removes from `headers` what an intermediary must strip when it turns an HTTP/1.x
/// message into an HTTP/2 or HTTP/3 one (RFC 9113 §8.2.2, RFC 9114 §4.2, RFC 9110
/// §7.6.1): the fields named as options in `connection`, then `connection`,
/// `keep-alive`, `proxy-connection`, `transfer-encoding` and `upgrade`, and `te` unless
/// its only value is `trailers`.
///
/// ```
/// use http::HeaderMap;
/// use stator_http::fields::remove_connection_specific;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("connection", "close, x-hop".parse().unwrap());
/// headers.insert("x-hop", "1".parse().unwrap());
/// headers.insert("te", "trailers".parse().unwrap());
/// headers.insert("accept", "*/*".parse().unwrap());
/// remove_connection_specific(&mut headers);
/// assert_eq!(headers.len(), 2);
/// assert!(headers.contains_key("te") && headers.contains_key("accept"));
/// ```
pub fn remove_connection_specific(headers: &mut HeaderMap) {
    let options: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .filter_map(|option| HeaderName::from_bytes(option.trim_ascii()).ok())
        .collect();
    for name in options {
        headers.remove(name);
    }
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(name);
    }
    let te_ok = {
        let mut values = headers.get_all(TE).iter();
        match (values.next(), values.next()) {
            (Some(v), None) => v.as_bytes().trim_ascii().eq_ignore_ascii_case(b"trailers"),
            _ => false,
        }
    };
    if !te_ok {
        headers.remove(TE);
    }
}

/// Joins the `cookie` crumbs of an HTTP/2 or HTTP/3 request into one value with `"; "`,
/// as RFC 9113 §8.2.3 and RFC 9114 §4.2.1 require before a request reaches an HTTP/1.1
/// connection or an application. [`RequestBuilder::finish`](super::RequestBuilder::finish)
/// already does it; this is for heads from elsewhere. Does nothing when there are fewer
/// than two.
///
/// ```
/// use http::HeaderMap;
/// use stator_http::fields::join_cookie_crumbs;
///
/// let mut headers = HeaderMap::new();
/// for crumb in ["a=b", "c=d", "e=f"] {
///     headers.append("cookie", crumb.parse().unwrap());
/// }
/// join_cookie_crumbs(&mut headers);
/// assert_eq!(headers.get_all("cookie").iter().count(), 1);
/// assert_eq!(headers["cookie"], "a=b; c=d; e=f");
/// ```
pub fn join_cookie_crumbs(headers: &mut HeaderMap) {
    if headers.get_all(COOKIE).iter().nth(1).is_none() {
        return;
    }
    // An empty crumb holds no cookie-pair: joining it would leave a dangling "; ", trailing
    // whitespace that makes the value invalid (RFC 9113 §8.2.1) and that HTTP/1.1 could not
    // carry either. So only non-empty crumbs are joined.
    let mut joined = Vec::new();
    for crumb in headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes) {
        if crumb.is_empty() {
            continue;
        }
        if !joined.is_empty() {
            joined.extend_from_slice(b"; ");
        }
        joined.extend_from_slice(crumb);
    }
    // Each crumb was a valid value, without surrounding whitespace, and "; " only ever
    // sits between two of them, so the join is a valid value too.
    if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from(joined)) {
        headers.insert(COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_crumbs_join_without_empty_ones() {
        let join = |crumbs: &[&'static str]| {
            let mut h = HeaderMap::new();
            for c in crumbs {
                h.append(COOKIE, HeaderValue::from_static(c));
            }
            join_cookie_crumbs(&mut h);
            h.get_all(COOKIE)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        // RFC 9113 §8.2.3's example.
        assert_eq!(join(&["a=b", "c=d", "e=f"]), ["a=b; c=d; e=f"]);
        // Found by proptest: an empty crumb used to leave "GET; ", trailing whitespace.
        assert_eq!(join(&["GET", ""]), ["GET"]);
        assert_eq!(join(&["", "a=b", "", "c=d"]), ["a=b; c=d"]);
        assert_eq!(join(&["", ""]), [""]);
        assert_eq!(join(&["only"]), ["only"]);
    }

    #[test]
    fn names() {
        assert_eq!(check_name(b"accept"), Ok(()));
        assert_eq!(check_name(b"x-custom_1.2~!#$%&'*+^`|"), Ok(()));
        assert_eq!(check_name(b""), Err(Malformed::EmptyName));
        assert_eq!(check_name(b"Accept"), Err(Malformed::UppercaseName));
        assert_eq!(check_name(b"x-A"), Err(Malformed::UppercaseName));
        for bad in [
            &b"a b"[..],
            b"a:b",
            b"a\0",
            b"a\x7f",
            b"\xc3\xa9",
            b"a\"",
            b"a(b)",
            b"a/b",
            b"a@b",
            b"a\t",
        ] {
            assert_eq!(check_name(bad), Err(Malformed::InvalidName), "{bad:?}");
        }
    }

    #[test]
    fn values() {
        assert_eq!(check_value(b""), Ok(()));
        assert_eq!(check_value(b"a b\tc"), Ok(()));
        assert_eq!(check_value(b"caf\xc3\xa9 \x80\xff"), Ok(()));
        for bad in [&b"a\0b"[..], b"a\rb", b"a\nb", b"\n", b"a\r\n b"] {
            assert_eq!(check_value(bad), Err(Malformed::ForbiddenValueOctet));
        }
        for bad in [&b"a\x01"[..], b"\x08", b"\x0b", b"\x0c", b"a\x1fb", b"\x7f"] {
            assert_eq!(check_value(bad), Err(Malformed::InvalidValueOctet));
        }
        for bad in [&b" a"[..], b"a ", b"\ta", b"a\t", b" ", b"\t"] {
            assert_eq!(check_value(bad), Err(Malformed::ValueSurroundingWhitespace));
        }
    }

    #[test]
    fn connection_specific_and_te() {
        use ConnectionHeader as C;
        let cases = [
            (&b"connection"[..], C::Connection),
            (b"keep-alive", C::KeepAlive),
            (b"proxy-connection", C::ProxyConnection),
            (b"transfer-encoding", C::TransferEncoding),
            (b"upgrade", C::Upgrade),
        ];
        for (name, which) in cases {
            for section in [Section::Request, Section::Other] {
                assert_eq!(
                    check_regular(name, b"x", section),
                    Err(Malformed::ConnectionSpecific(which))
                );
            }
            assert_eq!(which.as_str().as_bytes(), name);
        }
        assert_eq!(check_regular(b"te", b"trailers", Section::Request), Ok(()));
        assert_eq!(check_regular(b"te", b"Trailers", Section::Request), Ok(()));
        assert_eq!(
            check_regular(b"te", b"gzip", Section::Request),
            Err(Malformed::TeNotTrailers)
        );
        assert_eq!(
            check_regular(b"te", b"trailers, gzip", Section::Request),
            Err(Malformed::TeNotTrailers)
        );
        assert_eq!(
            check_regular(b"te", b"trailers", Section::Other),
            Err(Malformed::ConnectionSpecific(C::Te))
        );
    }

    #[test]
    fn upgrade_tokens() {
        for good in [
            &b"websocket"[..],
            b"webtransport",
            b"connect-udp",
            b"h2c/2.0",
        ] {
            assert!(is_upgrade_token(good), "{good:?}");
        }
        for bad in [&b""[..], b"/", b"a/", b"/a", b"a/b/c", b"a b", b"a,b"] {
            assert!(!is_upgrade_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn scheme_based_normalization() {
        let a = |s: &'static str| Authority::from_static(s);
        let https = Some(&Scheme::HTTPS);
        let http = Some(&Scheme::HTTP);
        assert!(same_entity(https, &a("example.com"), &a("EXAMPLE.com")));
        assert!(same_entity(https, &a("example.com"), &a("example.com:443")));
        assert!(same_entity(https, &a("example.com:"), &a("example.com")));
        assert!(same_entity(http, &a("example.com:80"), &a("example.com")));
        assert!(!same_entity(http, &a("example.com:443"), &a("example.com")));
        assert!(!same_entity(https, &a("example.com"), &a("example.org")));
        assert!(!same_entity(None, &a("example.com:443"), &a("example.com")));
        assert!(same_entity(None, &a("[::1]:8"), &a("[::1]:8")));
        let upper = Scheme::try_from("HTTPS").unwrap();
        assert!(same_entity(
            Some(&upper),
            &a("example.com"),
            &a("example.com:443")
        ));
        assert_eq!(
            check_authority(Some(&upper), false, &a("u@example.com")),
            Err(Malformed::UserinfoInAuthority)
        );
    }

    #[test]
    fn host_field() {
        let mut h = HeaderMap::new();
        assert_eq!(host(&h), Ok(None));
        h.insert("host", HeaderValue::from_static("example.com:8080"));
        assert_eq!(
            host(&h),
            Ok(Some(Authority::from_static("example.com:8080")))
        );
        h.append("host", HeaderValue::from_static("example.com:8080"));
        assert_eq!(host(&h), Err(Malformed::DuplicateHost));
        for bad in ["", "user@example.com", "example.com/x", "a b", "exa mple"] {
            h.insert("host", HeaderValue::from_static(bad));
            assert_eq!(host(&h), Err(Malformed::InvalidHost), "{bad:?}");
        }
    }

    #[test]
    fn strips_connection_options_and_bad_te() {
        let mut h = HeaderMap::new();
        h.append("connection", HeaderValue::from_static("keep-alive, X-Foo"));
        h.append("connection", HeaderValue::from_static(" x-bar ,,"));
        for name in [
            "x-foo",
            "x-bar",
            "keep-alive",
            "upgrade",
            "transfer-encoding",
        ] {
            h.insert(name, HeaderValue::from_static("1"));
        }
        h.insert("proxy-connection", HeaderValue::from_static("close"));
        h.insert("te", HeaderValue::from_static("gzip"));
        h.insert("x-keep", HeaderValue::from_static("1"));
        remove_connection_specific(&mut h);
        assert_eq!(h.keys().collect::<Vec<_>>(), ["x-keep"]);
    }

    #[test]
    fn single_cookie_untouched() {
        let mut h = HeaderMap::new();
        join_cookie_crumbs(&mut h);
        assert!(h.is_empty());
        h.insert("cookie", HeaderValue::from_static("a=b"));
        join_cookie_crumbs(&mut h);
        assert_eq!(h["cookie"], "a=b");
    }
}
