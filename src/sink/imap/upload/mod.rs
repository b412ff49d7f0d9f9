//! Upload into an IMAP server: per folder, CREATE it if needed, read the Message-IDs
//! already there, APPEND only what is missing (MULTIAPPEND batches, RFC 3502; flags and
//! INTERNALDATE kept), then FETCH the Message-IDs again and compare with the PST's — the
//! verification a user can trust. Resume is the same operation run again.

use super::client::{AppendItem, Conn, Literal, Secret, Server, Status};
use super::flags::{imap_flags, internal_date};
use super::layout::read_layout;
use super::mapping::{self, Mapping, ServerLayout, Special};
pub use super::report::{FolderUpload, Rejected, UploadReport};
pub use super::response::ServerMessage;
use super::{ImapError, Result};
use crate::mime::MailFlags;
use mailbox::OpenMailbox;
use std::collections::HashMap;
use std::time::Duration;

mod mailbox;
mod replies;
use replies::is_throttle;
pub use replies::{Oversize, too_large, write_refused};

/// Tuning and behaviour of an upload.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Messages per MULTIAPPEND command.
    pub batch: usize,
    /// Bytes per MULTIAPPEND command (one bigger message still goes alone).
    pub batch_bytes: usize,
    /// Put every folder below this one (`/`-separated), mapping nothing specially.
    pub under: Option<String>,
    /// Waits between retries when the server throttles (`[UNAVAILABLE]`, "try again");
    /// throttled after the last, the upload stops with [`ImapError::Throttled`].
    pub backoff: Vec<Duration>,
    /// Use non-synchronizing literals when the server offers LITERAL+ (off: one round trip
    /// more per message; for comparison).
    pub literal_plus: bool,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            batch: 100,
            batch_bytes: 16 << 20,
            under: None,
            // About four minutes in all, then the upload stops (see `append_retrying`).
            backoff: [1, 2, 4, 8, 16, 32, 60, 120]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            literal_plus: true,
        }
    }
}

/// One message to upload, as the converter produced it.
#[derive(Debug, Clone)]
pub struct Item {
    /// The PST's node id (for the report).
    pub id: u32,
    pub subject: String,
    pub message_id: String,
    pub flags: MailFlags,
    /// Delivery time, Unix seconds → INTERNALDATE.
    pub date: Option<i64>,
    /// The message (empty for one streamed from the PST, see [`Uploader::add_message`]).
    pub bytes: Vec<u8>,
    /// Its size in bytes.
    pub size: usize,
}

/// The folder being uploaded.
struct Current {
    map: Mapping,
    /// Message-IDs on the server not yet matched by a PST message (count per ID).
    remaining: HashMap<String, u32>,
    /// Message-IDs on the server when the folder began (count per ID).
    before: HashMap<String, u32>,
    /// Message-IDs appended since (count per ID): after a refused batch, what the server
    /// holds beyond `before` and these, it kept of the batch.
    appended: HashMap<String, u32>,
    /// Whether this upload created the mailbox: then nothing else should be in it.
    created: bool,
    /// Why the folder could not be created at all: its messages are refused with this.
    failed: Option<String>,
    /// Message-IDs of the PST (count per ID), for verification.
    offered: HashMap<String, u32>,
    /// Flags the server keeps for this mailbox; keywords only if `\*` is among them.
    permanent: Vec<String>,
    queue: Vec<Item>,
    queued: usize,
    rep: FolderUpload,
}

impl Current {
    fn note_appended(&mut self, item: &Item) {
        self.rep.appended += 1;
        self.rep.bytes += item.size as u64;
        *self.appended.entry(item.message_id.clone()).or_default() += 1;
    }
}

/// An upload session on one logged-in connection.
pub struct Uploader {
    conn: Conn,
    pub layout: ServerLayout,
    opts: UploadOptions,
    /// Mailboxes created under another name than mapped (mapped, created): their
    /// sub-folders go under the new name.
    renames: Vec<(String, String)>,
    append_limit: Option<usize>,
    current: Option<Current>,
    pub report: UploadReport,
    /// No other upload into this account while this one runs.
    _lock: super::lock::AccountLock,
    /// Given each message the server refuses as too large (see [`Uploader::keep_oversize`]).
    oversize: Option<Oversize>,
}

impl Uploader {
    /// Connects, logs in with a password and reads the server's folder layout.
    pub fn connect(server: &Server, password: &str, opts: UploadOptions) -> Result<Self> {
        Self::connect_with(server, &Secret::Password(password.to_string()), opts)
    }

    /// Connects, signs in (password or OAuth2 token) and reads the server's folder layout.
    pub fn connect_with(server: &Server, secret: &Secret, opts: UploadOptions) -> Result<Self> {
        let lock = super::lock::AccountLock::acquire(server)?;
        let mut conn = replies::sign_in(server, secret, &opts)?;
        let layout = read_layout(&mut conn)?;
        let append_limit = conn.cap_value("APPENDLIMIT").and_then(|v| v.parse().ok());
        Ok(Self {
            report: UploadReport {
                server: server.display(),
                separator: layout.separator,
                ..UploadReport::default()
            },
            conn,
            layout,
            opts,
            renames: Vec::new(),
            append_limit,
            current: None,
            _lock: lock,
            oversize: None,
        })
    }

    /// From now on, each message the server refuses as too large (or that is over its
    /// APPENDLIMIT) is also handed to `keep`.
    pub fn keep_oversize(&mut self, keep: Oversize) {
        self.oversize = Some(keep);
    }

    /// Records a refusal; one for size also goes to the keeper.
    fn refuse(&mut self, item: &Item, lit: Literal, why: String, size: bool) -> Result<()> {
        let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
        cur.rep.rejected.push(rejected(item, why));
        match self.oversize.as_mut() {
            Some(keep) if size => keep(item, lit),
            _ => Ok(()),
        }
    }

    /// Refuses a message over the server's APPENDLIMIT (RFC 7889) before sending it.
    fn over_limit(&mut self, item: &Item, lit: Literal) -> Result<bool> {
        match self.append_limit {
            Some(limit) if item.size > limit => {
                let why = format!("larger than the server's APPENDLIMIT of {limit} bytes");
                self.refuse(item, lit, why, true)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Where each folder would go (nothing is changed).
    pub fn map(&self, folders: &[(Vec<String>, Option<Special>)]) -> Vec<Mapping> {
        mapping::map(folders, &self.layout, self.opts.under.as_deref())
    }

    /// Starts a folder: creates its mailbox (and parents) if missing, selects it and reads
    /// the Message-IDs already there.
    /// A name the server refuses at CREATE gets a cleaned one (reported in the folder's
    /// `note`; its sub-folders follow it); if that is refused too, the folder's messages are
    /// reported as not uploaded and the upload goes on with the next folder.
    pub fn begin_folder(&mut self, map: Mapping) -> Result<()> {
        if self.current.is_some() {
            self.end_folder()?;
        }
        let OpenMailbox {
            map,
            created,
            note,
            failed,
            permanent,
            present: remaining,
        } = self.open_mailbox(map)?;
        let before = remaining.clone();
        self.current = Some(Current {
            failed,
            rep: FolderUpload {
                note,
                path: map.path.clone(),
                mailbox: map.mailbox.clone(),
                special: map.special,
                messages: 0,
                present: 0,
                appended: 0,
                bytes: 0,
                rejected: Vec::new(),
                server_count: 0,
                missing: Vec::new(),
                missing_count: 0,
                extra_count: 0,
                duplicates: 0,
                verified: false,
            },
            map,
            remaining,
            before,
            appended: HashMap::new(),
            created,
            offered: HashMap::new(),
            permanent,
            queue: Vec::new(),
            queued: 0,
        });
        Ok(())
    }

    /// Offers one message of the current folder: skipped if the server has it, else queued
    /// and appended with its batch. Returns whether it was already there.
    pub fn add(&mut self, item: Item) -> Result<bool> {
        if let Some(present) = self.admit(&item)? {
            return Ok(present);
        }
        if self.over_limit(&item, Literal::Bytes(&item.bytes))? {
            return Ok(false);
        }
        let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
        cur.queued += item.size;
        cur.queue.push(item);
        // Several messages in one APPEND only where the server says it takes them (RFC 3502):
        // Courier stores the first of a batch it cannot take, then refuses the command.
        let batch = if self.conn.has("MULTIAPPEND") {
            self.opts.batch
        } else {
            1
        };
        if cur.queue.len() >= batch || cur.queued >= self.opts.batch_bytes {
            self.flush()?;
        }
        Ok(false)
    }

    /// Offers a converted message, as [`add`](Self::add) does; one whose attachment data
    /// is still in the PST is appended at once, alone, and read from `pst` as it is sent.
    pub fn add_message(
        &mut self,
        meta: super::ItemMeta,
        bytes: &crate::mime::MessageBytes,
        pst: &crate::pst::Pst,
    ) -> Result<bool> {
        if !bytes.is_streamed() {
            let whole = bytes
                .to_vec(pst, u64::MAX)
                .map_err(|e| ImapError::Protocol(e.to_string()))?;
            return self.add(Item::new(meta, whole));
        }
        let mut item = Item::new(meta, Vec::new());
        item.size = usize::try_from(bytes.len()).unwrap_or(usize::MAX);
        if let Some(present) = self.admit(&item)? {
            return Ok(present);
        }
        if self.over_limit(&item, Literal::Streamed(bytes, pst))? {
            return Ok(false);
        }
        self.flush()?;
        let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
        let wire = cur.map.wire.clone();
        let flags = imap_flags(&item.flags, &cur.permanent);
        let st = self.append_retrying(
            &wire,
            std::slice::from_ref(&item),
            std::slice::from_ref(&flags),
            Some(Literal::Streamed(bytes, pst)),
        )?;
        if st.ok {
            let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
            cur.note_appended(&item);
        } else {
            let why = format!("{} {}", st.kind, st.text);
            self.refuse(&item, Literal::Streamed(bytes, pst), why, too_large(&st))?;
        }
        Ok(false)
    }

    /// Counts an offered message and decides what needs no sending: `Some(true)` when the
    /// server has it, `Some(false)` when it is refused here, `None` when it is to be sent.
    fn admit(&mut self, item: &Item) -> Result<Option<bool>> {
        let cur = self
            .current
            .as_mut()
            .ok_or_else(|| ImapError::Protocol("message outside a folder".into()))?;
        cur.rep.messages += 1;
        *cur.offered.entry(item.message_id.clone()).or_default() += 1;
        if let Some(why) = &cur.failed {
            let why = why.clone();
            cur.rep.rejected.push(rejected(item, why));
            return Ok(Some(false));
        }
        if let Some(n) = cur.remaining.get_mut(&item.message_id)
            && *n > 0
        {
            *n -= 1;
            cur.rep.present += 1;
            return Ok(Some(true));
        }
        Ok(None)
    }

    /// Appends what is queued.
    pub fn flush(&mut self) -> Result<()> {
        let Some(cur) = self.current.as_mut() else {
            return Ok(());
        };
        let queue = std::mem::take(&mut cur.queue);
        cur.queued = 0;
        if queue.is_empty() {
            return Ok(());
        }
        let wire = cur.map.wire.clone();
        let permanent = cur.permanent.clone();
        let flags: Vec<Vec<String>> = queue
            .iter()
            .map(|i| imap_flags(&i.flags, &permanent))
            .collect();
        let st = self.append_retrying(&wire, &queue, &flags, None)?;
        let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
        if st.ok {
            queue.iter().for_each(|i| cur.note_appended(i));
            return Ok(());
        }
        if queue.len() == 1 {
            let why = format!("{} {}", st.kind, st.text);
            let item = &queue[0];
            return self.refuse(item, Literal::Bytes(&item.bytes), why, too_large(&st));
        }
        // A MULTIAPPEND fails as a whole — in the spec. A server may have kept part of it:
        // what it holds now beyond what it had is not sent again.
        let mut kept = self.server_ids(&wire)?;
        let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
        for (id, n) in cur.before.iter().chain(&cur.appended) {
            if let Some(k) = kept.get_mut(id) {
                *k = k.saturating_sub(*n);
            }
        }
        // Then one at a time, to find the one refused.
        for (item, f) in queue.iter().zip(&flags) {
            if let Some(k) = kept.get_mut(&item.message_id)
                && *k > 0
            {
                *k -= 1;
                self.current
                    .as_mut()
                    .ok_or(ImapError::Timeout)?
                    .note_appended(item);
                continue;
            }
            let st = self.append_retrying(
                &wire,
                std::slice::from_ref(item),
                std::slice::from_ref(f),
                None,
            )?;
            if st.ok {
                let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
                cur.note_appended(item);
            } else {
                let why = format!("{} {}", st.kind, st.text);
                self.refuse(item, Literal::Bytes(&item.bytes), why, too_large(&st))?;
            }
        }
        Ok(())
    }

    fn append_retrying(
        &mut self,
        wire: &str,
        items: &[Item],
        flags: &[Vec<String>],
        streamed: Option<Literal>,
    ) -> Result<Status> {
        let mut waits = self.opts.backoff.clone().into_iter();
        loop {
            let batch: Vec<AppendItem> = items
                .iter()
                .zip(flags)
                .map(|(i, f)| AppendItem {
                    flags: f,
                    date: i.date.and_then(internal_date),
                    bytes: streamed.unwrap_or(Literal::Bytes(&i.bytes)),
                })
                .collect();
            let st = self.conn.append(wire, &batch)?;
            if st.ok || !is_throttle(&st) {
                return Ok(st);
            }
            // Throttled past every wait: a limit for the day or hour, not a refusal of these
            // messages — the upload stops here, and a rerun later sends the rest.
            match waits.next() {
                Some(w) => std::thread::sleep(w),
                None => return Err(ImapError::Throttled(format!("{} {}", st.kind, st.text))),
            }
        }
    }

    /// Ends the current folder: appends what is queued, then verifies against the server.
    pub fn end_folder(&mut self) -> Result<Option<&FolderUpload>> {
        self.flush()?;
        let Some(mut cur) = self.current.take() else {
            return Ok(None);
        };
        let on_server = match cur.failed {
            Some(_) => HashMap::new(),
            None => self.server_ids(&cur.map.wire)?,
        };
        cur.rep.server_count = on_server.values().sum();
        let mut missing: Vec<(String, u32)> = Vec::new();
        for (id, &n) in &cur.offered {
            let have = on_server.get(id).copied().unwrap_or(0);
            if have < n {
                missing.push((id.clone(), n - have));
            }
        }
        missing.sort();
        cur.rep.missing_count = missing.iter().map(|(_, n)| n).sum();
        cur.rep.missing = missing.into_iter().take(100).map(|(id, _)| id).collect();
        cur.rep.extra_count = on_server
            .iter()
            .map(|(id, &n)| n.saturating_sub(cur.offered.get(id).copied().unwrap_or(0)))
            .sum();
        // A message the PST has once (and the server had at most once) is there once.
        cur.rep.duplicates = cur
            .offered
            .iter()
            .map(|(id, &n)| {
                let want = n.max(cur.before.get(id).copied().unwrap_or(0));
                on_server.get(id).copied().unwrap_or(0).saturating_sub(want)
            })
            .sum();
        // In a mailbox this upload created, anything else is a message too many.
        cur.rep.verified = cur.rep.missing_count == 0
            && cur.rep.duplicates == 0
            && !(cur.created && cur.rep.extra_count > 0);
        self.layout
            .mailboxes
            .push((cur.map.wire.clone(), Vec::new()));
        self.report.folders.push(cur.rep);
        Ok(self.report.folders.last())
    }

    /// Finishes: ends the open folder, totals the report, logs out.
    pub fn finish(mut self, cancelled: bool) -> Result<UploadReport> {
        if !cancelled {
            self.end_folder()?;
        }
        self.report.cancelled = cancelled;
        self.report.total();
        let report = self.report.clone();
        self.conn.logout();
        Ok(report)
    }

    /// What the current folder has done so far.
    pub fn current(&self) -> Option<&FolderUpload> {
        self.current.as_ref().map(|c| &c.rep)
    }
}

fn rejected(item: &Item, reason: String) -> Rejected {
    Rejected {
        id: item.id,
        subject: item.subject.clone(),
        message_id: item.message_id.clone(),
        size: item.size,
        reason,
    }
}

#[cfg(test)]
mod tests;
