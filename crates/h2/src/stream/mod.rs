//! Streams: the per-stream state machine (RFC 9113 §5.1, [`state`]), stream identifier
//! bookkeeping (§5.1.1, [`ids`]) and the stream table with concurrency accounting
//! (§5.1.2, [`table`]).
//!
//! Pure building blocks for the connection machine: no I/O, no clock. The connection
//! decodes each header block with HPACK first (always, to keep the decoder in sync), then
//! asks the [`StreamTable`] what the frame means for the stream, then acts on the answer:
//! deliver, ignore, `RST_STREAM` (stream error) or `GOAWAY` (connection error).

pub(crate) mod ids;
pub(crate) mod state;
pub(crate) mod table;
#[cfg(test)]
mod tests;

pub(crate) use ids::StreamIds;
pub(crate) use state::{
    Action, CloseCause, Frame, Phase, Reason, Scope, SendError, StreamState, Violation,
};
pub(crate) use table::{OpenError, StreamTable};

/// Which end of the connection we are; decides stream identifier parity (RFC 9113 §5.1.1)
/// and who may open streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// We open odd-numbered streams with requests.
    Client,
    /// The peer opens odd-numbered streams; ours would be even (push, never used).
    Server,
}
