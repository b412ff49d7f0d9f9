//! The IMAP sink: a small client (`client`), folder mapping ([`mapping`], modified UTF-7 in
//! [`utf7`]) and the resumable, verified upload (`upload`). The CLI drives it from a PST
//! with `upload_pst`; the relay drives it with messages the page converted — the same
//! `Uploader` either way. The page (wasm) only plans: sockets are native-only.

#[cfg(not(target_arch = "wasm32"))]
pub mod client;
pub mod mapping;
#[cfg(not(target_arch = "wasm32"))]
pub mod upload;
pub mod utf7;

use crate::convert;
use crate::pst::{FolderInfo, Pst, messaging::props};
pub use mapping::{Mapping, Special};
#[cfg(not(target_arch = "wasm32"))]
pub use native::*;
use serde::Serialize;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::PlannedFolder;
    pub use super::client::{Security, Server};
    pub use super::mapping::Special;
    pub use super::upload::{FolderUpload, Item, UploadOptions, UploadReport, Uploader};
    use crate::convert::{self, FolderItems, Outcome};
    use crate::pst::Pst;
    use crate::report::FolderReport;

    /// Everything that can go wrong talking to the server.
    #[derive(Debug, thiserror::Error)]
    pub enum ImapError {
        #[error("cannot connect to {0}")]
        Connect(String),
        #[error("TLS: {0}")]
        Tls(String),
        #[error("login failed: {0}")]
        Auth(String),
        #[error("{0}")]
        Config(String),
        #[error("the server refused {0}")]
        Refused(String),
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

    /// Where the upload is, for progress bars.
    #[derive(Debug, Clone, Default)]
    pub struct UploadProgress {
        pub done: u64,
        pub total: u64,
        pub bytes: u64,
        pub appended: u64,
        pub present: u64,
        pub folder: String,
    }

    /// Uploads the planned folders of a PST. `progress` returning `false` cancels (what was
    /// appended stays; a rerun adds the rest). Conversion problems land in the returned
    /// folder reports, upload problems in the uploader's report.
    pub fn upload_pst(
        pst: &Pst,
        up: &mut Uploader,
        folders: &[PlannedFolder],
        progress: &mut dyn FnMut(&UploadProgress) -> bool,
    ) -> Result<(Vec<FolderReport>, bool)> {
        let keys: Vec<(Vec<String>, Option<Special>)> = folders
            .iter()
            .map(|f| (f.path.clone(), f.special))
            .collect();
        let maps = up.map(&keys);
        let mut state = UploadProgress {
            total: folders.iter().map(|f| f.items as u64).sum(),
            ..UploadProgress::default()
        };
        let mut reports = Vec::new();
        for (f, map) in folders.iter().zip(maps) {
            state.folder = map.mailbox.clone();
            up.begin_folder(map)?;
            let mut rep = FolderReport::new(f.path.clone(), f.items, None);
            let mut items = FolderItems::new(pst, f.nid);
            for (row, outcome) in items.by_ref() {
                state.done += 1;
                match outcome {
                    Outcome::Mail(m) => {
                        state.bytes += m.bytes.len() as u64;
                        convert::record_mail(&mut rep, row.nid, &m);
                        let m = *m;
                        let present = up.add(Item {
                            id: row.nid,
                            subject: m.subject,
                            message_id: m.message_id,
                            flags: m.flags,
                            date: m.date,
                            bytes: m.bytes,
                        })?;
                        if present {
                            state.present += 1;
                        }
                    }
                    other => convert::record_other(&mut rep, &row, other),
                }
                state.appended = up
                    .report
                    .folders
                    .iter()
                    .map(|f| f.appended as u64)
                    .sum::<u64>()
                    + up.current().map_or(0, |c| c.appended as u64);
                if !progress(&state) {
                    reports.push(rep);
                    return Ok((reports, true));
                }
            }
            rep.error = items.error.take();
            up.end_folder()?;
            reports.push(rep);
        }
        Ok((reports, false))
    }
}

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

/// A mail folder of the PST to upload.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PlannedFolder {
    pub nid: u32,
    /// Path from the top of the mailbox.
    pub path: Vec<String>,
    pub special: Option<Special>,
    pub items: u32,
}

/// Container classes whose items are not mail (they go to vCard / iCalendar instead).
fn is_mail_folder(f: &FolderInfo) -> bool {
    let c = f.class.to_ascii_lowercase();
    c.is_empty() || c == "ipf" || c.starts_with("ipf.note") || c.starts_with("ipf.imap")
}

/// The PST's mail folders in tree order (the visible mailbox only: no search folders, no
/// contacts or calendars), each with its path and special kind.
pub fn plan(pst: &Pst, only: Option<&[u32]>) -> crate::Result<Vec<PlannedFolder>> {
    let sel = convert::select(pst, only)?;
    let sent = pst.store_folder(props::IPM_SENTMAIL_ENTRYID);
    let trash = pst.store_folder(props::IPM_WASTEBASKET_ENTRYID);
    let mut out: Vec<PlannedFolder> = Vec::new();
    for f in &sel.folders {
        if !f.ipm || f.search || !is_mail_folder(f) || !convert::writes_files(f, sel.top) {
            continue;
        }
        let path = convert::output_path(f, sel.top);
        // Subfolders inherit their top folder's kind (Inbox/Sub → INBOX/Sub).
        let special = if path.len() == 1 {
            if Some(f.nid) == sent {
                Some(Special::Sent)
            } else if Some(f.nid) == trash {
                Some(Special::Trash)
            } else {
                mapping::special_by_name(&f.name)
            }
        } else {
            out.iter()
                .find(|p| p.path.len() == 1 && p.path[0] == path[0])
                .and_then(|p| p.special)
        };
        out.push(PlannedFolder {
            nid: f.nid,
            path,
            special,
            items: f.items,
        });
    }
    Ok(out)
}
