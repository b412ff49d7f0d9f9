//! Messaging layer (MS-PST §2.4): the store, the folder hierarchy, contents tables,
//! messages, recipients, attachments and the named-property map.

pub mod attachment;
mod folder;
mod message;
pub mod named;
mod object;
pub mod people;
pub mod props;
pub mod recover;
mod rows;
mod store;
pub mod well_known;

pub use attachment::{Attachment, AttachmentContent};
pub use folder::{Folder, FolderInfo, MessageSummary};
pub use message::{Message, Recipient, RecipientKind, best_address, strip_subject_prefix};
pub use named::NamedProps;
pub use object::{Object, ValueBlocks};
pub use people::AddressBook;
pub use rows::Rows;
pub use store::Pst;

pub use crate::pst::ndb::{Nid, NidType};

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
