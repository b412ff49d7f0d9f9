//! A PST object (folder, message, attachment, store): its property context and the
//! sub-nodes that hold its large values.

use super::filetime_to_unix;
use crate::error::{Result, corrupt};
use crate::pst::ltp::prop::{self, PropData, utf16le};
use crate::pst::ltp::{Heap, PropContext};
use crate::pst::ndb::subnode::{SubnodeEntry, Subnodes};
use crate::pst::ndb::{Bid, Ndb, Nid};

#[derive(Default)]
pub struct Object {
    pub pc: PropContext,
    pub subnodes: Subnodes,
    /// Values the property context names but whose bytes could not be read (property id,
    /// why): whoever converts the object reports them ([`Object::take_unreadable`]), so a
    /// value lost to a damaged block is never lost silently.
    unreadable: std::cell::RefCell<Vec<(u16, String)>>,
}

impl Object {
    /// Reads the object stored in a node's data tree, with its sub-node tree.
    pub fn read(ndb: &Ndb, bid_data: Option<Bid>, bid_sub: Option<Bid>) -> Result<Self> {
        let heap = Heap::new(ndb.read_data(bid_data)?, ndb.header.format)?;
        let pc = PropContext::parse(ndb, &heap)?;
        let subnodes = ndb.read_subnodes(bid_sub)?;
        Ok(Self {
            pc,
            subnodes,
            unreadable: Default::default(),
        })
    }

    pub fn has(&self, id: u16) -> bool {
        self.pc.get(id).is_some()
    }

    pub fn ptype(&self, id: u16) -> Option<u16> {
        self.pc.get(id).map(|p| p.ptype)
    }

    /// The sub-node holding property `id`'s value.
    fn value_subnode(&self, id: u16, nid: Nid) -> Result<SubnodeEntry> {
        self.subnodes.get(nid).ok_or_else(|| {
            corrupt(
                format!("property {id:#06x}"),
                format!("value sub-node {nid} is missing"),
            )
        })
    }

    /// The raw bytes of a value, reading its sub-node if needed. A value that cannot be
    /// read is also noted for [`Object::take_unreadable`].
    pub fn bytes(&self, ndb: &Ndb, id: u16) -> Result<Option<Vec<u8>>> {
        let r = match self.pc.get(id).map(|p| &p.data) {
            None => Ok(None),
            Some(PropData::Bytes(b)) => Ok(Some(b.clone())),
            Some(PropData::Subnode(nid)) => self
                .value_subnode(id, *nid)
                .and_then(|sn| ndb.read_data_concat(sn.bid_data))
                .map(Some),
        };
        if let Err(e) = &r {
            let mut u = self.unreadable.borrow_mut();
            if !u.iter().any(|(i, _)| *i == id) {
                u.push((id, e.to_string()));
            }
        }
        r
    }

    /// The values found unreadable so far (each once), emptied.
    pub fn take_unreadable(&self) -> Vec<(u16, String)> {
        std::mem::take(&mut self.unreadable.borrow_mut())
    }

    /// The data blocks of a value, for streaming large binaries (attachments).
    pub fn value_blocks(&self, ndb: &Ndb, id: u16) -> Result<ValueBlocks> {
        match self.pc.get(id).map(|p| &p.data) {
            None => Ok(ValueBlocks::Inline(Vec::new())),
            Some(PropData::Bytes(b)) => Ok(ValueBlocks::Inline(b.clone())),
            Some(PropData::Subnode(nid)) => Ok(ValueBlocks::Blocks(
                ndb.data_leaves(self.value_subnode(id, *nid)?.bid_data)?,
            )),
        }
    }

    /// A string property, Unicode or 8-bit (decoded in `codepage`).
    pub fn string(&self, ndb: &Ndb, id: u16, codepage: u32) -> Option<String> {
        let t = self.ptype(id)?;
        let b = self.bytes(ndb, id).ok()??;
        string_value(t, &b, codepage)
    }

    pub fn i32(&self, id: u16) -> Option<i32> {
        match self.pc.get(id).map(|p| (p.ptype, &p.data)) {
            Some((prop::PT_I32 | prop::PT_ERROR, PropData::Bytes(b))) if b.len() >= 4 => {
                Some(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            Some((prop::PT_I16, PropData::Bytes(b))) if b.len() >= 2 => {
                Some(i16::from_le_bytes([b[0], b[1]]) as i32)
            }
            _ => None,
        }
    }

    pub fn bool(&self, id: u16) -> Option<bool> {
        match self.pc.get(id).map(|p| (p.ptype, &p.data)) {
            Some((prop::PT_BOOL, PropData::Bytes(b))) => b.first().map(|&v| v != 0),
            _ => None,
        }
    }

    /// A PtypTime value as Unix seconds.
    pub fn time(&self, id: u16) -> Option<i64> {
        match self.pc.get(id).map(|p| (p.ptype, &p.data)) {
            Some((prop::PT_TIME, PropData::Bytes(b))) if b.len() >= 8 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(&b[..8]);
                filetime_to_unix(i64::from_le_bytes(a))
            }
            _ => None,
        }
    }

    /// A multi-valued string property.
    pub fn strings(&self, ndb: &Ndb, id: u16, codepage: u32) -> Vec<String> {
        let Some(t) = self.ptype(id) else {
            return Vec::new();
        };
        let Ok(Some(b)) = self.bytes(ndb, id) else {
            return Vec::new();
        };
        match t {
            0x101F => prop::split_mv(&b).into_iter().map(utf16le).collect(),
            0x101E => prop::split_mv(&b)
                .into_iter()
                .map(|s| crate::codepage::decode(s, codepage))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A value's bytes: held inline, or as data blocks to read one at a time.
pub enum ValueBlocks {
    Inline(Vec<u8>),
    Blocks(Vec<Bid>),
}

/// Decodes a string value of type `t`.
pub fn string_value(t: u16, b: &[u8], codepage: u32) -> Option<String> {
    match t {
        prop::PT_UNICODE => Some(utf16le(b)),
        prop::PT_STRING8 => Some(crate::codepage::decode(b, codepage)),
        _ => None,
    }
}
