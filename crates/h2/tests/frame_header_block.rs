//! Field block assembly (RFC 9113 §4.3, §6.10): HEADERS/`PUSH_PROMISE` + CONTINUATION,
//! interleaving errors, the CONTINUATION flood limit (CVE-2024-27316) and the block size
//! limit, and the self-dependent HEADERS stream error.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use bytes::Bytes;
use stator_h2::frame::{
    self, BlockKind, Frame, FrameError, FrameLimits, FrameReader, FrameType, HeaderBlock,
    HeaderBlockAssembler, Incoming, Priority, Reason,
};
use stator_h2::{ErrorCode, StreamId};

fn sid(n: u32) -> StreamId {
    StreamId::new(n).unwrap()
}

fn headers(stream: u32, fragment: &'static [u8], end_headers: bool) -> Frame {
    Frame::Headers {
        stream_id: sid(stream),
        fragment: Bytes::from_static(fragment),
        end_stream: true,
        end_headers,
        priority: None,
        pad_len: None,
    }
}

fn cont(stream: u32, fragment: &'static [u8], end_headers: bool) -> Frame {
    Frame::Continuation {
        stream_id: sid(stream),
        fragment: Bytes::from_static(fragment),
        end_headers,
    }
}

fn limits(max_header_block_size: usize, max_continuation_frames: u32) -> FrameLimits {
    FrameLimits {
        max_header_block_size,
        max_continuation_frames,
        ..FrameLimits::default()
    }
}

fn block(incoming: Option<Incoming>) -> HeaderBlock {
    match incoming {
        Some(Incoming::HeaderBlock(b)) => b,
        other => panic!("expected a header block, got {other:?}"),
    }
}

#[test]
fn single_frame_block_is_not_copied() {
    let mut reader = FrameReader::new(frame::DEFAULT_MAX_FRAME_SIZE);
    let mut wire = Vec::new();
    frame::write_headers(&mut wire, sid(1), &[0x82, 0x86, 0x84], true, None, 16_384).unwrap();
    reader.recv(&wire);
    let f = reader.next_frame().unwrap().unwrap();
    let Frame::Headers { fragment, .. } = &f else {
        panic!()
    };
    let ptr = fragment.as_ptr();
    let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
    let b = block(asm.push(f).unwrap());
    assert_eq!(b.stream_id, sid(1));
    assert_eq!(
        b.kind,
        BlockKind::Headers {
            end_stream: true,
            priority: None
        }
    );
    assert_eq!(&b.block[..], &[0x82, 0x86, 0x84]);
    assert_eq!(b.block.as_ptr(), ptr, "the same bytes, not a copy");
    assert_eq!(b.stream_error, None);
}

#[test]
fn headers_with_continuations_are_joined() {
    let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
    assert_eq!(asm.push(headers(3, b"ab", false)).unwrap(), None);
    assert_eq!(asm.open_stream(), Some(sid(3)));
    assert_eq!(asm.push(cont(3, b"", false)).unwrap(), None);
    assert_eq!(asm.push(cont(3, b"cd", false)).unwrap(), None);
    let b = block(asm.push(cont(3, b"e", true)).unwrap());
    assert_eq!(&b.block[..], b"abcde");
    assert_eq!(asm.open_stream(), None);
    // The next block starts clean.
    let b = block(asm.push(headers(5, b"x", true)).unwrap());
    assert_eq!(&b.block[..], b"x");
}

#[test]
fn push_promise_with_continuation() {
    let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
    let pp = Frame::PushPromise {
        stream_id: sid(1),
        promised_id: sid(2),
        fragment: Bytes::from_static(b"12"),
        end_headers: false,
        pad_len: None,
    };
    assert_eq!(asm.push(pp).unwrap(), None);
    let b = block(asm.push(cont(1, b"3", true)).unwrap());
    assert_eq!(
        b.kind,
        BlockKind::PushPromise {
            promised_id: sid(2)
        }
    );
    assert_eq!(&b.block[..], b"123");
}

#[test]
fn written_and_split_headers_reassemble() {
    let big: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
    let mut wire = Vec::new();
    frame::write_headers(&mut wire, sid(1), &big, false, None, 16_384).unwrap();
    let mut reader = FrameReader::new(16_384);
    reader.recv(&wire);
    let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
    let mut out = None;
    let mut frames = 0;
    while let Some(f) = reader.next_frame().unwrap() {
        frames += 1;
        if let Some(i) = asm.push(f).unwrap() {
            out = Some(i);
        }
    }
    assert_eq!(frames, 3, "HEADERS + 2 CONTINUATION");
    assert_eq!(block(out).block, big);
}

#[test]
fn other_frames_pass_through() {
    let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
    let ping = Frame::Ping {
        ack: false,
        data: [1; 8],
    };
    assert_eq!(asm.push(ping.clone()).unwrap(), Some(Incoming::Frame(ping)));
}

#[test]
fn any_frame_inside_a_block_is_a_connection_protocol_error() {
    let interrupters = [
        Frame::Ping {
            ack: false,
            data: [0; 8],
        },
        Frame::Data {
            stream_id: sid(1),
            data: Bytes::new(),
            end_stream: false,
            pad_len: None,
        },
        headers(1, b"", true),
        Frame::Unknown {
            ty: FrameType(0xee),
            flags: 0,
            stream_id: sid(1),
            payload: Bytes::new(),
        },
        Frame::Priority {
            stream_id: sid(1),
            priority: Priority {
                exclusive: false,
                dependency: sid(0),
                weight: 0,
            },
        },
    ];
    for f in interrupters {
        let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
        asm.push(headers(1, b"a", false)).unwrap();
        let ty = f.frame_type();
        let want = FrameError::connection(
            ErrorCode::PROTOCOL_ERROR,
            ty,
            Reason::HeaderBlockInterrupted { open: sid(1) },
        );
        assert_eq!(asm.push(f), Err(want), "{ty:?}");
        // Sticky.
        assert_eq!(asm.push(cont(1, b"", true)), Err(want));
    }
}

#[test]
fn continuation_for_another_stream_is_a_connection_protocol_error() {
    let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
    asm.push(headers(1, b"a", false)).unwrap();
    assert_eq!(
        asm.push(cont(3, b"b", true)),
        Err(FrameError::connection(
            ErrorCode::PROTOCOL_ERROR,
            FrameType::CONTINUATION,
            Reason::HeaderBlockInterrupted { open: sid(1) }
        ))
    );
}

#[test]
fn continuation_without_a_block_is_a_connection_protocol_error() {
    let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
    let want = Err(FrameError::connection(
        ErrorCode::PROTOCOL_ERROR,
        FrameType::CONTINUATION,
        Reason::UnexpectedContinuation,
    ));
    assert_eq!(asm.push(cont(1, b"", true)), want);
    // Also after a block that ended.
    let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
    asm.push(headers(1, b"a", true)).unwrap();
    assert_eq!(asm.push(cont(1, b"", true)), want);
}

#[test]
fn continuation_flood_is_enhance_your_calm() {
    let mut asm = HeaderBlockAssembler::new(limits(1 << 20, 3));
    asm.push(headers(1, b"a", false)).unwrap();
    for _ in 0..3 {
        assert_eq!(asm.push(cont(1, b"", false)).unwrap(), None);
    }
    let want = FrameError::connection(
        ErrorCode::ENHANCE_YOUR_CALM,
        FrameType::CONTINUATION,
        Reason::TooManyContinuations { max: 3 },
    );
    assert_eq!(asm.push(cont(1, b"", false)), Err(want));
    assert_eq!(asm.push(headers(3, b"", true)), Err(want), "sticky");
}

#[test]
fn exactly_the_continuation_limit_is_fine() {
    let mut asm = HeaderBlockAssembler::new(limits(1 << 20, 2));
    asm.push(headers(1, b"a", false)).unwrap();
    asm.push(cont(1, b"b", false)).unwrap();
    let b = block(asm.push(cont(1, b"c", true)).unwrap());
    assert_eq!(&b.block[..], b"abc");
}

#[test]
fn block_size_limit_is_checked_per_fragment() {
    let mut asm = HeaderBlockAssembler::new(limits(5, 100));
    asm.push(headers(1, b"abc", false)).unwrap();
    asm.push(cont(1, b"de", false)).unwrap();
    assert_eq!(
        asm.push(cont(1, b"f", false)),
        Err(FrameError::connection(
            ErrorCode::ENHANCE_YOUR_CALM,
            FrameType::CONTINUATION,
            Reason::HeaderBlockTooLarge { max: 5 }
        )),
        "rejected when the fragment arrives, without waiting for END_HEADERS"
    );
    let mut asm = HeaderBlockAssembler::new(limits(2, 100));
    assert_eq!(
        asm.push(headers(1, b"abc", true)),
        Err(FrameError::connection(
            ErrorCode::ENHANCE_YOUR_CALM,
            FrameType::HEADERS,
            Reason::HeaderBlockTooLarge { max: 2 }
        ))
    );
}

#[test]
fn self_dependent_headers_yield_the_block_and_a_stream_error() {
    let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
    let prio = Priority {
        exclusive: false,
        dependency: sid(3),
        weight: 1,
    };
    let f = Frame::Headers {
        stream_id: sid(3),
        fragment: Bytes::from_static(b"\x82"),
        end_stream: false,
        end_headers: false,
        priority: Some(prio),
        pad_len: None,
    };
    asm.push(f).unwrap();
    let b = block(asm.push(cont(3, b"\x86", true)).unwrap());
    assert_eq!(
        &b.block[..],
        b"\x82\x86",
        "still decoded, keeping HPACK in sync"
    );
    assert_eq!(
        b.stream_error,
        Some(FrameError::stream(
            sid(3),
            ErrorCode::PROTOCOL_ERROR,
            FrameType::HEADERS,
            Reason::SelfDependency
        ))
    );
    assert_eq!(
        b.kind,
        BlockKind::Headers {
            end_stream: false,
            priority: Some(prio)
        }
    );
}
