//! Node and block ids (MS-PST §2.2.2.1 NID, §2.2.2.2 BID). A raw value from the file becomes
//! one through `TryFrom`, which refuses a node type the spec does not define and a block id that
//! names no block, so the rest of the reader never meets them. Files do hold node entries of
//! undefined types (aspose-Outlook's B-tree pages have some of types 0x16–0x18); nothing refers
//! to them and the reader passes them over. The one that is referred to, 0x09, is accepted
//! (see [`NidType::Storage`]).

use std::fmt;

/// A raw id the spec does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("node id {0:#x} has a type (nidType {1:#x}) the spec does not define")]
    NidType(u32, u8),
    #[error("block id 0 (bidNull) names no block")]
    NullBid,
}

/// `nidType` (§2.2.2.1): what a node holds. 0x14–0x1e are not defined; 0x09 is not in the
/// spec's table either, but Outlook writes it (see [`NidType::Storage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum NidType {
    /// A heap item (HID); an HNID with this type is not a node.
    Hid = 0x00,
    Internal = 0x01,
    NormalFolder = 0x02,
    SearchFolder = 0x03,
    NormalMessage = 0x04,
    Attachment = 0x05,
    SearchUpdateQueue = 0x06,
    SearchCriteriaObject = 0x07,
    AssocMessage = 0x08,
    /// Not in §2.2.2.1's table: the sub-node holding an attachment's OLE storage (its
    /// `PT_OBJECT` value), as Outlook writes it — aspose-SampleOstFile's 12 embedded pictures
    /// and documents are all stored so.
    Storage = 0x09,
    ContentsTableIndex = 0x0a,
    ReceiveFolderTable = 0x0b,
    OutgoingQueueTable = 0x0c,
    HierarchyTable = 0x0d,
    ContentsTable = 0x0e,
    AssocContentsTable = 0x0f,
    SearchContentsTable = 0x10,
    AttachmentTable = 0x11,
    RecipientTable = 0x12,
    SearchTableIndex = 0x13,
    /// A sub-node holding a property value too large for the heap.
    Ltp = 0x1f,
}

impl TryFrom<u8> for NidType {
    type Error = u8;

    fn try_from(t: u8) -> Result<Self, u8> {
        use NidType::*;
        Ok(match t {
            0x00 => Hid,
            0x01 => Internal,
            0x02 => NormalFolder,
            0x03 => SearchFolder,
            0x04 => NormalMessage,
            0x05 => Attachment,
            0x06 => SearchUpdateQueue,
            0x07 => SearchCriteriaObject,
            0x08 => AssocMessage,
            0x09 => Storage,
            0x0a => ContentsTableIndex,
            0x0b => ReceiveFolderTable,
            0x0c => OutgoingQueueTable,
            0x0d => HierarchyTable,
            0x0e => ContentsTable,
            0x0f => AssocContentsTable,
            0x10 => SearchContentsTable,
            0x11 => AttachmentTable,
            0x12 => RecipientTable,
            0x13 => SearchTableIndex,
            0x1f => Ltp,
            _ => return Err(t),
        })
    }
}

/// A node id: `nidType` in the low 5 bits, `nidIndex` in the other 27.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "u32", try_from = "u32")]
pub struct Nid(u32);

impl Nid {
    // Nodes every PST has (§2.4.1) and the fixed sub-nodes of a message (§2.4.5).
    pub const MESSAGE_STORE: Nid = Nid::known(0x21);
    pub const NAME_TO_ID_MAP: Nid = Nid::known(0x61);
    pub const ROOT_FOLDER: Nid = Nid::known(0x122);
    pub const ATTACHMENT_TABLE: Nid = Nid::known(0x671);
    pub const RECIPIENT_TABLE: Nid = Nid::known(0x692);
    /// What a table row that names no usable node gets: no node has it, so opening it fails
    /// with "node 0x0 not found".
    pub const NONE: Nid = Nid::known(0);

    /// A node id the spec itself names (§2.4.1): checked when the crate is compiled.
    pub const fn known(raw: u32) -> Nid {
        assert!(nid_type_defined((raw & 0x1f) as u8), "undefined nidType");
        Nid(raw)
    }

    /// The id with its type and index: what the file stores.
    pub const fn get(self) -> u32 {
        self.0
    }

    pub fn kind(self) -> NidType {
        // Every Nid was made from a defined type.
        NidType::try_from((self.0 & 0x1f) as u8).unwrap_or(NidType::Hid)
    }

    pub const fn index(self) -> u32 {
        self.0 >> 5
    }

    /// The id of the node of `kind` with this one's index: a folder's contents table, say.
    pub const fn with_kind(self, kind: NidType) -> Nid {
        Nid((self.0 & !0x1f) | kind as u32)
    }
}

const fn nid_type_defined(t: u8) -> bool {
    matches!(t, 0x00..=0x13 | 0x1f)
}

impl TryFrom<u32> for Nid {
    type Error = IdError;

    fn try_from(raw: u32) -> Result<Self, IdError> {
        let t = (raw & 0x1f) as u8;
        if nid_type_defined(t) {
            Ok(Nid(raw))
        } else {
            Err(IdError::NidType(raw, t))
        }
    }
}

impl From<Nid> for u32 {
    fn from(n: Nid) -> u32 {
        n.0
    }
}

impl fmt::Display for Nid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::LowerHex for Nid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

impl fmt::Debug for Nid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nid({:#x})", self.0)
    }
}

/// A block id. Bit 0 is reserved (readers ignore it), bit 1 marks an internal block
/// (XBLOCK, XXBLOCK, SLBLOCK, SIBLOCK), the rest is `bidIndex`. Where the file may name no
/// block (a node without sub-nodes), it is an `Option<Bid>`: 0 is not a `Bid`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bid(u64);

impl Bid {
    /// For a field where 0 means "none" (bidSub).
    pub fn optional(raw: u64) -> Option<Bid> {
        Bid::try_from(raw).ok()
    }

    /// The id as the file stores it (the block's encoding key uses all of it).
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The id the block B-tree is searched by: the reserved bit cleared (§2.2.2.2).
    pub const fn key(self) -> u64 {
        self.0 & !1
    }

    pub const fn is_internal(self) -> bool {
        self.0 & 2 != 0
    }
}

impl TryFrom<u64> for Bid {
    type Error = IdError;

    fn try_from(raw: u64) -> Result<Self, IdError> {
        if raw == 0 {
            Err(IdError::NullBid)
        } else {
            Ok(Bid(raw))
        }
    }
}

impl fmt::Display for Bid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::Debug for Bid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bid({:#x})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nid_types_the_spec_does_not_define_are_refused() {
        // §2.2.2.1's table: 0x00–0x08, 0x0a–0x13 and 0x1f; and 0x09, which Outlook writes.
        let defined: Vec<u8> = (0u8..32)
            .filter(|&t| NidType::try_from(t).is_ok())
            .collect();
        let mut spec: Vec<u8> = (0x00..=0x13).collect();
        spec.push(0x1f);
        assert_eq!(defined, spec);
        assert_eq!(Nid::try_from(0x34), Err(IdError::NidType(0x34, 0x14)));
        assert_eq!(Nid::try_from(0x3e), Err(IdError::NidType(0x3e, 0x1e)));
        assert!(Nid::try_from(0x29).is_ok());
        // The root folder (§2.4.1: NID_ROOT_FOLDER 0x122) and its contents table.
        let root = Nid::try_from(0x122).unwrap();
        assert_eq!(root.kind(), NidType::NormalFolder);
        assert_eq!(root.index(), 9);
        assert_eq!(root.with_kind(NidType::ContentsTable).get(), 0x12e);
    }

    #[test]
    fn bid_zero_is_no_block_and_the_reserved_bit_is_ignored() {
        assert_eq!(Bid::try_from(0), Err(IdError::NullBid));
        assert_eq!(Bid::optional(0), None);
        let b = Bid::try_from(0x4005).unwrap();
        assert_eq!(b.key(), 0x4004);
        assert!(!b.is_internal());
        assert!(Bid::try_from(0x4006).unwrap().is_internal());
    }
}
