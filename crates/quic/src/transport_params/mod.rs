//! Transport parameters (RFC 9000 §7.4, §18): the payload of the TLS
//! `quic_transport_parameters` extension.
//!
//! [`TransportParameters`] holds every parameter of RFC 9000 §18.2 with its default, plus
//! `max_datagram_frame_size` (RFC 9221 §3) and `reset_stream_at`
//! (draft-ietf-quic-reliable-stream-reset §3). [`TransportParameters::decode`] takes the
//! sender's [`Side`] and applies every rule a set of parameters can be checked against on
//! its own; [`TransportParameters::check_cids`] adds the connection ID authentication of
//! RFC 9000 §7.3, which needs what the handshake saw. Every violation is a
//! `TRANSPORT_PARAMETER_ERROR` whose reason names the rule.
//!
//! ```
//! use stator_quic::{ConnectionId, Side, TransportParameters};
//!
//! let ours = TransportParameters {
//!     initial_max_data: 1 << 20,
//!     initial_max_streams_bidi: 100,
//!     initial_source_connection_id: Some(ConnectionId::new(&[0xc1; 8])?),
//!     max_datagram_frame_size: Some(65535),
//!     ..TransportParameters::default()
//! };
//! let bytes = ours.to_bytes()?;
//! assert_eq!(TransportParameters::decode(&bytes, Side::Client)?, ours);
//!
//! // A client may not send a server-only parameter (RFC 9000 §18.2).
//! let err = TransportParameters::decode(&[0x00, 0x01, 0xaa], Side::Client).unwrap_err();
//! assert_eq!(err.code, stator_quic::Code::TRANSPORT_PARAMETER_ERROR);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use stator_wire::{Reader, varint};

use crate::cid::ConnectionId;
use crate::error::TransportError;
use crate::reset::{RESET_TOKEN_LEN, ResetToken};

pub use crate::level::Side;

/// Transport parameter identifiers (RFC 9000 §18.2, §22.3).
pub mod id {
    /// `original_destination_connection_id` (server only).
    pub const ORIGINAL_DESTINATION_CONNECTION_ID: u64 = 0x00;
    /// `max_idle_timeout`, milliseconds.
    pub const MAX_IDLE_TIMEOUT: u64 = 0x01;
    /// `stateless_reset_token` (server only).
    pub const STATELESS_RESET_TOKEN: u64 = 0x02;
    /// `max_udp_payload_size`.
    pub const MAX_UDP_PAYLOAD_SIZE: u64 = 0x03;
    /// `initial_max_data`.
    pub const INITIAL_MAX_DATA: u64 = 0x04;
    /// `initial_max_stream_data_bidi_local`.
    pub const INITIAL_MAX_STREAM_DATA_BIDI_LOCAL: u64 = 0x05;
    /// `initial_max_stream_data_bidi_remote`.
    pub const INITIAL_MAX_STREAM_DATA_BIDI_REMOTE: u64 = 0x06;
    /// `initial_max_stream_data_uni`.
    pub const INITIAL_MAX_STREAM_DATA_UNI: u64 = 0x07;
    /// `initial_max_streams_bidi`.
    pub const INITIAL_MAX_STREAMS_BIDI: u64 = 0x08;
    /// `initial_max_streams_uni`.
    pub const INITIAL_MAX_STREAMS_UNI: u64 = 0x09;
    /// `ack_delay_exponent`.
    pub const ACK_DELAY_EXPONENT: u64 = 0x0a;
    /// `max_ack_delay`, milliseconds.
    pub const MAX_ACK_DELAY: u64 = 0x0b;
    /// `disable_active_migration` (zero-length).
    pub const DISABLE_ACTIVE_MIGRATION: u64 = 0x0c;
    /// `preferred_address` (server only).
    pub const PREFERRED_ADDRESS: u64 = 0x0d;
    /// `active_connection_id_limit`.
    pub const ACTIVE_CONNECTION_ID_LIMIT: u64 = 0x0e;
    /// `initial_source_connection_id`.
    pub const INITIAL_SOURCE_CONNECTION_ID: u64 = 0x0f;
    /// `retry_source_connection_id` (server only).
    pub const RETRY_SOURCE_CONNECTION_ID: u64 = 0x10;
    /// `reset_stream_at` (zero-length), as registered by draft-ietf-quic-reliable-stream-reset-09
    /// and later (§8.1).
    pub const RESET_STREAM_AT: u64 = 0x1d;
    /// `reset_stream_at` as drafts -07 and -08 numbered it; still sent by some stacks.
    pub const RESET_STREAM_AT_DRAFT07: u64 = 0x17f7586d2cb571;
    /// `max_datagram_frame_size` (RFC 9221 §3).
    pub const MAX_DATAGRAM_FRAME_SIZE: u64 = 0x20;

    /// Whether `id` is reserved to exercise the rule that unknown parameters are ignored:
    /// `31 * N + 27` (RFC 9000 §18.1).
    pub const fn is_grease(id: u64) -> bool {
        id % 31 == 27
    }
}

/// The smallest valid `max_udp_payload_size` (RFC 9000 §18.2).
pub const MIN_UDP_PAYLOAD_SIZE: u64 = 1200;
/// The default and largest meaningful `max_udp_payload_size`: the largest UDP payload
/// (RFC 9000 §18.2).
pub const DEFAULT_MAX_UDP_PAYLOAD_SIZE: u64 = 65527;
/// The largest valid `ack_delay_exponent` (RFC 9000 §18.2).
pub const MAX_ACK_DELAY_EXPONENT: u8 = 20;
/// `max_ack_delay` must be below this, 2^14 milliseconds (RFC 9000 §18.2).
pub const MAX_ACK_DELAY_LIMIT: u64 = 1 << 14;
/// The most streams of one type a peer may allow, 2^60 (RFC 9000 §4.6, §19.11).
pub const MAX_STREAMS_LIMIT: u64 = 1 << 60;

/// The server's preferred address (RFC 9000 §9.6, §18.2).
///
/// A server may offer one address family only, sending the all-zero address and port
/// for the other; [`ipv4`](Self::ipv4) and [`ipv6`](Self::ipv6) read those as absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PreferredAddress {
    /// The IPv4 address and port, `0.0.0.0:0` when not offered.
    pub address_v4: SocketAddrV4,
    /// The IPv6 address and port, `[::]:0` when not offered (flow info and scope are not
    /// carried and decode as 0).
    pub address_v6: SocketAddrV6,
    /// A connection ID with sequence number 1, 1 to 20 bytes (RFC 9000 §5.1.1).
    pub connection_id: ConnectionId,
    /// The stateless reset token of `connection_id`.
    pub stateless_reset_token: ResetToken,
}

impl PreferredAddress {
    /// The IPv4 address, unless the all-zero one says it is not offered.
    pub fn ipv4(&self) -> Option<SocketAddrV4> {
        (*self.address_v4.ip() != Ipv4Addr::UNSPECIFIED || self.address_v4.port() != 0)
            .then_some(self.address_v4)
    }

    /// The IPv6 address, unless the all-zero one says it is not offered.
    pub fn ipv6(&self) -> Option<SocketAddrV6> {
        (*self.address_v6.ip() != Ipv6Addr::UNSPECIFIED || self.address_v6.port() != 0)
            .then_some(self.address_v6)
    }

    /// The encoded length: 4 + 2 + 16 + 2 + 1 + CID + 16 bytes.
    fn encoded_len(&self) -> usize {
        self.connection_id.len().saturating_add(41)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.address_v4.ip().octets());
        out.extend_from_slice(&self.address_v4.port().to_be_bytes());
        out.extend_from_slice(&self.address_v6.ip().octets());
        out.extend_from_slice(&self.address_v6.port().to_be_bytes());
        out.push(self.connection_id.len() as u8);
        out.extend_from_slice(&self.connection_id);
        out.extend_from_slice(self.stateless_reset_token.as_bytes());
    }

    /// Parses the value of a `preferred_address` parameter (RFC 9000 §18.2 figure 22),
    /// which must fill the value exactly.
    fn decode(value: &[u8]) -> Result<PreferredAddress, TransportError> {
        let bad = || TransportError::transport_parameter("malformed preferred_address");
        let mut r = Reader::new(value);
        let v4: [u8; 4] = r.read_array().map_err(|_| bad())?;
        let port4 = r.read_u16().map_err(|_| bad())?;
        let v6: [u8; 16] = r.read_array().map_err(|_| bad())?;
        let port6 = r.read_u16().map_err(|_| bad())?;
        let cid_len = r.read_u8().map_err(|_| bad())?;
        // RFC 9000 §18.2: a zero-length connection ID here is an error; §17.2: ≤ 20.
        if cid_len == 0 {
            return Err(TransportError::transport_parameter(
                "preferred_address with a zero-length connection ID",
            ));
        }
        let cid = r.read_bytes(usize::from(cid_len)).map_err(|_| bad())?;
        let connection_id = ConnectionId::new(cid).map_err(|_| {
            TransportError::transport_parameter("preferred_address connection ID over 20 bytes")
        })?;
        let token: [u8; RESET_TOKEN_LEN] = r.read_array().map_err(|_| bad())?;
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(PreferredAddress {
            address_v4: SocketAddrV4::new(Ipv4Addr::from(v4), port4),
            address_v6: SocketAddrV6::new(Ipv6Addr::from(v6), port6, 0, 0),
            connection_id,
            stateless_reset_token: ResetToken(token),
        })
    }
}

/// The transport parameters of one endpoint (RFC 9000 §18.2), with the defaults that
/// apply when a parameter is absent.
///
/// Times are in milliseconds, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportParameters {
    /// The Destination Connection ID of the client's first Initial (server only).
    pub original_destination_connection_id: Option<ConnectionId>,
    /// The idle timeout in milliseconds; 0 (the default) disables it.
    pub max_idle_timeout: u64,
    /// The stateless reset token of the server's handshake connection ID (server only).
    pub stateless_reset_token: Option<ResetToken>,
    /// The largest UDP payload the endpoint will receive; default 65527, at least 1200.
    pub max_udp_payload_size: u64,
    /// The connection-level flow control limit.
    pub initial_max_data: u64,
    /// The flow control limit of bidirectional streams the sender opens.
    pub initial_max_stream_data_bidi_local: u64,
    /// The flow control limit of bidirectional streams the receiver opens.
    pub initial_max_stream_data_bidi_remote: u64,
    /// The flow control limit of unidirectional streams the receiver opens.
    pub initial_max_stream_data_uni: u64,
    /// How many bidirectional streams the receiver may open; at most 2^60.
    pub initial_max_streams_bidi: u64,
    /// How many unidirectional streams the receiver may open; at most 2^60.
    pub initial_max_streams_uni: u64,
    /// The exponent of the ACK Delay field; default 3, at most 20.
    pub ack_delay_exponent: u8,
    /// The longest the sender delays acknowledgments, in milliseconds; default 25, below
    /// 2^14.
    pub max_ack_delay: u64,
    /// The sender does not support active migration on the handshake address.
    pub disable_active_migration: bool,
    /// The address the server prefers after the handshake (server only).
    pub preferred_address: Option<PreferredAddress>,
    /// How many connection IDs of the peer the sender stores; default 2, at least 2.
    pub active_connection_id_limit: u64,
    /// The Source Connection ID of the sender's first Initial (required of both sides,
    /// checked by [`check_cids`](Self::check_cids)).
    pub initial_source_connection_id: Option<ConnectionId>,
    /// The Source Connection ID of the server's Retry (server only, after a Retry).
    pub retry_source_connection_id: Option<ConnectionId>,
    /// The largest DATAGRAM frame the sender receives (RFC 9221 §3); absent or 0 means
    /// no DATAGRAM support.
    pub max_datagram_frame_size: Option<u64>,
    /// The sender receives `RESET_STREAM_AT` frames (draft-ietf-quic-reliable-stream-reset
    /// §3). Encoded under both the registered codepoint and the one of drafts -07/-08,
    /// and recognised under either, so older stacks negotiate it too.
    pub reset_stream_at: bool,
}

impl Default for TransportParameters {
    /// Every parameter absent (RFC 9000 §18.2 defaults).
    fn default() -> TransportParameters {
        TransportParameters {
            original_destination_connection_id: None,
            max_idle_timeout: 0,
            stateless_reset_token: None,
            max_udp_payload_size: DEFAULT_MAX_UDP_PAYLOAD_SIZE,
            initial_max_data: 0,
            initial_max_stream_data_bidi_local: 0,
            initial_max_stream_data_bidi_remote: 0,
            initial_max_stream_data_uni: 0,
            initial_max_streams_bidi: 0,
            initial_max_streams_uni: 0,
            ack_delay_exponent: 3,
            max_ack_delay: 25,
            disable_active_migration: false,
            preferred_address: None,
            active_connection_id_limit: 2,
            initial_source_connection_id: None,
            retry_source_connection_id: None,
            max_datagram_frame_size: None,
            reset_stream_at: false,
        }
    }
}

/// The connection IDs the handshake saw, which the peer's parameters must repeat
/// (RFC 9000 §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeCids {
    /// The Source Connection ID of the peer's first Initial.
    pub initial_source: ConnectionId,
    /// The Destination Connection ID of the client's first Initial (checked in the
    /// server's parameters only).
    pub original_destination: ConnectionId,
    /// The Source Connection ID of the Retry the client acted on, if any (checked in the
    /// server's parameters only).
    pub retry_source: Option<ConnectionId>,
}

/// Bit of a known parameter in the duplicate mask, `None` for unknown and GREASE ones.
fn known_bit(id: u64) -> Option<u32> {
    match id {
        0x00..=0x10 => Some(id as u32),
        id::RESET_STREAM_AT => Some(17),
        id::RESET_STREAM_AT_DRAFT07 => Some(18),
        id::MAX_DATAGRAM_FRAME_SIZE => Some(19),
        _ => None,
    }
}

/// An integer parameter's value: one varint that fills the value exactly (RFC 9000 §18).
fn int_value(value: &[u8]) -> Result<u64, TransportError> {
    match varint::decode_slice(value) {
        Ok((v, len)) if len == value.len() => Ok(v),
        _ => Err(TransportError::transport_parameter(
            "integer parameter does not fill its length",
        )),
    }
}

fn cid_value(value: &[u8]) -> Result<ConnectionId, TransportError> {
    ConnectionId::new(value)
        .map_err(|_| TransportError::transport_parameter("connection ID over 20 bytes"))
}

fn empty_value(value: &[u8]) -> Result<bool, TransportError> {
    if value.is_empty() {
        Ok(true)
    } else {
        Err(TransportError::transport_parameter(
            "zero-length parameter with a value",
        ))
    }
}

fn put_varint(v: u64, out: &mut Vec<u8>) -> Result<(), stator_wire::Error> {
    varint::encode(v, out).map(drop)
}

fn put_int(id: u64, v: u64, out: &mut Vec<u8>) -> Result<(), stator_wire::Error> {
    put_varint(id, out)?;
    put_varint(varint::encoded_len(v)? as u64, out)?;
    put_varint(v, out)
}

fn put_bytes(id: u64, value: &[u8], out: &mut Vec<u8>) -> Result<(), stator_wire::Error> {
    put_varint(id, out)?;
    put_varint(value.len() as u64, out)?;
    out.extend_from_slice(value);
    Ok(())
}

impl TransportParameters {
    /// Appends the encoded parameters to `out`: the payload of the
    /// `quic_transport_parameters` TLS extension (RFC 9000 §18, RFC 9001 §8.2).
    ///
    /// Parameters at their default are left out. Fails only on an integer of 2^62 or
    /// more, which no varint carries; `out` may then hold a partial encoding. The
    /// parameters are written as set: check them with [`validate`](Self::validate)
    /// first to be sure the peer accepts them.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), stator_wire::Error> {
        let d = TransportParameters::default();
        if let Some(cid) = &self.original_destination_connection_id {
            put_bytes(id::ORIGINAL_DESTINATION_CONNECTION_ID, cid, out)?;
        }
        let ints = [
            (
                id::MAX_IDLE_TIMEOUT,
                self.max_idle_timeout,
                d.max_idle_timeout,
            ),
            (
                id::MAX_UDP_PAYLOAD_SIZE,
                self.max_udp_payload_size,
                d.max_udp_payload_size,
            ),
            (id::INITIAL_MAX_DATA, self.initial_max_data, 0),
            (
                id::INITIAL_MAX_STREAM_DATA_BIDI_LOCAL,
                self.initial_max_stream_data_bidi_local,
                0,
            ),
            (
                id::INITIAL_MAX_STREAM_DATA_BIDI_REMOTE,
                self.initial_max_stream_data_bidi_remote,
                0,
            ),
            (
                id::INITIAL_MAX_STREAM_DATA_UNI,
                self.initial_max_stream_data_uni,
                0,
            ),
            (
                id::INITIAL_MAX_STREAMS_BIDI,
                self.initial_max_streams_bidi,
                0,
            ),
            (id::INITIAL_MAX_STREAMS_UNI, self.initial_max_streams_uni, 0),
            (
                id::ACK_DELAY_EXPONENT,
                u64::from(self.ack_delay_exponent),
                u64::from(d.ack_delay_exponent),
            ),
            (id::MAX_ACK_DELAY, self.max_ack_delay, d.max_ack_delay),
            (
                id::ACTIVE_CONNECTION_ID_LIMIT,
                self.active_connection_id_limit,
                d.active_connection_id_limit,
            ),
        ];
        for (param, value, default) in ints {
            if value != default {
                put_int(param, value, out)?;
            }
        }
        if let Some(token) = &self.stateless_reset_token {
            put_bytes(id::STATELESS_RESET_TOKEN, token.as_bytes(), out)?;
        }
        if self.disable_active_migration {
            put_bytes(id::DISABLE_ACTIVE_MIGRATION, &[], out)?;
        }
        if let Some(preferred) = &self.preferred_address {
            put_varint(id::PREFERRED_ADDRESS, out)?;
            put_varint(preferred.encoded_len() as u64, out)?;
            preferred.encode(out);
        }
        if let Some(cid) = &self.initial_source_connection_id {
            put_bytes(id::INITIAL_SOURCE_CONNECTION_ID, cid, out)?;
        }
        if let Some(cid) = &self.retry_source_connection_id {
            put_bytes(id::RETRY_SOURCE_CONNECTION_ID, cid, out)?;
        }
        if let Some(size) = self.max_datagram_frame_size {
            put_int(id::MAX_DATAGRAM_FRAME_SIZE, size, out)?;
        }
        if self.reset_stream_at {
            put_bytes(id::RESET_STREAM_AT, &[], out)?;
            put_bytes(id::RESET_STREAM_AT_DRAFT07, &[], out)?;
        }
        Ok(())
    }

    /// The encoded parameters in a new buffer.
    pub fn to_bytes(&self) -> Result<Vec<u8>, stator_wire::Error> {
        let mut out = Vec::with_capacity(128);
        self.encode(&mut out)?;
        Ok(out)
    }

    /// Decodes the parameters `sender` put in its `quic_transport_parameters` extension
    /// and validates them (RFC 9000 §7.4, §18.2).
    ///
    /// Unknown and GREASE parameters are skipped (§7.4.2, §18.1). Every other fault is a
    /// `TRANSPORT_PARAMETER_ERROR`: a truncated parameter, a value that does not fill its
    /// declared length, a known parameter sent twice (§7.4), a server-only parameter from
    /// a client (§18.2), or a value out of range ([`validate`](Self::validate)).
    /// Duplicates of unknown parameters are not detected: that would take memory in
    /// proportion to the input for parameters that are ignored anyway.
    pub fn decode(bytes: &[u8], sender: Side) -> Result<TransportParameters, TransportError> {
        let truncated = || TransportError::transport_parameter("truncated transport parameter");
        let mut params = TransportParameters::default();
        let mut seen: u32 = 0;
        let mut r = Reader::new(bytes);
        while !r.is_empty() {
            let param = varint::decode(&mut r).map_err(|_| truncated())?;
            let len = varint::decode(&mut r).map_err(|_| truncated())?;
            let len = usize::try_from(len).map_err(|_| truncated())?;
            let value = r.read_bytes(len).map_err(|_| truncated())?;
            let Some(bit) = known_bit(param) else {
                continue; // Unknown or GREASE: ignored (RFC 9000 §7.4.2, §18.1).
            };
            let mask = 1u32.checked_shl(bit).unwrap_or_default();
            if seen & mask != 0 {
                return Err(TransportError::transport_parameter(
                    "duplicate transport parameter",
                ));
            }
            seen |= mask;
            params.set(param, value)?;
        }
        params.validate(sender)?;
        Ok(params)
    }

    /// Stores one known parameter's value.
    fn set(&mut self, param: u64, value: &[u8]) -> Result<(), TransportError> {
        match param {
            id::ORIGINAL_DESTINATION_CONNECTION_ID => {
                self.original_destination_connection_id = Some(cid_value(value)?);
            }
            id::MAX_IDLE_TIMEOUT => self.max_idle_timeout = int_value(value)?,
            id::STATELESS_RESET_TOKEN => {
                let token = <[u8; RESET_TOKEN_LEN]>::try_from(value).map_err(|_| {
                    TransportError::transport_parameter("stateless_reset_token not 16 bytes")
                })?;
                self.stateless_reset_token = Some(ResetToken(token));
            }
            id::MAX_UDP_PAYLOAD_SIZE => self.max_udp_payload_size = int_value(value)?,
            id::INITIAL_MAX_DATA => self.initial_max_data = int_value(value)?,
            id::INITIAL_MAX_STREAM_DATA_BIDI_LOCAL => {
                self.initial_max_stream_data_bidi_local = int_value(value)?;
            }
            id::INITIAL_MAX_STREAM_DATA_BIDI_REMOTE => {
                self.initial_max_stream_data_bidi_remote = int_value(value)?;
            }
            id::INITIAL_MAX_STREAM_DATA_UNI => {
                self.initial_max_stream_data_uni = int_value(value)?;
            }
            id::INITIAL_MAX_STREAMS_BIDI => self.initial_max_streams_bidi = int_value(value)?,
            id::INITIAL_MAX_STREAMS_UNI => self.initial_max_streams_uni = int_value(value)?,
            id::ACK_DELAY_EXPONENT => {
                // RFC 9000 §18.2: values above 20 are invalid.
                self.ack_delay_exponent = u8::try_from(int_value(value)?)
                    .ok()
                    .filter(|e| *e <= MAX_ACK_DELAY_EXPONENT)
                    .ok_or(TransportError::transport_parameter(
                        "ack_delay_exponent above 20",
                    ))?;
            }
            id::MAX_ACK_DELAY => self.max_ack_delay = int_value(value)?,
            id::DISABLE_ACTIVE_MIGRATION => self.disable_active_migration = empty_value(value)?,
            id::PREFERRED_ADDRESS => {
                self.preferred_address = Some(PreferredAddress::decode(value)?);
            }
            id::ACTIVE_CONNECTION_ID_LIMIT => {
                self.active_connection_id_limit = int_value(value)?;
            }
            id::INITIAL_SOURCE_CONNECTION_ID => {
                self.initial_source_connection_id = Some(cid_value(value)?);
            }
            id::RETRY_SOURCE_CONNECTION_ID => {
                self.retry_source_connection_id = Some(cid_value(value)?);
            }
            id::MAX_DATAGRAM_FRAME_SIZE => {
                self.max_datagram_frame_size = Some(int_value(value)?);
            }
            // draft-ietf-quic-reliable-stream-reset §3: a non-empty value is an error.
            id::RESET_STREAM_AT | id::RESET_STREAM_AT_DRAFT07 => {
                self.reset_stream_at = empty_value(value)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks the rules of RFC 9000 §18.2 that the values alone decide, for parameters
    /// sent by `sender`. [`decode`](Self::decode) calls it; an endpoint can call it on
    /// its own parameters before sending them.
    pub fn validate(&self, sender: Side) -> Result<(), TransportError> {
        let fail = |reason| Err(TransportError::transport_parameter(reason));
        if self.max_udp_payload_size < MIN_UDP_PAYLOAD_SIZE {
            return fail("max_udp_payload_size below 1200");
        }
        if self.ack_delay_exponent > MAX_ACK_DELAY_EXPONENT {
            return fail("ack_delay_exponent above 20");
        }
        if self.max_ack_delay >= MAX_ACK_DELAY_LIMIT {
            return fail("max_ack_delay of 2^14 or more");
        }
        if self.active_connection_id_limit < 2 {
            return fail("active_connection_id_limit below 2");
        }
        // RFC 9000 §4.6: more than 2^60 streams is a TRANSPORT_PARAMETER_ERROR here.
        if self.initial_max_streams_bidi > MAX_STREAMS_LIMIT
            || self.initial_max_streams_uni > MAX_STREAMS_LIMIT
        {
            return fail("initial_max_streams above 2^60");
        }
        if let Some(preferred) = &self.preferred_address {
            // RFC 9000 §18.2: never a zero-length ID in it, nor a preferred address from
            // a server that uses zero-length IDs.
            if preferred.connection_id.is_empty() {
                return fail("preferred_address with a zero-length connection ID");
            }
            if self
                .initial_source_connection_id
                .is_some_and(|cid| cid.is_empty())
            {
                return fail("preferred_address from a server with a zero-length connection ID");
            }
        }
        // RFC 9000 §18.2: a server MUST treat these from a client as an error.
        if sender == Side::Client
            && (self.original_destination_connection_id.is_some()
                || self.preferred_address.is_some()
                || self.retry_source_connection_id.is_some()
                || self.stateless_reset_token.is_some())
        {
            return fail("server-only transport parameter from a client");
        }
        Ok(())
    }

    /// Checks the connection IDs of the peer's parameters against those the handshake
    /// saw (RFC 9000 §7.3): `sender` is the peer.
    ///
    /// Both sides must send `initial_source_connection_id` equal to the Source Connection
    /// ID of their first Initial. A server must also send
    /// `original_destination_connection_id` equal to the client's first Destination
    /// Connection ID, and `retry_source_connection_id` exactly when it sent a Retry,
    /// equal to that Retry's Source Connection ID. Absence and mismatch are both a
    /// `TRANSPORT_PARAMETER_ERROR` (§7.3 allows it for both).
    pub fn check_cids(&self, sender: Side, seen: &HandshakeCids) -> Result<(), TransportError> {
        let fail = |reason| Err(TransportError::transport_parameter(reason));
        match self.initial_source_connection_id {
            None => return fail("initial_source_connection_id missing"),
            Some(cid) if cid != seen.initial_source => {
                return fail("initial_source_connection_id does not match");
            }
            Some(_) => {}
        }
        if sender == Side::Server {
            match self.original_destination_connection_id {
                None => return fail("original_destination_connection_id missing"),
                Some(cid) if cid != seen.original_destination => {
                    return fail("original_destination_connection_id does not match");
                }
                Some(_) => {}
            }
            if self.retry_source_connection_id != seen.retry_source {
                return fail("retry_source_connection_id does not match the Retry");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
