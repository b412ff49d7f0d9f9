//! The node database layer of a Unicode PST, written (MS-PST §2.2): the header, the
//! allocation map pages (AMap, PMap), data blocks with their trailers and CRCs, XBLOCK /
//! XXBLOCK data trees, SLBLOCK / SIBLOCK sub-node trees and the two B-trees of pages.
//!
//! The file is written front to back; each 253,952-byte region starts with its AMap page,
//! written when the region is left. Only the B-tree entries are kept in memory (32 bytes per
//! node, 24 per block) until the end.

use std::io::{Seek, SeekFrom, Write};
use unpst::pst::Encryption;

/// The first AMap page; each covers 496 × 512 bytes from its own offset.
const AMAP_BASE: u64 = 0x4400;
const REGION: u64 = 496 * 512;
/// Largest data block payload (8192 minus the 16-byte trailer).
pub const MAX_BLOCK: usize = 8176;
/// BIDs in an XBLOCK / XXBLOCK (Unicode: 8-byte BIDs after an 8-byte header).
const XB_ENTRIES: usize = (MAX_BLOCK - 8) / 8;
/// Entries in an SLBLOCK (24 bytes each) and an SIBLOCK (16 bytes each).
const SL_ENTRIES: usize = (MAX_BLOCK - 8) / 24;
const SI_ENTRIES: usize = (MAX_BLOCK - 8) / 16;

/// CRC-32 as MS-PST §5.3 computes it: the reflected 0xEDB88320 polynomial, starting at 0,
/// no final XOR.
pub fn crc(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    data.iter()
        .fold(0u32, |c, &b| t[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8))
}

/// The block signature (§5.5).
fn sig(ib: u64, bid: u64) -> u16 {
    let x = ib ^ bid;
    ((x >> 16) as u16) ^ (x as u16)
}

/// A node's leaf entry: NID, data and sub-node BIDs, parent NID.
fn nbt_entry(n: &Node) -> (u64, Vec<u8>) {
    let mut e = (n.nid as u64).to_le_bytes().to_vec();
    e.extend_from_slice(&n.bid_data.to_le_bytes());
    e.extend_from_slice(&n.bid_sub.to_le_bytes());
    e.extend_from_slice(&n.parent.to_le_bytes());
    e.extend_from_slice(&[0; 4]);
    (n.nid as u64, e)
}

/// An entry of the node B-tree.
#[derive(Clone, Copy)]
pub struct Node {
    pub nid: u32,
    pub bid_data: u64,
    pub bid_sub: u64,
    pub parent: u32,
}

/// One entry of a sub-node tree.
#[derive(Clone, Copy)]
pub struct Sub {
    pub nid: u32,
    pub bid_data: u64,
    pub bid_sub: u64,
}

pub struct Ndb<W: Write + Seek> {
    out: W,
    /// Next free offset.
    pos: u64,
    /// The region being filled and its allocation bits (1 bit per 64 bytes).
    region: u64,
    amap: Vec<u8>,
    next_bid: u64,
    crypt: Encryption,
    blocks: Vec<(u64, u64, u16)>,
    nodes: Vec<Node>,
    /// Deleted: written, then left out of the live B-trees ([`Ndb::delete_since`]).
    deleted: Vec<Node>,
}

/// Where the lists of blocks and nodes stood ([`Ndb::mark`]).
#[derive(Clone, Copy)]
pub struct Mark(usize, usize);

impl<W: Write + Seek> Ndb<W> {
    pub fn new(mut out: W, crypt: Encryption) -> std::io::Result<Self> {
        // The header and the space before the first AMap page are written at the end.
        out.write_all(&vec![0u8; AMAP_BASE as usize])?;
        let mut n = Self {
            out,
            pos: AMAP_BASE,
            region: 0,
            amap: vec![0; 496],
            next_bid: 4,
            crypt,
            blocks: Vec::new(),
            nodes: Vec::new(),
            deleted: Vec::new(),
        };
        n.open_region(0)?;
        Ok(n)
    }

    /// Starts region `i`: its AMap page (written later), and a PMap page every 8 regions.
    fn open_region(&mut self, i: u64) -> std::io::Result<()> {
        self.region = i;
        self.amap = vec![0; 496];
        let start = AMAP_BASE + i * REGION;
        self.seek_to(start)?;
        self.out.write_all(&[0u8; 512])?;
        self.pos = start + 512;
        self.mark(start, 512);
        if i.is_multiple_of(8) {
            // PMap (obsolete, all pages "allocated"), as Outlook still writes it.
            let mut page = vec![0xFFu8; 496];
            page.extend(self.trailer(0x83, 0, &[0xFF; 496], 0));
            self.out.write_all(&page)?;
            self.mark(self.pos, 512);
            self.pos += 512;
        }
        Ok(())
    }

    fn seek_to(&mut self, at: u64) -> std::io::Result<()> {
        let cur = self.out.stream_position()?;
        if cur != at {
            self.out.seek(SeekFrom::Start(at))?;
        }
        Ok(())
    }

    fn mark(&mut self, ib: u64, len: u64) {
        let start = AMAP_BASE + self.region * REGION;
        let first = (ib - start) / 64;
        let n = len.div_ceil(64);
        for slot in first..first + n {
            self.amap[(slot / 8) as usize] |= 0x80 >> (slot % 8);
        }
    }

    /// Writes the AMap page of the current region.
    fn close_region(&mut self) -> std::io::Result<()> {
        let start = AMAP_BASE + self.region * REGION;
        let mut page = self.amap.clone();
        page.extend(self.trailer(0x84, 0, &self.amap, start));
        let back = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(start))?;
        self.out.write_all(&page)?;
        self.out.seek(SeekFrom::Start(back))?;
        Ok(())
    }

    /// Reserves `len` bytes aligned to `align`, never across a region's end.
    fn alloc(&mut self, len: u64, align: u64) -> std::io::Result<u64> {
        let mut at = self.pos.div_ceil(align) * align;
        let end = AMAP_BASE + (self.region + 1) * REGION;
        if at + len > end {
            self.close_region()?;
            self.open_region(self.region + 1)?;
            at = self.pos.div_ceil(align) * align;
        }
        if at > self.pos {
            self.seek_to(self.pos)?;
            self.out.write_all(&vec![0u8; (at - self.pos) as usize])?;
        }
        self.mark(at, len);
        self.pos = at + len;
        Ok(at)
    }

    /// A page trailer: type, signature, CRC of the 496 bytes before it, BID.
    fn trailer(&self, ptype: u8, bid: u64, body: &[u8], ib: u64) -> Vec<u8> {
        let mut t = vec![ptype, ptype];
        let s = if ptype == 0x80 || ptype == 0x81 {
            sig(ib, bid)
        } else {
            0
        };
        t.extend_from_slice(&s.to_le_bytes());
        t.extend_from_slice(&crc(&body[..496]).to_le_bytes());
        t.extend_from_slice(&bid.to_le_bytes());
        t
    }

    fn new_bid(&mut self, internal: bool) -> u64 {
        let b = self.next_bid | if internal { 2 } else { 0 };
        self.next_bid += 4;
        b
    }

    /// Writes one block (external blocks are encoded); returns its BID.
    pub fn block(&mut self, data: &[u8], internal: bool) -> std::io::Result<u64> {
        assert!(data.len() <= MAX_BLOCK, "block of {} bytes", data.len());
        let bid = self.new_bid(internal);
        let total = (data.len() as u64 + 16).div_ceil(64) * 64;
        let ib = self.alloc(total, 64)?;
        let mut body = data.to_vec();
        if !internal {
            unpst::pst::ndb::crypt::encode(self.crypt, bid, &mut body);
        }
        let mut buf = body;
        buf.resize(total as usize - 16, 0);
        buf.extend_from_slice(&(data.len() as u16).to_le_bytes());
        buf.extend_from_slice(&sig(ib, bid).to_le_bytes());
        buf.extend_from_slice(&crc(&buf[..data.len()]).to_le_bytes());
        buf.extend_from_slice(&bid.to_le_bytes());
        self.seek_to(ib)?;
        self.out.write_all(&buf)?;
        self.blocks.push((bid, ib, data.len() as u16));
        Ok(bid)
    }

    /// A data tree from its leaf block BIDs and total size: the block itself, an XBLOCK or
    /// XXBLOCKs.
    pub fn tree(&mut self, leaves: Vec<u64>, total: u64) -> std::io::Result<u64> {
        if leaves.len() == 1 {
            return Ok(leaves[0]);
        }
        let xblock = |ndb: &mut Self, level: u8, bids: &[u64], size: u64| {
            let mut b = vec![0x01, level];
            b.extend_from_slice(&(bids.len() as u16).to_le_bytes());
            b.extend_from_slice(&(size as u32).to_le_bytes());
            for x in bids {
                b.extend_from_slice(&x.to_le_bytes());
            }
            ndb.block(&b, true)
        };
        if leaves.len() <= XB_ENTRIES {
            return xblock(self, 1, &leaves, total);
        }
        let mut mids = Vec::new();
        for (i, chunk) in leaves.chunks(XB_ENTRIES).enumerate() {
            let size = if (i + 1) * XB_ENTRIES >= leaves.len() {
                total - (i * XB_ENTRIES * MAX_BLOCK) as u64
            } else {
                (XB_ENTRIES * MAX_BLOCK) as u64
            };
            mids.push(xblock(self, 1, chunk, size)?);
        }
        assert!(mids.len() <= XB_ENTRIES, "data tree too large");
        xblock(self, 2, &mids, total)
    }

    /// Writes bytes as a data tree (leaves of at most 8176 bytes).
    pub fn data(&mut self, bytes: &[u8]) -> std::io::Result<u64> {
        let mut leaves = Vec::new();
        for chunk in bytes.chunks(MAX_BLOCK) {
            leaves.push(self.block(chunk, false)?);
        }
        if leaves.is_empty() {
            leaves.push(self.block(&[], false)?);
        }
        self.tree(leaves, bytes.len() as u64)
    }

    /// Writes `len` bytes produced chunk by chunk (large attachments never sit in memory).
    pub fn data_with(&mut self, len: u64, mut fill: impl FnMut(&mut [u8])) -> std::io::Result<u64> {
        let mut leaves = Vec::new();
        let mut left = len;
        let mut buf = vec![0u8; MAX_BLOCK];
        while left > 0 {
            let n = left.min(MAX_BLOCK as u64) as usize;
            fill(&mut buf[..n]);
            leaves.push(self.block(&buf[..n], false)?);
            left -= n as u64;
        }
        if leaves.is_empty() {
            leaves.push(self.block(&[], false)?);
        }
        self.tree(leaves, len)
    }

    /// A sub-node tree (SLBLOCK, or SIBLOCK over SLBLOCKs); 0 for none.
    pub fn subnodes(&mut self, mut subs: Vec<Sub>) -> std::io::Result<u64> {
        if subs.is_empty() {
            return Ok(0);
        }
        subs.sort_by_key(|s| s.nid);
        let sl = |ndb: &mut Self, entries: &[Sub]| {
            let mut b = vec![0x02, 0];
            b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
            b.extend_from_slice(&[0; 4]);
            for e in entries {
                b.extend_from_slice(&(e.nid as u64).to_le_bytes());
                b.extend_from_slice(&e.bid_data.to_le_bytes());
                b.extend_from_slice(&e.bid_sub.to_le_bytes());
            }
            ndb.block(&b, true)
        };
        if subs.len() <= SL_ENTRIES {
            return sl(self, &subs);
        }
        let mut b = vec![0x02, 1];
        let chunks: Vec<&[Sub]> = subs.chunks(SL_ENTRIES).collect();
        assert!(chunks.len() <= SI_ENTRIES, "too many sub-nodes");
        b.extend_from_slice(&(chunks.len() as u16).to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        for c in chunks {
            let bid = sl(self, c)?;
            b.extend_from_slice(&(c[0].nid as u64).to_le_bytes());
            b.extend_from_slice(&bid.to_le_bytes());
        }
        self.block(&b, true)
    }

    pub fn node(&mut self, n: Node) {
        self.nodes.push(n);
    }

    pub fn checkpoint(&self) -> Mark {
        Mark(self.blocks.len(), self.nodes.len())
    }

    /// Deletes what was written since `m` as Outlook does: the nodes and blocks leave the
    /// live B-trees, their bytes stay (blocks with intact trailers), and the nodes stay
    /// listed in a node B-tree page no tree reaches any more (written by `finish`).
    pub fn delete_since(&mut self, m: Mark) {
        self.blocks.truncate(m.0);
        let gone = self.nodes.split_off(m.1);
        self.deleted.extend(gone);
    }

    /// Writes a B-tree of 512-byte pages over sorted leaf entries; returns the root BREF.
    fn btree(
        &mut self,
        ptype: u8,
        leaf_size: usize,
        leaves: Vec<(u64, Vec<u8>)>,
    ) -> std::io::Result<(u64, u64)> {
        let mut level = 0u8;
        let mut entries = leaves;
        let mut size = leaf_size;
        loop {
            let max = 488 / size;
            let mut next = Vec::new();
            let chunks: Vec<&[(u64, Vec<u8>)]> = if entries.is_empty() {
                vec![&entries[..]]
            } else {
                entries.chunks(max).collect()
            };
            for chunk in &chunks {
                let mut page = vec![0u8; 496];
                for (i, (_, e)) in chunk.iter().enumerate() {
                    page[i * size..(i + 1) * size].copy_from_slice(e);
                }
                page[488] = chunk.len() as u8;
                page[489] = max as u8;
                page[490] = size as u8;
                page[491] = level;
                let bid = self.new_bid(false);
                let ib = self.alloc(512, 512)?;
                let t = self.trailer(ptype, bid, &page, ib);
                page.extend(t);
                self.seek_to(ib)?;
                self.out.write_all(&page)?;
                let key = chunk.first().map_or(0, |c| c.0);
                let mut e = key.to_le_bytes().to_vec();
                e.extend_from_slice(&bid.to_le_bytes());
                e.extend_from_slice(&ib.to_le_bytes());
                next.push((key, e, bid, ib));
            }
            if next.len() == 1 {
                return Ok((next[0].2, next[0].3));
            }
            entries = next.into_iter().map(|(k, e, _, _)| (k, e)).collect();
            size = 24;
            level += 1;
        }
    }

    /// Writes both B-trees, the last AMap page and the header; returns the file size.
    pub fn finish(mut self, extra_header: impl FnOnce(&mut [u8])) -> std::io::Result<u64> {
        let mut nodes = std::mem::take(&mut self.nodes);
        nodes.sort_by_key(|n| n.nid);
        let nbt_leaves = nodes.iter().map(nbt_entry).collect();
        let nbt = self.btree(0x81, 32, nbt_leaves)?;
        // The deleted nodes' last page, freed: reachable from no root.
        let mut deleted = std::mem::take(&mut self.deleted);
        deleted.sort_by_key(|n| n.nid);
        if !deleted.is_empty() {
            let stale = deleted.iter().map(nbt_entry).collect();
            self.btree(0x81, 32, stale)?;
        }
        // The block B-tree lists its own pages' neighbours, not itself: blocks only.
        let mut blocks = std::mem::take(&mut self.blocks);
        blocks.sort_by_key(|b| b.0);
        let bbt_leaves = blocks
            .iter()
            .map(|&(bid, ib, cb)| {
                let mut e = bid.to_le_bytes().to_vec();
                e.extend_from_slice(&ib.to_le_bytes());
                e.extend_from_slice(&cb.to_le_bytes());
                e.extend_from_slice(&2u16.to_le_bytes());
                e.extend_from_slice(&[0; 4]);
                (bid, e)
            })
            .collect();
        let bbt = self.btree(0x80, 24, bbt_leaves)?;
        self.close_region()?;
        let eof = self.pos;
        let amap_last = AMAP_BASE + self.region * REGION;
        let mut h = vec![0u8; 564];
        h[0..4].copy_from_slice(b"!BDN");
        h[8..10].copy_from_slice(b"SM");
        h[10..12].copy_from_slice(&23u16.to_le_bytes());
        h[12..14].copy_from_slice(&19u16.to_le_bytes());
        h[14] = 1;
        h[15] = 1;
        // bidNextP (page BIDs share the counter here), dwUnique.
        h[32..40].copy_from_slice(&self.next_bid.to_le_bytes());
        h[40..44].copy_from_slice(&1u32.to_le_bytes());
        // rgnid[32]: the next free NID index per type (generous).
        for i in 0..32 {
            let at = 44 + 4 * i;
            h[at..at + 4].copy_from_slice(&(0x40_0000u32 | i as u32).to_le_bytes());
        }
        // ROOT at 180: dwReserved, ibFileEof, ibAMapLast, cbAMapFree, cbPMapFree, BREFNBT,
        // BREFBBT, fAMapValid.
        h[184..192].copy_from_slice(&eof.to_le_bytes());
        h[192..200].copy_from_slice(&amap_last.to_le_bytes());
        h[216..224].copy_from_slice(&nbt.0.to_le_bytes());
        h[224..232].copy_from_slice(&nbt.1.to_le_bytes());
        h[232..240].copy_from_slice(&bbt.0.to_le_bytes());
        h[240..248].copy_from_slice(&bbt.1.to_le_bytes());
        h[248] = 2;
        // rgbFM / rgbFP (obsolete): 0xFF; bSentinel; bCryptMethod; bidNextB.
        for b in &mut h[256..512] {
            *b = 0xFF;
        }
        h[512] = 0x80;
        h[513] = match self.crypt {
            Encryption::None => 0,
            Encryption::Permute => 1,
            Encryption::Cyclic => 2,
        };
        h[516..524].copy_from_slice(&self.next_bid.to_le_bytes());
        extra_header(&mut h);
        let partial = crc(&h[8..479]);
        h[4..8].copy_from_slice(&partial.to_le_bytes());
        let full = crc(&h[8..524]);
        h[524..528].copy_from_slice(&full.to_le_bytes());
        self.out.seek(SeekFrom::Start(0))?;
        self.out.write_all(&h)?;
        self.out.seek(SeekFrom::Start(eof))?;
        self.out.flush()?;
        Ok(eof)
    }

    /// Bytes written so far (the file size if it ended now).
    pub fn size(&self) -> u64 {
        self.pos
    }
}
