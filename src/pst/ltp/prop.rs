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

/// Decodes UTF-16LE, replacing unpaired surrogates; stops at the first NUL.
pub fn utf16le(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
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
}
