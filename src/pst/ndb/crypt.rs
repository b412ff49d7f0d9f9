//! Block encodings (MS-PST §5.1 permutative, §5.2 cyclic); only external blocks are encoded.

use super::crypt_table::MPBB_CRYPT;
use super::header::Encryption;

/// Encodes `data` in place, as a writer does (the PST generator of the tests).
pub fn encode(method: Encryption, key: u64, data: &mut [u8]) {
    match method {
        Encryption::Permute => {
            let table = &MPBB_CRYPT[0..256];
            for b in data.iter_mut() {
                *b = table[*b as usize];
            }
        }
        // The cyclic method is its own inverse.
        _ => decode(method, key, data),
    }
}

/// Decodes `data` in place; `key` is the block's BID (used by the cyclic method).
pub fn decode(method: Encryption, key: u64, data: &mut [u8]) {
    match method {
        Encryption::None => {}
        Encryption::Permute => {
            let table = &MPBB_CRYPT[512..768];
            for b in data.iter_mut() {
                *b = table[*b as usize];
            }
        }
        Encryption::Cyclic => {
            let k = (key ^ (key >> 32)) as u32;
            let mut w = (k ^ (k >> 16)) as u16;
            let (r, s, i) = (
                &MPBB_CRYPT[0..256],
                &MPBB_CRYPT[256..512],
                &MPBB_CRYPT[512..768],
            );
            for b in data.iter_mut() {
                let lo = w as u8;
                let hi = (w >> 8) as u8;
                let mut x = b.wrapping_add(lo);
                x = r[x as usize];
                x = x.wrapping_add(hi);
                x = s[x as usize];
                x = x.wrapping_sub(hi);
                x = i[x as usize];
                *b = x.wrapping_sub(lo);
                w = w.wrapping_add(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_permutations_and_permute_inverts_r() {
        for t in 0..3 {
            let mut seen = [false; 256];
            for &b in &MPBB_CRYPT[t * 256..t * 256 + 256] {
                seen[b as usize] = true;
            }
            assert!(seen.iter().all(|&s| s), "table {t} is not a permutation");
        }
        // Encoding uses R, decoding I: I must invert R.
        for v in 0..=255u8 {
            let mut b = [MPBB_CRYPT[v as usize]];
            decode(Encryption::Permute, 0, &mut b);
            assert_eq!(b[0], v);
        }
    }
}
