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

impl Header {
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
        let format = match version {
            14 | 15 => Format::Ansi,
            21..=23 => Format::Unicode,
            36 => Format::Unicode4k,
            v => {
                return Err(Error::Unsupported(format!(
                    "unknown format version wVer={v}"
                )));
            }
        };
        let file_eof = match format {
            Format::Ansi => u32_at(buf, 168, what)? as u64,
            _ => u64_at(buf, 184, what)?,
        };
        let (nbt, bbt, crypt) = match format {
            Format::Ansi => (
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
        };
        let encryption = match crypt {
            0 => Encryption::None,
            1 => Encryption::Permute,
            2 => Encryption::Cyclic,
            c => {
                return Err(Error::Unsupported(format!(
                    "unknown encryption method bCryptMethod={c}"
                )));
            }
        };
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
