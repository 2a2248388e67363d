//! `Sec-WebSocket-Extensions` (RFC 6455 §9.1) and the negotiation of permessage-deflate
//! (RFC 7692 §5, §7.1).
//!
//! The header grammar is parsed strictly: a value that does not match the ABNF of RFC 6455
//! §9.1 is an [`ExtensionError`], and RFC 6455 §9.1 says its recipient must fail the
//! connection. Several header lines combine into one list, as RFC 6455 §9.1 and RFC 9110
//! §5.3 say.
//!
//! permessage-deflate is the only extension this crate implements, so it is the only one a
//! client offers and a server accepts:
//!
//! - a client describes its offer with a [`DeflateOffer`] and checks the server's answer
//!   with [`DeflateOffer::accept_response`];
//! - a server states its policy in [`DeflateOptions`] and answers the first acceptable
//!   offer with [`DeflateOptions::negotiate`]. An offer that is invalid under RFC 7692 §5
//!   (unknown or repeated parameter, bad value) is *declined*, as that section requires,
//!   and the next offer is considered; the handshake itself goes on without compression.
//!
//! ```
//! use stator_ws::extension::{self, DeflateOffer, DeflateOptions};
//!
//! // What a browser offers, and a server that limits the client's window to 1 KiB.
//! let offers = extension::parse(b"permessage-deflate; client_max_window_bits")?;
//! let server = DeflateOptions { client_max_window_bits: 10, ..DeflateOptions::default() };
//! let (answer, config) = server.negotiate(&offers).expect("acceptable");
//! assert_eq!(answer.to_string(), "permessage-deflate; client_max_window_bits=10");
//! assert_eq!(config.client_max_window_bits, 10);
//!
//! // The client checks that answer against what it offered.
//! let offer = DeflateOffer::default();
//! assert_eq!(offer.accept_response(&answer)?, config);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use http::{HeaderMap, HeaderValue};

mod permessage_deflate;

pub use permessage_deflate::{ClientMaxWindowBits, DeflateError, DeflateOffer, DeflateOptions};

/// The extension token of permessage-deflate (RFC 7692 §7).
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

/// A `Sec-WebSocket-Extensions` value that does not match RFC 6455 §9.1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The header is present but lists no extension (`1#extension` needs one).
    #[error("Sec-WebSocket-Extensions lists no extension")]
    Empty,
    /// An extension or parameter name was expected at this byte offset of the value.
    #[error("expected a token at byte {offset} of Sec-WebSocket-Extensions")]
    ExpectedToken {
        /// Offset into the header value.
        offset: usize,
    },
    /// A byte that the grammar does not allow here.
    #[error("unexpected byte {byte:#04x} at byte {offset} of Sec-WebSocket-Extensions")]
    UnexpectedByte {
        /// Offset into the header value.
        offset: usize,
        /// The byte found there.
        byte: u8,
    },
    /// A quoted-string parameter value without its closing quote.
    #[error("unterminated quoted-string in Sec-WebSocket-Extensions")]
    UnterminatedQuotedString,
    /// A quoted-string value that is not a token once unescaped (RFC 6455 §9.1).
    #[error("quoted parameter value is not a token")]
    QuotedValueNotToken,
    /// A name given to [`Extension::new`] or [`Extension::with_param`] is not a token.
    #[error("{0:?} is not a token")]
    InvalidToken(String),
}

/// One parameter of an extension: `name` or `name=value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionParam {
    name: String,
    value: Option<String>,
}

impl ExtensionParam {
    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameter's value, unquoted and unescaped; `None` for a bare parameter.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// One element of `Sec-WebSocket-Extensions`: a name and its parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extension {
    name: String,
    params: Vec<ExtensionParam>,
}

impl Extension {
    /// An extension without parameters; the name must be a token (RFC 6455 §9.1).
    pub fn new(name: &str) -> Result<Extension, ExtensionError> {
        if !is_token(name.as_bytes()) {
            return Err(ExtensionError::InvalidToken(name.to_owned()));
        }
        Ok(Extension {
            name: name.to_owned(),
            params: Vec::new(),
        })
    }

    /// Appends a parameter; its name and value must be tokens (RFC 6455 §9.1).
    pub fn with_param(
        mut self,
        name: &str,
        value: Option<&str>,
    ) -> Result<Extension, ExtensionError> {
        if !is_token(name.as_bytes()) {
            return Err(ExtensionError::InvalidToken(name.to_owned()));
        }
        if let Some(v) = value.filter(|v| !is_token(v.as_bytes())) {
            return Err(ExtensionError::InvalidToken(v.to_owned()));
        }
        self.params.push(ExtensionParam {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        });
        Ok(self)
    }

    /// The extension token.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters in the order they were listed.
    pub fn params(&self) -> &[ExtensionParam] {
        &self.params
    }

    /// Appends a parameter whose name and value are known to be tokens.
    fn push_param(&mut self, name: &'static str, value: Option<u8>) {
        self.params.push(ExtensionParam {
            name: name.to_owned(),
            value: value.map(|v| v.to_string()),
        });
    }
}

impl fmt::Display for Extension {
    /// The wire form, with every value as a token (never quoted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for p in &self.params {
            write!(f, "; {}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

/// `tchar` and `token` of RFC 9110 §5.6.2.
pub(crate) use stator_http::token::{is_tchar, is_token};

/// Parses one `Sec-WebSocket-Extensions` field value (RFC 6455 §9.1).
///
/// Optional whitespace is allowed around every separator and empty list elements are
/// skipped (RFC 9110 §5.6.1); anything else outside the grammar is an error. A value with
/// no extension at all is [`ExtensionError::Empty`].
pub fn parse(value: &[u8]) -> Result<Vec<Extension>, ExtensionError> {
    let mut out = Vec::new();
    parse_into(value, &mut out)?;
    if out.is_empty() {
        return Err(ExtensionError::Empty);
    }
    Ok(out)
}

/// Parses every `Sec-WebSocket-Extensions` line of `headers` as one list (RFC 6455 §9.1).
///
/// No such header gives an empty list; headers that are present but list nothing give
/// [`ExtensionError::Empty`].
pub fn parse_headers(headers: &HeaderMap) -> Result<Vec<Extension>, ExtensionError> {
    let mut out = Vec::new();
    let mut lines = 0usize;
    for value in headers.get_all(http::header::SEC_WEBSOCKET_EXTENSIONS) {
        lines = lines.saturating_add(1);
        parse_into(value.as_bytes(), &mut out)?;
    }
    if lines > 0 && out.is_empty() {
        return Err(ExtensionError::Empty);
    }
    Ok(out)
}

/// Formats a list as one `Sec-WebSocket-Extensions` value; `None` for an empty list.
pub fn to_header_value(extensions: &[Extension]) -> Option<HeaderValue> {
    let mut s = String::new();
    for (i, e) in extensions.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&e.to_string());
    }
    // Names and values are tokens by construction, so the value is always valid.
    HeaderValue::try_from(s).ok().filter(|v| !v.is_empty())
}

/// A cursor over one field value.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    /// Skips OWS (RFC 9110 §5.6.3).
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.bump();
        }
    }

    fn unexpected(&self) -> ExtensionError {
        match self.peek() {
            Some(byte) => ExtensionError::UnexpectedByte {
                offset: self.pos,
                byte,
            },
            None => ExtensionError::ExpectedToken { offset: self.pos },
        }
    }

    fn token(&mut self) -> Result<String, ExtensionError> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.bump();
        }
        match self.bytes.get(start..self.pos) {
            Some(t) if !t.is_empty() => Ok(String::from_utf8_lossy(t).into_owned()),
            _ => Err(ExtensionError::ExpectedToken { offset: start }),
        }
    }

    /// `quoted-string` (RFC 9110 §5.6.4), cursor on the opening quote; the unescaped
    /// content must be a token (RFC 6455 §9.1).
    fn quoted(&mut self) -> Result<String, ExtensionError> {
        self.bump();
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ExtensionError::UnterminatedQuotedString),
                Some(b'"') => {
                    self.bump();
                    break;
                }
                Some(b'\\') => {
                    self.bump();
                    match self.peek() {
                        Some(b)
                            if b == b'\t'
                                || b == b' '
                                || (0x21..=0x7e).contains(&b)
                                || b >= 0x80 =>
                        {
                            out.push(b);
                            self.bump();
                        }
                        Some(_) => return Err(self.unexpected()),
                        None => return Err(ExtensionError::UnterminatedQuotedString),
                    }
                }
                Some(b) if b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80 => {
                    out.push(b);
                    self.bump();
                }
                Some(_) => return Err(self.unexpected()),
            }
        }
        if !is_token(&out) {
            return Err(ExtensionError::QuotedValueNotToken);
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

fn parse_into(value: &[u8], out: &mut Vec<Extension>) -> Result<(), ExtensionError> {
    let mut c = Cursor {
        bytes: value,
        pos: 0,
    };
    loop {
        c.skip_ows();
        match c.peek() {
            None => return Ok(()),
            Some(b',') => {
                c.bump();
                continue;
            }
            Some(_) => {}
        }
        let mut ext = Extension {
            name: c.token()?,
            params: Vec::new(),
        };
        loop {
            c.skip_ows();
            match c.peek() {
                None => {
                    out.push(ext);
                    return Ok(());
                }
                Some(b',') => {
                    c.bump();
                    out.push(ext);
                    break;
                }
                Some(b';') => {
                    c.bump();
                    c.skip_ows();
                    let name = c.token()?;
                    c.skip_ows();
                    let value = if c.peek() == Some(b'=') {
                        c.bump();
                        c.skip_ows();
                        Some(if c.peek() == Some(b'"') {
                            c.quoted()?
                        } else {
                            c.token()?
                        })
                    } else {
                        None
                    };
                    ext.params.push(ExtensionParam { name, value });
                }
                Some(_) => return Err(c.unexpected()),
            }
        }
    }
}
