//! Splits fuzz input into a field list: fields are separated by 0x00, and within a field
//! the first 0x01 separates name from value (NUL is never valid in either, so the fuzzer
//! can still produce every other byte).

pub fn fields(data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    data.split(|&b| b == 0).map(|f| match f.iter().position(|&b| b == 1) {
        Some(i) => (&f[..i], &f[i + 1..]),
        None => (f, &[][..]),
    })
}
