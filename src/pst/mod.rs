//! MS-PST: the Outlook Personal Folders file format, in its three layers —
//! [`ndb`] (§2.2 node database), [`ltp`] (§2.3 lists, tables, properties) and
//! [`messaging`] (§2.4 store, folders, messages).

pub mod bytes;
pub mod ltp;
pub mod messaging;
pub mod ndb;

pub use messaging::{Attachment, AttachmentContent, Folder, FolderInfo, Message, Pst, Recipient};
pub use ndb::header::{Encryption, Format, Header};
