//! QUIC packet header parsing (RFC 9000 §12.2, §17; RFC 8999) never panics, whether the
//! datagram is split as a server (8-byte connection IDs) or as a client (0 or 20 bytes):
//! every packet lies inside the datagram, one after the other, its offsets inside the
//! packet; phase two accepts any first byte; and a parsed long or short header, written
//! again by the builders, parses to the same fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_quic::packet::{self, FirstByte, Header, HeaderWriter, LongHeaderFields, number};
use stator_wire::Reader;

fn rebuild(h: &Header<'_>, first: FirstByte, pn: u32, dcid_len: usize) {
    let mut buf = Vec::new();
    match h {
        Header::Long(l) => {
            let fields = LongHeaderFields {
                version: l.version,
                ty: l.ty,
                dcid: l.dcid,
                scid: l.scid,
                token: l.token,
            };
            let w = HeaderWriter::long(&mut buf, &fields, u64::from(pn), first.pn_len)
                .expect("parsed fields are writable");
            let payload = (l.length as usize) - first.pn_len.get();
            buf.resize(buf.len() + payload, 0);
            if w.finish(&mut buf, payload).is_err() {
                return; // a Length past 16,383: the writer only reserves two bytes
            }
            let Ok(Header::Long(again)) = Header::parse(&buf, dcid_len) else {
                panic!("a rebuilt long header parses");
            };
            assert_eq!(
                (
                    again.version,
                    again.ty,
                    again.dcid,
                    again.scid,
                    again.token,
                    again.length
                ),
                (l.version, l.ty, l.dcid, l.scid, l.token, l.length)
            );
        }
        Header::Short(s) => {
            let key_phase = first.key_phase;
            let w = HeaderWriter::short(
                &mut buf,
                s.dcid,
                s.spin,
                key_phase,
                u64::from(pn),
                first.pn_len,
            )
            .expect("parsed fields are writable");
            buf.resize(w.payload_offset() + w.min_payload_len(), 0);
            let Ok(Header::Short(again)) = Header::parse(&buf, dcid_len) else {
                panic!("a rebuilt short header parses");
            };
            assert_eq!((again.dcid, again.spin), (s.dcid, s.spin));
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    for dcid_len in [8, 0, 20] {
        let mut end = 0;
        for p in packet::split(data, dcid_len) {
            let Ok(p) = p else { break };
            assert_eq!(p.offset, end);
            assert_eq!(p.bytes.len(), p.header.len());
            end += p.bytes.len();
            assert!(end <= data.len());
            // Phase two on the raw first byte, as if header protection were already off.
            let first = FirstByte::parse(p.header.first());
            let _ = first.check_reserved();
            if let Some(pn_offset) = p.header.pn_offset() {
                assert!(pn_offset + packet::MIN_PROTECTED_LEN <= p.bytes.len());
                let mut r = Reader::new(&p.bytes[pn_offset..]);
                let pn = number::read(&mut r, first.pn_len).expect("room for 4 bytes");
                let full = number::decode(pn, first.pn_len, Some(u64::from(pn)));
                assert!(full <= number::MAX);
                rebuild(&p.header, first, pn, dcid_len);
            }
        }
    }
});
