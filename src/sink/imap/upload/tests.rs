//! The uploader against scripted servers: throttling, APPENDLIMIT, Courier's batches,
//! duplicates, CREATE-SPECIAL-USE.

use super::*;
use std::io::{BufRead, BufReader, Write};

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
    /// Every message stored.
    Store,
    /// The first APPEND is throttled, the rest stored.
    ThrottleFirst,
    /// Courier without MULTIAPPEND: of several messages, the first is stored, then NO.
    KeepFirstOfBatch,
    /// Every message stored twice.
    StoreTwice,
    /// Every APPEND throttled (a provider's daily limit reached).
    ThrottleAlways,
}

impl Policy {
    fn decide(self, n: u32, got: usize) -> (usize, u32, bool) {
        match self {
            Policy::ThrottleFirst if n == 1 => (0, 1, false),
            Policy::KeepFirstOfBatch if got > 1 => (1, 1, false),
            Policy::StoreTwice => (got, 2, true),
            Policy::ThrottleAlways => (0, 1, false),
            _ => (got, 1, true),
        }
    }
}

/// A scripted IMAP server with capabilities `caps` (literals wait for `+` unless
/// LITERAL+ is among them). Returns its port and, when done, what it saw.
fn fake_server(caps: &'static str, policy: Policy) -> (u16, std::thread::JoinHandle<Seen>) {
    busy_then_fake_server(caps, policy, 0)
}

/// [`fake_server`], after refusing `busy` sign-ins as Gmail does when an account has too
/// many connections (each on a connection of its own).
fn busy_then_fake_server(
    caps: &'static str,
    policy: Policy,
    busy: usize,
) -> (u16, std::thread::JoinHandle<Seen>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        for _ in 0..busy {
            let (s, _) = l.accept().unwrap();
            let mut w = s.try_clone().unwrap();
            let mut r = BufReader::new(s);
            write!(w, "* OK [CAPABILITY {caps}] fake\r\n").unwrap();
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                let tag = line.split(' ').next().unwrap_or("*").to_string();
                let _ = write!(
                    w,
                    "{tag} NO [UNAVAILABLE] Too many simultaneous connections. (Failure)\r\n"
                );
                line.clear();
            }
        }
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
                    let got = read_append(&line, &mut r, &mut w);
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
                    // The client may close as soon as it has sent LOGOUT.
                    let _ = write!(w, "* BYE\r\n{tag} OK\r\n");
                    return seen;
                }
                _ => format!("{tag} OK\r\n"),
            };
            w.write_all(reply.as_bytes()).unwrap();
        }
    });
    (port, h)
}

/// The rest of an APPEND whose first line is `line`: each message's literal (a `+` asked
/// for unless LITERAL+), read to its Message-ID.
fn read_append(line: &str, r: &mut impl BufRead, w: &mut impl Write) -> Vec<String> {
    let mut cur = line.to_string();
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
            return got;
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
}

/// Uploads messages of `sizes` bytes into INBOX of the server on `port`.
fn inbox() -> Mapping {
    Mapping {
        path: vec!["Inbox".into()],
        special: Some(Special::Inbox),
        mailbox: "INBOX".into(),
        wire: "INBOX".into(),
    }
}

fn upload(port: u16, sizes: &[usize]) -> FolderUpload {
    upload_to(port, inbox(), sizes)
}

/// Signed in to the scripted server on `port`, waiting 1 ms between throttled tries.
fn connect(port: u16) -> Uploader {
    let s = Server::parse(&format!("imap://u@127.0.0.1:{port}"), true).unwrap();
    let opts = UploadOptions {
        backoff: vec![Duration::from_millis(1); 3],
        ..UploadOptions::default()
    };
    Uploader::connect(&s, "pw", opts).unwrap()
}

/// Message `i` (Message-ID `mi@x`) of `size` bytes.
fn item(i: usize, size: usize) -> Item {
    let mut bytes = format!("Message-ID: <m{i}@x>\r\nSubject: s\r\n\r\n").into_bytes();
    bytes.resize(size, b'x');
    Item {
        id: i as u32,
        subject: format!("m{i}"),
        message_id: format!("m{i}@x"),
        flags: MailFlags::default(),
        date: None,
        size: bytes.len(),
        bytes,
    }
}

/// Uploads messages of `sizes` bytes into `map` on the server on `port`.
fn upload_to(port: u16, map: Mapping, sizes: &[usize]) -> FolderUpload {
    let mut up = connect(port);
    up.begin_folder(map).unwrap();
    for (i, &size) in sizes.iter().enumerate() {
        up.add(item(i, size)).unwrap();
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

/// An account with too many connections (Gmail's "Too many simultaneous connections") is
/// waited for and signed in to again, not taken for a wrong password; past every wait, the
/// upload stops as throttled.
#[test]
fn a_busy_account_is_signed_in_to_again_after_a_wait() {
    let caps = "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ MULTIAPPEND";
    let (port, server) = busy_then_fake_server(caps, Policy::Store, 2);
    let rep = upload(port, &[100, 200]);
    assert_eq!((rep.messages, rep.appended, rep.server_count), (2, 2, 2));
    assert_eq!(server.join().unwrap().appends().0, 1);
    let (port, _server) = busy_then_fake_server(caps, Policy::Store, 9);
    let s = Server::parse(&format!("imap://u@127.0.0.1:{port}"), true).unwrap();
    let opts = UploadOptions {
        backoff: vec![Duration::from_millis(1); 3],
        ..UploadOptions::default()
    };
    match Uploader::connect(&s, "pw", opts) {
        Err(ImapError::Throttled(why)) => assert!(why.contains("simultaneous"), "{why}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("signed in to a busy account"),
    }
}

/// Throttled past every wait (a daily limit): the upload stops with the server's words,
/// the messages are not counted as refused (a rerun sends them), and no fourth try is made.
#[test]
fn throttling_past_every_wait_stops_the_upload_refusing_nothing() {
    let caps = "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ MULTIAPPEND";
    let (port, server) = fake_server(caps, Policy::ThrottleAlways);
    let mut up = connect(port);
    up.begin_folder(inbox()).unwrap();
    for i in 0..2 {
        up.add(item(i, 100)).unwrap();
    }
    match up.flush() {
        Err(ImapError::Throttled(why)) => assert!(why.contains("UNAVAILABLE"), "{why}"),
        other => panic!("expected a stop for throttling, got {other:?}"),
    }
    assert!(up.current().unwrap().rejected.is_empty());
    up.finish(true).unwrap();
    // The first try and one per wait; nothing stored.
    let seen = server.join().unwrap();
    assert_eq!(seen.appends(), (4, vec![], 2));
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
