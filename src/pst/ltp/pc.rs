//! Property context (MS-PST §2.3.3): a BTH of property id → (type, value or HNID).

use super::bth;
use super::heap::{CLIENT_PC, Heap};
use super::prop::{PT_BOOL, PT_ERROR, PT_F32, PT_I16, PT_I32, PropData, PropType};
use crate::error::{Result, corrupt};
use crate::pst::ndb::{Ndb, Nid, NidType};
use std::collections::BTreeMap;

/// One property: its type and where its value is.
#[derive(Debug, Clone)]
pub struct Prop {
    pub ptype: PropType,
    pub data: PropData,
}

/// All properties of one object, by property id.
#[derive(Debug, Clone, Default)]
pub struct PropContext {
    pub props: BTreeMap<u16, Prop>,
}

/// Resolves an HNID (§2.3.3.2): a heap id (its NID type is HID) or a sub-node's NID.
pub fn resolve_hnid(ndb: &Ndb, heap: &Heap, hnid: u32) -> Result<PropData> {
    match Nid::try_from(hnid) {
        Ok(nid) if nid.kind() == NidType::Hid => {
            Ok(PropData::Bytes(heap.get(ndb, hnid)?.into_owned()))
        }
        Ok(nid) => Ok(PropData::Subnode(nid)),
        Err(e) => Err(corrupt("HNID", e.to_string())),
    }
}

impl PropContext {
    pub fn parse(ndb: &Ndb, heap: &Heap) -> Result<Self> {
        if heap.client_sig != CLIENT_PC {
            return Err(corrupt(
                "property context",
                format!(
                    "heap client signature {:#x}, expected 0xBC",
                    heap.client_sig
                ),
            ));
        }
        let (key, ent, recs) = bth::records(ndb, heap, heap.user_root)?;
        if key != 2 || ent != 6 {
            return Err(corrupt(
                "property context",
                format!("record sizes {key}/{ent}, expected 2/6"),
            ));
        }
        let mut props = BTreeMap::new();
        for (k, d) in recs {
            let id = u16::from_le_bytes([k[0], k[1]]);
            let ptype = u16::from_le_bytes([d[0], d[1]]);
            let raw = [d[2], d[3], d[4], d[5]];
            let v = u32::from_le_bytes(raw);
            let data = match ptype {
                PT_BOOL => PropData::Bytes(vec![raw[0]]),
                PT_I16 => PropData::Bytes(raw[..2].to_vec()),
                PT_I32 | PT_F32 | PT_ERROR => PropData::Bytes(raw.to_vec()),
                _ => match resolve_hnid(ndb, heap, v) {
                    Ok(d) => d,
                    // One unreadable value must not cost the whole object.
                    Err(_) => continue,
                },
            };
            props.insert(id, Prop { ptype, data });
        }
        Ok(Self { props })
    }

    pub fn get(&self, id: u16) -> Option<&Prop> {
        self.props.get(&id)
    }
}
