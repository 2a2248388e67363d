//! The three ways out of the decoder agree: over every encoding of the offline-interop
//! corpus, `decode` (+ `poll_unblocked`), `decode_with` (+ `decode_unblocked_with`) and
//! `decode_into` (+ `decode_unblocked_into`) yield the same fields, section by section,
//! write the same decoder stream (each section acknowledged once), and a builder fed by
//! `decode_into` finishes with the same head as one fed the `Vec<Field>` by hand. Plus the
//! blocking, cancelling and refusing behaviour of the sink APIs.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::ops::ControlFlow;

use bytes::Bytes;
use common::{parse_blocks, qifs_dir};
use http::Version;
use stator_http::fields::{
    CheckedField, FieldError, FieldSink, Limits as FieldLimits, RequestBuilder, ResponseBuilder,
};
use stator_qpack::{Decoded, Decoder, Encoder, Field, Limits, Progress};

/// A sink that records what it was given, and how.
#[derive(Debug, Default)]
struct Recorder {
    fields: Vec<(Bytes, Bytes)>,
    checked: usize,
}

impl FieldSink for Recorder {
    fn push(&mut self, name: &[u8], value: &[u8]) -> Result<(), FieldError> {
        self.fields
            .push((Bytes::copy_from_slice(name), Bytes::copy_from_slice(value)));
        Ok(())
    }

    fn push_checked(&mut self, field: &CheckedField) -> Result<(), FieldError> {
        self.checked += 1;
        self.push(field.name(), field.value())
    }
}

/// A request or response builder, chosen by the first field (`:status` makes a response).
#[derive(Debug, Default)]
enum Head {
    #[default]
    Undecided,
    Request(RequestBuilder),
    Response(ResponseBuilder),
}

impl Head {
    fn builder(&mut self, name: &[u8]) -> &mut dyn FieldSink {
        if matches!(self, Head::Undecided) {
            let limits = FieldLimits::default();
            *self = if name == b":status" {
                Head::Response(ResponseBuilder::new(Version::HTTP_3, &limits))
            } else {
                Head::Request(RequestBuilder::new(Version::HTTP_3, &limits))
            };
        }
        match self {
            Head::Request(b) => b,
            Head::Response(b) => b,
            Head::Undecided => unreachable!(),
        }
    }

    /// The finished head, as a string to compare.
    fn finish(self) -> String {
        match self {
            Head::Undecided => "empty".to_owned(),
            Head::Request(b) => format!("{:?}", b.finish()),
            Head::Response(b) => format!("{:?}", b.finish()),
        }
    }
}

impl FieldSink for Head {
    fn push(&mut self, name: &[u8], value: &[u8]) -> Result<(), FieldError> {
        self.builder(name).push(name, value)
    }

    fn push_shared(&mut self, name: &[u8], value: Bytes) -> Result<(), FieldError> {
        self.builder(name).push_shared(name, value)
    }

    fn push_checked(&mut self, field: &CheckedField) -> Result<(), FieldError> {
        self.builder(field.name()).push_checked(field)
    }
}

fn decoder(table: usize, blocked: usize) -> Decoder {
    let mut d = Decoder::new(Limits {
        max_table_capacity: table,
        max_blocked_streams: blocked,
        ..Limits::default()
    });
    d.set_initial_capacity(table);
    d
}

/// What one API made of a file: fields by stream, builder heads by stream, decoder stream.
#[derive(Default)]
struct Run {
    fields: BTreeMap<u64, Vec<(Bytes, Bytes)>>,
    never_index: BTreeMap<u64, Vec<bool>>,
    heads: BTreeMap<u64, String>,
    decoder_stream: Vec<u8>,
    checked: usize,
}

fn pairs(fields: &[Field]) -> Vec<(Bytes, Bytes)> {
    fields
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect()
}

fn run_vec(blocks: &[(u64, Vec<u8>)], table: usize, blocked: usize) -> Run {
    let mut d = decoder(table, blocked);
    let mut run = Run::default();
    let keep = |run: &mut Run, id: u64, fields: Vec<Field>| {
        // The builder head the hard way: every field pushed by hand.
        let mut head = Head::default();
        for f in &fields {
            if head.push_shared(&f.name, f.value.clone()).is_err() {
                break;
            }
        }
        run.heads.insert(id, head.finish());
        run.never_index
            .insert(id, fields.iter().map(|f| f.never_index).collect());
        run.fields.insert(id, pairs(&fields));
    };
    for (id, body) in blocks {
        if *id == 0 {
            d.on_encoder_stream(body).unwrap();
            while let Some((id, fields)) = d.poll_unblocked() {
                keep(&mut run, id, fields);
            }
        } else if let Decoded::Fields(f) = d.decode(*id, Bytes::from(body.clone())).unwrap() {
            keep(&mut run, *id, f);
        }
        let _ = d.poll_decoder_stream(&mut run.decoder_stream);
    }
    run
}

fn run_with(blocks: &[(u64, Vec<u8>)], table: usize, blocked: usize) -> Run {
    let mut d = decoder(table, blocked);
    let mut run = Run::default();
    let keep = |run: &mut Run, id: u64, fields: Vec<Field>| {
        run.never_index
            .insert(id, fields.iter().map(|f| f.never_index).collect());
        run.fields.insert(id, pairs(&fields));
    };
    for (id, body) in blocks {
        if *id == 0 {
            d.on_encoder_stream(body).unwrap();
            while let Some(next) = d.poll_unblocked_stream() {
                let mut fields = Vec::new();
                let (id, flow) = d
                    .decode_unblocked_with(|f| {
                        fields.push(f);
                        ControlFlow::<()>::Continue(())
                    })
                    .unwrap()
                    .unwrap();
                assert_eq!((id, flow), (next, ControlFlow::Continue(())));
                keep(&mut run, id, fields);
            }
        } else {
            let mut fields = Vec::new();
            let progress = d
                .decode_with(*id, Bytes::from(body.clone()), |f| {
                    fields.push(f);
                    ControlFlow::<()>::Continue(())
                })
                .unwrap();
            match progress {
                Progress::Done(flow) => {
                    assert!(flow.is_continue());
                    keep(&mut run, *id, fields);
                }
                Progress::Blocked => assert!(fields.is_empty()),
            }
        }
        let _ = d.poll_decoder_stream(&mut run.decoder_stream);
    }
    run
}

/// `decode_into` twice over, in lock-step: a [`Recorder`] and a builder.
fn run_into(blocks: &[(u64, Vec<u8>)], table: usize, blocked: usize) -> Run {
    let mut rec_dec = decoder(table, blocked);
    let mut head_dec = decoder(table, blocked);
    let mut run = Run::default();
    let mut head_stream = Vec::new();
    let mut heads: BTreeMap<u64, Head> = BTreeMap::new();
    let mut recorders: BTreeMap<u64, Recorder> = BTreeMap::new();
    let finish = |run: &mut Run, id: u64, rec: Recorder, head: Head| {
        run.checked += rec.checked;
        run.fields.insert(id, rec.fields);
        run.heads.insert(id, head.finish());
    };
    for (id, body) in blocks {
        if *id == 0 {
            rec_dec.on_encoder_stream(body).unwrap();
            head_dec.on_encoder_stream(body).unwrap();
            while let Some(next) = rec_dec.poll_unblocked_stream() {
                assert_eq!(head_dec.poll_unblocked_stream(), Some(next));
                let mut rec = recorders.remove(&next).unwrap();
                let mut head = heads.remove(&next).unwrap();
                let (id, ok) = rec_dec.decode_unblocked_into(&mut rec).unwrap().unwrap();
                assert_eq!((id, ok), (next, Ok(())));
                let (id, _) = head_dec.decode_unblocked_into(&mut head).unwrap().unwrap();
                assert_eq!(id, next);
                finish(&mut run, id, rec, head);
            }
        } else {
            let section = Bytes::from(body.clone());
            let mut rec = Recorder::default();
            let mut head = Head::default();
            let a = rec_dec.decode_into(*id, section.clone(), &mut rec).unwrap();
            let b = head_dec.decode_into(*id, section, &mut head).unwrap();
            match (a, b) {
                (Progress::Done(ok), Progress::Done(_)) => {
                    assert_eq!(ok, Ok(()));
                    finish(&mut run, *id, rec, head);
                }
                (Progress::Blocked, Progress::Blocked) => {
                    assert!(rec.fields.is_empty());
                    recorders.insert(*id, rec);
                    heads.insert(*id, head);
                }
                _ => panic!("stream {id}: the decoders disagree on blocking"),
            }
        }
        let _ = rec_dec.poll_decoder_stream(&mut run.decoder_stream);
        let _ = head_dec.poll_decoder_stream(&mut head_stream);
    }
    assert_eq!(run.decoder_stream, head_stream);
    assert!(
        recorders.is_empty() && heads.is_empty(),
        "sections left blocked"
    );
    run
}

/// `fb-req.out.4096.100.1` → (4096, 100); the draft's example file uses 220.
fn settings(file: &str) -> (usize, usize) {
    let rest = file.split_once(".out").unwrap().1.trim_start_matches('.');
    let parts: Vec<&str> = rest.split('.').collect();
    match parts.as_slice() {
        [table, blocked, _] => (table.parse().unwrap(), blocked.parse().unwrap()),
        _ => (220, 100),
    }
}

#[test]
fn decode_decode_with_and_decode_into_agree_over_the_corpus() {
    let mut files = Vec::new();
    for dir in fs::read_dir(qifs_dir().join("encoded/qpack-05")).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            for f in fs::read_dir(&dir).unwrap() {
                files.push(f.unwrap().path());
            }
        }
    }
    files.sort();
    let (mut sections, mut fields, mut checked) = (0, 0, 0);
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let (table, blocked) = settings(name);
        let blocks = parse_blocks(&fs::read(path).unwrap()).unwrap();
        let vec = run_vec(&blocks, table, blocked);
        let with = run_with(&blocks, table, blocked);
        let into = run_into(&blocks, table, blocked);
        let file = path.display();
        assert_eq!(vec.fields, with.fields, "{file}: decode vs decode_with");
        assert_eq!(vec.never_index, with.never_index, "{file}: N bits");
        assert_eq!(vec.fields, into.fields, "{file}: decode vs decode_into");
        assert_eq!(vec.heads, into.heads, "{file}: builder heads");
        assert_eq!(vec.decoder_stream, with.decoder_stream, "{file}: acks");
        assert_eq!(vec.decoder_stream, into.decoder_stream, "{file}: acks");
        sections += vec.fields.len();
        fields += vec.fields.values().map(Vec::len).sum::<usize>();
        checked += into.checked;
    }
    println!(
        "{} files, {sections} sections, {fields} fields agree; {checked} fields went to \
         the recorder as CheckedFields",
        files.len()
    );
    assert!(files.len() > 50 && checked > 0);
}

/// An encoder and a decoder where the second section of `fields` references an insert
/// that the decoder has not seen: returns (first section, second section, encoder stream).
fn blocked_pair(fields: &[Field]) -> (Decoder, Bytes, Bytes, Vec<u8>) {
    let limits = Limits::default();
    let mut encoder = Encoder::new(
        limits.max_table_capacity as u64,
        limits.max_blocked_streams as u64,
    );
    let decoder = Decoder::new(limits);
    let mut encoder_stream = Vec::new();
    let first = encoder.encode(0, fields, &mut encoder_stream);
    let second = encoder.encode(4, fields, &mut encoder_stream);
    (decoder, first, second, encoder_stream)
}

fn request() -> Vec<Field> {
    vec![
        Field::new(":method", "GET"),
        Field::new(":scheme", "https"),
        Field::new(":authority", "example.com"),
        Field::new(":path", "/"),
        Field::new("x-trace", "abc123"),
    ]
}

#[test]
fn a_held_section_is_decoded_when_asked_and_acknowledged_once() {
    let fields = request();
    let (mut d, first, second, encoder_stream) = blocked_pair(&fields);
    let mut got = Vec::new();
    let collect = |f| {
        got.push(f);
        ControlFlow::<()>::Continue(())
    };
    assert!(matches!(
        d.decode_with(0, first, collect).unwrap(),
        Progress::Done(ControlFlow::Continue(()))
    ));
    assert_eq!(got, fields);
    let mut head = Head::default();
    assert!(matches!(
        d.decode_into(4, second, &mut head).unwrap(),
        Progress::Blocked
    ));
    assert_eq!((d.blocked_streams(), d.poll_unblocked_stream()), (1, None));
    d.on_encoder_stream(&encoder_stream).unwrap();
    assert_eq!(
        (d.blocked_streams(), d.poll_unblocked_stream()),
        (0, Some(4))
    );
    // Nothing acknowledged before the section is decoded: only the inserts.
    let mut ds = Vec::new();
    let _ = d.poll_decoder_stream(&mut ds);
    let inserts = u8::try_from(d.insert_count()).unwrap();
    assert!(inserts > 0);
    assert_eq!(ds, [inserts]);
    let (id, ok) = d.decode_unblocked_into(&mut head).unwrap().unwrap();
    assert_eq!((id, ok), (4, Ok(())));
    assert!(head.finish().contains("x-trace"));
    ds.clear();
    let _ = d.poll_decoder_stream(&mut ds);
    assert_eq!(ds, [0x84], "Section Acknowledgment for stream 4, once");
    assert_eq!(d.decode_unblocked_into(&mut Recorder::default()), Ok(None));
    assert_eq!(d.poll_unblocked_stream(), None);
}

#[test]
fn cancel_stream_drops_held_and_ready_sections() {
    let fields = request();
    for ready in [false, true] {
        let (mut d, first, second, encoder_stream) = blocked_pair(&fields);
        d.decode(0, first).unwrap();
        let progress = d
            .decode_with(4, second, |_| ControlFlow::<()>::Continue(()))
            .unwrap();
        assert!(matches!(progress, Progress::Blocked));
        if ready {
            d.on_encoder_stream(&encoder_stream).unwrap();
            assert_eq!(d.poll_unblocked_stream(), Some(4));
        }
        d.cancel_stream(4);
        assert_eq!((d.blocked_streams(), d.poll_unblocked_stream()), (0, None));
        d.on_encoder_stream(if ready { &[] } else { &encoder_stream })
            .unwrap();
        assert_eq!(d.poll_unblocked_stream(), None);
        assert!(d.poll_unblocked().is_none());
        let mut ds = Vec::new();
        let _ = d.poll_decoder_stream(&mut ds);
        // Stream Cancellation for 4, the Insert Count Increment, no acknowledgment.
        let inserts = u8::try_from(d.insert_count()).unwrap();
        assert_eq!(ds, [0x44, inserts], "ready: {ready}");
    }
}

#[test]
fn poll_unblocked_takes_a_held_section_too() {
    let fields = request();
    let (mut d, first, second, encoder_stream) = blocked_pair(&fields);
    d.decode(0, first).unwrap();
    let mut recorder = Recorder::default();
    assert!(matches!(
        d.decode_into(4, second, &mut recorder).unwrap(),
        Progress::Blocked
    ));
    d.on_encoder_stream(&encoder_stream).unwrap();
    assert_eq!(d.poll_unblocked(), Some((4, fields)));
    let mut ds = Vec::new();
    let _ = d.poll_decoder_stream(&mut ds);
    assert_eq!(ds, [0x84]);
}

#[test]
fn a_sink_that_stops_still_gets_the_section_acknowledged() {
    let fields = request();
    let (mut d, first, second, encoder_stream) = blocked_pair(&fields);
    d.decode(0, first).unwrap();
    d.on_encoder_stream(&encoder_stream).unwrap();
    let mut seen = 0;
    let progress = d
        .decode_with(4, second.clone(), |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break("enough")
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert!(matches!(
        progress,
        Progress::Done(ControlFlow::Break("enough"))
    ));
    assert_eq!(seen, 2);
    let mut ds = Vec::new();
    let _ = d.poll_decoder_stream(&mut ds);
    assert_eq!(ds, [0x84]);
    // The decoder goes on: a section never changes the table.
    assert_eq!(d.decode(8, second).unwrap(), Decoded::Fields(fields));
}

#[test]
fn a_refused_field_fails_the_message_not_the_connection() {
    // `connection` is connection-specific: HTTP/3 forbids it (RFC 9114 §4.2).
    let mut fields = request();
    fields.insert(4, Field::new("connection", "close"));
    let (mut d, first, second, encoder_stream) = blocked_pair(&fields);
    let mut head = Head::default();
    let Progress::Done(refused) = d.decode_into(0, first, &mut head).unwrap() else {
        panic!("blocked");
    };
    assert!(refused.is_err());
    // Decoding went on past the refusal: the section is acknowledged like any other.
    d.on_encoder_stream(&encoder_stream).unwrap();
    let mut recorder = Recorder::default();
    let Progress::Done(ok) = d.decode_into(4, second, &mut recorder).unwrap() else {
        panic!("blocked");
    };
    assert_eq!(ok, Ok(()));
    assert_eq!(recorder.fields.len(), fields.len());
    assert!(d.error().is_none());
}
