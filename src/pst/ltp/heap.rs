//! Heap-on-node (MS-PST §2.3.1): HNHDR, HNPAGEHDR, HNPAGEMAP and HID lookup.

use crate::error::{Result, corrupt};
use crate::pst::bytes::{slice, u8_at, u16_at, u32_at};
use crate::pst::ndb::header::Format;
use crate::pst::ndb::{Bid, Ndb};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::VecDeque;

pub const SIG_HN: u8 = 0xEC;
pub const CLIENT_TC: u8 = 0x7C;
pub const CLIENT_BTH: u8 = 0xB5;
pub const CLIENT_PC: u8 = 0xBC;

/// A heap of more blocks than this is read block by block as its allocations are asked for:
/// a table's heap holds its rows' strings, ≈ 15 MB in a folder of 100k messages, and it is
/// kept while the folder is walked.
const READ_WHOLE: usize = 8;
/// Blocks of such a heap kept once read: a table's rows are walked in order, and their
/// strings lie in order in the heap.
const RECENT: usize = 8;

/// A node's heap: its data blocks and the header fields of the first.
pub struct Heap {
    blocks: Blocks,
    /// Where a HID's block index starts: bit 16 (§2.3.1.1), or bit 19 in a 4K-page file,
    /// whose hidIndex has 14 bits (as libpff and libpst read those files; MS-PST has no 4K).
    block_shift: u32,
    pub client_sig: u8,
    pub user_root: u32,
}

enum Blocks {
    Read(Vec<Vec<u8>>),
    /// The first block read, the others by id, with the last few read.
    Lazy {
        first: Vec<u8>,
        bids: Vec<Bid>,
        recent: RefCell<VecDeque<(usize, Vec<u8>)>>,
    },
}

impl Heap {
    pub fn new(blocks: Vec<Vec<u8>>, format: Format) -> Result<Self> {
        let first = blocks
            .first()
            .ok_or_else(|| corrupt("heap-on-node", "node has no data"))?;
        let (client_sig, user_root) = Self::header(first)?;
        Ok(Self {
            blocks: Blocks::Read(blocks),
            block_shift: block_shift(format),
            client_sig,
            user_root,
        })
    }

    /// The heap in node data `bid`: read whole when small, else block by block as asked.
    pub fn read(ndb: &Ndb, bid: Option<Bid>) -> Result<Self> {
        let bids = ndb.data_leaves(bid)?;
        if bids.len() <= READ_WHOLE {
            let blocks = bids.iter().map(|&b| ndb.read_block(b));
            return Self::new(blocks.collect::<Result<_>>()?, ndb.header.format);
        }
        let first = ndb.read_block(bids[0])?;
        let (client_sig, user_root) = Self::header(&first)?;
        Ok(Self {
            blocks: Blocks::Lazy {
                first,
                bids,
                recent: RefCell::new(VecDeque::with_capacity(RECENT)),
            },
            block_shift: block_shift(ndb.header.format),
            client_sig,
            user_root,
        })
    }

    /// HNHDR's client signature and user root.
    fn header(first: &[u8]) -> Result<(u8, u32)> {
        let at = "heap-on-node header";
        let sig = u8_at(first, 2, at)?;
        if sig != SIG_HN {
            return Err(corrupt(at, format!("signature {sig:#x}, expected 0xEC")));
        }
        Ok((u8_at(first, 3, at)?, u32_at(first, 4, at)?))
    }

    /// The bytes of heap allocation `hid` (empty for HID 0).
    pub fn get(&self, ndb: &Ndb, hid: u32) -> Result<Cow<'_, [u8]>> {
        if hid == 0 {
            return Ok(Cow::Borrowed(&[]));
        }
        let at = format_args!("heap item {hid:#x}");
        if hid & 0x1F != 0 {
            return Err(corrupt(at, "not a heap id"));
        }
        let index = ((hid >> 5) & ((1 << (self.block_shift - 5)) - 1)) as usize;
        let block = (hid >> self.block_shift) as usize;
        let missing = || corrupt(at, format!("heap block {block} does not exist"));
        match &self.blocks {
            Blocks::Read(blocks) => {
                let data = blocks.get(block).ok_or_else(missing)?;
                allocation(data, index, &at).map(Cow::Borrowed)
            }
            Blocks::Lazy { first, .. } if block == 0 => {
                allocation(first, index, &at).map(Cow::Borrowed)
            }
            Blocks::Lazy { bids, recent, .. } => {
                let mut recent = recent.borrow_mut();
                if let Some((_, data)) = recent.iter().find(|(b, _)| *b == block) {
                    return Ok(Cow::Owned(allocation(data, index, &at)?.to_vec()));
                }
                let data = ndb.read_block(*bids.get(block).ok_or_else(missing)?)?;
                let out = allocation(&data, index, &at)?.to_vec();
                if recent.len() == RECENT {
                    recent.pop_front();
                }
                recent.push_back((block, data));
                Ok(Cow::Owned(out))
            }
        }
    }
}

fn block_shift(format: Format) -> u32 {
    if format == Format::Unicode4k { 19 } else { 16 }
}

/// Allocation `index` (from 1) of one heap block, through its page map.
fn allocation<'a>(
    data: &'a [u8],
    index: usize,
    at: &(impl std::fmt::Display + ?Sized),
) -> Result<&'a [u8]> {
    let map = u16_at(data, 0, at)? as usize;
    let count = u16_at(data, map, at)? as usize;
    if index == 0 || index > count {
        return Err(corrupt(
            at,
            format!("allocation {index} outside the page map of {count}"),
        ));
    }
    let start = u16_at(data, map + 4 + 2 * (index - 1), at)? as usize;
    let end = u16_at(data, map + 4 + 2 * index, at)? as usize;
    if end < start || end > map {
        return Err(corrupt(at, format!("allocation {start}..{end} is invalid")));
    }
    slice(data, start, end - start, at)
}
