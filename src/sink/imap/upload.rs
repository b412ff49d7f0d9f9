//! Upload into an IMAP server: per folder, CREATE it if needed, read the Message-IDs
//! already there, APPEND only what is missing (MULTIAPPEND batches, RFC 3502; flags and
//! INTERNALDATE kept), then FETCH the Message-IDs again and compare with the PST's — the
//! verification a user can trust. Resume is the same operation run again.

use super::client::{AppendItem, Conn, Limits, Server, Status, Token, check, quote};
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
    /// Message-IDs of the PST (count per ID), for verification.
    offered: HashMap<String, u32>,
    /// Flags the server keeps for this mailbox; keywords only if `\*` is among them.
    permanent: Vec<String>,
    queue: Vec<Item>,
    queued: usize,
    rep: FolderUpload,
}

/// An upload session on one logged-in connection.
pub struct Uploader {
    conn: Conn,
    pub layout: ServerLayout,
    opts: UploadOptions,
    append_limit: Option<usize>,
    current: Option<Current>,
    pub report: UploadReport,
}

impl Uploader {
    /// Connects, logs in and reads the server's folder layout.
    pub fn connect(server: &Server, password: &str, opts: UploadOptions) -> Result<Self> {
        let mut conn = Conn::connect(server)?;
        conn.literal_plus = opts.literal_plus;
        conn.login(&server.user, password)?;
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
            append_limit,
            current: None,
        })
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
    pub fn begin_folder(&mut self, map: Mapping) -> Result<()> {
        if self.current.is_some() {
            self.end_folder()?;
        }
        if !self.layout.exists(&map.wire) {
            self.create(&map.wire)?;
        }
        let sel = self.select(&map.wire)?;
        let permanent = sel.permanent;
        let mut remaining: HashMap<String, u32> = HashMap::new();
        let existing = if sel.exists > 0 {
            self.fetch_all(false)?
        } else {
            Vec::new()
        };
        for m in existing {
            *remaining.entry(m.message_id).or_default() += 1;
        }
        self.current = Some(Current {
            rep: FolderUpload {
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
                verified: false,
            },
            map,
            remaining,
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
        if cur.queue.len() >= self.opts.batch || cur.queued >= self.opts.batch_bytes {
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
            cur.rep.appended += queue.len() as u32;
            cur.rep.bytes += queue.iter().map(|i| i.bytes.len() as u64).sum::<u64>();
            return Ok(());
        }
        if queue.len() == 1 {
            cur.rep
                .rejected
                .push(rejected(&queue[0], format!("{} {}", st.kind, st.text)));
            return Ok(());
        }
        // A MULTIAPPEND fails as a whole: send one at a time to find the one refused.
        for (item, f) in queue.iter().zip(&flags) {
            let st =
                self.append_retrying(&wire, std::slice::from_ref(item), std::slice::from_ref(f))?;
            let cur = self.current.as_mut().ok_or(ImapError::Timeout)?;
            if st.ok {
                cur.rep.appended += 1;
                cur.rep.bytes += item.bytes.len() as u64;
            } else {
                cur.rep
                    .rejected
                    .push(rejected(item, format!("{} {}", st.kind, st.text)));
            }
        }
        Ok(())
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
        // A fresh SELECT makes the server report messages appended on this connection.
        let sel = self.select(&cur.map.wire)?;
        let mut on_server: HashMap<String, u32> = HashMap::new();
        let all = if sel.exists > 0 {
            self.fetch_all(false)?
        } else {
            Vec::new()
        };
        cur.rep.server_count = all.len() as u32;
        for m in all {
            *on_server.entry(m.message_id).or_default() += 1;
        }
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
        cur.rep.verified = cur.rep.missing_count == 0;
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

    fn create(&mut self, wire: &str) -> Result<()> {
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
        let st = self.conn.run(&format!("CREATE {}", quote(wire)))?.1;
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

    /// A scripted IMAP server: APPENDLIMIT=2000, and the first APPEND is throttled.
    /// Returns its port and, when done, how many APPEND commands and messages it saw.
    fn fake_server() -> (u16, std::thread::JoinHandle<(u32, u32)>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let mut w = s.try_clone().unwrap();
            let mut r = BufReader::new(s);
            let caps = "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ MULTIAPPEND APPENDLIMIT=2000";
            write!(w, "* OK [CAPABILITY {caps}] fake\r\n").unwrap();
            let (mut appends, mut messages) = (0u32, 0u32);
            let mut ids: Vec<String> = Vec::new();
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap() == 0 {
                    return (appends, messages);
                }
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
                        appends += 1;
                        let mut cur = line.clone();
                        let mut got = Vec::new();
                        while let Some(n) = cur
                            .trim_end()
                            .strip_suffix("+}")
                            .and_then(|c| c.rsplit('{').next())
                            .and_then(|n| n.parse::<usize>().ok())
                        {
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
                        if appends == 1 {
                            format!("{tag} NO [UNAVAILABLE] Suggested Backoff Time: 1 ms\r\n")
                        } else {
                            messages += got.len() as u32;
                            ids.extend(got);
                            format!("{tag} OK [APPENDUID 1 1] done\r\n")
                        }
                    }
                    "LOGOUT" => {
                        write!(w, "* BYE\r\n{tag} OK\r\n").unwrap();
                        return (appends, messages);
                    }
                    _ => format!("{tag} OK\r\n"),
                };
                w.write_all(reply.as_bytes()).unwrap();
            }
        });
        (port, h)
    }

    #[test]
    fn throttling_is_retried_and_appendlimit_reported() {
        let (port, server) = fake_server();
        let s = Server::parse(&format!("imap://u@127.0.0.1:{port}"), true).unwrap();
        let opts = UploadOptions {
            backoff: vec![Duration::from_millis(1); 3],
            ..UploadOptions::default()
        };
        let mut up = Uploader::connect(&s, "pw", opts).unwrap();
        up.begin_folder(Mapping {
            path: vec!["Inbox".into()],
            special: Some(Special::Inbox),
            mailbox: "INBOX".into(),
            wire: "INBOX".into(),
        })
        .unwrap();
        for (i, size) in [100usize, 3000, 200].into_iter().enumerate() {
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
        assert_eq!(server.join().unwrap(), (2, 2));
    }
}
