//! The named-property map (MS-PST §2.4.7): NAMEID entries, GUID and string streams.

use super::object::Object;
use crate::pst::ltp::prop::utf16le;
use crate::pst::ndb::Ndb;
use std::collections::HashMap;

/// PS_PUBLIC_STRINGS {00020329-0000-0000-C000-000000000046}, as stored (little-endian fields).
pub const PS_PUBLIC_STRINGS: [u8; 16] = [
    0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];
/// PS_MAPI {00020328-0000-0000-C000-000000000046}.
pub const PS_MAPI: [u8; 16] = [
    0x28, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

/// A property name: a GUID with a string or a numeric id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Name {
    Id([u8; 16], u32),
    Str([u8; 16], String),
}

/// Maps property names to the store's property ids (0x8000 + index).
#[derive(Debug, Default)]
pub struct NamedProps {
    by_name: HashMap<Name, u16>,
}

impl NamedProps {
    /// Reads the map; a missing or damaged map yields an empty one (named properties are
    /// optional for conversion).
    pub fn read(ndb: &Ndb, obj: &Object) -> Self {
        let mut by_name = HashMap::new();
        let guids = obj.bytes(ndb, 0x0002).ok().flatten().unwrap_or_default();
        let entries = obj.bytes(ndb, 0x0003).ok().flatten().unwrap_or_default();
        let strings = obj.bytes(ndb, 0x0004).ok().flatten().unwrap_or_default();
        for e in entries.chunks_exact(8) {
            let id = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            let g = u16::from_le_bytes([e[4], e[5]]);
            let idx = u16::from_le_bytes([e[6], e[7]]);
            let is_string = g & 1 == 1;
            let guid = match g >> 1 {
                1 => PS_MAPI,
                2 => PS_PUBLIC_STRINGS,
                n if n >= 3 => {
                    let off = (n as usize - 3) * 16;
                    match guids.get(off..off + 16) {
                        Some(s) => {
                            let mut a = [0u8; 16];
                            a.copy_from_slice(s);
                            a
                        }
                        None => continue,
                    }
                }
                _ => continue,
            };
            let name = if is_string {
                let off = id as usize;
                let Some(len) = strings
                    .get(off..off + 4)
                    .map(|l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize)
                else {
                    continue;
                };
                let Some(s) = strings.get(off + 4..(off + 4).saturating_add(len)) else {
                    continue;
                };
                Name::Str(guid, utf16le(s))
            } else {
                Name::Id(guid, id)
            };
            by_name.insert(name, 0x8000u16.wrapping_add(idx));
        }
        Self { by_name }
    }

    /// The property id of a string-named property.
    pub fn string_id(&self, guid: [u8; 16], name: &str) -> Option<u16> {
        self.by_name
            .get(&Name::Str(guid, name.to_string()))
            .copied()
    }

    /// Every mapped property id with its name (for diagnostics).
    pub fn names(&self) -> HashMap<u16, Name> {
        self.by_name
            .iter()
            .map(|(n, id)| (*id, n.clone()))
            .collect()
    }

    /// The property id of a numerically named property.
    pub fn numeric_id(&self, guid: [u8; 16], id: u32) -> Option<u16> {
        self.by_name.get(&Name::Id(guid, id)).copied()
    }
}
