//! Windows code pages → encodings, for ANSI (PtypString8) strings and bodies.

/// The encoding of a Windows code page number; unknown ones fall back to windows-1252.
pub fn encoding_for_codepage(cp: u32) -> &'static encoding_rs::Encoding {
    use encoding_rs::{
        BIG5, EUC_JP, EUC_KR, GB18030, GBK, IBM866, ISO_2022_JP, ISO_8859_2, ISO_8859_3,
        ISO_8859_4, ISO_8859_5, ISO_8859_6, ISO_8859_7, ISO_8859_8, ISO_8859_8_I, ISO_8859_10,
        ISO_8859_13, ISO_8859_14, ISO_8859_15, ISO_8859_16, KOI8_R, KOI8_U, MACINTOSH, SHIFT_JIS,
        UTF_8, UTF_16BE, UTF_16LE, WINDOWS_874, WINDOWS_1250, WINDOWS_1251, WINDOWS_1252,
        WINDOWS_1253, WINDOWS_1254, WINDOWS_1255, WINDOWS_1256, WINDOWS_1257, WINDOWS_1258,
        X_MAC_CYRILLIC,
    };
    match cp {
        65001 => UTF_8,
        1200 => UTF_16LE,
        1201 => UTF_16BE,
        // Shift_JIS and its Mac variant.
        932 | 10001 => SHIFT_JIS,
        // encoding_rs' GBK decoder accepts the full GB18030 repertoire.
        936 | 20936 | 51936 | 10008 => GBK,
        54936 => GB18030,
        949 | 51949 | 10003 => EUC_KR,
        950 | 10002 => BIG5,
        874 | 28601 => WINDOWS_874,
        1250 => WINDOWS_1250,
        1251 => WINDOWS_1251,
        // ISO-8859-1 and US-ASCII are subsets of windows-1252 for decoding
        // purposes (WHATWG maps both labels to it).
        1252 | 20127 | 28591 => WINDOWS_1252,
        1253 => WINDOWS_1253,
        // ISO-8859-9 is likewise decoded as windows-1254.
        1254 | 28599 => WINDOWS_1254,
        1255 => WINDOWS_1255,
        1256 => WINDOWS_1256,
        1257 => WINDOWS_1257,
        1258 => WINDOWS_1258,
        28592 => ISO_8859_2,
        28593 => ISO_8859_3,
        28594 => ISO_8859_4,
        28595 => ISO_8859_5,
        28596 => ISO_8859_6,
        28597 => ISO_8859_7,
        28598 => ISO_8859_8,
        38598 => ISO_8859_8_I,
        28600 => ISO_8859_10,
        28603 => ISO_8859_13,
        28604 => ISO_8859_14,
        28605 => ISO_8859_15,
        28606 => ISO_8859_16,
        50220..=50222 => ISO_2022_JP,
        51932 | 20932 => EUC_JP,
        20866 => KOI8_R,
        21866 => KOI8_U,
        10000 => MACINTOSH,
        10007 | 10017 => X_MAC_CYRILLIC,
        866 => IBM866,
        _ => WINDOWS_1252,
    }
}

/// Decodes `bytes` in code page `cp`, dropping trailing NULs.
pub fn decode(bytes: &[u8], cp: u32) -> String {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    let bytes = &bytes[..end];
    let (s, _, _) = encoding_for_codepage(cp).decode(bytes);
    s.into_owned()
}

/// The Windows ANSI code page of a locale id (PidTagMessageLocaleId): what 8-bit strings
/// written under that locale use.
pub fn ansi_codepage_for_lcid(lcid: u32) -> u32 {
    match lcid & 0x3FF {
        0x11 => 932,
        0x04 => match lcid {
            0x0404 | 0x0C04 | 0x1404 => 950,
            _ => 936,
        },
        0x12 => 949,
        0x19 | 0x22 | 0x23 | 0x02 | 0x2F | 0x3F | 0x40 | 0x44 | 0x50 => 1251,
        0x1A => match lcid {
            0x0C1A | 0x1C1A | 0x201A => 1251,
            _ => 1250,
        },
        0x05 | 0x15 | 0x0E | 0x1B | 0x24 | 0x18 | 0x1C => 1250,
        0x08 => 1253,
        0x1F | 0x2C => 1254,
        0x0D => 1255,
        0x01 | 0x29 | 0x20 => 1256,
        0x25..=0x27 => 1257,
        0x2A => 1258,
        0x1E => 874,
        _ => 1252,
    }
}

/// The Windows code page that covers an Internet code page (e.g. ISO-2022-JP → 932).
pub fn windows_codepage_for(cp: u32) -> u32 {
    match cp {
        50220..=50222 | 51932 | 20932 => 932,
        52936 | 20936 => 936,
        51949 => 949,
        20866 | 21866 | 28595 => 1251,
        28592 => 1250,
        28597 => 1253,
        28599 => 1254,
        28598 | 38598 => 1255,
        28596 => 1256,
        28594 | 28603 => 1257,
        28591 | 28605 | 20127 => 1252,
        c => c,
    }
}
