//! The TLS 1.3 session of a QUIC connection (RFC 9001 §4), over
//! `rustls::quic::{ClientConnection, ServerConnection}`.
//!
//! The connection feeds it the CRYPTO bytes received at each level
//! ([`TlsSession::read_crypto`]) and pulls [`TlsEvent`]s: CRYPTO bytes to send at a
//! level, keys as each level becomes available, and the end of the handshake. Events come
//! out in the order they must be acted on: the keys of a level before any bytes sent at
//! it. Transport parameters are opaque bytes here (the transport-parameter module encodes
//! them); they travel in TLS' `quic_transport_parameters` extension (RFC 9001 §8.2).

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use rustls::pki_types::ServerName;
use rustls::quic::{ClientConnection, Connection, KeyChange, ServerConnection};
use rustls::{ClientConfig, ServerConfig};

use super::keys::{DirectionalKeys, Keys, OneRttKeys};
use super::{Side, rustls_version};
use crate::{Code, Level, TransportError, Version};

/// TLS alert `internal_error` (RFC 8446 §6.2), for a TLS failure that names no alert.
const ALERT_INTERNAL_ERROR: u8 = 80;
/// TLS alert `missing_extension` (RFC 8446 §6.2; RFC 9001 §8.2).
const ALERT_MISSING_EXTENSION: u8 = 109;
/// TLS alert `no_application_protocol` (RFC 7301 §3.2; RFC 9001 §8.1).
const ALERT_NO_APPLICATION_PROTOCOL: u8 = 120;

/// Keys that became available for a level.
#[derive(Debug)]
pub enum LevelKeys {
    /// 0-RTT keys (RFC 9001 §4.6.1): a client seals early data with them, a server that
    /// accepted early data opens it. One direction only.
    ZeroRtt(DirectionalKeys),
    /// Handshake keys (RFC 9001 §4.1.4).
    Handshake(Keys),
    /// 1-RTT keys with the secrets of the following generations, for key updates
    /// (RFC 9001 §6).
    OneRtt(Box<OneRttKeys>),
}

impl LevelKeys {
    /// The level the keys protect.
    pub fn level(&self) -> Level {
        match self {
            LevelKeys::ZeroRtt(_) => Level::ZeroRtt,
            LevelKeys::Handshake(_) => Level::Handshake,
            LevelKeys::OneRtt(_) => Level::OneRtt,
        }
    }
}

/// What the TLS session asks the connection to do.
#[derive(Debug)]
pub enum TlsEvent {
    /// Install these keys: a level is now usable.
    Keys(LevelKeys),
    /// Send `data` in CRYPTO frames at `level`, after what was sent at that level before.
    Crypto {
        /// The level whose packets carry the bytes.
        level: Level,
        /// The handshake bytes.
        data: Bytes,
    },
    /// The TLS handshake completed (RFC 9001 §4.1.1): ALPN and the peer's transport
    /// parameters are final. A server's handshake is also confirmed now; a client's when
    /// it receives `HANDSHAKE_DONE` (RFC 9001 §4.1.2).
    HandshakeComplete,
}

/// The TLS side of one QUIC connection.
pub struct TlsSession {
    conn: Connection,
    side: Side,
    /// The level at which TLS' next output goes.
    write_level: Level,
    events: VecDeque<TlsEvent>,
    zero_rtt_given: bool,
    complete: bool,
    /// Sticky: once TLS failed, every later call returns the same error.
    error: Option<TransportError>,
    tls_error: Option<rustls::Error>,
}

impl fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSession")
            .field("side", &self.side)
            .field("write_level", &self.write_level)
            .field("complete", &self.complete)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl TlsSession {
    /// A client session for `version` connecting to `server_name`, offering the ALPN
    /// protocols `alpn` (RFC 9001 §8.1) and sending `transport_parameters` (encoded by the
    /// transport-parameter module). Its `ClientHello` (and, when resuming with early data,
    /// the 0-RTT keys) are ready as events at once. Fails on a configuration rustls cannot
    /// use for QUIC (no TLS 1.3, no QUIC cipher suite) or an unsupported version.
    pub fn client(
        config: Arc<ClientConfig>,
        version: Version,
        server_name: ServerName<'static>,
        alpn: Vec<Vec<u8>>,
        transport_parameters: Vec<u8>,
    ) -> Result<TlsSession, rustls::Error> {
        let version = rustls_version(version)
            .map_err(|_| rustls::Error::General("unsupported QUIC version".into()))?;
        let conn = ClientConnection::new_with_alpn(
            config,
            version,
            server_name,
            transport_parameters,
            alpn,
        )?;
        let mut session = TlsSession::new(conn.into(), Side::Client);
        session.pump();
        Ok(session)
    }

    /// A server session for `version`, sending `transport_parameters`. It selects ALPN
    /// from `config.alpn_protocols` (a client offering none of them fails the handshake
    /// with `no_application_protocol`, RFC 9001 §8.1).
    pub fn server(
        config: Arc<ServerConfig>,
        version: Version,
        transport_parameters: Vec<u8>,
    ) -> Result<TlsSession, rustls::Error> {
        let version = rustls_version(version)
            .map_err(|_| rustls::Error::General("unsupported QUIC version".into()))?;
        let conn = ServerConnection::new(config, version, transport_parameters)?;
        Ok(TlsSession::new(conn.into(), Side::Server))
    }

    fn new(conn: Connection, side: Side) -> TlsSession {
        TlsSession {
            conn,
            side,
            write_level: Level::Initial,
            events: VecDeque::new(),
            zero_rtt_given: false,
            complete: false,
            error: None,
            tls_error: None,
        }
    }

    /// Which side this session is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The level at which CRYPTO data from the peer is expected now: Initial until the
    /// Handshake keys, Handshake until the handshake completes, then 1-RTT (for
    /// post-handshake messages such as `NewSessionTicket`).
    pub fn read_level(&self) -> Level {
        if self.complete {
            Level::OneRtt
        } else if self.write_level == Level::Initial {
            Level::Initial
        } else {
            Level::Handshake
        }
    }

    /// Feeds CRYPTO bytes received at `level`, in order and without gaps (the connection
    /// reassembles CRYPTO frames by offset first). Afterwards poll [`Self::poll_event`].
    /// A TLS failure is `CRYPTO_ERROR` with the alert (`0x0100 + alert`, RFC 9001 §4.8).
    /// Only data at [`Self::read_level`] is accepted, anything else is a
    /// `PROTOCOL_VIOLATION`: the connection holds data of a higher level until the read
    /// level reaches it, and data of a lower level may only repeat what was already read
    /// (RFC 9001 §4.1.3). Errors are sticky.
    pub fn read_crypto(&mut self, level: Level, data: &[u8]) -> Result<(), TransportError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if level != self.read_level() {
            return Err(self.fail(TransportError::protocol(
                "CRYPTO data at an unexpected encryption level",
            )));
        }
        if let Err(e) = self.conn.read_hs(data) {
            let alert = self.conn.alert().map_or(ALERT_INTERNAL_ERROR, u8::from);
            self.tls_error = Some(e);
            return Err(self.fail(TransportError::new(
                Code::crypto(alert),
                "TLS handshake failed",
            )));
        }
        self.pump();
        match &self.error {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// The next thing to do, in order; `None` until more CRYPTO bytes are read.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TlsEvent> {
        self.events.pop_front()
    }

    /// Whether the TLS handshake has completed (see [`TlsEvent::HandshakeComplete`]).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The negotiated application protocol, once the server chose it.
    pub fn alpn(&self) -> Option<&[u8]> {
        self.conn.alpn_protocol()
    }

    /// The peer's transport parameters as sent (still to be decoded and validated by the
    /// transport-parameter module); trustworthy once the handshake completes.
    pub fn peer_transport_parameters(&self) -> Option<&[u8]> {
        self.conn.quic_transport_parameters()
    }

    /// The negotiated cipher suite, once the server chose it.
    pub fn cipher_suite(&self) -> Option<rustls::SupportedCipherSuite> {
        self.conn.negotiated_cipher_suite()
    }

    /// Whether the server accepted this client's early data (false on a server).
    pub fn is_early_data_accepted(&self) -> bool {
        match &self.conn {
            Connection::Client(c) => c.is_early_data_accepted(),
            Connection::Server(_) => false,
        }
    }

    /// The rustls error behind a `CRYPTO_ERROR`, for logs.
    pub fn tls_error(&self) -> Option<&rustls::Error> {
        self.tls_error.as_ref()
    }

    /// The sticky error, if the handshake failed.
    pub fn error(&self) -> Option<&TransportError> {
        self.error.as_ref()
    }

    fn fail(&mut self, error: TransportError) -> TransportError {
        self.error = Some(error.clone());
        error
    }

    /// Moves everything rustls has to say into the event queue.
    fn pump(&mut self) {
        self.offer_zero_rtt_keys();
        loop {
            let mut data = Vec::new();
            let change = self.conn.write_hs(&mut data);
            if !data.is_empty() {
                self.events.push_back(TlsEvent::Crypto {
                    level: self.write_level,
                    data: data.into(),
                });
            }
            match change {
                None => break,
                Some(KeyChange::Handshake { keys }) => {
                    self.write_level = Level::Handshake;
                    self.events
                        .push_back(TlsEvent::Keys(LevelKeys::Handshake(Keys::from(keys))));
                }
                Some(KeyChange::OneRtt { keys, next }) => {
                    self.write_level = Level::OneRtt;
                    self.events
                        .push_back(TlsEvent::Keys(LevelKeys::OneRtt(Box::new(
                            OneRttKeys::new(keys.into(), next.into()),
                        ))));
                }
            }
        }
        if !self.complete && !self.conn.is_handshaking() {
            // RFC 9001 §8.1: without an agreed application protocol the handshake fails.
            if self.conn.alpn_protocol().is_none() {
                self.fail(TransportError::new(
                    Code::crypto(ALERT_NO_APPLICATION_PROTOCOL),
                    "no application protocol negotiated",
                ));
                return;
            }
            // RFC 9001 §8.2: the transport parameters extension is mandatory.
            if self.conn.quic_transport_parameters().is_none() {
                self.fail(TransportError::new(
                    Code::crypto(ALERT_MISSING_EXTENSION),
                    "peer sent no transport parameters",
                ));
                return;
            }
            self.complete = true;
            self.events.push_back(TlsEvent::HandshakeComplete);
        }
    }

    /// Hands out the 0-RTT keys once: to a client resuming with early data as soon as it
    /// starts, to a server once it accepted the client's early data.
    fn offer_zero_rtt_keys(&mut self) {
        if self.zero_rtt_given {
            return;
        }
        if let Some(keys) = self.conn.zero_rtt_keys() {
            self.zero_rtt_given = true;
            self.events
                .push_back(TlsEvent::Keys(LevelKeys::ZeroRtt(keys.into())));
        }
    }
}
