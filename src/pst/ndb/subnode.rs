//! Sub-node trees (MS-PST §2.2.2.8.3.3): SLBLOCK / SIBLOCK, mapping a node's local NIDs to
//! their data and nested sub-node trees.

use super::header::Format;
use super::{Bid, Ndb, Nid};
use crate::error::{Result, corrupt};
use crate::pst::bytes::{u8_at, u16_at};
use std::collections::BTreeMap;

/// One sub-node: its data tree and its own sub-node tree (used by embedded messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnodeEntry {
    pub bid_data: Option<Bid>,
    pub bid_sub: Option<Bid>,
}

/// A node's sub-nodes by NID.
#[derive(Debug, Clone, Default)]
pub struct Subnodes(pub BTreeMap<Nid, SubnodeEntry>);

/// More entries than this in one sub-node tree is treated as corruption.
const MAX_SUBNODES: usize = 1 << 20;

impl Subnodes {
    pub fn get(&self, nid: Nid) -> Option<SubnodeEntry> {
        self.0.get(&nid).copied()
    }
}

impl Ndb {
    /// Loads the sub-node tree rooted at `bid_sub` (none: no sub-nodes).
    pub fn read_subnodes(&self, bid_sub: Option<Bid>) -> Result<Subnodes> {
        let mut map = BTreeMap::new();
        let Some(bid_sub) = bid_sub else {
            return Ok(Subnodes(map));
        };
        let head = if self.header.format == Format::Ansi {
            4
        } else {
            8
        };
        // An SIBLOCK (level 1) lists SLBLOCKs (level 0); nothing deeper exists.
        let mut stack = vec![(bid_sub, 1u8)];
        while let Some((bid, max_level)) = stack.pop() {
            let data = self.read_block(bid)?;
            let at = format_args!("sub-node block {bid}");
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
            let ids = self.read_raw_ids(&data, head, count * per, &at)?;
            if level == 0 {
                for e in ids.chunks_exact(3) {
                    // The NID is the low 4 bytes of an id-sized field (§2.2.2.8.3.3.1.1). One of
                    // a type the spec does not define can never be looked up: left out.
                    let Ok(nid) = Nid::try_from(e[0] as u32) else {
                        continue;
                    };
                    map.insert(
                        nid,
                        SubnodeEntry {
                            bid_data: Bid::optional(e[1]),
                            bid_sub: Bid::optional(e[2]),
                        },
                    );
                }
                if map.len() > MAX_SUBNODES {
                    return Err(corrupt(at, "too many sub-nodes"));
                }
            } else {
                for e in ids.chunks_exact(2) {
                    let child = Bid::try_from(e[1]).map_err(|e| corrupt(at, e.to_string()))?;
                    stack.push((child, 0));
                }
            }
        }
        Ok(Subnodes(map))
    }
}
