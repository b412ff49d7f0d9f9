//! Heap-on-node (MS-PST §2.3.1): HNHDR, HNPAGEHDR, HNPAGEMAP and HID lookup.

use crate::error::{Result, corrupt};
use crate::pst::bytes::{slice, u8_at, u16_at, u32_at};
use crate::pst::ndb::header::Format;

pub const SIG_HN: u8 = 0xEC;
pub const CLIENT_TC: u8 = 0x7C;
pub const CLIENT_BTH: u8 = 0xB5;
pub const CLIENT_PC: u8 = 0xBC;

/// A node's heap: its data blocks and the header fields of the first.
pub struct Heap {
    blocks: Vec<Vec<u8>>,
    /// Where a HID's block index starts: bit 16 (§2.3.1.1), or bit 19 in a 4K-page file,
    /// whose hidIndex has 14 bits (as libpff and libpst read those files; MS-PST has no 4K).
    block_shift: u32,
    pub client_sig: u8,
    pub user_root: u32,
}

impl Heap {
    pub fn new(blocks: Vec<Vec<u8>>, format: Format) -> Result<Self> {
        let first = blocks
            .first()
            .ok_or_else(|| corrupt("heap-on-node", "node has no data"))?;
        let at = "heap-on-node header";
        let sig = u8_at(first, 2, at)?;
        if sig != SIG_HN {
            return Err(corrupt(at, format!("signature {sig:#x}, expected 0xEC")));
        }
        let client_sig = u8_at(first, 3, at)?;
        let user_root = u32_at(first, 4, at)?;
        Ok(Self {
            blocks,
            block_shift: if format == Format::Unicode4k { 19 } else { 16 },
            client_sig,
            user_root,
        })
    }

    /// The bytes of heap allocation `hid` (empty for HID 0).
    pub fn get(&self, hid: u32) -> Result<&[u8]> {
        if hid == 0 {
            return Ok(&[]);
        }
        let at = format!("heap item {hid:#x}");
        if hid & 0x1F != 0 {
            return Err(corrupt(at, "not a heap id"));
        }
        let index = ((hid >> 5) & ((1 << (self.block_shift - 5)) - 1)) as usize;
        let block = (hid >> self.block_shift) as usize;
        let data = self
            .blocks
            .get(block)
            .ok_or_else(|| corrupt(&at, format!("heap block {block} does not exist")))?;
        let map = u16_at(data, 0, &at)? as usize;
        let count = u16_at(data, map, &at)? as usize;
        if index == 0 || index > count {
            return Err(corrupt(
                at,
                format!("allocation {index} outside the page map of {count}"),
            ));
        }
        let start = u16_at(data, map + 4 + 2 * (index - 1), &at)? as usize;
        let end = u16_at(data, map + 4 + 2 * index, &at)? as usize;
        if end < start || end > map {
            return Err(corrupt(at, format!("allocation {start}..{end} is invalid")));
        }
        slice(data, start, end - start, &at)
    }
}
