//! The HTTP/2 frame reader and header block assembler (RFC 9113 §3.4, §4, §6) never panic
//! on arbitrary bytes in arbitrary chunks, and every frame they accept re-encodes to bytes
//! that read back as the same frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_h2::frame::{FrameLimits, FrameReader, HeaderBlockAssembler, Incoming};

fuzz_target!(|data: &[u8]| {
    let Some((&control, data)) = data.split_first() else {
        return;
    };
    // Low bits: chunk size; bit 7: server (preface first) or client reader.
    let chunk = usize::from(control & 0x3f) + 1;
    let mut reader = if control & 0x80 != 0 {
        FrameReader::server(16_384)
    } else {
        FrameReader::new(16_384)
    };
    let limits = FrameLimits {
        max_header_block_size: 4096,
        max_continuation_frames: 4,
        ..FrameLimits::default()
    };
    let mut assembler = HeaderBlockAssembler::new(limits);
    for piece in data.chunks(chunk) {
        reader.recv(piece);
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    let mut again = Vec::new();
                    frame.encode(&mut again).expect("a received frame re-encodes");
                    let mut check = FrameReader::new(16_384);
                    check.recv(&again);
                    assert_eq!(check.next_frame(), Ok(Some(frame.clone())));
                    assert!(check.buffered().is_empty());
                    if let Ok(Some(Incoming::HeaderBlock(block))) = assembler.push(frame) {
                        assert!(block.block.len() <= limits.max_header_block_size);
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_connection_error() => {
                    assert_eq!(reader.next_frame(), Err(e), "connection errors are sticky");
                    return;
                }
                Err(_) => {}
            }
        }
    }
});
