//! Sub-node trees (MS-PST §2.2.2.8.3.3): SLBLOCK / SIBLOCK, mapping a node's local NIDs to
//! their data and nested sub-node trees.

use super::Ndb;
use super::header::Format;
use crate::error::{Result, corrupt};
use crate::pst::bytes::{u8_at, u16_at};
use std::collections::BTreeMap;

/// One sub-node: its data tree and its own sub-node tree (used by embedded messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnodeEntry {
    pub bid_data: u64,
    pub bid_sub: u64,
}

/// A node's sub-nodes by NID.
#[derive(Debug, Clone, Default)]
pub struct Subnodes(pub BTreeMap<u32, SubnodeEntry>);

/// More entries than this in one sub-node tree is treated as corruption.
const MAX_SUBNODES: usize = 1 << 20;

impl Subnodes {
    pub fn get(&self, nid: u32) -> Option<SubnodeEntry> {
        self.0.get(&nid).copied()
    }
}

impl Ndb {
    /// Loads the sub-node tree rooted at `bid_sub` (0 = none).
    pub fn read_subnodes(&self, bid_sub: u64) -> Result<Subnodes> {
        let mut map = BTreeMap::new();
        if bid_sub == 0 {
            return Ok(Subnodes(map));
        }
        let head = if self.header.format == Format::Ansi {
            4
        } else {
            8
        };
        // An SIBLOCK (level 1) lists SLBLOCKs (level 0); nothing deeper exists.
        let mut stack = vec![(bid_sub, 1u8)];
        while let Some((bid, max_level)) = stack.pop() {
            let data = self.read_block(bid)?;
            let at = format!("sub-node block {bid:#x}");
            let btype = u8_at(&data, 0, &at)?;
            let level = u8_at(&data, 1, &at)?;
            if btype != 2 || level > max_level {
                return Err(corrupt(
                    at,
                    format!("not an SLBLOCK/SIBLOCK (type {btype}, level {level})"),
                ));
            }
            let count = u16_at(&data, 2, &at)? as usize;
            let per = if level == 0 { 3 } else { 2 };
            let ids = self.read_ids(&data, head, count * per, &at)?;
            if level == 0 {
                for e in ids.chunks_exact(3) {
                    map.insert(
                        e[0] as u32,
                        SubnodeEntry {
                            bid_data: e[1],
                            bid_sub: e[2],
                        },
                    );
                }
                if map.len() > MAX_SUBNODES {
                    return Err(corrupt(at, "too many sub-nodes"));
                }
            } else {
                for e in ids.chunks_exact(2) {
                    stack.push((e[1], 0));
                }
            }
        }
        Ok(Subnodes(map))
    }
}
