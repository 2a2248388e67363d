//! Arbitrary operations on a stream's receive and send buffers (RFC 9000 §2.2, §3,
//! §4.5) never panic, and keep their bounds: buffered receive data never passes the
//! flow-control limit nor the fragment cap; the send buffer never holds more than its
//! size and never hands out a chunk beyond what was written.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_quic::stream::{RecvBuffer, SendBuffer};

fuzz_target!(|data: &[u8]| {
    let src = Bytes::from(vec![0xabu8; 4096]);
    let mut recv = RecvBuffer::new(3000, 16);
    let mut send = SendBuffer::new(2000, 2500);
    let mut chunks = Vec::new();
    for op in data.chunks(5) {
        let &[kind, a, b, c, d] = op else { break };
        let offset = u64::from(u16::from_be_bytes([a, b]));
        let len = usize::from(u16::from_be_bytes([c, d])) % 1500;
        match kind % 10 {
            0 | 1 => {
                let _ = recv.insert(offset, src.slice(..len), kind & 0x10 != 0);
            }
            2 => {
                let _ = recv.reset(offset, u64::from(c));
            }
            3 => {
                let _ = recv.read(len);
            }
            4 => recv.set_limit(offset),
            5 => {
                let _ = send.write(&src.slice(..len));
            }
            6 => {
                if let Some(chunk) = send.poll_chunk(len) {
                    assert!(chunk.offset + chunk.data.len() as u64 <= send.written());
                    chunks.push(chunk);
                }
            }
            7 | 8 => {
                if !chunks.is_empty() {
                    let chunk = chunks.swap_remove(usize::from(a) % chunks.len());
                    let n = chunk.data.len() as u64;
                    if kind % 10 == 7 {
                        send.on_ack(chunk.offset, n, chunk.fin);
                    } else {
                        send.on_lost(chunk.offset, n, chunk.fin);
                    }
                }
            }
            _ => match c % 4 {
                0 => send.finish(),
                1 => {
                    let _ = send.reset(u64::from(d));
                }
                2 => {
                    let _ = send.set_peer_limit(offset);
                }
                _ => send.on_reset_acked(),
            },
        }
        assert!(recv.segments() <= 16);
        assert!(recv.bytes_read() + recv.buffered() <= 3000.max(recv.max_received()));
        assert!(send.buffered() <= 2000);
    }
});
