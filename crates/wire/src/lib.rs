//! Wire primitives shared by Stator's codecs.
#![forbid(unsafe_code)]

pub mod rand;
