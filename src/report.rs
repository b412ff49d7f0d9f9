//! The conversion report (`report.json`): per folder, what was converted, deferred to a
//! later format (contacts, calendar, …) or skipped with its reason.

use crate::pst::messaging::Nid;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Deferred {
    pub id: Nid,
    pub class: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub id: Nid,
    pub subject: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub id: Nid,
    pub subject: String,
    pub warning: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FolderReport {
    /// Folder names from the top of the file (the root folder) down.
    pub path: Vec<String>,
    /// Rows in its contents table.
    pub items: u32,
    pub converted: u32,
    pub deferred: Vec<Deferred>,
    pub skipped: Vec<Skipped>,
    /// Messages converted with a problem (an unreadable attachment, …).
    pub warnings: Vec<Warning>,
    /// Bytes of MIME written, attachments and embedded messages converted (once per item,
    /// whatever the number of formats).
    pub bytes: u64,
    pub attachments: u32,
    pub embedded: u32,
    /// Messages naming someone without any address the file knows (written with the
    /// placeholder `unknown@unknown.invalid`).
    pub placeholders: u32,
    /// Contacts, lists, appointments, tasks and journal entries written as vCard / iCalendar.
    pub cards: u32,
    /// The folder itself or its contents table could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FolderReport {
    /// A folder's report before anything was converted.
    pub fn new(path: Vec<String>, items: u32, error: Option<String>) -> Self {
        Self {
            path,
            items,
            converted: 0,
            deferred: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            bytes: 0,
            attachments: 0,
            embedded: 0,
            placeholders: 0,
            cards: 0,
            error,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub folders: u32,
    pub items: u32,
    pub converted: u32,
    pub deferred: u32,
    pub skipped: u32,
    pub warnings: u32,
    pub attachments: u32,
    pub embedded: u32,
    pub placeholders: u32,
    pub cards: u32,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file: String,
    pub format: String,
    pub encryption: String,
    pub ost: bool,
    /// Outlook asks for a password to open the file; it was read without one (see
    /// [`crate::pst::Pst::password_protected`]).
    pub password_protected: bool,
    /// Damage to the file itself that the conversion worked around.
    pub problems: Vec<String>,
    pub folders: Vec<FolderReport>,
    pub totals: Totals,
    /// The store's display name and the addresses its sent mail went out from: the
    /// accounts to set up again in the new mail program.
    pub store: String,
    pub accounts: Vec<Account>,
    /// Signatures found in the sent mail (written under `signatures/`).
    pub signatures: Vec<SignatureInfo>,
    /// What `--recover` looked for and found (`None` when not asked).
    pub recovery: Option<RecoveryReport>,
    pub cancelled: bool,
}

/// Deleted and older items: how many the file's freed space and node B-tree held
/// (candidates), how many came back whole as the "Recovered items" folder, how many were
/// copies of a live or another recovered item, and which could not be read, with why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryReport {
    pub candidates: u32,
    pub recovered: u32,
    pub duplicates: u32,
    pub failed: Vec<Skipped>,
}

/// A signature found, as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureInfo {
    pub account: String,
    pub name: String,
    pub html: bool,
    pub uses: u32,
    pub text: String,
}

impl Report {
    /// Whether the report lists anything lost or worked around: an item skipped, a folder
    /// that could not be read, or damage to the file itself (pages rebuilt by scanning, a
    /// truncation). The command line exits with 1 then.
    pub fn incomplete(&self) -> bool {
        !self.problems.is_empty()
            || self.totals.skipped > 0
            || self
                .folders
                .iter()
                .any(|f| f.error.is_some() || !f.skipped.is_empty())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// An address the PST's sent mail went out from.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub address: String,
    pub name: String,
    pub sent: u32,
}

/// What a file is: the facts `unpst inspect --json` prints and the page shows when it opens a
/// file, with the folder tree and its counts.
#[derive(Debug, Serialize)]
pub struct FileInfo {
    pub file: String,
    pub size: u64,
    pub format: crate::pst::Format,
    pub ost: bool,
    pub version: u16,
    pub encryption: crate::pst::Encryption,
    /// Outlook asks for a password to open the file; it was read without one.
    pub password_protected: bool,
    pub display_name: String,
    pub codepage: u32,
    /// The top of the visible mailbox (the IPM subtree), if the store names it.
    pub ipm_subtree: Option<Nid>,
    pub problems: Vec<String>,
    pub folders: crate::pst::FolderInfo,
}

/// What to tell a user about a password-protected file.
pub const PASSWORD_NOTE: &str =
    "password-protected (Outlook's password does not encrypt the data; opened without it)";

impl FileInfo {
    /// Reads the folder tree; `file` is the name to show.
    pub fn of(pst: &crate::pst::Pst, file: &str) -> crate::Result<Self> {
        let folders = pst.folder_tree()?;
        let h = pst.header();
        Ok(Self {
            file: file.to_string(),
            size: pst.ndb.file_size(),
            format: h.format,
            ost: h.ost,
            version: h.version,
            encryption: h.encryption,
            password_protected: pst.password_protected,
            display_name: pst.display_name.clone(),
            codepage: pst.codepage,
            ipm_subtree: pst.ipm_subtree,
            // After the tree was read: what reading it found counts too.
            problems: pst.file_problems(),
            folders,
        })
    }
}
