//! Anti-DoS limits (DESIGN.md §2 "Bounded memory").

/// Every bound on what a peer or the application can make this machine hold.
///
/// Exceeding a size limit on received data fails the connection with close code 1009
/// (RFC 6455 §7.4.1, "message too big"); the output limits push back on the application
/// instead (see [`Connection`](crate::Connection)'s send methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest payload of one received frame, in bytes. Default 16 MiB.
    ///
    /// Stops a peer from announcing a huge frame (the 64-bit length allows 2^63 bytes) and
    /// making the receiver buffer it. Checked on the header, before any payload arrives.
    pub max_frame_size: u64,

    /// The largest received message, in bytes, counted after decompression. Default 64 MiB.
    ///
    /// Stops unbounded reassembly of a message sent as endless continuation frames, and
    /// decompression bombs: a permessage-deflate message is inflated in bounded steps and
    /// the connection fails with 1009 as soon as the inflated size passes this limit, so a
    /// few kilobytes on the wire never become gigabytes in memory. Applies in
    /// [`ReceiveMode::Stream`](crate::ReceiveMode) too; raise it there if the application
    /// streams large messages to disk.
    pub max_message_size: u64,

    /// How many control frames (pings and pongs sent through the API) may wait in the
    /// output before [`poll_output`](crate::Connection::poll_output) takes them. Default 32.
    ///
    /// Stops a ping flood whose pongs the peer never reads from growing memory: automatic
    /// pongs do not queue at all (only the latest one is kept, as RFC 6455 §5.5.3 allows),
    /// and an application that answers pings itself is pushed back with
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) past this count. Control frames
    /// have this budget of their own so that data backpressure never holds up a ping.
    pub max_pending_control_frames: usize,

    /// How many bytes of output may be pending before data sends are refused with
    /// [`Error::WouldBlock`](crate::Error::WouldBlock). Default 1 MiB.
    ///
    /// Stops a peer that stops reading (or a slow link) from making the application buffer
    /// without bound inside this machine. The check is made before a send, so the output can
    /// exceed the limit by the size of one message; fragment sends
    /// ([`send_fragment`](crate::Connection::send_fragment)) accept only what fits.
    pub max_pending_output: usize,
}

impl Limits {
    /// 16 MiB.
    pub const DEFAULT_MAX_FRAME_SIZE: u64 = 16 << 20;
    /// 64 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 64 << 20;
    /// 32 frames.
    pub const DEFAULT_MAX_PENDING_CONTROL_FRAMES: usize = 32;
    /// 1 MiB.
    pub const DEFAULT_MAX_PENDING_OUTPUT: usize = 1 << 20;
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame_size: Limits::DEFAULT_MAX_FRAME_SIZE,
            max_message_size: Limits::DEFAULT_MAX_MESSAGE_SIZE,
            max_pending_control_frames: Limits::DEFAULT_MAX_PENDING_CONTROL_FRAMES,
            max_pending_output: Limits::DEFAULT_MAX_PENDING_OUTPUT,
        }
    }
}
