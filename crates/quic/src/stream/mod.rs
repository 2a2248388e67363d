//! Streams and flow control (RFC 9000 §2, §3, §4): stream IDs and their limits, the
//! receive reassembly buffer, the send buffer with retransmission, and flow-control
//! credit. Each piece is a sans-IO building block the connection drives; none reads the
//! clock or does I/O. [`Streams`] puts them together: the stream table of one
//! connection, with stream limits, flow control and the priority scheduler.

pub mod flow;
pub mod id;
pub mod priority;
mod ranges;
pub mod recv;
pub mod send;
pub mod table;

pub use flow::{RecvWindow, SendCredit};
pub use id::{Access, Dir, StreamId};
pub use priority::Priority;
pub use recv::{Read, RecvBuffer, RecvState};
pub use send::{Chunk, SendBuffer, SendState};
pub use table::{Sent, StreamError, StreamEvent, Streams, StreamsConfig};
