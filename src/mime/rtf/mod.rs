//! Rich Text Format support for message bodies.
//!
//! Outlook stores the RTF body of a message in `PidTagRtfCompressed`, packed
//! with the LZ77 variant specified in **[MS-OXRTFCP]** (Rich Text Format (RTF)
//! Compression Algorithm); [`lzfu`] unpacks it.
//!
//! When the message was originally HTML or plain text, the RTF usually carries
//! that original inside it as specified in **[MS-OXRTFEX]** (Rich Text Format
//! (RTF) Extensions Algorithm): `\fromhtml1` / `\fromtext` in the header,
//! `{\*\htmltag…}` destinations and `\htmlrtf` toggles. [`encap`] recovers the
//! original body, or renders genuine RTF as plain text; [`html`] renders
//! genuine RTF as an HTML document. Both read RTF with one shared lexer and
//! interpreter (groups, destinations, font table, code pages, `\uN`).
//!
//! Everything here is written to run on hostile input: no panics, no
//! recursion, linear time, bounded output.

pub mod encap;
pub mod html;
mod lexer;
pub mod lzfu;
mod reader;

pub use encap::{Encapsulated, deencapsulate, to_plain_text};
pub use html::to_html;
pub use lzfu::decompress;

/// Errors from decoding a `PidTagRtfCompressed` stream.
#[derive(Debug, thiserror::Error)]
pub enum RtfError {
    /// The 16-byte COMPSIZE/RAWSIZE/COMPTYPE/CRC header is incomplete.
    #[error("compressed RTF header too short: {len} bytes, need 16")]
    HeaderTooShort {
        /// Number of bytes actually present.
        len: usize,
    },
    /// COMPTYPE is neither `LZFu` (compressed) nor `MELA` (uncompressed).
    #[error("unknown compressed RTF type 0x{0:08X} (expected LZFu or MELA)")]
    UnknownCompression(u32),
    /// The header announces more output than the caller allows.
    #[error("compressed RTF declares {raw_size} bytes of output, limit is {max_out}")]
    OutputTooLarge {
        /// RAWSIZE from the header.
        raw_size: u64,
        /// The caller's limit.
        max_out: usize,
    },
}

/// Maps a Windows code page number to the closest `encoding_rs` encoding.
///
/// Covers the code pages that `\ansicpgN`, `\cpgN` and `\fcharsetN` produce in
/// practice, plus the common ISO/Mac/KOI8 ones. Code pages that have no
/// WHATWG counterpart (437, 850, EBCDIC, …) fall back to windows-1252, which
/// at least keeps ASCII intact.
pub use crate::codepage::encoding_for_codepage;

/// Maps an RTF `\fcharsetN` value to a Windows code page.
///
/// `None` means "use the document default" (`\ansicpgN`): that is what
/// ANSI_CHARSET (0), DEFAULT_CHARSET (1) and unknown values amount to.
pub(crate) fn codepage_for_charset(charset: i32) -> Option<u32> {
    Some(match charset {
        // Symbol fonts map glyphs onto 8-bit codes; 1252 keeps them readable.
        2 => 1252,
        77 => 10000,
        78 => 10001,
        128 => 932,
        129 => 949,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        254 => 437,
        255 => 850,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codepage_mapping() {
        assert_eq!(encoding_for_codepage(932), encoding_rs::SHIFT_JIS);
        assert_eq!(encoding_for_codepage(65001), encoding_rs::UTF_8);
        assert_eq!(encoding_for_codepage(1200), encoding_rs::UTF_16LE);
        assert_eq!(encoding_for_codepage(936), encoding_rs::GBK);
        assert_eq!(encoding_for_codepage(949), encoding_rs::EUC_KR);
        assert_eq!(encoding_for_codepage(950), encoding_rs::BIG5);
        assert_eq!(encoding_for_codepage(1251), encoding_rs::WINDOWS_1251);
        assert_eq!(encoding_for_codepage(28592), encoding_rs::ISO_8859_2);
        assert_eq!(encoding_for_codepage(28591), encoding_rs::WINDOWS_1252);
        assert_eq!(encoding_for_codepage(50220), encoding_rs::ISO_2022_JP);
        assert_eq!(encoding_for_codepage(51932), encoding_rs::EUC_JP);
        assert_eq!(encoding_for_codepage(20866), encoding_rs::KOI8_R);
        assert_eq!(encoding_for_codepage(10000), encoding_rs::MACINTOSH);
        assert_eq!(encoding_for_codepage(12345), encoding_rs::WINDOWS_1252);
    }

    #[test]
    fn charset_mapping() {
        assert_eq!(codepage_for_charset(0), None);
        assert_eq!(codepage_for_charset(1), None);
        assert_eq!(codepage_for_charset(2), Some(1252));
        assert_eq!(codepage_for_charset(128), Some(932));
        assert_eq!(codepage_for_charset(134), Some(936));
        assert_eq!(codepage_for_charset(204), Some(1251));
        assert_eq!(codepage_for_charset(-5), None);
    }
}
