//! [MS-OXRTFCP] compressed RTF (`PidTagRtfCompressed`, "LZFu").
//!
//! The stream is a 16-byte header followed by CONTENTS:
//!
//! | field    | size | meaning                                               |
//! |----------|------|-------------------------------------------------------|
//! | COMPSIZE | u32  | bytes after this field (CONTENTS length + 12)         |
//! | RAWSIZE  | u32  | size of the decompressed RTF                          |
//! | COMPTYPE | u32  | `LZFu` (compressed) or `MELA` (stored)                |
//! | CRC      | u32  | [`crc32`] of CONTENTS when compressed, else 0         |
//!
//! Compressed CONTENTS is a sequence of runs: a control byte whose bits (LSB
//! first) say whether each of the next eight tokens is a literal byte (0) or a
//! big-endian 16-bit dictionary reference (1): upper 12 bits offset into a
//! 4096-byte circular dictionary, lower 4 bits length − 2. A reference whose
//! offset equals the dictionary write position marks the end of the stream.
//!
//! # Behaviour on damaged input
//!
//! * A header announcing more than `max_out` bytes is refused with
//!   [`RtfError::OutputTooLarge`] before anything is decoded.
//! * Output stops at `min(max_out, RAWSIZE)`: tokens beyond RAWSIZE are
//!   dropped, so a lying stream can never grow past what the header promised.
//! * Truncated CONTENTS (missing bytes, no end marker) is not an error: the
//!   bytes decoded so far are returned.
//! * The CRC is not checked; [`crc32`] is available for callers who care.

use super::RtfError;

/// COMPTYPE of a compressed stream ("LZFu" read as little-endian u32).
const COMPRESSED: u32 = 0x7546_5A4C;
/// COMPTYPE of a stored stream ("MELA" read as little-endian u32).
const UNCOMPRESSED: u32 = 0x414C_454D;

const HEADER_LEN: usize = 16;
const DICT_SIZE: usize = 4096;
const DICT_MASK: usize = DICT_SIZE - 1;

/// Dictionary preload from [MS-OXRTFCP] section 2.1.2.1 (207 bytes).
const INITIAL_DICT: &[u8; 207] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}\
{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArial\
Times New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\
\\f0\\fs20\\b\\i\\u\\tab\\tx";

/// Decompresses a `PidTagRtfCompressed` value into raw RTF bytes.
///
/// Handles both `LZFu` and `MELA` streams. The result never exceeds
/// `max_out` nor the header's RAWSIZE; see the module docs for how damaged
/// input is treated.
///
/// # Errors
///
/// [`RtfError::HeaderTooShort`] when fewer than 16 bytes are given,
/// [`RtfError::UnknownCompression`] for a COMPTYPE other than `LZFu`/`MELA`,
/// [`RtfError::OutputTooLarge`] when RAWSIZE exceeds `max_out`.
pub fn decompress(data: &[u8], max_out: usize) -> Result<Vec<u8>, RtfError> {
    let header = data
        .get(..HEADER_LEN)
        .ok_or(RtfError::HeaderTooShort { len: data.len() })?;
    let field =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let comp_size = field(0) as usize;
    let raw_size = field(4);
    let comp_type = field(8);

    if comp_type != COMPRESSED && comp_type != UNCOMPRESSED {
        return Err(RtfError::UnknownCompression(comp_type));
    }
    let limit = match usize::try_from(raw_size) {
        Ok(n) if n <= max_out => n,
        _ => {
            return Err(RtfError::OutputTooLarge {
                raw_size: u64::from(raw_size),
                max_out,
            });
        }
    };

    // COMPSIZE counts the 12 header bytes after itself. Trust it to trim
    // trailing padding, but never read past what is actually there.
    let available = &data[HEADER_LEN..];
    let declared = comp_size.saturating_sub(HEADER_LEN - 4);
    let contents = &available[..declared.min(available.len())];

    if comp_type == UNCOMPRESSED {
        return Ok(contents[..limit.min(contents.len())].to_vec());
    }
    Ok(inflate(contents, limit))
}

/// Decodes LZFu CONTENTS, producing at most `limit` bytes.
fn inflate(contents: &[u8], limit: usize) -> Vec<u8> {
    let mut dict = [0u8; DICT_SIZE];
    dict[..INITIAL_DICT.len()].copy_from_slice(INITIAL_DICT);
    let mut write_pos = INITIAL_DICT.len();

    // A run of 17 input bytes yields at most 8 × 17 output bytes, so this
    // bounds the allocation by the input even when RAWSIZE is a lie.
    let mut out = Vec::with_capacity(limit.min(contents.len().saturating_mul(8)));
    let mut input = contents.iter().copied();

    // Every iteration of both loops consumes input, so this terminates after
    // at most `contents.len()` steps.
    'runs: while let Some(control) = input.next() {
        for bit in 0..8 {
            if control & (1 << bit) == 0 {
                let Some(byte) = input.next() else {
                    break 'runs;
                };
                if out.len() >= limit {
                    break 'runs;
                }
                out.push(byte);
                dict[write_pos] = byte;
                write_pos = (write_pos + 1) & DICT_MASK;
            } else {
                let (Some(hi), Some(lo)) = (input.next(), input.next()) else {
                    break 'runs;
                };
                let reference = u16::from_be_bytes([hi, lo]);
                let offset = usize::from(reference >> 4);
                let length = usize::from(reference & 0xF) + 2;
                if offset == write_pos {
                    break 'runs;
                }
                // Copy byte by byte: the source may overlap the bytes being
                // written (a reference that crosses the write position).
                for k in 0..length {
                    if out.len() >= limit {
                        break 'runs;
                    }
                    let byte = dict[(offset + k) & DICT_MASK];
                    out.push(byte);
                    dict[write_pos] = byte;
                    write_pos = (write_pos + 1) & DICT_MASK;
                }
            }
        }
    }
    out
}

/// The [MS-OXRTFCP] section 2.1.3.2 CRC of a stream's CONTENTS (see [`crate::util::crc32`]).
pub use crate::util::crc32;

#[cfg(test)]
mod tests {
    use super::*;

    /// [MS-OXRTFCP] section 3.1.1, "Simple Compressed RTF".
    const EXAMPLE1: &[u8] = &[
        0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7,
        0xa7, // header
        0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, // run 1
        0x42, 0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, // run 2
        0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0, // run 3
    ];
    const EXAMPLE1_OUT: &[u8] = b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n";

    /// [MS-OXRTFCP] section 3.1.2, "Reading a Token from the Dictionary that
    /// Crosses WritePosition".
    const EXAMPLE2: &[u8] = &[
        0x1a, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xe2, 0xd4, 0x4b,
        0x51, // header
        0x41, 0x00, 0x04, 0x20, 0x57, 0x58, 0x59, 0x5a, 0x0d, 0x6e, 0x7d, // run 1
        0x01, 0x0e, 0xb0, // run 2: end marker
    ];
    const EXAMPLE2_OUT: &[u8] = b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}";

    const MAX: usize = 1 << 20;

    #[test]
    fn initial_dictionary_matches_spec_layout() {
        assert_eq!(INITIAL_DICT.len(), 207);
        // Positions called out by the spec's dictionary dumps.
        assert_eq!(&INITIAL_DICT[168..170], b"\r\n");
        assert_eq!(&INITIAL_DICT[175..180], b"\\pard");
        assert!(INITIAL_DICT.ends_with(b"\\tab\\tx"));
    }

    #[test]
    fn spec_example_1() {
        assert_eq!(decompress(EXAMPLE1, MAX).unwrap(), EXAMPLE1_OUT);
    }

    #[test]
    fn spec_example_2_reference_crosses_write_position() {
        assert_eq!(decompress(EXAMPLE2, MAX).unwrap(), EXAMPLE2_OUT);
    }

    #[test]
    fn crc_matches_spec_examples() {
        for stream in [EXAMPLE1, EXAMPLE2] {
            let header_crc = u32::from_le_bytes([stream[12], stream[13], stream[14], stream[15]]);
            assert_eq!(crc32(&stream[16..]), header_crc);
        }
    }

    fn stored(raw: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(raw.len() as u32 + 12).to_le_bytes());
        v.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        v.extend_from_slice(b"MELA");
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(raw);
        v
    }

    #[test]
    fn uncompressed_round_trip() {
        let raw = b"{\\rtf1\\ansi\\ansicpg1252\\pard test}";
        assert_eq!(decompress(&stored(raw), MAX).unwrap(), raw);
        // Empty body.
        assert_eq!(decompress(&stored(b""), MAX).unwrap(), b"");
        // Truncated stored body yields what is there.
        let s = stored(raw);
        assert_eq!(
            decompress(&s[..s.len() - 5], MAX).unwrap(),
            &raw[..raw.len() - 5]
        );
    }

    #[test]
    fn header_errors() {
        assert!(matches!(
            decompress(&EXAMPLE1[..15], MAX),
            Err(RtfError::HeaderTooShort { len: 15 })
        ));
        let mut bad = EXAMPLE1.to_vec();
        bad[8..12].copy_from_slice(b"ABCD");
        assert!(matches!(
            decompress(&bad, MAX),
            Err(RtfError::UnknownCompression(0x4443_4241))
        ));
        assert!(matches!(
            decompress(EXAMPLE1, 10),
            Err(RtfError::OutputTooLarge {
                raw_size: 43,
                max_out: 10
            })
        ));
    }

    #[test]
    fn output_capped_at_raw_size() {
        // Claim RAWSIZE 5 but carry a whole example stream.
        let mut lying = EXAMPLE1.to_vec();
        lying[4..8].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(decompress(&lying, MAX).unwrap(), &EXAMPLE1_OUT[..5]);
    }

    #[test]
    fn truncations_never_panic_and_yield_prefixes() {
        for (stream, full) in [(EXAMPLE1, EXAMPLE1_OUT), (EXAMPLE2, EXAMPLE2_OUT)] {
            for cut in 0..stream.len() {
                match decompress(&stream[..cut], MAX) {
                    Ok(out) => assert!(full.starts_with(&out), "cut {cut}"),
                    Err(e) => assert!(cut < HEADER_LEN, "cut {cut}: {e}"),
                }
            }
        }
    }

    /// Deterministic pseudo-random bytes (Numerical Recipes LCG).
    fn lcg_bytes(seed: u32, len: usize) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn random_streams_never_panic_and_stay_bounded() {
        for seed in 0..300u32 {
            let len = (seed as usize * 37) % 2000;
            let body = lcg_bytes(seed, len);
            // Random bytes behind a valid-looking header...
            let raw_size = (seed * 97) % 5000;
            for comp_type in [b"LZFu", b"MELA"] {
                let mut s = Vec::new();
                s.extend_from_slice(&(body.len() as u32 + 12).to_le_bytes());
                s.extend_from_slice(&raw_size.to_le_bytes());
                s.extend_from_slice(comp_type);
                s.extend_from_slice(&0u32.to_le_bytes());
                s.extend_from_slice(&body);
                let out = decompress(&s, 4096);
                match out {
                    Ok(out) => assert!(out.len() <= 4096.min(raw_size as usize)),
                    Err(RtfError::OutputTooLarge { .. }) => assert!(raw_size > 4096),
                    Err(e) => panic!("unexpected error {e}"),
                }
            }
            // ...and entirely random input.
            let _ = decompress(&body, 4096);
        }
    }

    #[test]
    fn crc_differs_from_zlib_variant() {
        // Standard CRC-32 of "123456789" is 0xCBF43926; this variant has no
        // pre/post inversion, so it must not match.
        assert_ne!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }
}
