//! Which frames each packet type may carry, and the per-type properties the connection
//! machine needs for acknowledgment, congestion control and path probing (RFC 9000 §12.4
//! Table 3; RFC 9221 §4; draft-ietf-quic-reliable-stream-reset §4).

use super::FrameType;
use crate::Level;

/// The packet types of Table 3's "Pkts" column, as bits.
const I: u8 = 1 << 0;
const H: u8 = 1 << 1;
const Z: u8 = 1 << 2;
const O: u8 = 1 << 3;

impl FrameType {
    /// The "Pkts" column of RFC 9000 §12.4 Table 3, as a set of level bits.
    fn packets(self) -> u8 {
        match self.0 {
            // PADDING, PING: IH01. CONNECTION_CLOSE 0x1c: ih01; the application variant
            // 0x1d only in 0-RTT and 1-RTT (RFC 9000 §12.4, §17.2.3).
            0x00 | 0x01 | 0x1c => I | H | Z | O,
            // ACK and CRYPTO: IH_1 (0-RTT packets cannot carry acknowledgments, and the
            // TLS handshake has no messages at the 0-RTT level).
            0x02 | 0x03 | 0x06 => I | H | O,
            // NEW_TOKEN, PATH_RESPONSE, HANDSHAKE_DONE: ___1 (only a server sends the
            // first and the last, and only in 1-RTT; PATH_RESPONSE answers a 1-RTT
            // challenge, RFC 9000 §17.2.3).
            0x07 | 0x1b | 0x1e => O,
            // RESET_STREAM, STOP_SENDING, STREAM, MAX_*, *_BLOCKED, NEW_CONNECTION_ID,
            // RETIRE_CONNECTION_ID, PATH_CHALLENGE, application CONNECTION_CLOSE: __01.
            // DATAGRAM: 0-RTT or 1-RTT (RFC 9221 §4). RESET_STREAM_AT: like RESET_STREAM.
            0x04 | 0x05 | 0x08..=0x1a | 0x1d | 0x24 | 0x30 | 0x31 => Z | O,
            _ => 0,
        }
    }

    /// Whether a packet protected at `level` may carry this frame type (RFC 9000 §12.4
    /// Table 3). Receiving one it may not is a `PROTOCOL_VIOLATION`. Unknown types are
    /// permitted nowhere.
    pub fn permitted(self, level: Level) -> bool {
        let bit = match level {
            Level::Initial => I,
            Level::Handshake => H,
            Level::ZeroRtt => Z,
            Level::OneRtt => O,
        };
        self.packets() & bit != 0
    }

    /// Whether the frame makes its packet ack-eliciting: every frame but ACK, PADDING and
    /// CONNECTION_CLOSE (Table 3's "N"; RFC 9000 §13.2.1, RFC 9002 §2).
    pub fn is_ack_eliciting(self) -> bool {
        !matches!(self.0, 0x00 | 0x02 | 0x03 | 0x1c | 0x1d)
    }

    /// Whether the frame counts toward bytes in flight: every frame but ACK (Table 3's
    /// "C"; RFC 9002 §2). A packet of ACK frames alone is not congestion-controlled.
    pub fn is_congestion_controlled(self) -> bool {
        !matches!(self.0, 0x02 | 0x03)
    }

    /// Whether the frame may appear in a probing packet: PADDING, NEW_CONNECTION_ID,
    /// PATH_CHALLENGE and PATH_RESPONSE (Table 3's "P"; RFC 9000 §9.1). A packet of these
    /// alone is a probing packet.
    pub fn is_probing(self) -> bool {
        matches!(self.0, 0x00 | 0x18 | 0x1a | 0x1b)
    }

    /// Whether the frame's contents are flow controlled: STREAM (Table 3's "F";
    /// RFC 9000 §4).
    pub fn is_flow_controlled(self) -> bool {
        self.is_stream()
    }
}
