//! What an upload reports: per folder, what was offered, already there, appended, refused,
//! and what the verification found.

use super::mapping::Special;
use serde::Serialize;

/// A message the server would not take.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub id: u32,
    pub subject: String,
    pub message_id: String,
    pub size: usize,
    pub reason: String,
}

/// What happened to one folder.
#[derive(Debug, Clone, Serialize)]
pub struct FolderUpload {
    pub path: Vec<String>,
    pub mailbox: String,
    /// What happened to the folder's name on the way (a refused name replaced).
    pub note: Option<String>,
    pub special: Option<Special>,
    /// Messages of the PST offered for this folder.
    pub messages: u32,
    /// Already on the server (same Message-ID): not appended again.
    pub present: u32,
    pub appended: u32,
    pub bytes: u64,
    pub rejected: Vec<Rejected>,
    /// Messages on the server after the upload.
    pub server_count: u32,
    /// Message-IDs of the PST not found on the server afterwards (first 100).
    pub missing: Vec<String>,
    pub missing_count: u32,
    /// Messages on the server that the PST does not have (mail that was there before).
    pub extra_count: u32,
    /// Copies of PST messages beyond what the PST and the server before the upload had: a
    /// message stored twice.
    pub duplicates: u32,
    /// Every PST message is on the server, none twice; a mailbox the upload created holds
    /// nothing else.
    pub verified: bool,
}

/// The whole upload.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadReport {
    pub server: String,
    pub separator: Option<char>,
    pub folders: Vec<FolderUpload>,
    pub messages: u32,
    pub present: u32,
    pub appended: u32,
    pub rejected: u32,
    pub missing: u32,
    pub verified: bool,
    pub cancelled: bool,
    /// Why the upload stopped before the end on its own: the server still throttled after
    /// every wait (a daily limit). A rerun adds what is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl UploadReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub(super) fn total(&mut self) {
        let f = &self.folders;
        self.messages = f.iter().map(|f| f.messages).sum();
        self.present = f.iter().map(|f| f.present).sum();
        self.appended = f.iter().map(|f| f.appended).sum();
        self.rejected = f.iter().map(|f| f.rejected.len() as u32).sum();
        self.missing = f.iter().map(|f| f.missing_count).sum();
        self.verified = !self.cancelled && f.iter().all(|f| f.verified);
    }
}
