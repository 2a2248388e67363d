//! Project automation for Stator.
fn main() {}
