//! Blocks (MS-PST §2.2.2.8): data blocks, XBLOCK / XXBLOCK data trees, decoding and
//! (Unicode 4K) inflation.

use super::header::Format;
use super::{Bid, Ndb, crypt};
use crate::error::{Error, Result, corrupt};
use crate::pst::bytes::{u8_at, u16_at, u32_at};
use std::io::Read;

/// The most bytes a node's data may claim (a corrupt `lcbTotal` cannot make us allocate more).
pub const MAX_NODE_BYTES: u64 = 1 << 31;
/// The most data blocks one data tree may list: enough for `MAX_NODE_BYTES` of full blocks,
/// and a bound on what a corrupt XXBLOCK repeating its XBLOCKs can make us hold.
pub const MAX_LEAVES: usize = 1 << 19;

impl Ndb {
    /// Reads one block: located through the block B-tree, decoded if external, inflated if
    /// compressed.
    pub fn read_block(&self, bid: Bid) -> Result<Vec<u8>> {
        let e = self.find_block(bid)?;
        let at = format_args!("block {bid} at offset {}", e.ib);
        let mut data = self.read(e.ib, e.cb as usize, &at)?;
        // A 4K file compresses the encoded bytes: inflate first, then decode (as libpff and
        // libpst read it; the generated 4K files are written that way and checked by both).
        if self.header.format == Format::Unicode4k && e.cb_inflated > e.cb {
            data = inflate(&data, e.cb_inflated as usize).map_err(|w| corrupt(at, w))?;
        }
        if !bid.is_internal() {
            crypt::decode(self.header.encryption, e.bid.get(), &mut data);
        }
        Ok(data)
    }

    /// How many bytes a block holds once read, from the block B-tree alone: what a value
    /// streamed later will take, checked now to lie inside the file.
    pub fn block_len(&self, bid: Bid) -> Result<u64> {
        let e = self.find_block(bid)?;
        if e.ib.saturating_add(e.cb as u64) > self.file_size() {
            return Err(corrupt(
                format!("block {bid} at offset {}", e.ib),
                "file truncated: the block lies past its end",
            ));
        }
        Ok(
            if self.header.format == Format::Unicode4k && e.cb_inflated > e.cb {
                e.cb_inflated as u64
            } else {
                e.cb as u64
            },
        )
    }

    /// The data blocks of a node's data tree, in order (a plain block, or the leaves of an
    /// XBLOCK / XXBLOCK); none for a node whose data names no block.
    pub fn data_leaves(&self, bid: Option<Bid>) -> Result<Vec<Bid>> {
        let Some(bid) = bid else {
            return Ok(Vec::new());
        };
        if !bid.is_internal() {
            return Ok(vec![bid]);
        }
        let mut out = Vec::new();
        // Depth 2 at most: an XXBLOCK holds XBLOCKs, an XBLOCK holds data blocks.
        let mut stack = vec![(bid, 2u8)];
        while let Some((b, max_level)) = stack.pop() {
            let data = self.read_block(b)?;
            let at = format_args!("data tree block {b}");
            let btype = u8_at(&data, 0, &at)?;
            let level = u8_at(&data, 1, &at)?;
            if btype != 1 || level == 0 || level > max_level {
                return Err(corrupt(
                    at,
                    format!("not an XBLOCK/XXBLOCK (type {btype}, level {level})"),
                ));
            }
            let count = u16_at(&data, 2, &at)? as usize;
            let total = u32_at(&data, 4, &at)? as u64;
            if total > MAX_NODE_BYTES {
                return Err(Error::Limit(format!("{at}: {total} bytes")));
            }
            let ids = self.read_ids(&data, 8, count, &at)?;
            if level == 1 {
                out.extend(ids.iter().copied());
                if out.len() > MAX_LEAVES {
                    return Err(Error::Limit(format!(
                        "data tree {bid} lists more than {MAX_LEAVES} blocks"
                    )));
                }
            } else {
                for &c in ids.iter().rev() {
                    if !c.is_internal() {
                        return Err(corrupt(at, "XXBLOCK entry is not an XBLOCK"));
                    }
                    stack.push((c, 1));
                }
            }
        }
        Ok(out)
    }

    /// `count` block ids at `off`: each must name a block.
    pub(super) fn read_ids(
        &self,
        data: &[u8],
        off: usize,
        count: usize,
        at: &(impl std::fmt::Display + ?Sized),
    ) -> Result<Vec<Bid>> {
        self.read_raw_ids(data, off, count, at)?
            .into_iter()
            .map(|raw| Bid::try_from(raw).map_err(|e| corrupt(at, e.to_string())))
            .collect()
    }

    /// `count` ids (of the file's width) at `off`, as stored.
    pub(super) fn read_raw_ids(
        &self,
        data: &[u8],
        off: usize,
        count: usize,
        at: &(impl std::fmt::Display + ?Sized),
    ) -> Result<Vec<u64>> {
        let id = self.header.id_size();
        let bytes = crate::pst::bytes::slice(data, off, count * id, at)?;
        Ok(bytes
            .chunks_exact(id)
            .map(|c| {
                let mut a = [0u8; 8];
                a[..id].copy_from_slice(c);
                u64::from_le_bytes(a)
            })
            .collect())
    }

    /// All blocks of a node's data, in order.
    pub fn read_data(&self, bid: Option<Bid>) -> Result<Vec<Vec<u8>>> {
        let mut total = 0u64;
        let mut out = Vec::new();
        for b in self.data_leaves(bid)? {
            let block = self.read_block(b)?;
            total += block.len() as u64;
            if total > MAX_NODE_BYTES {
                return Err(Error::Limit(format!(
                    "node data of block {:#x} is too large",
                    bid.map_or(0, Bid::get)
                )));
            }
            out.push(block);
        }
        Ok(out)
    }

    /// A node's data as one contiguous buffer.
    pub fn read_data_concat(&self, bid: Option<Bid>) -> Result<Vec<u8>> {
        Ok(self.read_data(bid)?.concat())
    }
}

/// Inflates a Unicode 4K block (zlib-wrapped or raw DEFLATE) to exactly `size` bytes.
fn inflate(data: &[u8], size: usize) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(size);
    let zlib = data.len() >= 2
        && data[0] & 0x0F == 8
        && u16::from_be_bytes([data[0], data[1]]).is_multiple_of(31);
    let res = if zlib {
        flate2::read::ZlibDecoder::new(data)
            .take(size as u64 + 1)
            .read_to_end(&mut out)
    } else {
        flate2::read::DeflateDecoder::new(data)
            .take(size as u64 + 1)
            .read_to_end(&mut out)
    };
    res.map_err(|e| format!("compressed block does not inflate: {e}"))?;
    if out.len() != size {
        return Err(format!(
            "compressed block inflates to {} bytes, expected {size}",
            out.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::inflate;
    use std::io::Write;

    #[test]
    fn inflates_zlib_and_raw_deflate_exactly() {
        let plain: Vec<u8> = (0..5000u32).map(|i| (i % 7) as u8).collect();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&plain).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(inflate(&z, plain.len()).unwrap(), plain);
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(&plain).unwrap();
        let d = d.finish().unwrap();
        assert_eq!(inflate(&d, plain.len()).unwrap(), plain);
        assert!(inflate(&z, plain.len() - 1).is_err());
        assert!(inflate(&z[..z.len() / 2], plain.len()).is_err());
    }
}
