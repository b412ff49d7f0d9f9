//! NDB layer (MS-PST §2.2): header, node and block B-trees, blocks, data trees,
//! sub-node trees and block encodings.
//!
//! Every structure read from the file is bounds-checked; B-tree descents check that the
//! level strictly decreases (so a page pointing back at an ancestor is an error, not a loop),
//! and data and sub-node trees have fixed depth limits.

pub mod block;
pub mod btree;
pub mod crypt;
mod crypt_table;
pub mod header;
pub mod subnode;

use crate::error::{Error, Result};
use crate::source::{ByteSource, ChunkCache};
use header::Header;
use std::cell::RefCell;

/// Chunk size and count of the default read cache: 256 KiB × 64 = 16 MiB at most.
pub const DEFAULT_CHUNK: usize = 256 * 1024;
pub const DEFAULT_CHUNKS: usize = 64;

/// A node's entry in the node B-tree (NBTENTRY, §2.2.2.7.7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeEntry {
    pub nid: u32,
    pub bid_data: u64,
    pub bid_sub: u64,
    pub nid_parent: u32,
}

/// A block's entry in the block B-tree (BBTENTRY, §2.2.2.7.7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockEntry {
    pub bid: u64,
    pub ib: u64,
    /// Stored size.
    pub cb: u16,
    /// Size after inflation (Unicode 4K files; equals `cb` elsewhere).
    pub cb_inflated: u16,
}

/// The node database of one open file.
pub struct Ndb {
    src: RefCell<ChunkCache<Box<dyn ByteSource>>>,
    pub header: Header,
    /// Recently looked-up block entries: every block read starts with a B-tree descent.
    blocks: RefCell<std::collections::HashMap<u64, BlockEntry>>,
    /// Built once when a B-tree turns out damaged (see [`btree`]'s recovery).
    recovered: RefCell<Option<std::rc::Rc<btree::Recovered>>>,
    /// Damage found and worked around, for the report.
    pub problems: RefCell<Vec<String>>,
}

/// Block entries remembered at most (≈ 2 MiB); the map is simply emptied when full.
const BLOCK_ENTRY_CACHE: usize = 65_536;

impl Ndb {
    pub fn open(src: Box<dyn ByteSource>) -> Result<Self> {
        Self::open_with_cache(src, DEFAULT_CHUNK, DEFAULT_CHUNKS)
    }

    pub fn open_with_cache(src: Box<dyn ByteSource>, chunk: usize, chunks: usize) -> Result<Self> {
        let mut cache = ChunkCache::new(src, chunk, chunks);
        let size = cache.size();
        let mut head = vec![0u8; 564.min(size as usize)];
        cache.read_at(0, &mut head)?;
        let header = Header::parse(&head, size)?;
        Ok(Self {
            src: RefCell::new(cache),
            header,
            blocks: RefCell::default(),
            recovered: RefCell::default(),
            problems: RefCell::default(),
        })
    }

    pub fn file_size(&self) -> u64 {
        self.src.borrow().size()
    }

    /// Reads `len` bytes at `offset`; past-the-end is a corruption error naming `what`.
    pub fn read(&self, offset: u64, len: usize, what: &str) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        self.src
            .borrow_mut()
            .read_at(offset, &mut buf)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    crate::error::corrupt(what, format!("file truncated: {e}"))
                }
                _ => Error::Io(e),
            })?;
        Ok(buf)
    }

    /// The messages (or other nodes) `nids` will be read next, in this order: tells the source
    /// where their data and sub-node blocks lie, so a slow one can fetch them ahead. Lookups
    /// that fail are left out (reading the node reports them).
    pub fn hint_nodes(&self, nids: &[u32]) {
        if !self.src.borrow().wants_hints() {
            return;
        }
        let mut offsets = Vec::with_capacity(nids.len() * 2);
        for &nid in nids {
            let Ok(node) = self.find_node(nid) else {
                continue;
            };
            for bid in [node.bid_data, node.bid_sub] {
                if bid != 0
                    && let Ok(b) = self.find_block(bid)
                {
                    offsets.push(b.ib);
                }
            }
        }
        self.src.borrow_mut().hint(&offsets);
    }

    /// The second level of [`Ndb::hint_nodes`], for a node about to be read: the blocks its
    /// data tree and sub-node tree point at (its first-level blocks were hinted before and
    /// are read from the cache or the read-ahead here). Only a hint: failures are ignored.
    pub fn hint_children(&self, nid: u32) {
        if !self.src.borrow().wants_hints() {
            return;
        }
        let Ok(node) = self.find_node(nid) else {
            return;
        };
        let mut bids = Vec::new();
        if block::is_internal(node.bid_data)
            && let Ok(leaves) = self.data_leaves(node.bid_data)
        {
            bids.extend(leaves);
        }
        if let Ok(subs) = self.read_subnodes(node.bid_sub) {
            for e in subs.0.values() {
                bids.push(e.bid_data);
                bids.push(e.bid_sub);
            }
        }
        let offsets: Vec<u64> = bids
            .into_iter()
            .filter(|&b| b != 0)
            .filter_map(|b| self.find_block(b).ok().map(|e| e.ib))
            .collect();
        self.src.borrow_mut().hint(&offsets);
    }

    /// How many reads reached the underlying source so far.
    pub fn source_reads(&self) -> u64 {
        self.src.borrow().source_reads
    }
}
