//! SETTINGS parameters (RFC 9113 §6.5, RFC 8441 §3, RFC 9218 §2.1): the frame, range
//! checks, and the [`Settings`] an endpoint keeps for itself and for its peer.

use std::fmt;

use bytes::Bytes;

use crate::ErrorCode;

use super::{
    DEFAULT_MAX_FRAME_SIZE, FrameError, FrameType, MAX_MAX_FRAME_SIZE, MAX_WINDOW_SIZE, Reason,
};

/// A SETTINGS parameter identifier (RFC 9113 §6.5.2, §11.3). Unknown ones are ignored.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SettingId(pub u16);

impl SettingId {
    /// `SETTINGS_HEADER_TABLE_SIZE` (RFC 9113 §6.5.2), default 4,096.
    pub const HEADER_TABLE_SIZE: SettingId = SettingId(0x1);
    /// `SETTINGS_ENABLE_PUSH` (RFC 9113 §6.5.2), 0 or 1, default 1.
    pub const ENABLE_PUSH: SettingId = SettingId(0x2);
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` (RFC 9113 §6.5.2), default unlimited.
    pub const MAX_CONCURRENT_STREAMS: SettingId = SettingId(0x3);
    /// `SETTINGS_INITIAL_WINDOW_SIZE` (RFC 9113 §6.5.2), ≤ 2^31-1, default 65,535.
    pub const INITIAL_WINDOW_SIZE: SettingId = SettingId(0x4);
    /// `SETTINGS_MAX_FRAME_SIZE` (RFC 9113 §6.5.2), 2^14..=2^24-1, default 2^14.
    pub const MAX_FRAME_SIZE: SettingId = SettingId(0x5);
    /// `SETTINGS_MAX_HEADER_LIST_SIZE` (RFC 9113 §6.5.2), default unlimited.
    pub const MAX_HEADER_LIST_SIZE: SettingId = SettingId(0x6);
    /// `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 §3), 0 or 1, default 0.
    pub const ENABLE_CONNECT_PROTOCOL: SettingId = SettingId(0x8);
    /// `SETTINGS_NO_RFC7540_PRIORITIES` (RFC 9218 §2.1), 0 or 1, default 0.
    pub const NO_RFC7540_PRIORITIES: SettingId = SettingId(0x9);
}

impl fmt::Debug for SettingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            SettingId::HEADER_TABLE_SIZE => "HEADER_TABLE_SIZE",
            SettingId::ENABLE_PUSH => "ENABLE_PUSH",
            SettingId::MAX_CONCURRENT_STREAMS => "MAX_CONCURRENT_STREAMS",
            SettingId::INITIAL_WINDOW_SIZE => "INITIAL_WINDOW_SIZE",
            SettingId::MAX_FRAME_SIZE => "MAX_FRAME_SIZE",
            SettingId::MAX_HEADER_LIST_SIZE => "MAX_HEADER_LIST_SIZE",
            SettingId::ENABLE_CONNECT_PROTOCOL => "ENABLE_CONNECT_PROTOCOL",
            SettingId::NO_RFC7540_PRIORITIES => "NO_RFC7540_PRIORITIES",
            SettingId(other) => return write!(f, "SettingId({other:#x})"),
        };
        f.write_str(name)
    }
}

/// One identifier/value pair of a SETTINGS frame (RFC 9113 §6.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The parameter.
    pub id: SettingId,
    /// Its value.
    pub value: u32,
}

impl Setting {
    /// Checks the value ranges of RFC 9113 §6.5.2, RFC 8441 §3 and RFC 9218 §2.1; unknown
    /// identifiers always pass. All failures are connection errors: `FLOW_CONTROL_ERROR`
    /// for `INITIAL_WINDOW_SIZE`, `PROTOCOL_ERROR` otherwise.
    pub fn validate(self) -> Result<(), FrameError> {
        let Setting { id, value } = self;
        let code = match id {
            SettingId::ENABLE_PUSH
            | SettingId::ENABLE_CONNECT_PROTOCOL
            | SettingId::NO_RFC7540_PRIORITIES
                if value > 1 =>
            {
                ErrorCode::PROTOCOL_ERROR
            }
            SettingId::INITIAL_WINDOW_SIZE if value > MAX_WINDOW_SIZE => {
                ErrorCode::FLOW_CONTROL_ERROR
            }
            SettingId::MAX_FRAME_SIZE
                if !(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&value) =>
            {
                ErrorCode::PROTOCOL_ERROR
            }
            _ => return Ok(()),
        };
        Err(FrameError::connection(
            code,
            FrameType::SETTINGS,
            Reason::InvalidSettingValue { id: id.0, value },
        ))
    }
}

/// A received or built SETTINGS frame (RFC 9113 §6.5). The entries stay in the received
/// payload (no allocation). In a frame from the [`FrameReader`](super::FrameReader) every
/// known value has passed [`Setting::validate`]; [`SettingsFrame::new`] does not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsFrame {
    ack: bool,
    payload: Bytes,
}

impl SettingsFrame {
    /// An acknowledgement (ACK flag, empty payload; RFC 9113 §6.5).
    pub const ACK: SettingsFrame = SettingsFrame {
        ack: true,
        payload: Bytes::new(),
    };

    /// A SETTINGS frame with these entries, in order, for building frames; values are not
    /// checked, so a test peer can send invalid ones.
    pub fn new(entries: &[Setting]) -> SettingsFrame {
        let mut payload = Vec::with_capacity(entries.len().saturating_mul(6));
        for s in entries {
            payload.extend_from_slice(&s.id.0.to_be_bytes());
            payload.extend_from_slice(&s.value.to_be_bytes());
        }
        SettingsFrame {
            ack: false,
            payload: payload.into(),
        }
    }

    /// Parses a SETTINGS payload (RFC 9113 §6.5): ACK with a payload, or a length that is
    /// not a multiple of 6, is a connection `FRAME_SIZE_ERROR`; values are validated.
    pub(crate) fn parse(ack: bool, payload: Bytes) -> Result<SettingsFrame, FrameError> {
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        if ack && !payload.is_empty() {
            return Err(FrameError::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                FrameType::SETTINGS,
                Reason::SettingsAckWithPayload,
            ));
        }
        if !payload.len().is_multiple_of(6) {
            return Err(FrameError::connection(
                ErrorCode::FRAME_SIZE_ERROR,
                FrameType::SETTINGS,
                Reason::BadLength { len },
            ));
        }
        let frame = SettingsFrame { ack, payload };
        frame.iter().try_for_each(Setting::validate)?;
        Ok(frame)
    }

    /// Whether this is an acknowledgement.
    pub fn is_ack(&self) -> bool {
        self.ack
    }

    /// The number of entries, so the connection can cap them.
    pub fn len(&self) -> usize {
        self.payload.len() / 6
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.payload.len() < 6
    }

    /// The entries in wire order (later ones override earlier ones, RFC 9113 §6.5.3).
    pub fn iter(&self) -> SettingsIter<'_> {
        SettingsIter {
            rest: &self.payload,
        }
    }

    /// The raw payload.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }
}

impl<'a> IntoIterator for &'a SettingsFrame {
    type Item = Setting;
    type IntoIter = SettingsIter<'a>;

    fn into_iter(self) -> SettingsIter<'a> {
        self.iter()
    }
}

/// Iterator over the entries of a [`SettingsFrame`].
#[derive(Debug, Clone)]
pub struct SettingsIter<'a> {
    rest: &'a [u8],
}

impl Iterator for SettingsIter<'_> {
    type Item = Setting;

    fn next(&mut self) -> Option<Setting> {
        let (entry, rest) = self.rest.split_first_chunk::<6>()?;
        self.rest = rest;
        let [i0, i1, v0, v1, v2, v3] = *entry;
        Some(Setting {
            id: SettingId(u16::from_be_bytes([i0, i1])),
            value: u32::from_be_bytes([v0, v1, v2, v3]),
        })
    }
}

/// Which endpoint sent a SETTINGS frame: a few rules depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The client.
    Client,
    /// The server.
    Server,
}

/// The SETTINGS parameters of one endpoint, starting at the RFC defaults (RFC 9113
/// §6.5.2, RFC 8441 §3, RFC 9218 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// `SETTINGS_HEADER_TABLE_SIZE`, default 4,096.
    pub header_table_size: u32,
    /// `SETTINGS_ENABLE_PUSH`, default true.
    pub enable_push: bool,
    /// `SETTINGS_MAX_CONCURRENT_STREAMS`, default `None` (unlimited).
    pub max_concurrent_streams: Option<u32>,
    /// `SETTINGS_INITIAL_WINDOW_SIZE`, default 65,535.
    pub initial_window_size: u32,
    /// `SETTINGS_MAX_FRAME_SIZE`, default 16,384.
    pub max_frame_size: u32,
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`, default `None` (unlimited).
    pub max_header_list_size: Option<u32>,
    /// `SETTINGS_ENABLE_CONNECT_PROTOCOL`, default false.
    pub enable_connect_protocol: bool,
    /// `SETTINGS_NO_RFC7540_PRIORITIES`, default false.
    pub no_rfc7540_priorities: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::DEFAULT
    }
}

impl Settings {
    /// The initial values of RFC 9113 §6.5.2, RFC 8441 §3 and RFC 9218 §2.1.
    pub const DEFAULT: Settings = Settings {
        header_table_size: 4096,
        enable_push: true,
        max_concurrent_streams: None,
        initial_window_size: 65_535,
        max_frame_size: DEFAULT_MAX_FRAME_SIZE,
        max_header_list_size: None,
        enable_connect_protocol: false,
        no_rfc7540_priorities: false,
    };

    /// Applies a received SETTINGS frame sent by `sender` (RFC 9113 §6.5.3), all or
    /// nothing. Besides the ranges of [`Setting::validate`] it enforces: a client receiving
    /// `ENABLE_PUSH` = 1 (RFC 9113 §6.5.2) and `ENABLE_CONNECT_PROTOCOL` going from 1 back
    /// to 0 (RFC 8441 §3) are connection `PROTOCOL_ERROR`s. A change of
    /// `NO_RFC7540_PRIORITIES` after the first SETTINGS is not detected (RFC 9218 §2.1 makes
    /// that optional). Unknown settings are ignored; an ACK changes nothing.
    pub fn apply(&mut self, frame: &SettingsFrame, sender: Peer) -> Result<(), FrameError> {
        let mut next = *self;
        for setting in frame {
            next.set(setting, sender, self.enable_connect_protocol)?;
        }
        *self = next;
        Ok(())
    }

    fn set(&mut self, s: Setting, sender: Peer, connect_before: bool) -> Result<(), FrameError> {
        s.validate()?;
        let error = |reason| {
            Err(FrameError::connection(
                ErrorCode::PROTOCOL_ERROR,
                FrameType::SETTINGS,
                reason,
            ))
        };
        let v = s.value;
        match s.id {
            SettingId::HEADER_TABLE_SIZE => self.header_table_size = v,
            SettingId::ENABLE_PUSH => {
                if sender == Peer::Server && v == 1 {
                    return error(Reason::InvalidSettingValue {
                        id: s.id.0,
                        value: v,
                    });
                }
                self.enable_push = v == 1;
            }
            SettingId::MAX_CONCURRENT_STREAMS => self.max_concurrent_streams = Some(v),
            SettingId::INITIAL_WINDOW_SIZE => self.initial_window_size = v,
            SettingId::MAX_FRAME_SIZE => self.max_frame_size = v,
            SettingId::MAX_HEADER_LIST_SIZE => self.max_header_list_size = Some(v),
            SettingId::ENABLE_CONNECT_PROTOCOL => {
                if connect_before && v == 0 {
                    return error(Reason::SettingChanged {
                        id: s.id.0,
                        old: 1,
                        new: 0,
                    });
                }
                self.enable_connect_protocol = v == 1;
            }
            SettingId::NO_RFC7540_PRIORITIES => self.no_rfc7540_priorities = v == 1,
            _ => {}
        }
        Ok(())
    }

    /// The entries that differ from [`Settings::DEFAULT`], in identifier order: what
    /// [`write_settings`](super::write_settings) sends. Defaults are left out because the
    /// peer assumes them already (RFC 9113 §6.5.2); a later frame that must return a value
    /// to its default should be built with
    /// [`write_settings_entries`](super::write_settings_entries).
    pub fn non_default_entries(&self) -> impl Iterator<Item = Setting> + use<> {
        let d = Settings::DEFAULT;
        let entry = |id, value, default| (value != default).then_some(Setting { id, value });
        let opt = |id, value: Option<u32>| value.map(|value| Setting { id, value });
        [
            entry(
                SettingId::HEADER_TABLE_SIZE,
                self.header_table_size,
                d.header_table_size,
            ),
            entry(
                SettingId::ENABLE_PUSH,
                self.enable_push.into(),
                d.enable_push.into(),
            ),
            opt(
                SettingId::MAX_CONCURRENT_STREAMS,
                self.max_concurrent_streams,
            ),
            entry(
                SettingId::INITIAL_WINDOW_SIZE,
                self.initial_window_size,
                d.initial_window_size,
            ),
            entry(
                SettingId::MAX_FRAME_SIZE,
                self.max_frame_size,
                d.max_frame_size,
            ),
            opt(SettingId::MAX_HEADER_LIST_SIZE, self.max_header_list_size),
            entry(
                SettingId::ENABLE_CONNECT_PROTOCOL,
                self.enable_connect_protocol.into(),
                0,
            ),
            entry(
                SettingId::NO_RFC7540_PRIORITIES,
                self.no_rfc7540_priorities.into(),
                0,
            ),
        ]
        .into_iter()
        .flatten()
    }
}
