//! Why a field section is refused.
//!
//! Three kinds, kept apart as STYLE.md asks:
//!
//! - [`Malformed`]: the exact rule of RFC 9113 §8.2–§8.3 / RFC 9114 §4.2–§4.4 that a field
//!   section breaks. Received from the peer it arrives as [`FieldError::Malformed`], which
//!   HTTP/2 turns into a stream error of type `PROTOCOL_ERROR` (RFC 9113 §8.1.1) and HTTP/3
//!   into `H3_MESSAGE_ERROR` (RFC 9114 §4.1.2); a server may first answer 400.
//! - [`FieldError::HeaderListTooLarge`] and [`FieldError::TooManyFields`]: a configured
//!   [`Limits`](super::Limits) value was hit. Not a protocol violation: a server may answer
//!   431 (RFC 6585 §5, RFC 9114 §4.2.2).
//! - [`EncodeError`]: the application asked us to send a head that would be malformed.
//!   Nothing was produced and the connection is unaffected.

use super::PseudoHeader;

/// A field that HTTP/2 and HTTP/3 forbid because it is specific to one HTTP/1.1 connection
/// (RFC 9113 §8.2.2, RFC 9114 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionHeader {
    /// `connection`.
    Connection,
    /// `keep-alive`.
    KeepAlive,
    /// `proxy-connection`.
    ProxyConnection,
    /// `transfer-encoding`: HTTP/2 and HTTP/3 have no transfer codings.
    TransferEncoding,
    /// `upgrade`: replaced by Extended CONNECT (RFC 8441, RFC 9220).
    Upgrade,
    /// `te` outside a request header section. In a request, `te: trailers` is allowed and
    /// any other value is [`Malformed::TeNotTrailers`].
    Te,
}

impl ConnectionHeader {
    /// The field name, lowercase, as it would appear on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionHeader::Connection => "connection",
            ConnectionHeader::KeepAlive => "keep-alive",
            ConnectionHeader::ProxyConnection => "proxy-connection",
            ConnectionHeader::TransferEncoding => "transfer-encoding",
            ConnectionHeader::Upgrade => "upgrade",
            ConnectionHeader::Te => "te",
        }
    }
}

impl std::fmt::Display for ConnectionHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rule a malformed field section breaks: one variant per rule, so that a test (or a
/// log line) says exactly which.
///
/// The messages cite the section of RFC 9113 (HTTP/2); RFC 9114 §4.2–§4.4 states the same
/// rules for HTTP/3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    // ---- field syntax (RFC 9113 §8.2, §8.2.1; RFC 9110 §5.1, §5.5) ----
    /// A field name is empty.
    #[error("empty field name (RFC 9113 §8.2.1)")]
    EmptyName,
    /// A field name contains an uppercase letter (RFC 9113 §8.2, RFC 9114 §4.2).
    #[error("uppercase character in a field name (RFC 9113 §8.2)")]
    UppercaseName,
    /// A field name contains an octet that is not a `tchar` (RFC 9110 §5.1), such as a
    /// space, a control, a non-ASCII octet, or a colon after the first position.
    #[error("invalid octet in a field name (RFC 9113 §8.2.1, RFC 9110 §5.1)")]
    InvalidName,
    /// A field value contains NUL, CR or LF, which RFC 9113 §8.2.1 forbids outright: they
    /// are how HTTP/1.1 smuggling starts.
    #[error("NUL, CR or LF in a field value (RFC 9113 §8.2.1)")]
    ForbiddenValueOctet,
    /// A field value contains another control character (0x01–0x08, 0x0B, 0x0C,
    /// 0x0E–0x1F, 0x7F), which RFC 9110 §5.5 excludes from `field-value`.
    #[error("control character in a field value (RFC 9110 §5.5)")]
    InvalidValueOctet,
    /// A field value starts or ends with a space or horizontal tab.
    #[error("field value starts or ends with whitespace (RFC 9113 §8.2.1)")]
    ValueSurroundingWhitespace,

    // ---- pseudo-header fields (RFC 9113 §8.3) ----
    /// A name starts with `:` but is not a pseudo-header field defined for this kind of
    /// message.
    #[error("undefined pseudo-header field (RFC 9113 §8.3)")]
    UnknownPseudo,
    /// A pseudo-header field follows a regular field.
    #[error("pseudo-header field after a regular field (RFC 9113 §8.3)")]
    PseudoAfterRegular,
    /// A pseudo-header field appears twice.
    #[error("repeated pseudo-header field {0} (RFC 9113 §8.3)")]
    DuplicatePseudo(PseudoHeader),
    /// `:status` in a request.
    #[error(":status in a request (RFC 9113 §8.3)")]
    ResponsePseudoInRequest,
    /// A request pseudo-header field (`:method`, `:scheme`, `:authority`, `:path`,
    /// `:protocol`) in a response.
    #[error("request pseudo-header field in a response (RFC 9113 §8.3)")]
    RequestPseudoInResponse,
    /// Any pseudo-header field in a trailer section.
    #[error("pseudo-header field in a trailer section (RFC 9113 §8.1, §8.3)")]
    PseudoInTrailers,
    /// `:protocol` although this endpoint did not send `SETTINGS_ENABLE_CONNECT_PROTOCOL`
    /// = 1, so it is an undefined pseudo-header field (RFC 8441 §3, RFC 9220 §3).
    #[error(":protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)")]
    ExtendedConnectNotEnabled,

    // ---- connection-specific fields (RFC 9113 §8.2.2) ----
    /// A connection-specific field.
    #[error("connection-specific field {0} (RFC 9113 §8.2.2)")]
    ConnectionSpecific(ConnectionHeader),
    /// `te` with a value other than `trailers`.
    #[error("te other than \"trailers\" (RFC 9113 §8.2.2)")]
    TeNotTrailers,

    // ---- request control data (RFC 9113 §8.3.1, §8.5; RFC 8441 §4) ----
    /// No `:method`.
    #[error("missing :method (RFC 9113 §8.3.1)")]
    MissingMethod,
    /// No `:scheme` in a request that needs one (anything but a plain CONNECT).
    #[error("missing :scheme (RFC 9113 §8.3.1)")]
    MissingScheme,
    /// No `:path` in a request that needs one (anything but a plain CONNECT).
    #[error("missing :path (RFC 9113 §8.3.1)")]
    MissingPath,
    /// No authority where one is required: a CONNECT or Extended CONNECT without
    /// `:authority`, or a request whose URI needs an authority (every `http` and `https`
    /// request, RFC 9110 §4.2.1, RFC 9114 §4.3.1) with neither `:authority` nor `host`.
    ///
    /// Also used for a request of another scheme that has no authority at all, which an
    /// [`http::Uri`] cannot represent with its scheme.
    #[error("missing :authority (RFC 9113 §8.3.1, §8.5)")]
    MissingAuthority,
    /// `:method` is not a `token` (RFC 9110 §9.1).
    #[error("invalid :method (RFC 9110 §9.1)")]
    InvalidMethod,
    /// `:scheme` is not a URI scheme (RFC 3986 §3.1).
    #[error("invalid :scheme (RFC 3986 §3.1)")]
    InvalidScheme,
    /// `:authority` is not a URI authority, or has an empty host where the scheme requires
    /// one.
    #[error("invalid :authority (RFC 9113 §8.3.1)")]
    InvalidAuthority,
    /// `:authority` is present but empty (RFC 9114 §4.3.1).
    #[error("empty :authority (RFC 9114 §4.3.1)")]
    EmptyAuthority,
    /// `:authority` carries userinfo (`user@host`), deprecated and forbidden for `http` and
    /// `https` and impossible in CONNECT's authority-form.
    #[error("userinfo in :authority (RFC 9113 §8.3.1)")]
    UserinfoInAuthority,
    /// `:path` is empty.
    #[error("empty :path (RFC 9113 §8.3.1)")]
    EmptyPath,
    /// `:path` is neither `*` nor an absolute path with an optional query (RFC 3986 §3.3,
    /// §3.4); a fragment (`#`) is never part of it.
    #[error("invalid :path (RFC 9113 §8.3.1)")]
    InvalidPath,
    /// `:path` is `*` in a request whose method is not OPTIONS.
    #[error(":path \"*\" outside OPTIONS (RFC 9113 §8.3.1)")]
    AsteriskPathNotOptions,
    /// `:protocol` is empty or not an upgrade token (RFC 9110 §7.8).
    #[error("invalid :protocol (RFC 8441 §4)")]
    InvalidProtocol,
    /// `:protocol` in a request whose method is not CONNECT.
    #[error(":protocol outside CONNECT (RFC 8441 §4)")]
    ProtocolWithoutConnect,
    /// A CONNECT without `:protocol` carries `:scheme`.
    #[error("CONNECT with :scheme (RFC 9113 §8.5)")]
    ConnectWithScheme,
    /// A CONNECT without `:protocol` carries `:path`.
    #[error("CONNECT with :path (RFC 9113 §8.5)")]
    ConnectWithPath,
    /// A CONNECT without `:protocol` names no port: its authority must be `host:port`
    /// (RFC 9110 §9.3.6, RFC 9113 §8.5).
    #[error("CONNECT :authority without a port (RFC 9110 §9.3.6)")]
    ConnectWithoutPort,
    /// More than one `host` field (RFC 9110 §7.2).
    #[error("more than one host field (RFC 9110 §7.2)")]
    DuplicateHost,
    /// `host` is empty or not `uri-host [ ":" port ]` (RFC 9110 §7.2).
    #[error("invalid host field (RFC 9110 §7.2)")]
    InvalidHost,
    /// `host` names a different entity than `:authority` after scheme-based normalization
    /// (RFC 9113 §8.3.1, RFC 9114 §4.3.1, RFC 9110 §4.2.3).
    #[error("host differs from :authority (RFC 9113 §8.3.1)")]
    HostAuthorityMismatch,

    // ---- response control data (RFC 9113 §8.3.2) ----
    /// No `:status`.
    #[error("missing :status (RFC 9113 §8.3.2)")]
    MissingStatus,
    /// `:status` is not three digits from 100 to 599 (RFC 9110 §15).
    #[error("invalid :status (RFC 9110 §15)")]
    InvalidStatus,
    /// `:status` is 101, which HTTP/2 and HTTP/3 do not support (RFC 9113 §8.6,
    /// RFC 9114 §4.5).
    #[error(":status 101 (RFC 9113 §8.6)")]
    SwitchingProtocols,
}

/// A received field section that cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// The message is malformed: HTTP/2 `PROTOCOL_ERROR` (RFC 9113 §8.1.1), HTTP/3
    /// `H3_MESSAGE_ERROR` (RFC 9114 §4.1.2).
    #[error("malformed message: {0}")]
    Malformed(#[from] Malformed),
    /// The field section is larger than [`Limits::max_header_list_size`](super::Limits),
    /// counted as RFC 9113 §6.5.2 and RFC 9114 §4.2.2 do: name + value + 32 octets per
    /// field. A server may answer 431.
    #[error("field section larger than {limit} octets (RFC 9113 §6.5.2)")]
    HeaderListTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The field section has more fields than an [`http::HeaderMap`] can hold. Only
    /// reachable with a very large `max_header_list_size`.
    #[error("too many fields for a HeaderMap")]
    TooManyFields,
}

impl FieldError {
    /// The malformation, if this is one.
    pub fn malformed(&self) -> Option<Malformed> {
        match self {
            FieldError::Malformed(m) => Some(*m),
            _ => None,
        }
    }
}

/// A head given to [`encode_request`](super::encode_request),
/// [`encode_response`](super::encode_response) or
/// [`encode_trailers`](super::encode_trailers) that would make a malformed message.
/// Nothing was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The peer would have to treat the message as malformed, for this reason.
    #[error("refusing to send a malformed message: {0}")]
    Malformed(#[from] Malformed),
}

impl EncodeError {
    /// The malformation the message would have.
    pub fn malformed(&self) -> Malformed {
        match self {
            EncodeError::Malformed(m) => *m,
        }
    }
}
