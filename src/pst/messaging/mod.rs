//! Messaging layer (MS-PST §2.4): the store, the folder hierarchy, contents tables,
//! messages, recipients, attachments and the named-property map.

pub mod attachment;
mod folder;
mod message;
pub mod named;
mod object;
pub mod props;
mod rows;
mod store;
pub mod well_known;

pub use attachment::{Attachment, AttachmentContent};
pub use folder::{Folder, FolderInfo, MessageSummary};
pub use message::{Message, Recipient, RecipientKind, best_address, strip_subject_prefix};
pub use named::NamedProps;
pub use object::Object;
pub use rows::Rows;
pub use store::Pst;

/// NID type bits (MS-PST §2.2.2.1).
pub mod nid {
    pub const TYPE_MASK: u32 = 0x1F;
    pub const NORMAL_FOLDER: u32 = 0x02;
    pub const SEARCH_FOLDER: u32 = 0x03;
    pub const NORMAL_MESSAGE: u32 = 0x04;
    pub const ASSOC_MESSAGE: u32 = 0x08;
    pub const HIERARCHY_TABLE: u32 = 0x0D;
    pub const CONTENTS_TABLE: u32 = 0x0E;
    pub const ASSOC_CONTENTS_TABLE: u32 = 0x0F;
    pub const MESSAGE_STORE: u32 = 0x21;
    pub const NAME_TO_ID_MAP: u32 = 0x61;
    pub const ROOT_FOLDER: u32 = 0x122;
    pub const RECIPIENT_TABLE: u32 = 0x692;
    pub const ATTACHMENT_TABLE: u32 = 0x671;

    /// The NID of a folder's table of `kind` (hierarchy, contents, associated contents).
    pub fn table_of(folder: u32, kind: u32) -> u32 {
        (folder & !TYPE_MASK) | kind
    }
}

/// FILETIME (100 ns since 1601) to Unix seconds; `None` for zero or absurd values.
pub fn filetime_to_unix(ft: i64) -> Option<i64> {
    if ft <= 0 {
        return None;
    }
    let secs = ft / 10_000_000 - 11_644_473_600;
    // Years 1900..=9999 only: anything else is garbage and would break date formatting.
    (-2_208_988_800..=253_402_300_799)
        .contains(&secs)
        .then_some(secs)
}
