//! Shows what HPACK's Huffman code does to header strings.
//!
//! `cargo run --example huffman -- "www.example.com" "no-cache"` prints each string's
//! Huffman coding in hex and how many bytes it saves, then decodes it back.

use std::fmt::Write as _;

use stator::wire::huffman;

fn main() -> Result<(), stator::wire::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let inputs = if args.is_empty() {
        vec!["www.example.com".to_owned()]
    } else {
        args
    };
    for s in inputs {
        let mut coded = Vec::new();
        huffman::encode(s.as_bytes(), &mut coded)?;
        let mut hex = String::new();
        for b in &coded {
            // Writing into a String cannot fail.
            let _ = write!(hex, "{b:02x}");
        }
        let mut back = Vec::new();
        huffman::decode(&coded, &mut back)?;
        println!(
            "{s:?}: {} -> {} bytes  {hex}  (decodes back: {})",
            s.len(),
            coded.len(),
            back == s.as_bytes()
        );
    }
    Ok(())
}
