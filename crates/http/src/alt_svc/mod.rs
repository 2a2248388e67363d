//! The `Alt-Svc` field value (RFC 7838 §3), built and parsed.
//!
//! ```text
//! Alt-Svc       = clear / 1#alt-value
//! clear         = %s"clear"; "clear", case-sensitive
//! alt-value     = alternative *( OWS ";" OWS parameter )
//! alternative   = protocol-id "=" alt-authority
//! protocol-id   = token ; percent-encoded ALPN protocol name
//! alt-authority = quoted-string ; containing [ uri-host ] ":" port
//! parameter     = token "=" ( token / quoted-string )
//! ```
//!
//! An [`AltSvc`] is a list of [`AltService`]s in the server's order of preference; the
//! empty list is `clear`. Built values always format to a valid field value, and
//! formatting then parsing gives the same value back.
//!
//! ```
//! use stator_http::alt_svc::{AltService, AltSvc};
//!
//! // What an HTTP/1.1 or HTTP/2 response says when HTTP/3 listens on the same port.
//! let value = AltSvc::new([AltService::h3(443).with_max_age(86400)]);
//! assert_eq!(value.to_string(), r#"h3=":443"; ma=86400"#);
//!
//! let parsed = AltSvc::parse(br#"h3="alt.example.com:8443"; persist=1, h2=":443""#)?;
//! let first = &parsed.services()[0];
//! assert_eq!((first.protocol(), first.host(), first.port()), (&b"h3"[..], Some("alt.example.com"), 8443));
//! assert!(first.persist());
//! assert_eq!(first.max_age(), 86400); // the default of RFC 7838 §3.1
//! assert!(AltSvc::parse(b"clear")?.is_clear());
//! # Ok::<(), stator_http::alt_svc::AltSvcError>(())
//! ```
//!
//! Decisions:
//!
//! - Parsing is strict about the grammar: a stray `;` with no parameter after it, a
//!   malformed `ma`, the same `ma` or `persist` twice, or an unquoted alt-authority is an
//!   error, never guessed at. Empty list elements (`a, , b`) are skipped as RFC 9110
//!   §5.6.1 requires of every list.
//! - Unknown parameters are ignored (RFC 7838 §3), and so is `persist` with a value
//!   other than `1` (RFC 7838 §3.1). Parameter names match without regard to case.
//! - A protocol-id is percent-decoded with hex digits of either case; we encode only the
//!   octets that need it (non-`tchar`s and `%`), with uppercase digits (RFC 7838 §3).
//! - `ma` beyond `u64` saturates, as RFC 9111 §1.2.2 allows for `delta-seconds`.
//! - The host is a `reg-name`, an IPv4 address (which is one), or an IPv6 literal in
//!   brackets; `IPvFuture` is refused.

mod parse;

use std::fmt;

use crate::fields::validate::is_tchar;

/// How long a client may use an alternative when `ma` is absent: 24 hours
/// (RFC 7838 §3.1).
pub const DEFAULT_MAX_AGE: u64 = 86400;

/// Why an `Alt-Svc` value, or a part given to the builder, is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum AltSvcError {
    /// No alternative at all: an empty value or only commas and whitespace.
    #[error("empty Alt-Svc value (RFC 7838 §3)")]
    Empty,
    /// `clear` together with alternatives; it must stand alone.
    #[error("\"clear\" with other alternatives (RFC 7838 §3)")]
    ClearNotAlone,
    /// A protocol-id that is empty or not a `token`.
    #[error("invalid protocol-id (RFC 7838 §3)")]
    InvalidProtocolId,
    /// A `%` in a protocol-id not followed by two hex digits.
    #[error("invalid percent-encoding in a protocol-id (RFC 7838 §3)")]
    InvalidPercentEncoding,
    /// A protocol-id not followed by `=`.
    #[error("protocol-id without \"=\" (RFC 7838 §3)")]
    MissingEquals,
    /// An alt-authority that is not a quoted-string.
    #[error("alt-authority is not a quoted-string (RFC 7838 §3)")]
    UnquotedAuthority,
    /// A quoted-string without its closing quote.
    #[error("unterminated quoted-string (RFC 9110 §5.6.4)")]
    UnterminatedQuotedString,
    /// A control character or a lone backslash in a quoted-string.
    #[error("invalid octet in a quoted-string (RFC 9110 §5.6.4)")]
    InvalidQuotedString,
    /// An alt-authority without `:port`.
    #[error("alt-authority without a port (RFC 7838 §3)")]
    MissingPort,
    /// A port that is empty, not decimal or above 65535.
    #[error("invalid port (RFC 7838 §3)")]
    InvalidPort,
    /// A host that is not a `uri-host` (RFC 3986 §3.2.2).
    #[error("invalid host (RFC 3986 §3.2.2)")]
    InvalidHost,
    /// A parameter that is not `token "=" ( token / quoted-string )`, such as the empty
    /// one after a trailing `;`.
    #[error("invalid parameter (RFC 7838 §3)")]
    InvalidParameter,
    /// `ma` is not `delta-seconds` (digits only).
    #[error("invalid ma (RFC 7838 §3.1)")]
    InvalidMaxAge,
    /// `ma` or `persist` given twice for one alternative.
    #[error("repeated parameter (RFC 7838 §3.1)")]
    DuplicateParameter,
    /// Something other than `;`, `,` or the end after an alternative.
    #[error("unexpected character after an alternative (RFC 7838 §3)")]
    UnexpectedCharacter,
}

/// One alternative service: an ALPN protocol at a host (or the origin's host) and port,
/// with how long it may be used and whether it survives network changes (RFC 7838 §3,
/// §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AltService {
    protocol: Vec<u8>,
    host: Option<String>,
    port: u16,
    max_age: Option<u64>,
    persist: bool,
}

impl AltService {
    /// An alternative speaking the ALPN protocol `protocol` (raw octets, not
    /// percent-encoded) on `port` of the origin's host. Refuses an empty protocol.
    pub fn new(protocol: impl Into<Vec<u8>>, port: u16) -> Result<AltService, AltSvcError> {
        let protocol = protocol.into();
        if protocol.is_empty() {
            return Err(AltSvcError::InvalidProtocolId);
        }
        Ok(AltService {
            protocol,
            host: None,
            port,
            max_age: None,
            persist: false,
        })
    }

    /// HTTP/3 (`h3`, RFC 9114 §3.1) on `port` of the origin's host.
    pub fn h3(port: u16) -> AltService {
        AltService {
            protocol: b"h3".to_vec(),
            host: None,
            port,
            max_age: None,
            persist: false,
        }
    }

    /// This alternative on another host: a registered name, an IPv4 address or an IPv6
    /// literal in brackets (`[2001:db8::1]`). An empty `host` means the origin's host.
    pub fn with_host(mut self, host: &str) -> Result<AltService, AltSvcError> {
        self.host = if host.is_empty() {
            None
        } else {
            parse::check_host(host.as_bytes())?;
            Some(host.to_owned())
        };
        Ok(self)
    }

    /// Sets `ma`, the freshness lifetime in seconds (RFC 7838 §3.1).
    #[must_use]
    pub fn with_max_age(mut self, seconds: u64) -> AltService {
        self.max_age = Some(seconds);
        self
    }

    /// Sets `persist=1` (RFC 7838 §3.1) if `persist`.
    #[must_use]
    pub fn with_persist(mut self, persist: bool) -> AltService {
        self.persist = persist;
        self
    }

    /// The ALPN protocol name, decoded.
    pub fn protocol(&self) -> &[u8] {
        &self.protocol
    }

    /// The host, if not the origin's. IPv6 literals keep their brackets.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The freshness lifetime in seconds: `ma`, or [`DEFAULT_MAX_AGE`] without one.
    pub fn max_age(&self) -> u64 {
        self.max_age.unwrap_or(DEFAULT_MAX_AGE)
    }

    /// `ma` as given, if it was.
    pub fn explicit_max_age(&self) -> Option<u64> {
        self.max_age
    }

    /// Whether `persist=1` was given: keep the alternative across network changes.
    pub fn persist(&self) -> bool {
        self.persist
    }
}

impl fmt::Display for AltService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.protocol {
            if is_tchar(b) && b != b'%' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "%{b:02X}")?;
            }
        }
        // A validated host holds no `"` or `\`, so it needs no escaping.
        write!(
            f,
            "=\"{}:{}\"",
            self.host.as_deref().unwrap_or(""),
            self.port
        )?;
        if let Some(ma) = self.max_age {
            write!(f, "; ma={ma}")?;
        }
        if self.persist {
            f.write_str("; persist=1")?;
        }
        Ok(())
    }
}

/// An `Alt-Svc` field value: alternatives in order of preference, or `clear` when there
/// are none (RFC 7838 §3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AltSvc {
    services: Vec<AltService>,
}

impl AltSvc {
    /// A value listing `services`, most preferred first; `clear` if empty.
    pub fn new(services: impl IntoIterator<Item = AltService>) -> AltSvc {
        AltSvc {
            services: services.into_iter().collect(),
        }
    }

    /// `clear`: the origin withdraws every alternative it advertised.
    pub fn clear() -> AltSvc {
        AltSvc::default()
    }

    /// Whether this is `clear`.
    pub fn is_clear(&self) -> bool {
        self.services.is_empty()
    }

    /// The alternatives, most preferred first.
    pub fn services(&self) -> &[AltService] {
        &self.services
    }

    /// Parses one field value. See the [module docs](self) for how strict it is.
    pub fn parse(value: &[u8]) -> Result<AltSvc, AltSvcError> {
        parse::parse(value).map(|services| AltSvc { services })
    }

    /// The value as a header value. It cannot fail for a value built by this module (all
    /// visible ASCII); the `Result` is the `http` crate's own check.
    pub fn to_header_value(&self) -> Result<http::HeaderValue, http::header::InvalidHeaderValue> {
        http::HeaderValue::try_from(self.to_string())
    }
}

impl fmt::Display for AltSvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.services.is_empty() {
            return f.write_str("clear");
        }
        for (i, service) in self.services.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{service}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for AltSvc {
    type Err = AltSvcError;

    fn from_str(s: &str) -> Result<AltSvc, AltSvcError> {
        AltSvc::parse(s.as_bytes())
    }
}

impl TryFrom<&http::HeaderValue> for AltSvc {
    type Error = AltSvcError;

    fn try_from(value: &http::HeaderValue) -> Result<AltSvc, AltSvcError> {
        AltSvc::parse(value.as_bytes())
    }
}
