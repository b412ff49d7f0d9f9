//! The node and block B-trees (MS-PST §2.2.2.7.7): BTPAGE, BTENTRY, NBTENTRY, BBTENTRY.
//!
//! A child page must sit exactly one level below its parent, so descents end after at most
//! `MAX_LEVELS` pages even when a corrupt page points back at an ancestor.

use super::header::{Bref, Format};
use super::{BlockEntry, Ndb, NodeEntry};
use crate::error::{Error, Result, corrupt};
use crate::pst::bytes::{u8_at, u16_at, u32_at, u64_at};

const MAX_LEVELS: u8 = 16;
const PTYPE_BBT: u8 = 0x80;
const PTYPE_NBT: u8 = 0x81;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tree {
    Node,
    Block,
}

/// One parsed B-tree page.
struct Page {
    data: Vec<u8>,
    count: usize,
    entry_size: usize,
    level: u8,
}

impl Ndb {
    fn read_page(&self, r: Bref, tree: Tree) -> Result<Page> {
        let size = self.header.page_size();
        let at = format!("{tree:?} B-tree page at offset {}", r.ib);
        let data = self.read(r.ib, size, &at)?;
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
        Ok(Page {
            data,
            count,
            entry_size,
            level,
        })
    }

    fn id_at(&self, buf: &[u8], off: usize, at: &str) -> Result<u64> {
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

    fn node_leaf(&self, page: &Page, i: usize) -> Result<NodeEntry> {
        let id = self.header.id_size();
        let off = i * page.entry_size;
        let at = "node B-tree entry";
        Ok(NodeEntry {
            nid: self.id_at(&page.data, off, at)? as u32,
            bid_data: self.id_at(&page.data, off + id, at)?,
            bid_sub: self.id_at(&page.data, off + 2 * id, at)?,
            nid_parent: u32_at(&page.data, off + 3 * id, at)?,
        })
    }

    fn block_leaf(&self, page: &Page, i: usize) -> Result<BlockEntry> {
        let id = self.header.id_size();
        let off = i * page.entry_size;
        let at = "block B-tree entry";
        let cb = u16_at(&page.data, off + 2 * id, at)?;
        let cb_inflated = match self.header.format {
            Format::Unicode4k => u16_at(&page.data, off + 2 * id + 2, at)?,
            _ => cb,
        };
        Ok(BlockEntry {
            bid: self.id_at(&page.data, off, at)?,
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
    pub fn find_node(&self, nid: u32) -> Result<NodeEntry> {
        if let Some(page) = self.descend(Tree::Node, nid as u64)? {
            for i in 0..page.count {
                let e = self.node_leaf(&page, i)?;
                if e.nid == nid {
                    return Ok(e);
                }
            }
        }
        Err(Error::NodeNotFound(nid))
    }

    /// Looks a block up in the block B-tree (the reserved low bit of the BID is ignored).
    pub fn find_block(&self, bid: u64) -> Result<BlockEntry> {
        let key = bid & !1;
        if let Some(page) = self.descend(Tree::Block, key)? {
            for i in 0..page.count {
                let e = self.block_leaf(&page, i)?;
                if e.bid & !1 == key {
                    return Ok(e);
                }
            }
        }
        Err(Error::BlockNotFound(bid))
    }

    /// Visits the entries of the node B-tree in key order until `f` returns `false`
    /// (iterative, level-checked).
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
                    if !f(self.node_leaf(&page, i)?) {
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
