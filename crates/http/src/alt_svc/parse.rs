//! The `Alt-Svc` parser (RFC 7838 §3). Works on a cursor over the value's octets; never
//! indexes, never panics.

use super::{AltService, AltSvcError};
use crate::fields::validate::is_tchar;

/// The value's alternatives; empty for `clear`.
pub(super) fn parse(value: &[u8]) -> Result<Vec<AltService>, AltSvcError> {
    let mut cur = Cursor { rest: value };
    let mut services = Vec::new();
    let mut clear = false;
    loop {
        cur.skip_ows();
        match cur.peek() {
            None => break,
            // An empty list element (RFC 9110 §5.6.1).
            Some(b',') => {
                cur.bump();
                continue;
            }
            Some(_) => {}
        }
        let token = cur.take_while(is_tchar);
        if token.is_empty() {
            return Err(AltSvcError::InvalidProtocolId);
        }
        if cur.peek() == Some(b'=') {
            cur.bump();
            services.push(alternative(token, &mut cur)?);
        } else if token == b"clear" {
            clear = true;
        } else {
            return Err(AltSvcError::MissingEquals);
        }
        cur.skip_ows();
        match cur.peek() {
            None => break,
            Some(b',') => cur.bump(),
            Some(_) => return Err(AltSvcError::UnexpectedCharacter),
        }
    }
    match (clear, services.is_empty()) {
        (true, false) => Err(AltSvcError::ClearNotAlone),
        (false, true) => Err(AltSvcError::Empty),
        // `clear` alone is the empty list.
        _ => Ok(services),
    }
}

/// `alt-authority *( OWS ";" OWS parameter )` after `protocol-id "="`.
fn alternative(protocol_id: &[u8], cur: &mut Cursor<'_>) -> Result<AltService, AltSvcError> {
    let protocol = percent_decode(protocol_id)?;
    if cur.peek() != Some(b'"') {
        return Err(AltSvcError::UnquotedAuthority);
    }
    let authority = cur.quoted_string()?;
    let (host, port) = split_authority(&authority)?;
    let mut service = AltService::new(protocol, port)?;
    if !host.is_empty() {
        check_host(host)?;
        // check_host admits ASCII only.
        let host = std::str::from_utf8(host).map_err(|_| AltSvcError::InvalidHost)?;
        service.host = Some(host.to_owned());
    }
    let mut seen_ma = false;
    let mut seen_persist = false;
    loop {
        let mut ahead = *cur;
        ahead.skip_ows();
        if ahead.peek() != Some(b';') {
            break;
        }
        ahead.bump();
        ahead.skip_ows();
        *cur = ahead;
        let name = cur.take_while(is_tchar);
        if name.is_empty() || cur.peek() != Some(b'=') {
            return Err(AltSvcError::InvalidParameter);
        }
        cur.bump();
        let value = if cur.peek() == Some(b'"') {
            cur.quoted_string()?
        } else {
            let token = cur.take_while(is_tchar);
            if token.is_empty() {
                return Err(AltSvcError::InvalidParameter);
            }
            token.to_vec()
        };
        if name.eq_ignore_ascii_case(b"ma") {
            if std::mem::replace(&mut seen_ma, true) {
                return Err(AltSvcError::DuplicateParameter);
            }
            service.max_age = Some(delta_seconds(&value)?);
        } else if name.eq_ignore_ascii_case(b"persist") {
            if std::mem::replace(&mut seen_persist, true) {
                return Err(AltSvcError::DuplicateParameter);
            }
            // Any other value is ignored (RFC 7838 §3.1).
            service.persist = value == b"1";
        }
        // Unknown parameters are ignored (RFC 7838 §3).
    }
    Ok(service)
}

/// `delta-seconds = 1*DIGIT`, saturating (RFC 9111 §1.2.2).
fn delta_seconds(value: &[u8]) -> Result<u64, AltSvcError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(AltSvcError::InvalidMaxAge);
    }
    Ok(value.iter().fold(0_u64, |n, &d| {
        n.saturating_mul(10)
            .saturating_add(u64::from(d.wrapping_sub(b'0')))
    }))
}

/// Decodes the `%HH` of a protocol-id (RFC 7838 §3, RFC 3986 §2.1).
fn percent_decode(token: &[u8]) -> Result<Vec<u8>, AltSvcError> {
    let mut out = Vec::with_capacity(token.len());
    let mut octets = token.iter();
    while let Some(&b) = octets.next() {
        if b == b'%' {
            let hi = octets.next().and_then(|&h| hex(h));
            let lo = octets.next().and_then(|&l| hex(l));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(AltSvcError::InvalidPercentEncoding);
            };
            out.push(hi << 4 | lo);
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Splits `[ uri-host ] ":" port`.
fn split_authority(authority: &[u8]) -> Result<(&[u8], u16), AltSvcError> {
    let colon = if authority.first() == Some(&b'[') {
        // The port's colon comes after the IPv6 literal's closing bracket.
        let close = authority
            .iter()
            .position(|&b| b == b']')
            .ok_or(AltSvcError::InvalidHost)?;
        match authority.get(close.saturating_add(1)) {
            Some(b':') => close.saturating_add(1),
            None => return Err(AltSvcError::MissingPort),
            Some(_) => return Err(AltSvcError::InvalidHost),
        }
    } else {
        authority
            .iter()
            .rposition(|&b| b == b':')
            .ok_or(AltSvcError::MissingPort)?
    };
    let (host, port) = authority
        .split_at_checked(colon)
        .ok_or(AltSvcError::MissingPort)?;
    let port = port.get(1..).unwrap_or_default();
    Ok((host, parse_port(port)?))
}

fn parse_port(digits: &[u8]) -> Result<u16, AltSvcError> {
    if digits.is_empty() {
        return Err(AltSvcError::InvalidPort);
    }
    digits.iter().try_fold(0_u16, |n, &d| {
        if !d.is_ascii_digit() {
            return Err(AltSvcError::InvalidPort);
        }
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u16::from(d.wrapping_sub(b'0'))))
            .ok_or(AltSvcError::InvalidPort)
    })
}

/// `uri-host = IP-literal / IPv4address / reg-name` (RFC 3986 §3.2.2), non-empty, with
/// IPv6 as the only IP-literal.
pub(super) fn check_host(host: &[u8]) -> Result<(), AltSvcError> {
    if let Some(inner) = host.strip_prefix(b"[") {
        let literal = inner.strip_suffix(b"]").ok_or(AltSvcError::InvalidHost)?;
        let literal = std::str::from_utf8(literal).map_err(|_| AltSvcError::InvalidHost)?;
        return literal
            .parse::<core::net::Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| AltSvcError::InvalidHost);
    }
    if host.is_empty() {
        return Err(AltSvcError::InvalidHost);
    }
    // reg-name = *( unreserved / pct-encoded / sub-delims ); IPv4 addresses are reg-names.
    let mut octets = host.iter();
    while let Some(&b) = octets.next() {
        let ok = match b {
            b'%' => {
                octets.next().and_then(|&h| hex(h)).is_some()
                    && octets.next().and_then(|&l| hex(l)).is_some()
            }
            _ => {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'-' | b'.'
                            | b'_'
                            | b'~'
                            | b'!'
                            | b'$'
                            | b'&'
                            | b'\''
                            | b'('
                            | b')'
                            | b'*'
                            | b'+'
                            | b','
                            | b';'
                            | b'='
                    )
            }
        };
        if !ok {
            return Err(AltSvcError::InvalidHost);
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn bump(&mut self) {
        self.rest = self.rest.get(1..).unwrap_or_default();
    }

    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let n = self
            .rest
            .iter()
            .position(|&b| !pred(b))
            .unwrap_or(self.rest.len());
        let (taken, rest) = self.rest.split_at_checked(n).unwrap_or((self.rest, &[]));
        self.rest = rest;
        taken
    }

    /// `OWS = *( SP / HTAB )` (RFC 9110 §5.6.3).
    fn skip_ows(&mut self) {
        self.take_while(|b| b == b' ' || b == b'\t');
    }

    /// `quoted-string` (RFC 9110 §5.6.4), the cursor on its opening quote; returns its
    /// content with the quoted-pairs resolved.
    fn quoted_string(&mut self) -> Result<Vec<u8>, AltSvcError> {
        self.bump();
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(AltSvcError::UnterminatedQuotedString);
            };
            self.bump();
            match b {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(escaped) = self.peek() else {
                        return Err(AltSvcError::UnterminatedQuotedString);
                    };
                    if !is_qpair_octet(escaped) {
                        return Err(AltSvcError::InvalidQuotedString);
                    }
                    self.bump();
                    out.push(escaped);
                }
                b if is_qdtext(b) => out.push(b),
                _ => return Err(AltSvcError::InvalidQuotedString),
            }
        }
    }
}

/// `qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text`.
fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff)
}

/// What may follow a backslash: `HTAB / SP / VCHAR / obs-text`.
fn is_qpair_octet(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_split() {
        assert_eq!(split_authority(b":443"), Ok((&b""[..], 443)));
        assert_eq!(split_authority(b"h:1"), Ok((&b"h"[..], 1)));
        assert_eq!(split_authority(b"[::1]:8"), Ok((&b"[::1]"[..], 8)));
        assert_eq!(split_authority(b"h"), Err(AltSvcError::MissingPort));
        assert_eq!(split_authority(b""), Err(AltSvcError::MissingPort));
        assert_eq!(split_authority(b"[::1]"), Err(AltSvcError::MissingPort));
        assert_eq!(split_authority(b"[::1"), Err(AltSvcError::InvalidHost));
        assert_eq!(split_authority(b"[::1]x:1"), Err(AltSvcError::InvalidHost));
        assert_eq!(split_authority(b"h:"), Err(AltSvcError::InvalidPort));
        assert_eq!(split_authority(b"h:65536"), Err(AltSvcError::InvalidPort));
        assert_eq!(split_authority(b"h:+1"), Err(AltSvcError::InvalidPort));
        assert_eq!(split_authority(b"h:00065535"), Ok((&b"h"[..], 65535)));
    }

    #[test]
    fn hosts() {
        for ok in [
            &b"example.com"[..],
            b"192.0.2.1",
            b"[2001:db8::1]",
            b"a%2Fb",
            b"x-y_z~!$&'()*+,;=",
        ] {
            assert_eq!(check_host(ok), Ok(()), "{ok:?}");
        }
        for bad in [
            &b""[..],
            b"a b",
            b"a/b",
            b"a@b",
            b"a:b",
            b"[]",
            b"[v1.x]",
            b"[::1",
            b"a%2",
            b"a%zz",
            b"\xc3\xa9",
            b"\"",
            b"\\",
        ] {
            assert_eq!(check_host(bad), Err(AltSvcError::InvalidHost), "{bad:?}");
        }
    }

    #[test]
    fn percent() {
        assert_eq!(percent_decode(b"w%3Dx%3Ay#z"), Ok(b"w=x:y#z".to_vec()));
        assert_eq!(percent_decode(b"x%25y"), Ok(b"x%y".to_vec()));
        assert_eq!(percent_decode(b"%2f%2F"), Ok(b"//".to_vec()));
        assert_eq!(percent_decode(b"%FF%00"), Ok(vec![0xff, 0]));
        for bad in [&b"%"[..], b"%2", b"%G0", b"a%2", b"%%"] {
            assert_eq!(
                percent_decode(bad),
                Err(AltSvcError::InvalidPercentEncoding)
            );
        }
    }

    #[test]
    fn max_age_saturates() {
        assert_eq!(delta_seconds(b"0"), Ok(0));
        assert_eq!(delta_seconds(b"99999999999999999999999"), Ok(u64::MAX));
        assert_eq!(delta_seconds(b""), Err(AltSvcError::InvalidMaxAge));
        assert_eq!(delta_seconds(b"-1"), Err(AltSvcError::InvalidMaxAge));
    }
}
