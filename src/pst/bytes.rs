//! Bounds-checked little-endian reads: every offset into file data goes through here.

use crate::error::{Result, corrupt};
use std::fmt::Display;

/// `len` bytes at `off`, or a corruption error naming `what`.
pub fn slice<'a>(
    buf: &'a [u8],
    off: usize,
    len: usize,
    what: &(impl Display + ?Sized),
) -> Result<&'a [u8]> {
    off.checked_add(len)
        .and_then(|end| buf.get(off..end))
        .ok_or_else(|| {
            corrupt(
                what,
                format!(
                    "{len} bytes at offset {off} overrun a {}-byte buffer",
                    buf.len()
                ),
            )
        })
}

pub fn u8_at(buf: &[u8], off: usize, what: &(impl Display + ?Sized)) -> Result<u8> {
    Ok(slice(buf, off, 1, what)?[0])
}

pub fn u16_at(buf: &[u8], off: usize, what: &(impl Display + ?Sized)) -> Result<u16> {
    let b = slice(buf, off, 2, what)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

pub fn u32_at(buf: &[u8], off: usize, what: &(impl Display + ?Sized)) -> Result<u32> {
    let b = slice(buf, off, 4, what)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub fn u64_at(buf: &[u8], off: usize, what: &(impl Display + ?Sized)) -> Result<u64> {
    let b = slice(buf, off, 8, what)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}
