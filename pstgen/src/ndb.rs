//! The node database layer, written (MS-PST §2.2) in any of the three layouts: ANSI (32-bit
//! ids), Unicode, and the 4K-page one of Outlook 2013+ OSTs (compressed blocks): the header,
//! the allocation map pages (AMap, PMap), data blocks with their trailers and CRCs, XBLOCK /
//! XXBLOCK data trees, SLBLOCK / SIBLOCK sub-node trees and the two B-trees of pages.
//!
//! The file is written front to back; each region starts with its AMap page, written when
//! the region is left. Only the B-tree entries are kept in memory until the end.

use std::io::{Seek, SeekFrom, Write};
use unpst::pst::{Encryption, Format};

/// The sizes of a format's structures: MS-PST §2.2.2 for ANSI and Unicode; the 4K-page
/// layout (wVer 36) as libpff's format notes and libpst's reader describe it — MS-PST has
/// none.
#[derive(Clone, Copy)]
struct Layout(Format);

impl Layout {
    /// BID, IB and B-tree key width.
    fn id(self) -> usize {
        if self.0 == Format::Ansi { 4 } else { 8 }
    }
    fn page(self) -> u64 {
        if self.0 == Format::Unicode4k {
            4096
        } else {
            512
        }
    }
    /// Where a page's trailer starts: the bytes its CRC covers.
    fn page_body(self) -> usize {
        match self.0 {
            Format::Ansi => 500,
            Format::Unicode => 496,
            Format::Unicode4k => 4072,
        }
    }
    /// A B-tree page's entry area; its counts follow.
    fn entries(self) -> usize {
        match self.0 {
            Format::Ansi => 496,
            Format::Unicode => 488,
            Format::Unicode4k => 4056,
        }
    }
    fn block_trailer(self) -> usize {
        match self.0 {
            Format::Ansi => 12,
            Format::Unicode => 16,
            // cb, wSig, dwCRC, bid, then 2 unknown bytes, the inflated size and 4 more.
            Format::Unicode4k => 24,
        }
    }
    fn block_align(self) -> u64 {
        if self.0 == Format::Unicode4k { 512 } else { 64 }
    }
    fn amap_base(self) -> u64 {
        if self.0 == Format::Unicode4k {
            0x22000
        } else {
            0x4400
        }
    }
    /// Where an AMap page's bits start, and how many bytes of bits it has.
    fn amap_bits(self) -> (usize, usize) {
        match self.0 {
            Format::Ansi => (4, 496),
            Format::Unicode => (0, 496),
            Format::Unicode4k => (0, 4072),
        }
    }
    /// Bytes one AMap bit stands for.
    fn amap_unit(self) -> u64 {
        self.block_align()
    }
    /// Bytes one AMap page covers, from its own offset.
    fn region(self) -> u64 {
        self.amap_bits().1 as u64 * 8 * self.amap_unit()
    }
}

/// Largest data block payload: 8192 bytes less the block trailer (a 4K file's blocks hold
/// the same before compression).
pub fn max_block(format: Format) -> usize {
    if format == Format::Ansi { 8180 } else { 8176 }
}

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

/// A block as the block B-tree lists it: BID, offset, stored and inflated size.
#[derive(Clone, Copy)]
struct BlockRef {
    bid: u64,
    ib: u64,
    cb: u16,
    inflated: u16,
}

pub struct Ndb<W: Write + Seek> {
    out: W,
    layout: Layout,
    /// Next free offset.
    pos: u64,
    /// The region being filled and its allocation bits (1 bit per [`Layout::amap_unit`]).
    region: u64,
    amap: Vec<u8>,
    next_bid: u64,
    crypt: Encryption,
    blocks: Vec<BlockRef>,
    nodes: Vec<Node>,
    /// Deleted: written, then left out of the live B-trees ([`Ndb::delete_since`]).
    deleted: Vec<Node>,
}

/// Where the lists of blocks and nodes stood ([`Ndb::mark`]).
#[derive(Clone, Copy)]
pub struct Mark(usize, usize);

impl<W: Write + Seek> Ndb<W> {
    pub fn new(mut out: W, crypt: Encryption, format: Format) -> std::io::Result<Self> {
        let layout = Layout(format);
        let base = layout.amap_base();
        // The header and the space before the first AMap page are written at the end.
        out.write_all(&vec![0u8; base as usize])?;
        let mut n = Self {
            out,
            layout,
            pos: base,
            region: 0,
            amap: Vec::new(),
            next_bid: 4,
            crypt,
            blocks: Vec::new(),
            nodes: Vec::new(),
            deleted: Vec::new(),
        };
        n.open_region(0)?;
        Ok(n)
    }

    pub fn format(&self) -> Format {
        self.layout.0
    }

    /// Largest data block this file's blocks hold.
    pub fn max_block(&self) -> usize {
        max_block(self.layout.0)
    }

    fn region_start(&self, i: u64) -> u64 {
        self.layout.amap_base() + i * self.layout.region()
    }

    /// Starts region `i`: its AMap page (written later), and a PMap page every 8 regions
    /// (none in a 4K file, where it has not been seen).
    fn open_region(&mut self, i: u64) -> std::io::Result<()> {
        let page = self.layout.page();
        self.region = i;
        self.amap = vec![0; self.layout.amap_bits().1];
        let start = self.region_start(i);
        self.seek_to(start)?;
        self.out.write_all(&vec![0u8; page as usize])?;
        self.pos = start + page;
        self.mark(start, page);
        if i.is_multiple_of(8) && self.layout.0 != Format::Unicode4k {
            // PMap (obsolete, all pages "allocated"), as Outlook still writes it.
            let body = vec![0xFFu8; self.layout.page_body()];
            let mut p = body.clone();
            p.extend(self.trailer(0x83, 0, &body, 0));
            self.out.write_all(&p)?;
            self.mark(self.pos, page);
            self.pos += page;
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
        let unit = self.layout.amap_unit();
        let first = (ib - self.region_start(self.region)) / unit;
        for slot in first..first + len.div_ceil(unit) {
            self.amap[(slot / 8) as usize] |= 0x80 >> (slot % 8);
        }
    }

    /// Writes the AMap page of the current region.
    fn close_region(&mut self) -> std::io::Result<()> {
        let start = self.region_start(self.region);
        let (at, _) = self.layout.amap_bits();
        let mut body = vec![0u8; at];
        body.extend_from_slice(&self.amap);
        let mut page = body.clone();
        page.extend(self.trailer(0x84, 0, &body, start));
        let back = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(start))?;
        self.out.write_all(&page)?;
        self.out.seek(SeekFrom::Start(back))?;
        Ok(())
    }

    /// Reserves `len` bytes aligned to `align`, never across a region's end.
    fn alloc(&mut self, len: u64, align: u64) -> std::io::Result<u64> {
        let mut at = self.pos.div_ceil(align) * align;
        let end = self.region_start(self.region + 1);
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

    /// An id (BID, IB, key) at the format's width.
    fn id(&self, v: u64) -> Vec<u8> {
        if self.layout.0 == Format::Ansi {
            assert!(v <= u32::MAX as u64, "{v:#x} does not fit an ANSI file");
            (v as u32).to_le_bytes().to_vec()
        } else {
            v.to_le_bytes().to_vec()
        }
    }

    /// A page trailer: type, signature, CRC of the page body before it, BID (ANSI: BID
    /// before CRC; 4K: 8 more bytes).
    fn trailer(&self, ptype: u8, bid: u64, body: &[u8], ib: u64) -> Vec<u8> {
        let mut t = vec![ptype, ptype];
        let s = if ptype == 0x80 || ptype == 0x81 {
            sig(ib, bid)
        } else {
            0
        };
        t.extend_from_slice(&s.to_le_bytes());
        let crc = crc(&body[..self.layout.page_body()]).to_le_bytes();
        if self.layout.0 == Format::Ansi {
            t.extend(self.id(bid));
            t.extend_from_slice(&crc);
        } else {
            t.extend_from_slice(&crc);
            t.extend(self.id(bid));
        }
        t.resize(self.layout.page() as usize - self.layout.page_body(), 0);
        t
    }

    fn new_bid(&mut self, internal: bool) -> u64 {
        let b = self.next_bid | if internal { 2 } else { 0 };
        self.next_bid += 4;
        b
    }

    /// Writes one block (external blocks are encoded; a 4K file's then compressed where
    /// that saves space, as libpff and libpst read them); returns its BID.
    pub fn block(&mut self, data: &[u8], internal: bool) -> std::io::Result<u64> {
        assert!(
            data.len() <= self.max_block(),
            "block of {} bytes",
            data.len()
        );
        let bid = self.new_bid(internal);
        let mut body = data.to_vec();
        if !internal {
            unpst::pst::ndb::crypt::encode(self.crypt, bid, &mut body);
        }
        if self.layout.0 == Format::Unicode4k && !internal && !body.is_empty() {
            let z = zlib(&body);
            if z.len() < body.len() {
                body = z;
            }
        }
        let cb = body.len();
        let trailer = self.layout.block_trailer();
        let align = self.layout.block_align();
        let total = (cb + trailer).div_ceil(align as usize) * align as usize;
        let ib = self.alloc(total as u64, align)?;
        let mut buf = body;
        buf.resize(total - trailer, 0);
        let crc = crc(&buf[..cb]).to_le_bytes();
        buf.extend_from_slice(&(cb as u16).to_le_bytes());
        buf.extend_from_slice(&sig(ib, bid).to_le_bytes());
        if self.layout.0 == Format::Ansi {
            buf.extend(self.id(bid));
            buf.extend_from_slice(&crc);
        } else {
            buf.extend_from_slice(&crc);
            buf.extend(self.id(bid));
        }
        if self.layout.0 == Format::Unicode4k {
            buf.extend_from_slice(&[0, 0]);
            buf.extend_from_slice(&(data.len() as u16).to_le_bytes());
            buf.extend_from_slice(&[0; 4]);
        }
        self.seek_to(ib)?;
        self.out.write_all(&buf)?;
        self.blocks.push(BlockRef {
            bid,
            ib,
            cb: cb as u16,
            inflated: data.len() as u16,
        });
        Ok(bid)
    }

    /// A data tree from its leaf block BIDs and total size: the block itself, an XBLOCK or
    /// XXBLOCKs.
    pub fn tree(&mut self, leaves: Vec<u64>, total: u64) -> std::io::Result<u64> {
        if leaves.len() == 1 {
            return Ok(leaves[0]);
        }
        let max = self.max_block();
        let per = (max - 8) / self.layout.id();
        let xblock = |ndb: &mut Self, level: u8, bids: &[u64], size: u64| {
            let mut b = vec![0x01, level];
            b.extend_from_slice(&(bids.len() as u16).to_le_bytes());
            b.extend_from_slice(&(size as u32).to_le_bytes());
            for &x in bids {
                b.extend(ndb.id(x));
            }
            ndb.block(&b, true)
        };
        if leaves.len() <= per {
            return xblock(self, 1, &leaves, total);
        }
        let mut mids = Vec::new();
        for (i, chunk) in leaves.chunks(per).enumerate() {
            let size = if (i + 1) * per >= leaves.len() {
                total - (i * per * max) as u64
            } else {
                (per * max) as u64
            };
            mids.push(xblock(self, 1, chunk, size)?);
        }
        assert!(mids.len() <= per, "data tree too large");
        xblock(self, 2, &mids, total)
    }

    /// Writes bytes as a data tree (leaves of at most [`Ndb::max_block`] bytes).
    pub fn data(&mut self, bytes: &[u8]) -> std::io::Result<u64> {
        let mut leaves = Vec::new();
        for chunk in bytes.chunks(self.max_block()) {
            leaves.push(self.block(chunk, false)?);
        }
        if leaves.is_empty() {
            leaves.push(self.block(&[], false)?);
        }
        self.tree(leaves, bytes.len() as u64)
    }

    /// Writes `len` bytes produced chunk by chunk (large attachments never sit in memory).
    pub fn data_with(&mut self, len: u64, mut fill: impl FnMut(&mut [u8])) -> std::io::Result<u64> {
        let max = self.max_block();
        let mut leaves = Vec::new();
        let mut left = len;
        let mut buf = vec![0u8; max];
        while left > 0 {
            let n = left.min(max as u64) as usize;
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
        let id = self.layout.id();
        // btype, cLevel, cEnt, then (Unicode) dwPadding.
        let head = if id == 4 { 4 } else { 8 };
        let sl_entries = (self.max_block() - head) / (3 * id);
        let si_entries = (self.max_block() - head) / (2 * id);
        let sl = |ndb: &mut Self, entries: &[Sub]| {
            let mut b = vec![0x02, 0];
            b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
            b.resize(head, 0);
            for e in entries {
                b.extend(ndb.id(e.nid as u64));
                b.extend(ndb.id(e.bid_data));
                b.extend(ndb.id(e.bid_sub));
            }
            ndb.block(&b, true)
        };
        if subs.len() <= sl_entries {
            return sl(self, &subs);
        }
        let mut b = vec![0x02, 1];
        let chunks: Vec<&[Sub]> = subs.chunks(sl_entries).collect();
        assert!(chunks.len() <= si_entries, "too many sub-nodes");
        b.extend_from_slice(&(chunks.len() as u16).to_le_bytes());
        b.resize(head, 0);
        for c in chunks {
            let bid = sl(self, c)?;
            b.extend(self.id(c[0].nid as u64));
            b.extend(self.id(bid));
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

    /// A node B-tree leaf entry: NID, data and sub-node BIDs, parent NID (Unicode: the NID
    /// widened to 8 bytes, 4 bytes of padding at the end).
    fn nbt_entry(&self, n: &Node) -> (u64, Vec<u8>) {
        let mut e = self.id(n.nid as u64);
        e.extend(self.id(n.bid_data));
        e.extend(self.id(n.bid_sub));
        e.extend_from_slice(&n.parent.to_le_bytes());
        if self.layout.id() == 8 {
            e.extend_from_slice(&[0; 4]);
        }
        (n.nid as u64, e)
    }

    /// A block B-tree leaf entry: BID, IB, cb, then cRef (Unicode: and 4 bytes of padding;
    /// 4K: the inflated size before cRef, as libpst reads it).
    fn bbt_entry(&self, b: &BlockRef) -> (u64, Vec<u8>) {
        let mut e = self.id(b.bid);
        e.extend(self.id(b.ib));
        e.extend_from_slice(&b.cb.to_le_bytes());
        if self.layout.0 == Format::Unicode4k {
            e.extend_from_slice(&b.inflated.to_le_bytes());
        }
        e.extend_from_slice(&2u16.to_le_bytes());
        e.resize(if self.layout.id() == 8 { 24 } else { 12 }, 0);
        (b.bid, e)
    }

    /// Writes a B-tree of pages over sorted leaf entries; returns the root BREF.
    fn btree(&mut self, ptype: u8, leaves: Vec<(u64, Vec<u8>)>) -> std::io::Result<(u64, u64)> {
        let (area, page_size) = (self.layout.entries(), self.layout.page());
        let mut level = 0u8;
        let mut size = leaves.first().map_or(3 * self.layout.id(), |l| l.1.len());
        let mut entries = leaves;
        loop {
            let max = area / size;
            let mut next = Vec::new();
            let chunks: Vec<&[(u64, Vec<u8>)]> = if entries.is_empty() {
                vec![&entries[..]]
            } else {
                entries.chunks(max).collect()
            };
            for chunk in &chunks {
                let mut page = vec![0u8; self.layout.page_body()];
                for (i, (_, e)) in chunk.iter().enumerate() {
                    page[i * size..(i + 1) * size].copy_from_slice(e);
                }
                // cEnt, cEntMax (a 4K page: 2 bytes each), cbEnt, cLevel.
                let mut meta = Vec::new();
                if self.layout.0 == Format::Unicode4k {
                    meta.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
                    meta.extend_from_slice(&(max as u16).to_le_bytes());
                } else {
                    meta.extend_from_slice(&[chunk.len() as u8, max as u8]);
                }
                meta.extend_from_slice(&[size as u8, level]);
                page[area..area + meta.len()].copy_from_slice(&meta);
                let bid = self.new_bid(false);
                let ib = self.alloc(page_size, page_size)?;
                let t = self.trailer(ptype, bid, &page, ib);
                page.extend(t);
                self.seek_to(ib)?;
                self.out.write_all(&page)?;
                let key = chunk.first().map_or(0, |c| c.0);
                let mut e = self.id(key);
                e.extend(self.id(bid));
                e.extend(self.id(ib));
                next.push((key, e, bid, ib));
            }
            if next.len() == 1 {
                return Ok((next[0].2, next[0].3));
            }
            entries = next.into_iter().map(|(k, e, _, _)| (k, e)).collect();
            size = 3 * self.layout.id();
            level += 1;
        }
    }

    /// Writes both B-trees, the last AMap page and the header; returns the file size.
    pub fn finish(mut self, extra_header: impl FnOnce(&mut [u8])) -> std::io::Result<u64> {
        let mut nodes = std::mem::take(&mut self.nodes);
        nodes.sort_by_key(|n| n.nid);
        let nbt_leaves = nodes.iter().map(|n| self.nbt_entry(n)).collect();
        let nbt = self.btree(0x81, nbt_leaves)?;
        // The deleted nodes' last page, freed: reachable from no root.
        let mut deleted = std::mem::take(&mut self.deleted);
        deleted.sort_by_key(|n| n.nid);
        if !deleted.is_empty() {
            let stale = deleted.iter().map(|n| self.nbt_entry(n)).collect();
            self.btree(0x81, stale)?;
        }
        // The block B-tree lists its own pages' neighbours, not itself: blocks only.
        let mut blocks = std::mem::take(&mut self.blocks);
        blocks.sort_by_key(|b| b.bid);
        let bbt_leaves = blocks.iter().map(|b| self.bbt_entry(b)).collect();
        let bbt = self.btree(0x80, bbt_leaves)?;
        self.close_region()?;
        let eof = self.pos;
        let amap_last = self.region_start(self.region);
        let mut h = match self.layout.0 {
            Format::Ansi => self.ansi_header(eof, amap_last, nbt, bbt),
            f => self.unicode_header(f, eof, amap_last, nbt, bbt),
        };
        extra_header(&mut h);
        let partial = crc(&h[8..479]);
        h[4..8].copy_from_slice(&partial.to_le_bytes());
        if self.layout.0 != Format::Ansi {
            let full = crc(&h[8..524]);
            h[524..528].copy_from_slice(&full.to_le_bytes());
        }
        self.out.seek(SeekFrom::Start(0))?;
        self.out.write_all(&h)?;
        self.out.seek(SeekFrom::Start(eof))?;
        self.out.flush()?;
        Ok(eof)
    }

    fn crypt_method(&self) -> u8 {
        match self.crypt {
            Encryption::None => 0,
            Encryption::Permute => 1,
            Encryption::Cyclic => 2,
        }
    }

    /// The first bytes every header shares: magic, client "SM", wVer, wVerClient, platforms.
    fn header_start(&self, len: usize, version: u16) -> Vec<u8> {
        let mut h = vec![0u8; len];
        h[0..4].copy_from_slice(b"!BDN");
        h[8..10].copy_from_slice(b"SM");
        h[10..12].copy_from_slice(&version.to_le_bytes());
        h[12..14].copy_from_slice(&19u16.to_le_bytes());
        h[14] = 1;
        h[15] = 1;
        h
    }

    /// The Unicode (and 4K) header (§2.2.2.6).
    fn unicode_header(
        &self,
        format: Format,
        eof: u64,
        amap_last: u64,
        nbt: (u64, u64),
        bbt: (u64, u64),
    ) -> Vec<u8> {
        let mut h = self.header_start(564, if format == Format::Unicode4k { 36 } else { 23 });
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
        h[256..512].fill(0xFF);
        h[512] = 0x80;
        h[513] = self.crypt_method();
        h[516..524].copy_from_slice(&self.next_bid.to_le_bytes());
        h
    }

    /// The ANSI header (§2.2.2.6): the same fields in 32 bits, ROOT at 164.
    fn ansi_header(&self, eof: u64, amap_last: u64, nbt: (u64, u64), bbt: (u64, u64)) -> Vec<u8> {
        let mut h = self.header_start(512, 14);
        // bidNextB, bidNextP, dwUnique.
        h[24..28].copy_from_slice(&self.id(self.next_bid));
        h[28..32].copy_from_slice(&self.id(self.next_bid));
        h[32..36].copy_from_slice(&1u32.to_le_bytes());
        for i in 0..32 {
            let at = 36 + 4 * i;
            h[at..at + 4].copy_from_slice(&(0x40_0000u32 | i as u32).to_le_bytes());
        }
        h[168..172].copy_from_slice(&self.id(eof));
        h[172..176].copy_from_slice(&self.id(amap_last));
        h[184..188].copy_from_slice(&self.id(nbt.0));
        h[188..192].copy_from_slice(&self.id(nbt.1));
        h[192..196].copy_from_slice(&self.id(bbt.0));
        h[196..200].copy_from_slice(&self.id(bbt.1));
        h[200] = 2;
        h[204..460].fill(0xFF);
        h[460] = 0x80;
        h[461] = self.crypt_method();
        h
    }

    /// Bytes written so far (the file size if it ended now).
    pub fn size(&self) -> u64 {
        self.pos
    }
}

/// zlib-wrapped DEFLATE, as a 4K file's compressed blocks hold (libpst inflates them with
/// zlib's `uncompress`).
fn zlib(data: &[u8]) -> Vec<u8> {
    use flate2::write::ZlibEncoder;
    let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).expect("writing to memory");
    z.finish().expect("writing to memory")
}
