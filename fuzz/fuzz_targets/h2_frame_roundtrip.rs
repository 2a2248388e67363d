//! Arbitrary HTTP/2 frames (RFC 9113 §6, RFC 9218 §7.1), written with `Frame::encode` and
//! read back in arbitrary chunks, come back equal; header blocks split by `write_headers`
//! at any frame size reassemble to the same block.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use stator_h2::frame::{
    self, Frame, FrameLimits, FrameReader, FrameType, HeaderBlockAssembler, Incoming, Priority,
    Setting, SettingId, SettingsFrame,
};
use stator_h2::{ErrorCode, StreamId};

fn any_stream(u: &mut Unstructured<'_>) -> Result<StreamId> {
    Ok(StreamId::from_wire(u.arbitrary()?))
}

fn stream(u: &mut Unstructured<'_>) -> Result<StreamId> {
    Ok(StreamId::from_wire(u.int_in_range(1..=0x7fff_ffffu32)?))
}

fn bytes(u: &mut Unstructured<'_>, max: usize) -> Result<Bytes> {
    let len = u.int_in_range(0..=max)?;
    Ok(Bytes::copy_from_slice(u.bytes(len.min(u.len()))?))
}

fn priority(u: &mut Unstructured<'_>) -> Result<Priority> {
    Ok(Priority {
        exclusive: u.arbitrary()?,
        dependency: any_stream(u)?,
        weight: u.arbitrary()?,
    })
}

fn setting(u: &mut Unstructured<'_>) -> Result<Setting> {
    let (id, value) = match u.int_in_range(0..=8u8)? {
        0 => (SettingId::HEADER_TABLE_SIZE, u.arbitrary()?),
        1 => (SettingId::ENABLE_PUSH, u.int_in_range(0..=1)?),
        2 => (SettingId::MAX_CONCURRENT_STREAMS, u.arbitrary()?),
        3 => (SettingId::INITIAL_WINDOW_SIZE, u.int_in_range(0..=0x7fff_ffff)?),
        4 => (SettingId::MAX_FRAME_SIZE, u.int_in_range(1 << 14..=(1 << 24) - 1)?),
        5 => (SettingId::MAX_HEADER_LIST_SIZE, u.arbitrary()?),
        6 => (SettingId::ENABLE_CONNECT_PROTOCOL, u.int_in_range(0..=1)?),
        7 => (SettingId::NO_RFC7540_PRIORITIES, u.int_in_range(0..=1)?),
        _ => (SettingId(u.int_in_range(10..=u16::MAX)?), u.arbitrary()?),
    };
    Ok(Setting { id, value })
}

/// A frame the reader must accept, described so that it reads back equal.
fn frame(u: &mut Unstructured<'_>) -> Result<Frame> {
    Ok(match u.int_in_range(0..=12u8)? {
        0 => Frame::Data {
            stream_id: stream(u)?,
            data: bytes(u, 1000)?,
            end_stream: u.arbitrary()?,
            pad_len: u.arbitrary()?,
        },
        1 => Frame::Headers {
            stream_id: stream(u)?,
            fragment: bytes(u, 1000)?,
            end_stream: u.arbitrary()?,
            end_headers: u.arbitrary()?,
            priority: if u.arbitrary()? { Some(priority(u)?) } else { None },
            pad_len: u.arbitrary()?,
        },
        2 => {
            let stream_id = stream(u)?;
            let mut priority = priority(u)?;
            if priority.dependency == stream_id {
                priority.dependency = StreamId::ZERO;
            }
            Frame::Priority { stream_id, priority }
        }
        3 => Frame::RstStream {
            stream_id: stream(u)?,
            code: ErrorCode(u.arbitrary()?),
        },
        4 => {
            let n = u.int_in_range(0..=12)?;
            let entries = (0..n).map(|_| setting(u)).collect::<Result<Vec<_>>>()?;
            Frame::Settings(SettingsFrame::new(&entries))
        }
        5 => Frame::Settings(SettingsFrame::ACK),
        6 => Frame::PushPromise {
            stream_id: stream(u)?,
            promised_id: any_stream(u)?,
            fragment: bytes(u, 1000)?,
            end_headers: u.arbitrary()?,
            pad_len: u.arbitrary()?,
        },
        7 => Frame::Ping {
            ack: u.arbitrary()?,
            data: u.arbitrary()?,
        },
        8 => Frame::GoAway {
            last_stream_id: any_stream(u)?,
            code: ErrorCode(u.arbitrary()?),
            debug_data: bytes(u, 200)?,
        },
        9 => Frame::WindowUpdate {
            stream_id: any_stream(u)?,
            increment: u.int_in_range(1..=0x7fff_ffff)?,
        },
        10 => Frame::Continuation {
            stream_id: stream(u)?,
            fragment: bytes(u, 1000)?,
            end_headers: u.arbitrary()?,
        },
        11 => Frame::PriorityUpdate {
            prioritized_id: stream(u)?,
            field_value: bytes(u, 100)?,
        },
        _ => {
            let ty = u.arbitrary::<u8>()?;
            let ty = if ty <= 0x9 || ty == 0x10 { 0xff } else { ty };
            Frame::Unknown {
                ty: FrameType(ty),
                flags: u.arbitrary()?,
                stream_id: any_stream(u)?,
                payload: bytes(u, 200)?,
            }
        }
    })
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let chunk = usize::from(u.int_in_range(1..=200u8)?);
    let count = u.int_in_range(0..=16)?;
    let frames = (0..count).map(|_| frame(u)).collect::<Result<Vec<_>>>()?;
    let mut wire = Vec::new();
    for f in &frames {
        f.encode(&mut wire).expect("small frames encode");
    }
    let mut reader = FrameReader::new(frame::DEFAULT_MAX_FRAME_SIZE);
    let mut got = Vec::new();
    for piece in wire.chunks(chunk) {
        reader.recv(piece);
        while let Some(f) = reader.next_frame().expect("our own frames are valid") {
            got.push(f);
        }
    }
    assert_eq!(got, frames);
    assert!(reader.buffered().is_empty());

    // A header block split at an arbitrary frame size reassembles.
    let block = bytes(u, 3000)?;
    let max_frame_size = u.int_in_range(6..=20_000u32)?;
    let prio = if u.arbitrary()? { Some(priority(u)?) } else { None };
    let stream_id = stream(u)?;
    wire.clear();
    frame::write_headers(&mut wire, stream_id, &block, false, prio, max_frame_size)
        .expect("fits");
    let mut reader = FrameReader::new(frame::MAX_MAX_FRAME_SIZE);
    reader.recv(&wire);
    let limits = FrameLimits {
        max_continuation_frames: u32::MAX,
        ..FrameLimits::default()
    };
    let mut assembler = HeaderBlockAssembler::new(limits);
    let mut blocks = Vec::new();
    while let Some(f) = reader.next_frame().expect("valid") {
        if let Some(Incoming::HeaderBlock(b)) = assembler.push(f).expect("one block") {
            blocks.push(b.block);
        }
    }
    assert_eq!(blocks, [block]);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
