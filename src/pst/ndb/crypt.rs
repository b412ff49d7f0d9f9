//! Block encodings (MS-PST §5.1 permutative, §5.2 cyclic); only external blocks are encoded.

use super::crypt_table::MPBB_CRYPT;
use super::header::Encryption;

/// The permutative decoding of every byte pair, as it lies in memory (little-endian): 128 KiB,
/// built on first use.
static PERMUTE_PAIRS: std::sync::LazyLock<Box<[u16]>> = std::sync::LazyLock::new(|| {
    let t = &MPBB_CRYPT[512..768];
    (0..=u16::MAX)
        .map(|v| u16::from_le_bytes([t[usize::from(v & 0xff)], t[usize::from(v >> 8)]]))
        .collect()
});

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
            // Eight bytes at a time, through a table of decoded byte pairs: five memory
            // reads for eight bytes rather than eight, twice as fast here (as many
            // instructions, though: callgrind does not see the gain).
            let pairs = &*PERMUTE_PAIRS;
            let mut words = data.chunks_exact_mut(8);
            for w in &mut words {
                let mut v = [0u8; 8];
                v.copy_from_slice(w);
                let v = u64::from_le_bytes(v);
                let d = u64::from(pairs[(v & 0xffff) as usize])
                    | u64::from(pairs[(v >> 16 & 0xffff) as usize]) << 16
                    | u64::from(pairs[(v >> 32 & 0xffff) as usize]) << 32
                    | u64::from(pairs[(v >> 48) as usize]) << 48;
                w.copy_from_slice(&d.to_le_bytes());
            }
            let table = &MPBB_CRYPT[512..768];
            for b in words.into_remainder() {
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

    #[test]
    fn permute_decodes_every_byte_pair_and_any_tail_as_the_table_i_says() {
        // Every pair at both alignments within a word, then tails of 0..8 bytes.
        let pairs: Vec<u8> = (0..=u16::MAX).flat_map(u16::to_le_bytes).collect();
        for skip in 0..9 {
            let data = &pairs[skip..];
            let mut got = data.to_vec();
            decode(Encryption::Permute, 0, &mut got);
            let want: Vec<u8> = data.iter().map(|&b| MPBB_CRYPT[512 + b as usize]).collect();
            assert!(got == want, "from byte {skip}");
        }
    }
}
