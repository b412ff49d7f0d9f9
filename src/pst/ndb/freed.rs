//! What the live B-trees no longer reach (MS-PST §2.6.1: freed pages and blocks linger until
//! reused): node versions and blocks listed by B-tree leaf pages found by scanning the file.
//! A block from there is believed only if its own trailer (§2.2.2.8.1) names its BID and its
//! CRC (§5.3) matches: freed space may have been written over since.

use super::btree::Tree;
use super::header::Format;
use super::{Bid, BlockEntry, Ndb, Nid, NidType, NodeEntry};
use crate::error::{Error, Result};
use crate::util::crc32;
use std::collections::{HashMap, HashSet};

/// Entries a scan may hold (≈ 0.5 GiB): beyond that the file is given up on.
const MAX_ENTRIES: usize = 16 << 20;

/// Message node versions the live node B-tree does not have, and the blocks of the scan.
#[derive(Default)]
pub struct Freed {
    /// Deleted messages (their NID is gone from the live tree) and older versions (the live
    /// tree maps their NID to other data), each version once.
    pub nodes: Vec<NodeEntry>,
    /// Where each block the live tree lacks may be, by [`Bid::key`]: every distinct place a
    /// scanned leaf page or a block trailer names (a freed BID may have been written more
    /// than once).
    blocks: HashMap<u64, Vec<BlockEntry>>,
    /// Blocks read whose CRC no longer matches their data.
    damaged: std::cell::RefCell<HashSet<u64>>,
}

impl Freed {
    fn add_block(&mut self, e: BlockEntry) {
        let places = self.blocks.entry(e.bid.key()).or_default();
        if places.len() < 8 && !places.iter().any(|p| p.ib == e.ib && p.cb == e.cb) {
            places.push(e);
        }
    }

    /// How many blocks read since the last call were partly written over.
    pub fn take_damaged(&self) -> usize {
        std::mem::take(&mut *self.damaged.borrow_mut()).len()
    }
}

impl Ndb {
    /// Scans every page-aligned offset for node and block B-tree leaf pages; keeps the message
    /// node versions the live tree lacks and every block entry seen.
    pub fn scan_freed(&self) -> Result<Freed> {
        let mut live: HashMap<Nid, Option<Bid>> = HashMap::new();
        self.walk_nodes(|e| {
            live.insert(e.nid, e.bid_data);
            true
        })?;
        let mut freed = Freed::default();
        let mut seen: HashSet<(u32, u64, u64)> = HashSet::new();
        self.scan_leaf_pages(|leaf| {
            {
                {
                    for e in leaf.nodes.into_iter().chain(leaf.slack_nodes) {
                        let message = e.nid.kind() == NidType::NormalMessage;
                        let stale = live.get(&e.nid).is_none_or(|b| *b != e.bid_data);
                        let key = (
                            e.nid.get(),
                            e.bid_data.map_or(0, Bid::get),
                            e.bid_sub.map_or(0, Bid::get),
                        );
                        if message && stale && e.bid_data.is_some() && seen.insert(key) {
                            freed.nodes.push(e);
                        }
                    }
                }
                // Only what the live tree lacks: the rest is read through it anyway.
                for e in leaf.blocks.into_iter().chain(leaf.slack_blocks) {
                    if !self.live_block(e.bid) {
                        freed.add_block(e);
                    }
                }
            }
            freed.nodes.len() + freed.blocks.len() <= MAX_ENTRIES
        })?;
        if freed.nodes.len() + freed.blocks.len() > MAX_ENTRIES {
            return Err(Error::Limit("freed-space scan too large".into()));
        }
        self.scan_blocks(&mut freed)?;
        freed
            .nodes
            .sort_by_key(|e| (e.nid.get(), e.bid_data.map_or(0, Bid::get)));
        Ok(freed)
    }

    /// Blocks whose B-tree entries are gone too: every 64-byte boundary is tried as the end
    /// of a block, whose trailer must hold a plausible size, the signature of its offset and
    /// BID (§5.5), and the CRC of its data (ANSI and Unicode files).
    fn scan_blocks(&self, freed: &mut Freed) -> Result<()> {
        let (trailer, wide) = match self.header.format {
            Format::Ansi => (12usize, false),
            Format::Unicode => (16, true),
            Format::Unicode4k => return Ok(()),
        };
        const ALIGN: u64 = 64;
        const MAX_BLOCK: usize = 8192;
        let chunk = 4 << 20;
        let mut off = 0u64;
        while off < self.file_size() {
            // Each window starts a block's length early, so blocks across its start fit.
            let start = off.saturating_sub(MAX_BLOCK as u64);
            let len = (off + chunk).min(self.file_size()) - start;
            let buf = self.read(start, len as usize, "block scan")?;
            let mut end = off.max(ALIGN).div_ceil(ALIGN) * ALIGN;
            while end <= start + len && end < off + chunk {
                let rel = (end - start) as usize;
                if let Some(e) = trailer_at(&buf, rel, trailer, wide, start)
                    && !self.live_block(e.bid)
                {
                    freed.add_block(e);
                }
                end += ALIGN;
            }
            off += chunk;
            if freed.blocks.len() > MAX_ENTRIES {
                return Err(Error::Limit("freed-space scan too large".into()));
            }
        }
        Ok(())
    }

    /// A block the live tree does not list, from the scan: the first place whose trailer
    /// names it with its size and matches its CRC, else the first whose trailer names it
    /// (partly written over: noted in [`Freed::take_damaged`]).
    pub(super) fn freed_block(&self, freed: &Freed, bid: Bid) -> Result<BlockEntry> {
        let places = freed
            .blocks
            .get(&bid.key())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut damaged = None;
        for &e in places {
            match self.block_trailer_check(e) {
                Ok(true) => return Ok(e),
                Ok(false) => {
                    damaged.get_or_insert(e);
                }
                Err(_) => {}
            }
        }
        match damaged {
            Some(e) => {
                freed.damaged.borrow_mut().insert(bid.get());
                Ok(e)
            }
            None => Err(crate::error::corrupt(
                format!("freed block {bid}"),
                "not found, or written over since it was freed",
            )),
        }
    }

    /// Whether a block's trailer names it with its size (else an error), and whether its
    /// CRC still matches.
    fn block_trailer_check(&self, e: BlockEntry) -> Result<bool> {
        let (trailer, align) = match self.header.format {
            Format::Ansi => (12usize, 64usize),
            Format::Unicode => (16, 64),
            Format::Unicode4k => (24, 512),
        };
        let total = (e.cb as usize + trailer).div_ceil(align) * align;
        let at = format!("freed block {} at offset {}", e.bid, e.ib);
        let raw = self.read(e.ib, total, &at)?;
        let t = &raw[total - trailer..];
        let cb = u16::from_le_bytes([t[0], t[1]]);
        // ANSI: cb, wSig, bid (4), dwCRC; Unicode: cb, wSig, dwCRC, bid (8).
        let (stored_crc, stored_bid) = if self.header.format == Format::Ansi {
            (
                u32::from_le_bytes([t[8], t[9], t[10], t[11]]),
                u32::from_le_bytes([t[4], t[5], t[6], t[7]]) as u64,
            )
        } else {
            (
                u32::from_le_bytes([t[4], t[5], t[6], t[7]]),
                u64::from_le_bytes([t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15]]),
            )
        };
        if cb != e.cb || stored_bid != e.bid.get() {
            return Err(crate::error::corrupt(at, "written over since it was freed"));
        }
        Ok(crc32(&raw[..e.cb as usize]) == stored_crc)
    }
}

impl Ndb {
    /// Runs `f` with the blocks of `freed` readable where the live tree lacks them (each
    /// checked against its trailer): how deleted items are read.
    pub fn reading_freed<T>(&self, freed: &std::rc::Rc<Freed>, f: impl FnOnce() -> T) -> T {
        let before = self.freed.replace(Some(freed.clone()));
        let r = f();
        *self.freed.borrow_mut() = before;
        r
    }
}

/// The block that ends at `rel` in `buf` (which starts at file offset `base`), if its
/// trailer vouches for it.
fn trailer_at(buf: &[u8], rel: usize, trailer: usize, wide: bool, base: u64) -> Option<BlockEntry> {
    let t = buf.get(rel.checked_sub(trailer)?..rel)?;
    let cb = u16::from_le_bytes([t[0], t[1]]) as usize;
    let sig = u16::from_le_bytes([t[2], t[3]]);
    let (crc_stored, bid) = if wide {
        (
            u32::from_le_bytes([t[4], t[5], t[6], t[7]]),
            u64::from_le_bytes([t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15]]),
        )
    } else {
        (
            u32::from_le_bytes([t[8], t[9], t[10], t[11]]),
            u32::from_le_bytes([t[4], t[5], t[6], t[7]]) as u64,
        )
    };
    let total = (cb + trailer).div_ceil(64) * 64;
    let begin = rel.checked_sub(total)?;
    let ib = base + begin as u64;
    // §5.5: the signature folds the block's offset and BID into 16 bits.
    let folded = ib ^ bid;
    // The CRC is checked when the block is read: a block partly written over is still
    // found, and read with a warning.
    let _ = crc_stored;
    if bid == 0 || cb == 0 || sig != ((folded >> 16) ^ folded) as u16 {
        return None;
    }
    Some(BlockEntry {
        bid: Bid::try_from(bid).ok()?,
        ib,
        cb: cb as u16,
        cb_inflated: cb as u16,
    })
}

/// A scanned leaf page's entries.
pub(super) struct Leaf {
    pub nodes: Vec<NodeEntry>,
    pub blocks: Vec<BlockEntry>,
    /// Entries in the page's slack, past its count: removed ones, not yet written over.
    pub slack_nodes: Vec<NodeEntry>,
    pub slack_blocks: Vec<BlockEntry>,
    /// The page's BID: a newer page wins.
    pub rank: u64,
}

impl Ndb {
    /// Calls `f` with the entries of every intact leaf page at a page-aligned offset, until it
    /// returns `false`.
    pub(super) fn scan_leaf_pages(&self, mut f: impl FnMut(Leaf) -> bool) -> Result<()> {
        let size = self.header.page_size() as u64;
        let chunk = 256 * size;
        let mut off = 0u64;
        while off < self.file_size() {
            let len = chunk.min(self.file_size() - off) as usize;
            let buf = self.read(off, len, "page scan")?;
            for (i, p) in buf.chunks_exact(size as usize).enumerate() {
                let at = off + i as u64 * size;
                for tree in [Tree::Node, Tree::Block] {
                    let Some(page) = self.parse_page(p.to_vec(), tree, at) else {
                        continue;
                    };
                    if page.level != 0 {
                        continue;
                    }
                    let slots = page.slots();
                    let mut leaf = Leaf {
                        nodes: Vec::new(),
                        blocks: Vec::new(),
                        slack_nodes: Vec::new(),
                        slack_blocks: Vec::new(),
                        rank: page.bid,
                    };
                    for i in 0..slots {
                        let slack = i >= page.count;
                        match tree {
                            Tree::Node => {
                                let Ok(e) = self.node_leaf(&page, i) else {
                                    continue;
                                };
                                if slack {
                                    &mut leaf.slack_nodes
                                } else {
                                    &mut leaf.nodes
                                }
                                .push(e);
                            }
                            Tree::Block => {
                                let Ok(e) = self.block_leaf(&page, i) else {
                                    continue;
                                };
                                if slack {
                                    &mut leaf.slack_blocks
                                } else {
                                    &mut leaf.blocks
                                }
                                .push(e);
                            }
                        }
                    }
                    if !f(leaf) {
                        return Ok(());
                    }
                }
            }
            off += len as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::util::crc32;

    #[test]
    fn crc_as_ms_pst_computes_it() {
        // §5.3's CRC is the usual reflected CRC-32 without its pre- and post-inversion:
        // zlib.crc32(b"123456789", 0xFFFFFFFF) ^ 0xFFFFFFFF in Python.
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0x2DFD_2D88);
    }
}
