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
pub mod freed;
pub mod header;
pub mod id;
pub mod subnode;

use crate::error::{Error, Result};
use crate::source::{ByteSource, ChunkCache};
use header::Header;
pub use id::{Bid, Nid, NidType};
use std::cell::RefCell;

/// Chunk size and count of the default read cache: 64 KiB × 256 = 16 MiB at most. A
/// folder's messages lie scattered over the file, so most of a larger chunk is read for
/// nothing: 256 KiB chunks copied 4.5 GB out of the page cache for a 1 GB file, and a
/// conversion took a quarter longer (docs/benchmarks.md).
pub const DEFAULT_CHUNK: usize = 64 * 1024;
pub const DEFAULT_CHUNKS: usize = 256;

/// A node's entry in the node B-tree (NBTENTRY, §2.2.2.7.7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeEntry {
    pub nid: Nid,
    /// `None` where the file says 0: such a node reads as empty.
    pub bid_data: Option<Bid>,
    /// `None`: the node has no sub-nodes.
    pub bid_sub: Option<Bid>,
    /// The parent folder's raw NID (0: none).
    pub nid_parent: u32,
}

/// A block's entry in the block B-tree (BBTENTRY, §2.2.2.7.7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockEntry {
    pub bid: Bid,
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
    /// Recently looked-up block entries by [`Bid::key`]: every block read starts with a B-tree
    /// descent.
    blocks: RefCell<std::collections::HashMap<u64, BlockEntry>>,
    /// Built once when a B-tree turns out damaged (see [`btree`]'s recovery).
    recovered: RefCell<Option<std::rc::Rc<btree::Recovered>>>,
    /// Damage found and worked around, for the report.
    pub problems: RefCell<Vec<String>>,
    /// While deleted items are read: the freed blocks they may need ([`freed`]).
    freed: RefCell<Option<std::rc::Rc<freed::Freed>>>,
}

/// Steps of [`Ndb::read_ahead`]: the levels a message's blocks lie in, and one to take in the
/// last. An attachment's data is four levels down: the message's sub-node tree, the
/// attachment's own sub-node tree, the data tree (XBLOCK) of its binary, that tree's blocks.
pub const READ_AHEAD_STEPS: u32 = 5;
/// Chunks hinted at most per step of [`Ndb::read_ahead`] (the page reads ahead into 64 slots).
pub const READ_AHEAD_CHUNKS: usize = 48;
/// Blocks looked at per level of [`Ndb::read_ahead`]: a hostile file whose sub-node trees all
/// list the same huge tree must not make the levels multiply.
const READ_AHEAD_BLOCKS: usize = 4096;

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
            freed: RefCell::default(),
        })
    }

    pub fn file_size(&self) -> u64 {
        self.src.borrow().size()
    }

    /// Reads `len` bytes at `offset`; past-the-end is a corruption error naming `what`.
    pub fn read(
        &self,
        offset: u64,
        len: usize,
        what: &(impl std::fmt::Display + ?Sized),
    ) -> Result<Vec<u8>> {
        self.src
            .borrow_mut()
            .read_vec(offset, len)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    crate::error::corrupt(what, format!("file truncated: {e}"))
                }
                _ => Error::Io(e),
            })
    }

    /// The messages (or other nodes) `nids` will be read next, in this order: tells the source
    /// where their data and sub-node blocks lie, so a slow one can fetch them ahead. Lookups
    /// that fail are left out (reading the node reports them).
    pub fn hint_nodes(&self, nids: &[Nid]) {
        if !self.src.borrow().wants_hints() {
            return;
        }
        let offsets = self.block_offsets(&self.roots(nids));
        self.src.borrow_mut().hint(&offsets);
    }

    /// The second level of [`Ndb::hint_nodes`], for a node about to be read: the blocks its
    /// data tree and sub-node tree point at (its first-level blocks were hinted before and
    /// are read from the cache or the read-ahead here). Only a hint: failures are ignored.
    pub fn hint_children(&self, nid: Nid) {
        if !self.src.borrow().wants_hints() {
            return;
        }
        let offsets = self.block_offsets(&self.next_level(&self.roots(&[nid]), false));
        self.src.borrow_mut().hint(&offsets);
    }

    /// Announces where these blocks lie (an attachment's, about to be read one after another)
    /// to a source that reads ahead; nothing for any other.
    pub fn hint_blocks(&self, bids: &[Bid]) {
        if !self.src.borrow().wants_hints() {
            return;
        }
        let offsets: Vec<u64> = bids
            .iter()
            .filter_map(|&b| self.find_block(b).ok().map(|e| e.ib))
            .collect();
        self.src.borrow_mut().hint(&offsets);
    }

    /// Reads ahead what opening any of `nids` (messages, in this order) will read — their
    /// blocks, the sub-nodes those list (recipients, attachments), and what those point at —
    /// in steps meant to be a turn apart, so the source fetches each level in the background:
    /// step 0 hints the nodes' own blocks; each later step takes the last level's blocks into
    /// the cache and hints the next; step [`READ_AHEAD_STEPS`]` - 1` only takes. At most
    /// [`READ_AHEAD_CHUNKS`] chunks are hinted per step; what is left over is read when the
    /// message is opened. Failures are ignored (opening the message reports them).
    pub fn read_ahead(&self, nids: &[Nid], step: u32) {
        if !self.src.borrow().wants_hints() {
            return;
        }
        let mut level = self.roots(nids);
        let last = READ_AHEAD_STEPS - 1;
        for _ in 0..step.min(last - 1) {
            let offsets = self.block_offsets(&level);
            let _ = self.src.borrow_mut().pull(&offsets);
            level = self.next_level(&level, true);
        }
        let offsets = self.block_offsets(&level);
        let mut src = self.src.borrow_mut();
        if step < last {
            src.hint_at_most(&offsets, READ_AHEAD_CHUNKS);
        } else {
            let _ = src.pull(&offsets);
        }
    }

    /// The data and sub-node tree roots of `nids`: (block id, whether it is a sub-node tree's
    /// root rather than a data tree's).
    fn roots(&self, nids: &[Nid]) -> Vec<(Bid, bool)> {
        nids.iter()
            .filter_map(|&nid| self.find_node(nid).ok())
            .flat_map(|n| [(n.bid_data, false), (n.bid_sub, true)])
            .filter_map(|(b, sub)| Some((b?, sub)))
            .collect()
    }

    fn block_offsets(&self, level: &[(Bid, bool)]) -> Vec<u64> {
        level
            .iter()
            .filter_map(|&(b, _)| self.find_block(b).ok().map(|e| e.ib))
            .collect()
    }

    /// What the blocks of `level` point at (reading them; with `held`, only those already
    /// in memory: reading the others would wait for the file).
    fn next_level(&self, level: &[(Bid, bool)], held: bool) -> Vec<(Bid, bool)> {
        let mut next = Vec::new();
        for &(bid, sub) in level {
            if next.len() >= READ_AHEAD_BLOCKS {
                break;
            }
            let Ok(e) = self.find_block(bid) else {
                continue;
            };
            if held && !self.src.borrow().holds(e.ib) {
                continue;
            }
            if sub {
                if let Ok(subs) = self.read_subnodes(Some(bid)) {
                    for s in subs.0.values() {
                        next.extend(
                            [(s.bid_data, false), (s.bid_sub, true)]
                                .into_iter()
                                .filter_map(|(b, sub)| Some((b?, sub))),
                        );
                    }
                }
            } else if bid.is_internal()
                && let Ok(leaves) = self.data_leaves(Some(bid))
            {
                next.extend(leaves.into_iter().map(|b| (b, false)));
            }
        }
        next.truncate(READ_AHEAD_BLOCKS);
        next
    }

    /// How many reads reached the underlying source so far.
    pub fn source_reads(&self) -> u64 {
        self.src.borrow().source_reads
    }
}
