//! The IMAP sink: a small client (`client`, signing in in `client::auth`, over the TCP or TLS
//! `stream`; responses parsed in `response`), folder mapping ([`mapping`], modified UTF-7 in
//! [`utf7`], the server's mailboxes read by `layout`) and the resumable, verified append of
//! messages it is given (`upload`, reporting in `report`; MAPI flags and dates in `flags`),
//! plus the frame a message travels in from the page to the relay. What to upload and from
//! where is [`crate::upload`]'s. The page (wasm) only maps and names the common providers'
//! servers ([`providers`]): sockets are native-only.

#[cfg(not(target_arch = "wasm32"))]
pub mod autoconfig;
#[cfg(not(target_arch = "wasm32"))]
pub mod client;
#[cfg(not(target_arch = "wasm32"))]
pub mod flags;
#[cfg(not(target_arch = "wasm32"))]
pub mod layout;
#[cfg(not(target_arch = "wasm32"))]
pub mod lock;
pub mod mapping;
#[cfg(not(target_arch = "wasm32"))]
pub mod oauth;
pub mod providers;
#[cfg(not(target_arch = "wasm32"))]
mod report;
#[cfg(not(target_arch = "wasm32"))]
pub mod response;
#[cfg(not(target_arch = "wasm32"))]
pub mod server;
#[cfg(not(target_arch = "wasm32"))]
mod stream;
#[cfg(not(target_arch = "wasm32"))]
pub mod upload;
pub mod utf7;

pub use mapping::{Mapping, Special};
#[cfg(not(target_arch = "wasm32"))]
pub use native::*;
use serde::Serialize;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    pub use super::client::Literal;
    pub use super::client::{Secret, Security, Server};
    pub use super::upload::{
        FolderUpload, Item, Oversize, UploadOptions, UploadReport, Uploader, too_large,
        write_refused,
    };

    /// Everything that can go wrong talking to the server.
    #[derive(Debug, thiserror::Error)]
    pub enum ImapError {
        #[error("cannot connect to {0}")]
        Connect(String),
        #[error("TLS: {0}")]
        Tls(String),
        #[error("login failed: {0}")]
        Auth(String),
        #[error(
            "the server refused the OAuth2 token ({0}): it is wrong, has expired, or lacks the mail scope"
        )]
        Token(String),
        #[error("{0}")]
        Config(String),
        #[error(
            "another upload into {0} is running; one at a time, so that nothing is appended twice"
        )]
        Busy(String),
        #[error("the server refused {0}")]
        Refused(String),
        /// Still throttled after every wait (a provider's daily or hourly limit, mostly).
        #[error("the server kept asking to slow down ({0})")]
        Throttled(String),
        #[error("IMAP protocol error: {0}")]
        Protocol(String),
        #[error("the server did not answer in time")]
        Timeout,
        #[error("the server took longer than {0} s to finish a command")]
        Deadline(u64),
        #[error("the server {0}; stopped reading")]
        TooMuch(String),
        #[error("I/O: {0}")]
        Io(#[from] std::io::Error),
        #[error("reading the PST: {0}")]
        Pst(#[from] crate::Error),
    }

    pub type Result<T> = std::result::Result<T, ImapError>;
}

/// The relay's WebSocket sub-protocol prefix: the page offers `unpst.<token>`.
pub const RELAY_PROTOCOL_PREFIX: &str = "unpst.";

/// What travels with each message from the converter to the uploader (also over the
/// relay's WebSocket, where the page is the converter).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ItemMeta {
    /// The PST's node id.
    pub id: u32,
    #[serde(default)]
    pub subject: String,
    pub message_id: String,
    #[serde(default)]
    pub flags: crate::mime::MailFlags,
    /// Delivery time, Unix seconds.
    #[serde(default)]
    pub date: Option<i64>,
}

impl ItemMeta {
    pub fn of(id: u32, m: &crate::mime::MimeMessage) -> Self {
        Self {
            id,
            subject: m.subject.clone(),
            message_id: m.message_id.clone(),
            flags: m.flags.clone(),
            date: m.date,
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Item {
    /// A message to append: its metadata and bytes.
    pub fn new(meta: ItemMeta, bytes: Vec<u8>) -> Self {
        Self {
            id: meta.id,
            subject: meta.subject,
            message_id: meta.message_id,
            flags: meta.flags,
            date: meta.date,
            size: bytes.len(),
            bytes,
        }
    }
}

/// One message as a relay frame: little-endian u32 length of the JSON metadata, the
/// metadata, then the message bytes.
pub fn encode_frame(meta: &ItemMeta, message: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(meta).unwrap_or_default();
    let mut out = Vec::with_capacity(4 + json.len() + message.len());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(message);
    out
}

/// Splits a relay frame; `None` if it is malformed.
pub fn decode_frame(frame: &[u8]) -> Option<(ItemMeta, &[u8])> {
    let len = u32::from_le_bytes(frame.get(..4)?.try_into().ok()?) as usize;
    let meta = serde_json::from_slice(frame.get(4..4usize.checked_add(len)?)?).ok()?;
    Some((meta, frame.get(4 + len..)?))
}
