//! Extensions carried on `http` crate types.

use std::borrow::Cow;

/// The value of the `:protocol` pseudo-header of an Extended CONNECT request
/// (RFC 8441 §4 for HTTP/2, RFC 9220 §3 for HTTP/3).
///
/// Insert it into a request's extensions to make a CONNECT request an Extended CONNECT
/// request; the HTTP/2 and HTTP/3 machines read it from there and put it there.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Protocol {
    value: Cow<'static, str>,
}

impl Protocol {
    /// `websocket`: WebSocket over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220).
    pub const WEBSOCKET: Protocol = Protocol::from_static("websocket");

    /// A protocol name known at compile time.
    pub const fn from_static(value: &'static str) -> Protocol {
        Protocol {
            value: Cow::Borrowed(value),
        }
    }

    /// The protocol name, as it appears on the wire.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl From<&str> for Protocol {
    fn from(value: &str) -> Protocol {
        Protocol {
            value: Cow::Owned(value.to_owned()),
        }
    }
}

impl AsRef<str> for Protocol {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Protocol").field(&self.as_str()).finish()
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Protocol;

    #[test]
    fn round_trips_through_request_extensions() {
        let mut req = http::Request::new(());
        req.extensions_mut().insert(Protocol::from("webtransport"));
        let got = req.extensions().get::<Protocol>().cloned();
        assert_eq!(got, Some(Protocol::from_static("webtransport")));
        assert_eq!(Protocol::WEBSOCKET.to_string(), "websocket");
    }
}
