//! Upload into an IMAP server: per folder, CREATE it if needed, read the Message-IDs
//! already there, APPEND only what is missing (MULTIAPPEND batches, RFC 3502; flags and
//! INTERNALDATE kept), then FETCH the Message-IDs again and compare with the PST's — the
//! verification a user can trust. Resume is the same operation run again.

use super::client::{AppendItem, Conn, Limits, Secret, Server, Status, Token, check, quote};
use super::flags::{imap_flags, internal_date};
use super::layout::read_layout;
use super::mapping::{self, Mapping, ServerLayout, Special};
pub use super::report::{FolderUpload, Rejected, UploadReport};
pub use super::response::ServerMessage;
use super::response::{list_atoms, server_message};
use super::{ImapError, Result};
use crate::mime::MailFlags;
use std::collections::HashMap;
use std::time::Duration;

/// Tuning and behaviour of an upload.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Messages per MULTIAPPEND command.
    pub batch: usize,
    /// Bytes per MULTIAPPEND command (one bigger message still goes alone).
    pub batch_bytes: usize,
    /// Put every folder below this one (`/`-separated), mapping nothing specially.
    pub under: Option<String>,
    /// Waits between retries when the server throttles (`[UNAVAILABLE]`, "try again").
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
            backoff: [1, 2, 4, 8, 16, 32]
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
    pub bytes: Vec<u8>,
}

struct Selected {
    /// Flags the server keeps for this mailbox.
    permanent: Vec<String>,
    exists: u32,
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
        self.rep.bytes += item.bytes.len() as u64;
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
}

impl Uploader {
    /// Connects, logs in with a password and reads the server's folder layout.
    pub fn connect(server: &Server, password: &str, opts: UploadOptions) -> Result<Self> {
        Self::connect_with(server, &Secret::Password(password.to_string()), opts)
    }

    /// Connects, signs in (password or OAuth2 token) and reads the server's folder layout.
    pub fn connect_with(server: &Server, secret: &Secret, opts: UploadOptions) -> Result<Self> {
        let mut conn = Conn::connect(server)?;
        conn.literal_plus = opts.literal_plus;
        conn.sign_in(&server.user, secret)?;
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
        })
    }

    /// `map` under the names its parents were created with.
    fn renamed(&self, mut map: Mapping) -> Mapping {
        let sep = self.layout.separator.map(String::from).unwrap_or_default();
        for (old, new) in self.renames.iter().rev() {
            let under = format!("{old}{sep}");
            if !sep.is_empty() && map.mailbox.starts_with(&under) {
                map.mailbox = format!("{new}{sep}{}", &map.mailbox[under.len()..]);
                map.wire = super::utf7::encode(&map.mailbox);
                break;
            }
        }
        map
    }

    /// Where each folder would go (nothing is changed).
    pub fn map(&self, folders: &[(Vec<String>, Option<Special>)]) -> Vec<Mapping> {
        mapping::map(folders, &self.layout, self.opts.under.as_deref())
    }

    /// Messages already in a mailbox (0 if it does not exist).
    pub fn count(&mut self, wire: &str) -> Result<u32> {
        if !self.layout.exists(wire) {
            return Ok(0);
        }
        let (resp, st) = self
            .conn
            .run(&format!("STATUS {} (MESSAGES)", quote(wire)))?;
        check(&st, "STATUS")?;
        Ok(resp
            .iter()
            .find_map(|r| {
                let t = r.tokens();
                match t.last() {
                    Some(Token::List(l)) => l
                        .windows(2)
                        .find(|w| w[0] == Token::Atom("MESSAGES".into()))
                        .and_then(|w| w[1].text()?.parse().ok()),
                    _ => None,
                }
            })
            .unwrap_or(0))
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
        let mut map = self.renamed(map);
        let created = !self.layout.exists(&map.wire);
        let mut note = None;
        let mut failed = None;
        if created {
            let special = map.special.filter(|_| map.path.len() == 1);
            match self.create(&map.wire, special) {
                Ok(()) => {}
                Err(ImapError::Refused(why)) => {
                    let alt = mapping::fallback(&map, &self.layout);
                    match self.create(&alt.wire, special) {
                        Ok(()) => {
                            note = Some(format!(
                                "the server refused the name “{}” ({why}): uploaded as “{}”",
                                map.mailbox, alt.mailbox
                            ));
                            self.renames
                                .push((map.mailbox.clone(), alt.mailbox.clone()));
                            map = alt;
                        }
                        Err(ImapError::Refused(again)) => {
                            failed = Some(format!(
                                "the server refused the folder as “{}” ({why}) and as “{}” ({again})",
                                map.mailbox, alt.mailbox
                            ));
                        }
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let mut remaining: HashMap<String, u32> = HashMap::new();
        let mut permanent = Vec::new();
        if failed.is_none() {
            let sel = self.select(&map.wire)?;
            permanent = sel.permanent;
            if sel.exists > 0 {
                for m in self.fetch_all(false)? {
                    *remaining.entry(m.message_id).or_default() += 1;
                }
            }
        }
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
        let cur = self
            .current
            .as_mut()
            .ok_or_else(|| ImapError::Protocol("message outside a folder".into()))?;
        cur.rep.messages += 1;
        *cur.offered.entry(item.message_id.clone()).or_default() += 1;
        if let Some(why) = &cur.failed {
            let why = why.clone();
            cur.rep.rejected.push(rejected(&item, why));
            return Ok(false);
        }
        if let Some(n) = cur.remaining.get_mut(&item.message_id)
            && *n > 0
        {
            *n -= 1;
            cur.rep.present += 1;
            return Ok(true);
        }
        if let Some(limit) = self.append_limit
            && item.bytes.len() > limit
        {
            cur.rep.rejected.push(rejected(
                &item,
                format!("larger than the server's APPENDLIMIT of {limit} bytes"),
            ));
            return Ok(false);
        }
        cur.queued += item.bytes.len();
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
        let st = self.append_retrying(&wire, &queue, &flags)?;
        let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
        if st.ok {
            queue.iter().for_each(|i| cur.note_appended(i));
            return Ok(());
        }
        if queue.len() == 1 {
            cur.rep
                .rejected
                .push(rejected(&queue[0], format!("{} {}", st.kind, st.text)));
            return Ok(());
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
            let st =
                self.append_retrying(&wire, std::slice::from_ref(item), std::slice::from_ref(f))?;
            let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
            if st.ok {
                cur.note_appended(item);
            } else {
                cur.rep
                    .rejected
                    .push(rejected(item, format!("{} {}", st.kind, st.text)));
            }
        }
        Ok(())
    }

    /// The Message-IDs in a mailbox now (count per ID). A fresh SELECT makes the server
    /// report messages appended on this connection.
    fn server_ids(&mut self, wire: &str) -> Result<HashMap<String, u32>> {
        let sel = self.select(wire)?;
        let mut ids: HashMap<String, u32> = HashMap::new();
        if sel.exists > 0 {
            for m in self.fetch_all(false)? {
                *ids.entry(m.message_id).or_default() += 1;
            }
        }
        Ok(ids)
    }

    fn append_retrying(
        &mut self,
        wire: &str,
        items: &[Item],
        flags: &[Vec<String>],
    ) -> Result<Status> {
        let mut waits = self.opts.backoff.clone().into_iter();
        loop {
            let batch: Vec<AppendItem> = items
                .iter()
                .zip(flags)
                .map(|(i, f)| AppendItem {
                    flags: f,
                    date: i.date.and_then(internal_date),
                    bytes: &i.bytes,
                })
                .collect();
            let st = self.conn.append(wire, &batch)?;
            if st.ok || !is_throttle(&st) {
                return Ok(st);
            }
            match waits.next() {
                Some(w) => std::thread::sleep(w),
                None => return Ok(st),
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

    /// Creates a mailbox (and its parents). `special`: the mailbox is the special folder of
    /// that kind, marked so where the server takes it (CREATE-SPECIAL-USE, RFC 6154 §3).
    fn create(&mut self, wire: &str, special: Option<Special>) -> Result<()> {
        // Parents first: not every server creates them.
        if let Some(sep) = self.layout.separator {
            let mut at = 0;
            while let Some(i) = wire[at..].find(sep) {
                let parent = &wire[..at + i];
                at += i + sep.len_utf8();
                if !parent.is_empty() && !self.layout.exists(parent) {
                    let st = self.conn.run(&format!("CREATE {}", quote(parent)))?.1;
                    if st.ok || is_exists(&st) {
                        self.layout.mailboxes.push((parent.to_string(), Vec::new()));
                    }
                }
            }
        }
        let marked = special
            .filter(|s| *s != Special::Inbox && self.conn.has("CREATE-SPECIAL-USE"))
            .map(|s| {
                let cmd = format!("CREATE {} (USE ({}))", quote(wire), s.attribute());
                self.conn.run(&cmd).map(|(_, st)| st)
            })
            .transpose()?;
        // A server that cannot mark it (NO [USEATTR]) still creates it unmarked.
        let st = match marked {
            Some(st) if st.ok || is_exists(&st) => st,
            _ => self.conn.run(&format!("CREATE {}", quote(wire)))?.1,
        };
        if !(st.ok || is_exists(&st)) {
            check(&st, &format!("CREATE {}", super::utf7::decode(wire)))?;
        }
        let _ = self.conn.run(&format!("SUBSCRIBE {}", quote(wire)))?;
        self.layout.mailboxes.push((wire.to_string(), Vec::new()));
        Ok(())
    }

    /// Selects a mailbox.
    fn select(&mut self, wire: &str) -> Result<Selected> {
        let (resp, st) = self.conn.run(&format!("SELECT {}", quote(wire)))?;
        check(&st, &format!("SELECT {}", super::utf7::decode(wire)))?;
        let mut flags = Vec::new();
        let mut permanent = None;
        let mut exists = 0;
        for r in &resp {
            if let Some(code) = r.code()
                && let Some(rest) = code.strip_prefix("PERMANENTFLAGS ")
            {
                permanent = Some(list_atoms(rest));
            }
            let t = r.tokens();
            if matches!(t.get(2), Some(Token::Atom(a)) if a.eq_ignore_ascii_case("EXISTS")) {
                exists = t
                    .get(1)
                    .and_then(Token::text)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
            }
            if matches!(t.get(1), Some(Token::Atom(a)) if a.eq_ignore_ascii_case("FLAGS"))
                && let Some(Token::List(l)) = t.get(2)
            {
                flags = l.iter().filter_map(Token::text).collect();
            }
        }
        // No PERMANENTFLAGS means every flag of FLAGS is permanent (RFC 3501 §7.1).
        Ok(Selected {
            permanent: permanent.unwrap_or(flags),
            exists,
        })
    }

    /// Message-ID (and flags, INTERNALDATE) of every message in the selected mailbox.
    pub fn fetch_all(&mut self, with_flags: bool) -> Result<Vec<ServerMessage>> {
        let items = if with_flags {
            "(FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        } else {
            "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        };
        let mut out = Vec::new();
        let st = self
            .conn
            .run_each(&format!("FETCH 1:* {items}"), FETCH_LIMITS, |r| {
                out.extend(server_message(&r));
                Ok(())
            })?;
        check(&st, "FETCH")?;
        Ok(out)
    }

    /// Selects a mailbox (by its display name) and fetches everything: for checks.
    pub fn messages_in(&mut self, mailbox: &str) -> Result<Vec<ServerMessage>> {
        if self.select(&super::utf7::encode(mailbox))?.exists == 0 {
            return Ok(Vec::new());
        }
        self.fetch_all(true)
    }
}

/// One mailbox's FETCH: a message's few hundred bytes, for the largest folders people keep.
const FETCH_LIMITS: Limits = Limits {
    responses: 2_000_000,
    bytes: 512 << 20,
};

fn rejected(item: &Item, reason: String) -> Rejected {
    Rejected {
        id: item.id,
        subject: item.subject.clone(),
        message_id: item.message_id.clone(),
        size: item.bytes.len(),
        reason,
    }
}

fn is_exists(st: &Status) -> bool {
    st.code.as_deref() == Some("ALREADYEXISTS") || st.text.to_ascii_lowercase().contains("exists")
}

/// Throttling replies: RFC 5530 `[UNAVAILABLE]`/`[INUSE]`, and Microsoft's "Suggested
/// Backoff Time" / "try again" texts.
fn is_throttle(st: &Status) -> bool {
    let code = st.code.as_deref().unwrap_or("").to_ascii_uppercase();
    let text = st.text.to_ascii_lowercase();
    code == "UNAVAILABLE"
        || code == "INUSE"
        || code == "THROTTLED"
        || text.contains("backoff")
        || text.contains("throttl")
        || text.contains("try again")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};

    /// What the scripted server saw: APPEND commands, the Message-IDs it stored, the most
    /// messages one APPEND carried, and every command line.
    #[derive(Debug, Default)]
    struct Seen {
        appends: u32,
        ids: Vec<String>,
        most: usize,
        commands: Vec<String>,
    }

    impl Seen {
        fn appends(&self) -> (u32, Vec<String>, usize) {
            (self.appends, self.ids.clone(), self.most)
        }
    }

    /// What the scripted server does with an APPEND of `got` messages (the `n`-th APPEND):
    /// how many of them it stores (from the first; each `copies` times) and whether it says OK.
    #[derive(Clone, Copy)]
    enum Policy {
        /// The first APPEND is throttled, the rest stored.
        ThrottleFirst,
        /// Courier without MULTIAPPEND: of several messages, the first is stored, then NO.
        KeepFirstOfBatch,
        /// Every message stored twice.
        StoreTwice,
    }

    impl Policy {
        fn decide(self, n: u32, got: usize) -> (usize, u32, bool) {
            match self {
                Policy::ThrottleFirst if n == 1 => (0, 1, false),
                Policy::KeepFirstOfBatch if got > 1 => (1, 1, false),
                Policy::StoreTwice => (got, 2, true),
                _ => (got, 1, true),
            }
        }
    }

    /// A scripted IMAP server with capabilities `caps` (literals wait for `+` unless
    /// LITERAL+ is among them). Returns its port and, when done, what it saw.
    fn fake_server(caps: &'static str, policy: Policy) -> (u16, std::thread::JoinHandle<Seen>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let mut w = s.try_clone().unwrap();
            let mut r = BufReader::new(s);
            write!(w, "* OK [CAPABILITY {caps}] fake\r\n").unwrap();
            let mut seen = Seen::default();
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap() == 0 {
                    return seen;
                }
                seen.commands.push(line.trim_end().to_string());
                let Seen {
                    appends, ids, most, ..
                } = &mut seen;
                let (tag, rest) = line.trim_end().split_once(' ').unwrap();
                let cmd = rest.split(' ').next().unwrap().to_ascii_uppercase();
                let reply = match cmd.as_str() {
                    "AUTHENTICATE" => format!("{tag} OK [CAPABILITY {caps}] in\r\n"),
                    "LIST" if rest.ends_with("\"\"") => {
                        format!("* LIST (\\Noselect) \"/\" \"\"\r\n{tag} OK\r\n")
                    }
                    "LIST" => format!("* LIST () \"/\" INBOX\r\n{tag} OK\r\n"),
                    "SELECT" => format!(
                        "* {} EXISTS\r\n* OK [PERMANENTFLAGS (\\Seen \\*)] ok\r\n{tag} OK\r\n",
                        ids.len()
                    ),
                    "FETCH" => {
                        let mut out = String::new();
                        for (i, id) in ids.iter().enumerate() {
                            let h = format!("Message-ID: <{id}>\r\n\r\n");
                            out.push_str(&format!(
                                "* {} FETCH (BODY[HEADER.FIELDS (MESSAGE-ID)] {{{}}}\r\n{h})\r\n",
                                i + 1,
                                h.len()
                            ));
                        }
                        format!("{out}{tag} OK\r\n")
                    }
                    "APPEND" => {
                        *appends += 1;
                        let mut cur = line.clone();
                        let mut got = Vec::new();
                        loop {
                            let t = cur.trim_end();
                            let (n, plus) = match t.strip_suffix("+}") {
                                Some(c) => (c.rsplit('{').next(), true),
                                None => (
                                    t.strip_suffix('}').and_then(|c| c.rsplit('{').next()),
                                    false,
                                ),
                            };
                            let Some(n) = n.and_then(|n| n.parse::<usize>().ok()) else {
                                break;
                            };
                            if !plus {
                                w.write_all(b"+ go on\r\n").unwrap();
                            }
                            let mut body = vec![0u8; n];
                            r.read_exact(&mut body).unwrap();
                            let text = String::from_utf8_lossy(&body).into_owned();
                            got.push(crate::mime::normalize_message_id(
                                text.split("Message-ID:")
                                    .nth(1)
                                    .unwrap_or("")
                                    .lines()
                                    .next()
                                    .unwrap_or(""),
                            ));
                            cur.clear();
                            r.read_line(&mut cur).unwrap();
                        }
                        *most = (*most).max(got.len());
                        let (keep, copies, ok) = policy.decide(*appends, got.len());
                        for id in got.into_iter().take(keep) {
                            for _ in 0..copies {
                                ids.push(id.clone());
                            }
                        }
                        if ok {
                            format!("{tag} OK [APPENDUID 1 1] done\r\n")
                        } else if keep == 0 {
                            format!("{tag} NO [UNAVAILABLE] Suggested Backoff Time: 1 ms\r\n")
                        } else {
                            format!("{tag} NO Unexpected data after the message\r\n")
                        }
                    }
                    "LOGOUT" => {
                        write!(w, "* BYE\r\n{tag} OK\r\n").unwrap();
                        return seen;
                    }
                    _ => format!("{tag} OK\r\n"),
                };
                w.write_all(reply.as_bytes()).unwrap();
            }
        });
        (port, h)
    }

    /// Uploads messages of `sizes` bytes into INBOX of the server on `port`.
    fn upload(port: u16, sizes: &[usize]) -> FolderUpload {
        let inbox = Mapping {
            path: vec!["Inbox".into()],
            special: Some(Special::Inbox),
            mailbox: "INBOX".into(),
            wire: "INBOX".into(),
        };
        upload_to(port, inbox, sizes)
    }

    /// Uploads messages of `sizes` bytes into `map` on the server on `port`.
    fn upload_to(port: u16, map: Mapping, sizes: &[usize]) -> FolderUpload {
        let s = Server::parse(&format!("imap://u@127.0.0.1:{port}"), true).unwrap();
        let opts = UploadOptions {
            backoff: vec![Duration::from_millis(1); 3],
            ..UploadOptions::default()
        };
        let mut up = Uploader::connect(&s, "pw", opts).unwrap();
        up.begin_folder(map).unwrap();
        for (i, &size) in sizes.iter().enumerate() {
            let mut bytes = format!("Message-ID: <m{i}@x>\r\nSubject: s\r\n\r\n").into_bytes();
            bytes.resize(size, b'x');
            up.add(Item {
                id: i as u32,
                subject: format!("m{i}"),
                message_id: format!("m{i}@x"),
                flags: MailFlags::default(),
                date: None,
                bytes,
            })
            .unwrap();
        }
        let rep = up.end_folder().unwrap().unwrap().clone();
        up.finish(false).unwrap();
        rep
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("m{i}@x")).collect()
    }

    #[test]
    fn without_multiappend_each_message_is_its_own_append_and_stored_once() {
        // Courier's capabilities: neither MULTIAPPEND nor LITERAL+.
        let (port, server) = fake_server("IMAP4rev1 AUTH=PLAIN SASL-IR", Policy::KeepFirstOfBatch);
        let rep = upload(port, &[100; 5]);
        assert_eq!(server.join().unwrap().appends(), (5, ids(5), 1));
        assert_eq!((rep.appended, rep.duplicates, rep.verified), (5, 0, true));
    }

    #[test]
    fn what_a_refused_batch_left_on_the_server_is_not_sent_again() {
        // Says MULTIAPPEND, yet keeps the first message of a batch and refuses it.
        let caps = "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ MULTIAPPEND";
        let (port, server) = fake_server(caps, Policy::KeepFirstOfBatch);
        let rep = upload(port, &[100; 3]);
        // The batch, then m1 and m2 alone; m0 was kept.
        assert_eq!(server.join().unwrap().appends(), (3, ids(3), 3));
        assert_eq!((rep.appended, rep.duplicates, rep.verified), (3, 0, true));
    }

    #[test]
    fn a_message_stored_twice_is_not_verified() {
        let caps = "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ MULTIAPPEND";
        let (port, server) = fake_server(caps, Policy::StoreTwice);
        let rep = upload(port, &[100; 2]);
        assert_eq!(server.join().unwrap().ids.len(), 4);
        assert_eq!(
            (rep.missing_count, rep.duplicates, rep.verified),
            (0, 2, false)
        );
    }

    #[test]
    fn throttling_is_retried_and_appendlimit_reported() {
        let caps = "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ MULTIAPPEND APPENDLIMIT=2000";
        let (port, server) = fake_server(caps, Policy::ThrottleFirst);
        let rep = upload(port, &[100, 3000, 200]);
        assert_eq!((rep.messages, rep.appended, rep.server_count), (3, 2, 2));
        assert_eq!(rep.rejected.len(), 1);
        assert_eq!(rep.rejected[0].message_id, "m1@x");
        assert!(
            rep.rejected[0].reason.contains("APPENDLIMIT of 2000"),
            "{:?}",
            rep.rejected
        );
        assert_eq!(
            (rep.missing_count, rep.missing.clone(), rep.verified),
            (1, vec!["m1@x".to_string()], false)
        );
        // One throttled MULTIAPPEND of the two, retried once: nothing dropped, nothing twice.
        assert_eq!(
            server.join().unwrap().appends(),
            (2, vec!["m0@x".to_string(), "m2@x".to_string()], 2)
        );
    }

    #[test]
    fn a_special_folder_it_creates_is_marked_where_the_server_takes_it() {
        let caps = "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ MULTIAPPEND CREATE-SPECIAL-USE";
        let (port, server) = fake_server(caps, Policy::StoreTwice);
        let sent = Mapping {
            path: vec!["Sent Items".into()],
            special: Some(Special::Sent),
            mailbox: "Sent Items".into(),
            wire: "Sent Items".into(),
        };
        upload_to(port, sent, &[]);
        let seen = server.join().unwrap();
        assert!(
            seen.commands
                .iter()
                .any(|c| c.ends_with(" CREATE \"Sent Items\" (USE (\\Sent))")),
            "{:?}",
            seen.commands
        );
    }
}
