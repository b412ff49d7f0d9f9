//! Property types (MS-OXCDATA §2.11.1) and how their values are stored (MS-PST §2.3.3.3).

use crate::pst::ndb::Nid;

/// A property type code (`wPropType`).
pub type PropType = u16;

pub const PT_I16: PropType = 0x0002;
pub const PT_I32: PropType = 0x0003;
pub const PT_F32: PropType = 0x0004;
pub const PT_F64: PropType = 0x0005;
pub const PT_CURRENCY: PropType = 0x0006;
pub const PT_APPTIME: PropType = 0x0007;
pub const PT_ERROR: PropType = 0x000A;
pub const PT_BOOL: PropType = 0x000B;
pub const PT_OBJECT: PropType = 0x000D;
pub const PT_I64: PropType = 0x0014;
pub const PT_STRING8: PropType = 0x001E;
pub const PT_UNICODE: PropType = 0x001F;
pub const PT_TIME: PropType = 0x0040;
pub const PT_GUID: PropType = 0x0048;
pub const PT_BINARY: PropType = 0x0102;
pub const PT_MV: PropType = 0x1000;

/// Size of a fixed-size value, or `None` for variable-size types.
pub fn fixed_size(t: PropType) -> Option<usize> {
    match t {
        PT_BOOL => Some(1),
        PT_I16 => Some(2),
        PT_I32 | PT_F32 | PT_ERROR => Some(4),
        PT_F64 | PT_CURRENCY | PT_APPTIME | PT_I64 | PT_TIME => Some(8),
        PT_GUID => Some(16),
        _ => None,
    }
}

/// Where a value's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropData {
    /// The value's bytes (inline or from the heap).
    Bytes(Vec<u8>),
    /// A sub-node of the owning node holds the value (large strings and binaries).
    Subnode(Nid),
}

/// Decodes UTF-16LE, replacing unpaired surrogates; stops at the first NUL. As
/// `String::from_utf16_lossy`, with runs of ASCII taken four units at a time: message bodies
/// are mostly ASCII, and decoding them a character at a time was a tenth of a conversion.
pub fn utf16le(b: &[u8]) -> String {
    let mut out = Vec::with_capacity(b.len() / 2);
    let mut i = 0;
    while i + 2 <= b.len() {
        if let Some(w) = b.get(i..i + 8) {
            let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            // Four units below 0x80 and none of them 0 (the usual zero-lane test: a lane
            // borrows only if it was 0, and no lane here has its top bit set).
            const LOW: u64 = 0x0001_0001_0001_0001;
            if w & 0xFF80_FF80_FF80_FF80 == 0 && w.wrapping_sub(LOW) & 0x8000_8000_8000_8000 == 0 {
                out.extend_from_slice(&[
                    w as u8,
                    (w >> 16) as u8,
                    (w >> 32) as u8,
                    (w >> 48) as u8,
                ]);
                i += 8;
                continue;
            }
        }
        let u = u16::from_le_bytes([b[i], b[i + 1]]);
        i += 2;
        let c = match u {
            0 => break,
            1..0x80 => {
                out.push(u as u8);
                continue;
            }
            0xD800..0xDC00 => match b.get(i..i + 2).map(|n| u16::from_le_bytes([n[0], n[1]])) {
                Some(lo @ 0xDC00..0xE000) => {
                    i += 2;
                    char::from_u32(
                        0x10000 + ((u32::from(u) - 0xD800) << 10) + u32::from(lo) - 0xDC00,
                    )
                }
                _ => None,
            },
            _ => char::from_u32(u32::from(u)),
        };
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
    // Valid by construction; checking costs a fraction of the decoding (ASCII a word at a time).
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Splits a variable-size multi-value (ulCount, rgulDataOffsets, data) into its items.
pub fn split_mv(b: &[u8]) -> Vec<&[u8]> {
    let count = match b.get(..4) {
        Some(c) => u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize,
        None => return Vec::new(),
    };
    if count > b.len() / 4 {
        return Vec::new();
    }
    let off = |i: usize| -> Option<usize> {
        let s = b.get(4 + 4 * i..8 + 4 * i)?;
        Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
    };
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let (Some(start), end) = (
            off(i),
            if i + 1 < count {
                off(i + 1)
            } else {
                Some(b.len())
            },
        ) else {
            break;
        };
        match end.and_then(|e| b.get(start..e)) {
            Some(s) => out.push(s),
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mv_split_and_bounds() {
        let mut b = vec![2, 0, 0, 0, 12, 0, 0, 0, 14, 0, 0, 0];
        b.extend_from_slice(b"abcde");
        assert_eq!(split_mv(&b), vec![&b"ab"[..], &b"cde"[..]]);
        b[8] = 200;
        assert_eq!(split_mv(&b).len(), 0);
        assert!(split_mv(&[255, 255, 255, 255]).is_empty());
    }

    /// Against the standard library's decoder: random units weighted towards ASCII, NUL,
    /// surrogates (paired, lone, reversed) and odd lengths, at every alignment of the fast path.
    #[test]
    fn utf16le_decodes_as_the_standard_library_does() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let units: Vec<u16> = (0..len)
                .map(|_| match next() % 10 {
                    0 => 0,
                    1 => 0xD800 + (next() % 0x400) as u16,
                    2 => 0xDC00 + (next() % 0x400) as u16,
                    3 => 0x80 + (next() % 0xFF80) as u16,
                    4 => (next() % 0x100) as u16,
                    _ => 0x20 + (next() % 0x5F) as u16,
                })
                .collect();
            let mut bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            if next() % 4 == 0 {
                bytes.push(0x41);
            }
            let upto = units.iter().position(|&u| u == 0).unwrap_or(units.len());
            let want = String::from_utf16_lossy(&units[..upto]);
            assert_eq!(utf16le(&bytes), want, "{units:04x?}");
        }
    }
}
