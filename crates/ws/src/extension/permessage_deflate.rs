//! permessage-deflate negotiation (RFC 7692 §5, §7.1): the client's offer and its check of
//! the server's answer, the server's policy and its choice among the client's offers.

use super::{Extension, PERMESSAGE_DEFLATE};
use crate::DeflateConfig;

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The smallest and largest LZ77 window sizes, as base-2 logarithms (RFC 7692 §7.1.2).
const MIN_WINDOW_BITS: u8 = 8;
const MAX_WINDOW_BITS: u8 = 15;

/// Why a permessage-deflate offer or response is invalid (RFC 7692 §5, §7.1).
///
/// A server declines an offer with any of these faults (RFC 7692 §5); a client fails the
/// connection on a response with any of them (RFC 7692 §5, §7.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeflateError {
    /// The extension handed over is not `permessage-deflate`.
    #[error("{0:?} is not permessage-deflate")]
    NotPermessageDeflate(String),
    /// A parameter that RFC 7692 §7.1 does not define.
    #[error("unknown permessage-deflate parameter {0:?}")]
    UnknownParam(String),
    /// A parameter given twice (RFC 7692 §5).
    #[error("permessage-deflate parameter {0} appears twice")]
    DuplicateParam(&'static str),
    /// A value on a parameter that takes none (the `*_no_context_takeover` ones).
    #[error("permessage-deflate parameter {0} takes no value")]
    UnexpectedValue(&'static str),
    /// A window-bits parameter without the value it needs here (RFC 7692 §7.1.2).
    #[error("permessage-deflate parameter {0} needs a value")]
    MissingValue(&'static str),
    /// A window-bits value that is not a decimal 8..=15 without leading zeros.
    #[error("invalid value {value:?} for permessage-deflate parameter {param}")]
    InvalidWindowBits {
        /// The parameter's name.
        param: &'static str,
        /// The value received.
        value: String,
    },
    /// The server's `server_max_window_bits` exceeds the client's (RFC 7692 §7.1.2.1).
    #[error("server_max_window_bits={got} exceeds the offered {offered}")]
    ServerWindowBitsAboveOffer {
        /// What the client offered.
        offered: u8,
        /// What the server answered.
        got: u8,
    },
    /// The client offered `server_max_window_bits`; the server's answer drops it
    /// (RFC 7692 §7.1.2.1: a server accepting it must answer with it).
    #[error("response lacks server_max_window_bits (offered {offered})")]
    ServerWindowBitsMissing {
        /// What the client offered.
        offered: u8,
    },
    /// The client offered `server_no_context_takeover`; the server's answer drops it
    /// (RFC 7692 §7.1.1.1).
    #[error("response lacks the offered server_no_context_takeover")]
    ServerNoContextTakeoverMissing,
    /// The server sent `client_max_window_bits` to a client that did not offer it
    /// (RFC 7692 §7.1.2.2).
    #[error("response has client_max_window_bits, which the client did not offer")]
    ClientWindowBitsNotOffered,
}

/// How a client offers `client_max_window_bits` (RFC 7692 §7.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ClientMaxWindowBits {
    /// Not offered: the server may not limit the client's window.
    NotOffered,
    /// Offered without a value: the client can honour a limit the server picks.
    #[default]
    Supported,
    /// Offered with a value: the client will not use a larger window, and can honour a
    /// smaller limit (clamped to 8..=15 when sent).
    Max(u8),
}

/// A client's permessage-deflate offer (RFC 7692 §7.1), or one received by a server.
///
/// The default is what browsers send: `permessage-deflate; client_max_window_bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DeflateOffer {
    /// Ask the server to reset its compression context after each message (§7.1.1.1).
    pub server_no_context_takeover: bool,
    /// Tell the server the client resets its context after each message (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// Ask the server to use at most this window, 8..=15 (§7.1.2.1; clamped when sent).
    pub server_max_window_bits: Option<u8>,
    /// Whether and how the client offers `client_max_window_bits` (§7.1.2.2).
    pub client_max_window_bits: ClientMaxWindowBits,
}

fn clamp_bits(bits: u8) -> u8 {
    bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
}

/// A window-bits value: `1*DIGIT` without leading zero, 8..=15 (RFC 7692 §7.1.2).
fn window_bits(param: &'static str, value: &str) -> Result<u8, DeflateError> {
    let bits = match value.as_bytes() {
        [d @ b'8'..=b'9'] => d.saturating_sub(b'0'),
        [b'1', d @ b'0'..=b'5'] => d.saturating_sub(b'0').saturating_add(10),
        _ => 0,
    };
    if bits == 0 {
        return Err(DeflateError::InvalidWindowBits {
            param,
            value: value.to_owned(),
        });
    }
    Ok(bits)
}

/// How a window-bits parameter was written.
#[derive(Default, Clone, Copy)]
enum Bits<'a> {
    #[default]
    Absent,
    Bare,
    Value(&'a str),
}

/// The four parameters of RFC 7692 §7.1 as they were written, each at most once.
#[derive(Default)]
struct RawParams<'a> {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Bits<'a>,
    client_max_window_bits: Bits<'a>,
}

impl<'a> RawParams<'a> {
    /// Collects the parameters, rejecting unknown and repeated ones and values on the
    /// `*_no_context_takeover` flags (RFC 7692 §5, §7.1.1).
    fn collect(ext: &'a Extension) -> Result<RawParams<'a>, DeflateError> {
        if ext.name != PERMESSAGE_DEFLATE {
            return Err(DeflateError::NotPermessageDeflate(ext.name.clone()));
        }
        let mut raw = RawParams::default();
        for p in &ext.params {
            let value = p.value.as_deref();
            // Parameter names are matched exactly: RFC 7692 §7.1 spells them in lower case.
            match p.name.as_str() {
                SERVER_NO_CONTEXT_TAKEOVER => {
                    flag(
                        &mut raw.server_no_context_takeover,
                        SERVER_NO_CONTEXT_TAKEOVER,
                        value,
                    )?;
                }
                CLIENT_NO_CONTEXT_TAKEOVER => {
                    flag(
                        &mut raw.client_no_context_takeover,
                        CLIENT_NO_CONTEXT_TAKEOVER,
                        value,
                    )?;
                }
                SERVER_MAX_WINDOW_BITS => once(
                    &mut raw.server_max_window_bits,
                    SERVER_MAX_WINDOW_BITS,
                    value,
                )?,
                CLIENT_MAX_WINDOW_BITS => once(
                    &mut raw.client_max_window_bits,
                    CLIENT_MAX_WINDOW_BITS,
                    value,
                )?,
                other => return Err(DeflateError::UnknownParam(other.to_owned())),
            }
        }
        Ok(raw)
    }
}

fn flag(slot: &mut bool, name: &'static str, value: Option<&str>) -> Result<(), DeflateError> {
    if *slot {
        return Err(DeflateError::DuplicateParam(name));
    }
    if value.is_some() {
        return Err(DeflateError::UnexpectedValue(name));
    }
    *slot = true;
    Ok(())
}

fn once<'a>(
    slot: &mut Bits<'a>,
    name: &'static str,
    value: Option<&'a str>,
) -> Result<(), DeflateError> {
    if !matches!(slot, Bits::Absent) {
        return Err(DeflateError::DuplicateParam(name));
    }
    *slot = value.map_or(Bits::Bare, Bits::Value);
    Ok(())
}

/// A window-bits parameter that must carry a value when present.
fn required_bits(raw: Bits<'_>, name: &'static str) -> Result<Option<u8>, DeflateError> {
    match raw {
        Bits::Absent => Ok(None),
        Bits::Bare => Err(DeflateError::MissingValue(name)),
        Bits::Value(v) => window_bits(name, v).map(Some),
    }
}

impl DeflateOffer {
    /// The offer as an extension element, window bits clamped to 8..=15.
    pub fn to_extension(&self) -> Extension {
        let mut ext = Extension {
            name: PERMESSAGE_DEFLATE.to_owned(),
            params: Vec::new(),
        };
        if self.server_no_context_takeover {
            ext.push_param(SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if self.client_no_context_takeover {
            ext.push_param(CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        if let Some(bits) = self.server_max_window_bits {
            ext.push_param(SERVER_MAX_WINDOW_BITS, Some(clamp_bits(bits)));
        }
        match self.client_max_window_bits {
            ClientMaxWindowBits::NotOffered => {}
            ClientMaxWindowBits::Supported => ext.push_param(CLIENT_MAX_WINDOW_BITS, None),
            ClientMaxWindowBits::Max(bits) => {
                ext.push_param(CLIENT_MAX_WINDOW_BITS, Some(clamp_bits(bits)));
            }
        }
        ext
    }

    /// Reads a client's offer, as a server does (RFC 7692 §5, §7.1).
    ///
    /// Any error means the server must decline this offer (RFC 7692 §5).
    pub fn from_extension(ext: &Extension) -> Result<DeflateOffer, DeflateError> {
        let raw = RawParams::collect(ext)?;
        let client_max_window_bits = match raw.client_max_window_bits {
            Bits::Absent => ClientMaxWindowBits::NotOffered,
            Bits::Bare => ClientMaxWindowBits::Supported,
            Bits::Value(v) => ClientMaxWindowBits::Max(window_bits(CLIENT_MAX_WINDOW_BITS, v)?),
        };
        Ok(DeflateOffer {
            server_no_context_takeover: raw.server_no_context_takeover,
            client_no_context_takeover: raw.client_no_context_takeover,
            server_max_window_bits: required_bits(
                raw.server_max_window_bits,
                SERVER_MAX_WINDOW_BITS,
            )?,
            client_max_window_bits,
        })
    }

    /// Checks a server's permessage-deflate response against this offer and returns the
    /// agreed parameters (RFC 7692 §7.1); any error must fail the connection.
    ///
    /// `server_max_window_bits` must be present and no larger than offered when it was
    /// offered; `client_max_window_bits` must have a value and be allowed only when
    /// offered; the client then uses the smaller of its own and the server's limit.
    pub fn accept_response(&self, response: &Extension) -> Result<DeflateConfig, DeflateError> {
        let raw = RawParams::collect(response)?;
        if self.server_no_context_takeover && !raw.server_no_context_takeover {
            return Err(DeflateError::ServerNoContextTakeoverMissing);
        }
        let server_bits = required_bits(raw.server_max_window_bits, SERVER_MAX_WINDOW_BITS)?;
        let server_max_window_bits =
            match (self.server_max_window_bits.map(clamp_bits), server_bits) {
                (Some(offered), None) => {
                    return Err(DeflateError::ServerWindowBitsMissing { offered });
                }
                (Some(offered), Some(got)) if got > offered => {
                    return Err(DeflateError::ServerWindowBitsAboveOffer { offered, got });
                }
                (_, got) => got.unwrap_or(MAX_WINDOW_BITS),
            };
        let own_limit = match self.client_max_window_bits {
            ClientMaxWindowBits::Max(bits) => clamp_bits(bits),
            _ => MAX_WINDOW_BITS,
        };
        let client_max_window_bits = match raw.client_max_window_bits {
            Bits::Absent => own_limit,
            _ if self.client_max_window_bits == ClientMaxWindowBits::NotOffered => {
                return Err(DeflateError::ClientWindowBitsNotOffered);
            }
            Bits::Bare => return Err(DeflateError::MissingValue(CLIENT_MAX_WINDOW_BITS)),
            Bits::Value(v) => window_bits(CLIENT_MAX_WINDOW_BITS, v)?.min(own_limit),
        };
        Ok(DeflateConfig {
            server_no_context_takeover: raw.server_no_context_takeover,
            // §7.1.1.2: offering client_no_context_takeover tells the server the client
            // will not use context takeover "even if the server doesn't include" it in
            // the response, so a server may already rely on it.
            client_no_context_takeover: raw.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        })
    }
}

/// A server's permessage-deflate policy (RFC 7692 §7.1).
///
/// The default accepts any valid offer with context takeover and 32 KiB windows both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateOptions {
    /// Always reset the server's compression context after each message (§7.1.1.1); the
    /// server also does so whenever a client asks.
    pub server_no_context_takeover: bool,
    /// Require the client to reset its context after each message (§7.1.1.2); this costs
    /// compression but lets the server drop its decompression window between messages.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with, 8..=15 (clamped); a client's smaller
    /// `server_max_window_bits` lowers it further (§7.1.2.1).
    pub server_max_window_bits: u8,
    /// The largest window the server lets the client use, 8..=15 (clamped) (§7.1.2.2).
    ///
    /// Below 15 the server can only impose it on an offer that carries
    /// `client_max_window_bits`; offers without it are declined, because the server's
    /// decompressor would otherwise need a 32 KiB window it did not agree to.
    pub client_max_window_bits: u8,
}

impl Default for DeflateOptions {
    fn default() -> DeflateOptions {
        DeflateOptions {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
        }
    }
}

impl DeflateOptions {
    /// Answers the first acceptable permessage-deflate offer among `offers` (a client's
    /// extension list, in its order of preference, RFC 6455 §9.1), returning the response
    /// element and the agreed parameters; `None` declines them all.
    ///
    /// Offers of other extensions are skipped; invalid permessage-deflate offers are
    /// declined (RFC 7692 §5) and the next one is tried.
    pub fn negotiate(&self, offers: &[Extension]) -> Option<(Extension, DeflateConfig)> {
        offers
            .iter()
            .filter(|e| e.name == PERMESSAGE_DEFLATE)
            .filter_map(|e| DeflateOffer::from_extension(e).ok())
            .find_map(|offer| self.accept(&offer))
    }

    /// Answers one valid offer, or declines it (`None`) when this policy cannot honour it.
    pub fn accept(&self, offer: &DeflateOffer) -> Option<(Extension, DeflateConfig)> {
        let server_limit = clamp_bits(self.server_max_window_bits);
        let client_limit = clamp_bits(self.client_max_window_bits);
        // §7.1.2.2: without the parameter in the offer the server may not send it, so it
        // cannot limit the client's window.
        let client_bits = match offer.client_max_window_bits {
            ClientMaxWindowBits::NotOffered if client_limit < MAX_WINDOW_BITS => return None,
            ClientMaxWindowBits::NotOffered | ClientMaxWindowBits::Supported => client_limit,
            ClientMaxWindowBits::Max(bits) => clamp_bits(bits).min(client_limit),
        };
        // §7.1.2.1: an offered limit must be answered with the same or a smaller value; the
        // server may also announce a smaller window of its own accord.
        let server_bits = offer
            .server_max_window_bits
            .map_or(server_limit, |b| clamp_bits(b).min(server_limit));
        let config = DeflateConfig {
            server_no_context_takeover: offer.server_no_context_takeover
                || self.server_no_context_takeover,
            client_no_context_takeover: offer.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        };
        let mut answer = Extension {
            name: PERMESSAGE_DEFLATE.to_owned(),
            params: Vec::new(),
        };
        if config.server_no_context_takeover {
            answer.push_param(SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if config.client_no_context_takeover {
            answer.push_param(CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        if offer.server_max_window_bits.is_some() || server_bits < MAX_WINDOW_BITS {
            answer.push_param(SERVER_MAX_WINDOW_BITS, Some(server_bits));
        }
        if client_bits < MAX_WINDOW_BITS {
            answer.push_param(CLIENT_MAX_WINDOW_BITS, Some(client_bits));
        }
        Some((answer, config))
    }
}
