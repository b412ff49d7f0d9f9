//! The file header (MS-PST §2.2.2.6): format, client, encryption and B-tree roots.

use crate::error::{Error, Result};
use crate::pst::bytes::{u8_at, u16_at, u32_at, u64_at};
use serde::Serialize;

/// Page and pointer layout (`wVer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// wVer 14/15: 32-bit identifiers and offsets.
    Ansi,
    /// wVer 23: 64-bit identifiers and offsets, 512-byte pages.
    Unicode,
    /// wVer 36 (Outlook 2013+ OST): 4 KiB pages, DEFLATE-compressed blocks.
    Unicode4k,
}

/// Block encoding (`bCryptMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encryption {
    None,
    /// NDB_CRYPT_PERMUTE, "compressible".
    Permute,
    /// NDB_CRYPT_CYCLIC, "high".
    Cyclic,
}

impl TryFrom<u16> for Format {
    type Error = Error;

    /// `wVer`: 14 and 15 are ANSI, 21 to 23 Unicode, 36 the 4K-page OST; nothing else.
    fn try_from(version: u16) -> Result<Self> {
        match version {
            14 | 15 => Ok(Format::Ansi),
            21..=23 => Ok(Format::Unicode),
            36 => Ok(Format::Unicode4k),
            v => Err(Error::Unsupported(format!(
                "unknown format version wVer={v}"
            ))),
        }
    }
}

impl TryFrom<u8> for Encryption {
    type Error = Error;

    /// `bCryptMethod`: NDB_CRYPT_NONE, _PERMUTE or _CYCLIC; nothing else.
    fn try_from(method: u8) -> Result<Self> {
        match method {
            0 => Ok(Encryption::None),
            1 => Ok(Encryption::Permute),
            2 => Ok(Encryption::Cyclic),
            c => Err(Error::Unsupported(format!(
                "unknown encryption method bCryptMethod={c}"
            ))),
        }
    }
}

/// A block reference: id and file offset (BREF, §2.2.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bref {
    pub bid: u64,
    pub ib: u64,
}

/// The parsed header.
#[derive(Debug, Clone)]
pub struct Header {
    pub format: Format,
    /// `true` for an OST (wMagicClient "SO").
    pub ost: bool,
    pub version: u16,
    pub encryption: Encryption,
    pub nbt: Bref,
    pub bbt: Bref,
    /// The file size the header records (`ibFileEof`): a smaller file is truncated.
    pub file_eof: u64,
}

/// The ROOT structure's file size and B-tree roots, and `bCryptMethod`, at their offsets for
/// the format (§2.2.2.6: the ANSI header packs them in 32 bits, Unicode in 64).
fn root(buf: &[u8], format: Format) -> Result<(u64, Bref, Bref, u8)> {
    let what = "file header";
    Ok(match format {
        Format::Ansi => (
            u32_at(buf, 168, what)? as u64,
            Bref {
                bid: u32_at(buf, 184, what)? as u64,
                ib: u32_at(buf, 188, what)? as u64,
            },
            Bref {
                bid: u32_at(buf, 192, what)? as u64,
                ib: u32_at(buf, 196, what)? as u64,
            },
            u8_at(buf, 461, what)?,
        ),
        Format::Unicode | Format::Unicode4k => (
            u64_at(buf, 184, what)?,
            Bref {
                bid: u64_at(buf, 216, what)?,
                ib: u64_at(buf, 224, what)?,
            },
            Bref {
                bid: u64_at(buf, 232, what)?,
                ib: u64_at(buf, 240, what)?,
            },
            u8_at(buf, 513, what)?,
        ),
    })
}

impl Header {
    /// Parses and checks the header: signature, client, version, encryption, and B-tree roots
    /// inside the file (a root past its end means the file is truncated).
    pub fn parse(buf: &[u8], file_size: u64) -> Result<Self> {
        if buf.len() < 4 || &buf[..4] != b"!BDN" {
            return Err(Error::NotPst(
                "the file does not start with the PST signature \"!BDN\"".into(),
            ));
        }
        let what = "file header";
        let client = u16_at(buf, 8, what)?;
        let ost = match &client.to_le_bytes() {
            b"SM" => false,
            b"SO" => true,
            b"AB" => {
                return Err(Error::Unsupported(
                    "personal address book (.pab) files hold no mail".into(),
                ));
            }
            other => {
                return Err(Error::NotPst(format!(
                    "unknown client signature {:?}",
                    String::from_utf8_lossy(other)
                )));
            }
        };
        let version = u16_at(buf, 10, what)?;
        let format = Format::try_from(version)?;
        let (file_eof, nbt, bbt, crypt) = root(buf, format)?;
        let encryption = Encryption::try_from(crypt)?;
        for (name, r) in [("node", nbt), ("block", bbt)] {
            if r.ib >= file_size {
                return Err(crate::error::corrupt(
                    what,
                    format!(
                        "the {name} B-tree root at offset {} lies past the end of the file ({file_size} bytes): the file is truncated",
                        r.ib
                    ),
                ));
            }
        }
        Ok(Self {
            format,
            ost,
            version,
            encryption,
            nbt,
            bbt,
            file_eof,
        })
    }

    /// Size of a B-tree page.
    pub fn page_size(&self) -> usize {
        match self.format {
            Format::Unicode4k => 4096,
            _ => 512,
        }
    }

    /// Size of a BID / IB on disk.
    pub fn id_size(&self) -> usize {
        match self.format {
            Format::Ansi => 4,
            _ => 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_methods_outside_the_spec_are_refused() {
        for (v, f) in [
            (14, Format::Ansi),
            (15, Format::Ansi),
            (23, Format::Unicode),
            (36, Format::Unicode4k),
        ] {
            assert_eq!(Format::try_from(v).ok(), Some(f));
        }
        for v in [0, 13, 16, 20, 24, 35, 37, u16::MAX] {
            assert!(Format::try_from(v).is_err(), "wVer {v}");
        }
        assert_eq!(Encryption::try_from(2).ok(), Some(Encryption::Cyclic));
        for c in [3, 0x10, u8::MAX] {
            assert!(Encryption::try_from(c).is_err(), "bCryptMethod {c}");
        }
    }
}
