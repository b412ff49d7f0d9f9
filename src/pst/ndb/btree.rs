//! The node and block B-trees (MS-PST §2.2.2.7.7): BTPAGE, BTENTRY, NBTENTRY, BBTENTRY.
//!
//! A child page must sit exactly one level below its parent, so descents end after at most
//! `MAX_LEVELS` pages even when a corrupt page points back at an ancestor.
//!
//! Recovery: when a descent meets a damaged page, the lookup falls back to an index built
//! once from every intact page reachable from the root plus every leaf page found by scanning
//! the file's page-aligned offsets (as Outlook's own repair tool does), so items outside the
//! damaged subtree — and those whose leaf pages survive — are still found.

use super::header::{Bref, Format};
use super::{Bid, BlockEntry, Ndb, Nid, NodeEntry};
use crate::error::{Error, Result, corrupt};
use crate::pst::bytes::{u8_at, u16_at, u32_at, u64_at};
use std::collections::HashMap;
use std::rc::Rc;

/// Entries a recovery index may hold (≈ 0.5 GiB): beyond that the file is given up on.
const MAX_RECOVERED: usize = 16 << 20;

/// Node and block entries recovered from a damaged file.
#[derive(Default)]
pub struct Recovered {
    pub nodes: HashMap<Nid, NodeEntry>,
    /// By [`Bid::key`].
    pub blocks: HashMap<u64, BlockEntry>,
    pub damaged: usize,
    /// For scanned entries: the BID of the page they came from (`u64::MAX` = live tree).
    node_src: HashMap<Nid, u64>,
    block_src: HashMap<u64, u64>,
}

impl Recovered {
    /// Adds a leaf page's entries. Entries from the live tree (`rank` = `u64::MAX`) win;
    /// among scanned pages, the newer page (higher page BID) wins: freed pages linger in a
    /// PST with stale entries.
    fn add_leaf(&mut self, ndb: &Ndb, tree: Tree, page: &Page, rank: u64) {
        match tree {
            Tree::Node => {
                let nodes = (0..page.count).filter_map(|i| ndb.node_leaf(page, i).ok());
                self.add_nodes(nodes.collect(), rank);
            }
            Tree::Block => {
                let blocks = (0..page.count).filter_map(|i| ndb.block_leaf(page, i).ok());
                self.add_blocks(blocks.collect(), rank);
            }
        }
    }

    fn add_nodes(&mut self, nodes: Vec<NodeEntry>, rank: u64) {
        for e in nodes {
            if self.node_src.get(&e.nid).is_none_or(|&r| r < rank) {
                self.nodes.insert(e.nid, e);
                self.node_src.insert(e.nid, rank);
            }
        }
    }

    fn add_blocks(&mut self, blocks: Vec<BlockEntry>, rank: u64) {
        for e in blocks {
            let k = e.bid.key();
            if self.block_src.get(&k).is_none_or(|&r| r < rank) {
                self.blocks.insert(k, e);
                self.block_src.insert(k, rank);
            }
        }
    }
}

const MAX_LEVELS: u8 = 16;
const PTYPE_BBT: u8 = 0x80;
const PTYPE_NBT: u8 = 0x81;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Tree {
    Node,
    Block,
}

/// One parsed B-tree page.
pub(super) struct Page {
    data: Vec<u8>,
    pub(super) count: usize,
    entry_size: usize,
    pub(super) level: u8,
    /// The page's own BID from its trailer: newer pages have higher ones.
    pub(super) bid: u64,
}

impl Page {
    /// Entry slots the page has room for (its count and the slack past it).
    pub(super) fn slots(&self) -> usize {
        let area = self.data.len().saturating_sub(24).min(4056);
        (area / self.entry_size.max(1)).max(self.count)
    }
}

impl Ndb {
    /// A page found by scanning, if it looks like an intact page of `tree`.
    pub(super) fn parse_page(&self, data: Vec<u8>, tree: Tree, ib: u64) -> Option<Page> {
        let (ptype_off, _) = self.trailer_offsets();
        let want = match tree {
            Tree::Node => PTYPE_NBT,
            Tree::Block => PTYPE_BBT,
        };
        // ptype and its repeat must both match: random data rarely does.
        if data.get(ptype_off) != Some(&want) || data.get(ptype_off + 1) != Some(&want) {
            return None;
        }
        self.check_page(data, tree, ib).ok()
    }

    fn trailer_offsets(&self) -> (usize, usize) {
        match self.header.format {
            Format::Ansi => (500, 496),
            Format::Unicode => (496, 488),
            Format::Unicode4k => (4072, 4056),
        }
    }

    fn read_page(&self, r: Bref, tree: Tree) -> Result<Page> {
        let size = self.header.page_size();
        let at = format_args!("{tree:?} B-tree page at offset {}", r.ib);
        let data = self.read(r.ib, size, &at)?;
        self.check_page(data, tree, r.ib)
    }

    fn check_page(&self, data: Vec<u8>, tree: Tree, ib: u64) -> Result<Page> {
        let at = format_args!("{tree:?} B-tree page at offset {ib}");
        let (meta, ptype_off, area, wide_count) = match self.header.format {
            Format::Ansi => (496, 500, 496, false),
            Format::Unicode => (488, 496, 488, false),
            Format::Unicode4k => (4056, 4072, 4056, true),
        };
        let ptype = u8_at(&data, ptype_off, &at)?;
        let want = match tree {
            Tree::Node => PTYPE_NBT,
            Tree::Block => PTYPE_BBT,
        };
        if ptype != want {
            return Err(corrupt(
                at,
                format!("page type {ptype:#x}, expected {want:#x}"),
            ));
        }
        let (count, entry_size, level) = if wide_count {
            (
                u16_at(&data, meta, &at)? as usize,
                u8_at(&data, meta + 4, &at)? as usize,
                u8_at(&data, meta + 5, &at)?,
            )
        } else {
            (
                u8_at(&data, meta, &at)? as usize,
                u8_at(&data, meta + 2, &at)? as usize,
                u8_at(&data, meta + 3, &at)?,
            )
        };
        let id = self.header.id_size();
        let min_entry = if level > 0 {
            3 * id
        } else {
            match tree {
                Tree::Node => 3 * id + 4,
                Tree::Block => 2 * id + 4,
            }
        };
        if entry_size < min_entry || count * entry_size > area {
            return Err(corrupt(
                at,
                format!("{count} entries of {entry_size} bytes do not fit the page"),
            ));
        }
        let bid = match self.header.format {
            Format::Ansi => u32_at(&data, 504, &at)? as u64,
            Format::Unicode => u64_at(&data, 504, &at)?,
            Format::Unicode4k => u64_at(&data, 4080, &at)?,
        };
        Ok(Page {
            data,
            count,
            entry_size,
            level,
            bid,
        })
    }

    fn id_at(&self, buf: &[u8], off: usize, at: &(impl std::fmt::Display + ?Sized)) -> Result<u64> {
        match self.header.format {
            Format::Ansi => Ok(u32_at(buf, off, at)? as u64),
            _ => u64_at(buf, off, at),
        }
    }

    fn branch(&self, page: &Page, i: usize) -> Result<(u64, Bref)> {
        let id = self.header.id_size();
        let off = i * page.entry_size;
        let at = "B-tree branch entry";
        Ok((
            self.id_at(&page.data, off, at)?,
            Bref {
                bid: self.id_at(&page.data, off + id, at)?,
                ib: self.id_at(&page.data, off + 2 * id, at)?,
            },
        ))
    }

    /// The raw NID of a node entry: 4 bytes, widened to the id size in Unicode files
    /// (§2.2.2.7.7.4).
    fn node_key(&self, page: &Page, i: usize) -> Result<u32> {
        Ok(self.id_at(&page.data, i * page.entry_size, "node B-tree entry")? as u32)
    }

    /// A node entry; one whose NID has a type no reader looks up is an error.
    pub(super) fn node_leaf(&self, page: &Page, i: usize) -> Result<NodeEntry> {
        let id = self.header.id_size();
        let off = i * page.entry_size;
        let at = "node B-tree entry";
        Ok(NodeEntry {
            nid: Nid::try_from(self.node_key(page, i)?).map_err(|e| corrupt(at, e.to_string()))?,
            bid_data: Bid::optional(self.id_at(&page.data, off + id, at)?),
            bid_sub: Bid::optional(self.id_at(&page.data, off + 2 * id, at)?),
            nid_parent: u32_at(&page.data, off + 3 * id, at)?,
        })
    }

    pub(super) fn block_leaf(&self, page: &Page, i: usize) -> Result<BlockEntry> {
        let id = self.header.id_size();
        let off = i * page.entry_size;
        let at = "block B-tree entry";
        let cb = u16_at(&page.data, off + 2 * id, at)?;
        let cb_inflated = match self.header.format {
            Format::Unicode4k => u16_at(&page.data, off + 2 * id + 2, at)?,
            _ => cb,
        };
        Ok(BlockEntry {
            bid: Bid::try_from(self.id_at(&page.data, off, at)?)
                .map_err(|e| corrupt(at, e.to_string()))?,
            ib: self.id_at(&page.data, off + id, at)?,
            cb,
            cb_inflated,
        })
    }

    /// Descends from the root to the leaf page that may hold `key`.
    fn descend(&self, tree: Tree, key: u64) -> Result<Option<Page>> {
        let mut r = match tree {
            Tree::Node => self.header.nbt,
            Tree::Block => self.header.bbt,
        };
        let mut expect: Option<u8> = None;
        loop {
            let page = self.read_page(r, tree)?;
            if let Some(l) = expect
                && page.level != l
            {
                return Err(corrupt(
                    format!("{tree:?} B-tree page at offset {}", r.ib),
                    format!("level {} where {l} was expected (a cycle?)", page.level),
                ));
            }
            if page.level > MAX_LEVELS {
                return Err(corrupt(
                    "B-tree",
                    format!("level {} is too deep", page.level),
                ));
            }
            if page.level == 0 {
                return Ok(Some(page));
            }
            let mut next = None;
            for i in 0..page.count {
                let (k, child) = self.branch(&page, i)?;
                if k > key {
                    break;
                }
                next = Some(child);
            }
            match next {
                Some(child) => r = child,
                None => return Ok(None),
            }
            expect = Some(page.level - 1);
        }
    }

    /// Looks a node up in the node B-tree.
    pub fn find_node(&self, nid: Nid) -> Result<NodeEntry> {
        match self.descend(Tree::Node, nid.get() as u64) {
            Ok(Some(page)) => {
                for i in 0..page.count {
                    if self.node_key(&page, i)? == nid.get() {
                        return self.node_leaf(&page, i);
                    }
                }
                Err(Error::NodeNotFound(nid.get()))
            }
            Ok(None) => Err(Error::NodeNotFound(nid.get())),
            Err(Error::Corrupt { .. }) => self
                .recovered()?
                .nodes
                .get(&nid)
                .copied()
                .ok_or(Error::NodeNotFound(nid.get())),
            Err(e) => Err(e),
        }
    }

    /// Looks a block up in the block B-tree (the reserved low bit of the BID is ignored).
    pub fn find_block(&self, bid: Bid) -> Result<BlockEntry> {
        let key = bid.key();
        if let Some(e) = self.blocks.borrow().get(&key) {
            return Ok(*e);
        }
        let page = match self.descend(Tree::Block, key) {
            Ok(p) => p,
            Err(Error::Corrupt { .. }) => return self.recovered_block(bid),
            Err(e) => return Err(e),
        };
        if let Some(page) = page
            && let Some(e) = self.leaf_block(&page, key)?
        {
            return Ok(e);
        }
        // Reading what was deleted: the blocks freed with it.
        if let Some(f) = self.freed.borrow().as_ref() {
            return self.freed_block(f, bid);
        }
        // A block a node refers to is always in an intact B-tree: its absence is damage.
        self.recovered_block(bid)
    }

    /// Whether the live block B-tree lists `bid` — looked up without falling back to a
    /// recovery index (a block that is not there is no damage here).
    pub(super) fn live_block(&self, bid: Bid) -> bool {
        let key = bid.key();
        if self.blocks.borrow().contains_key(&key) {
            return true;
        }
        match self.descend(Tree::Block, key) {
            Ok(Some(page)) => matches!(self.leaf_block(&page, key), Ok(Some(_))),
            _ => false,
        }
    }

    /// The entry for `key` in a block B-tree leaf page, if it has one. The whole page is
    /// remembered: neighbouring blocks are usually read next.
    fn leaf_block(&self, page: &Page, key: u64) -> Result<Option<BlockEntry>> {
        let mut found = None;
        let mut cache = self.blocks.borrow_mut();
        if cache.len() + page.count > super::BLOCK_ENTRY_CACHE {
            cache.clear();
        }
        for i in 0..page.count {
            let e = self.block_leaf(page, i)?;
            cache.insert(e.bid.key(), e);
            if e.bid.key() == key {
                found = Some(e);
            }
        }
        Ok(found)
    }

    fn recovered_block(&self, bid: Bid) -> Result<BlockEntry> {
        self.recovered()?
            .blocks
            .get(&bid.key())
            .copied()
            .ok_or(Error::BlockNotFound(bid.get()))
    }

    /// The recovery index, built on first need.
    fn recovered(&self) -> Result<Rc<Recovered>> {
        if let Some(r) = self.recovered.borrow().as_ref() {
            return Ok(r.clone());
        }
        let r = Rc::new(self.recover()?);
        self.problems.borrow_mut().push(format!(
            "damaged B-tree pages: lookups fall back to a recovery index of {} nodes and {} blocks ({} damaged pages skipped)",
            r.nodes.len(),
            r.blocks.len(),
            r.damaged
        ));
        *self.recovered.borrow_mut() = Some(r.clone());
        Ok(r)
    }

    fn recover(&self) -> Result<Recovered> {
        let mut rec = Recovered::default();
        // 1. Everything reachable through intact pages.
        for tree in [Tree::Node, Tree::Block] {
            let root = match tree {
                Tree::Node => self.header.nbt,
                Tree::Block => self.header.bbt,
            };
            let mut stack: Vec<(Bref, Option<u8>)> = vec![(root, None)];
            let mut pages = 0u64;
            let max_pages = self.file_size() / self.header.page_size() as u64 + 1;
            while let Some((r, expect)) = stack.pop() {
                pages += 1;
                if pages > max_pages {
                    break;
                }
                let page = match self.read_page(r, tree) {
                    Ok(p) if expect.is_none_or(|l| l == p.level) && p.level <= MAX_LEVELS => p,
                    _ => {
                        rec.damaged += 1;
                        continue;
                    }
                };
                if page.level == 0 {
                    rec.add_leaf(self, tree, &page, u64::MAX);
                } else {
                    for i in 0..page.count {
                        if let Ok((_, child)) = self.branch(&page, i) {
                            stack.push((child, Some(page.level - 1)));
                        }
                    }
                }
            }
        }
        // 2. Leaf pages the damaged branches no longer reach: scan page-aligned offsets.
        let mut full = false;
        self.scan_leaf_pages(|leaf| {
            rec.add_nodes(leaf.nodes, leaf.rank);
            rec.add_blocks(leaf.blocks, leaf.rank);
            full = rec.nodes.len() + rec.blocks.len() > MAX_RECOVERED;
            !full
        })?;
        if full {
            return Err(Error::Limit("recovery index too large".into()));
        }
        Ok(rec)
    }

    /// Visits the entries of the node B-tree in key order until `f` returns `false`
    /// (iterative, level-checked). Entries whose NID has a type no reader looks up (Outlook
    /// writes some: aspose-Outlook has nodes of types 0x16–0x18) are passed over.
    pub fn walk_nodes(&self, mut f: impl FnMut(NodeEntry) -> bool) -> Result<()> {
        let mut stack: Vec<(Bref, Option<u8>)> = vec![(self.header.nbt, None)];
        let mut pages = 0usize;
        while let Some((r, expect)) = stack.pop() {
            pages += 1;
            // A file of N bytes cannot hold more than N / page distinct pages.
            if pages as u64 > self.file_size() / self.header.page_size() as u64 + 1 {
                return Err(corrupt("node B-tree", "more pages than the file can hold"));
            }
            let page = self.read_page(r, Tree::Node)?;
            if expect.is_some_and(|l| l != page.level) || page.level > MAX_LEVELS {
                return Err(corrupt(
                    format!("node B-tree page at offset {}", r.ib),
                    format!("unexpected level {}", page.level),
                ));
            }
            if page.level == 0 {
                for i in 0..page.count {
                    if let Ok(e) = self.node_leaf(&page, i)
                        && !f(e)
                    {
                        return Ok(());
                    }
                }
            } else {
                for i in (0..page.count).rev() {
                    let (_, child) = self.branch(&page, i)?;
                    stack.push((child, Some(page.level - 1)));
                }
            }
        }
        Ok(())
    }
}
