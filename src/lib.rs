//! Stator: sans-IO protocol state machines for the modern web transport stack.
//!
//! This facade re-exports the Stator crates that exist today. Each machine consumes bytes
//! and emits events; none of them performs I/O, reads a clock or spawns a thread.
//!
//! ```
//! use stator::wire::varint;
//!
//! let mut buf = Vec::new();
//! varint::encode(151_288_809_941_952_652, &mut buf)?;
//! assert_eq!(buf, [0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c]);
//! # Ok::<(), stator::wire::Error>(())
//! ```

#![forbid(unsafe_code)]

pub use stator_h1 as h1;
pub use stator_h2 as h2;
pub use stator_hpack as hpack;
pub use stator_http as http;
pub use stator_qpack as qpack;
pub use stator_quic as quic;
pub use stator_wire as wire;
pub use stator_ws as ws;
