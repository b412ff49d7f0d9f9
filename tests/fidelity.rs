//! Every field proved against an independent source (issue 14): attachments decode to the
//! bytes the PST holds from every output, generated ids do not repeat between files, and an
//! attached message carries no mailbox status of its own.

mod common;

use mail_parser::{MessageParser, MimeHeaders};
use unpst::convert::{FolderItems, Options, Outcome, convert};
use unpst::pst::messaging::AttachmentContent;
use unpst::pst::{Message, Pst};
use unpst::sink::MemTree;

fn convert_all(pst: &Pst) -> MemTree {
    let mut sink = MemTree::default();
    let opts = Options {
        mbox: true,
        eml: true,
        vcf: true,
        ics: true,
        signatures: false,
        folders: None,
        recover: false,
    };
    convert(pst, &mut sink, &opts, "x", &mut |_| true).unwrap();
    sink
}

/// The bytes of every by-value attachment of `m` and of the messages attached to it, read
/// with the PST reader alone (no MIME involved).
fn pst_attachments(pst: &Pst, m: &Message, out: &mut Vec<Vec<u8>>) {
    let Ok(list) = pst.attachments(m) else { return };
    for att in list.into_iter().flatten() {
        match att.content(pst) {
            Ok(AttachmentContent::Data(v)) => {
                let mut data = Vec::new();
                if pst
                    .read_blocks(&v, |b| {
                        data.extend_from_slice(b);
                        Ok(())
                    })
                    .is_ok()
                {
                    out.push(data);
                }
            }
            Ok(AttachmentContent::Embedded(inner)) => pst_attachments(pst, &inner, out),
            _ => {}
        }
    }
}

/// The decoded bytes of every attachment of a parsed message, into attached messages.
fn mime_attachments(m: &mail_parser::Message, out: &mut Vec<Vec<u8>>) {
    for part in m.attachments() {
        if let Some(inner) = part.message() {
            mime_attachments(inner, out);
        } else if part.attachment_name().is_some_and(|n| n != "body.rtf") {
            // Every attachment is written with its name; an unnamed part is a body (a
            // meeting's text/calendar, say).
            out.push(part.contents().to_vec());
        }
    }
}

/// The messages of an mboxrd file, `>From ` quoting undone.
fn mbox_messages(mbox: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in mbox.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            out.push(Vec::new());
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        let quoted = line.iter().position(|&b| b != b'>').unwrap_or(0);
        if quoted > 0 && line[quoted..].starts_with(b"From ") {
            cur.extend_from_slice(&line[1..]);
        } else {
            cur.extend_from_slice(line);
        }
    }
    out
}

fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

/// Sizes of what one list has and the other lacks, for the failure message.
fn difference(a: &[Vec<u8>], b: &[Vec<u8>]) -> Vec<usize> {
    let mut b = b.to_vec();
    a.iter()
        .filter(|x| match b.iter().position(|y| y == *x) {
            Some(i) => {
                b.remove(i);
                false
            }
            None => true,
        })
        .map(Vec::len)
        .collect()
}

#[test]
fn every_attachment_decodes_to_its_pst_bytes_from_mbox_and_eml() {
    let Some(dir) = common::corpus() else { return };
    let mut total = 0;
    for path in common::corpus_files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let pst = Pst::open_path(&path).unwrap();
        // What the PST holds, for the messages that are converted as mail.
        let mut want = Vec::new();
        for f in pst.folder_tree().unwrap().flatten() {
            for (row, outcome) in FolderItems::new(&pst, f.nid) {
                if let Outcome::Mail(_) = outcome {
                    pst_attachments(&pst, &pst.message(row.nid).unwrap(), &mut want);
                }
            }
        }
        let t = convert_all(&pst);
        let (mut from_mbox, mut from_eml) = (Vec::new(), Vec::new());
        for (file, bytes) in &t.files {
            if file.starts_with("mbox/") {
                for m in mbox_messages(bytes) {
                    let parsed = MessageParser::default().parse(&m).expect("parses");
                    mime_attachments(&parsed, &mut from_mbox);
                }
            } else if file.ends_with(".eml") {
                let parsed = MessageParser::default().parse(bytes).expect("parses");
                mime_attachments(&parsed, &mut from_eml);
            }
        }
        let want = sorted(want);
        for (what, got) in [("mbox", sorted(from_mbox)), ("EML", sorted(from_eml))] {
            assert!(
                got == want,
                "{name}: attachments from {what} differ from the PST's: sizes only in the PST \
                 {:?}, only in {what} {:?}",
                difference(&want, &got),
                difference(&got, &want)
            );
        }
        total += want.len();
    }
    assert!(total > 100, "only {total} attachments in the corpus");
}

/// The UIDs a calendar or address book file gives, unfolded.
fn uids(text: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(text)
        .replace("\r\n ", "")
        .replace("\n ", "");
    text.lines()
        .filter_map(|l| l.strip_prefix("UID:"))
        .map(|u| u.trim().to_string())
        .collect()
}

/// The item hash a generated UID begins with (a card's `urn:uuid:` and an event's or task's
/// `…@unpst.invalid` are made from the same hash of the item); `None` for Outlook's own ids.
fn generated_key(uid: &str) -> Option<String> {
    let hex = if let Some(u) = uid.strip_prefix("urn:uuid:") {
        u
    } else if uid.ends_with("@unpst.invalid") {
        uid
    } else {
        return None;
    };
    Some(hex.chars().take(8).collect())
}

#[test]
fn generated_uids_do_not_repeat_between_files() {
    // Two files with the same store name and the same node id gave one item of each the
    // same UID (the corpus has such a pair: an appointment and a distribution list, whose
    // UIDs shared their hash). Imported into one calendar or address book, the second
    // would overwrite the first. The hash must differ whatever the kind.
    let Some(dir) = common::corpus() else { return };
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut generated = 0;
    for path in common::corpus_files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let pst = Pst::open_path(&path).unwrap();
        let t = convert_all(&pst);
        let mut mine = std::collections::HashSet::new();
        for (file, bytes) in &t.files {
            if file.ends_with(".vcf") || file.ends_with(".ics") {
                mine.extend(uids(bytes).iter().filter_map(|u| generated_key(u)));
            }
        }
        for key in mine {
            generated += 1;
            if let Some(other) = seen.insert(key.clone(), name.clone()) {
                panic!("generated UIDs of an item of {other} and of {name} share their hash {key}");
            }
        }
    }
    // The corpus's contacts, lists, tasks and events without a global object id.
    assert!(generated >= 10, "only {generated} generated UIDs");
}

/// Asserts that no message attached to `m` (at any depth) has a status header; counts them.
fn no_status_below(m: &mail_parser::Message, file: &str, attached: &mut usize) {
    for part in m.attachments() {
        if let Some(inner) = part.message() {
            *attached += 1;
            for h in STATUS {
                assert!(
                    inner.header(h).is_none(),
                    "{file}: an attached message has {h}"
                );
            }
            no_status_below(inner, file, attached);
        }
    }
}

const STATUS: [&str; 5] = [
    "Status",
    "X-Status",
    "X-Mozilla-Status",
    "X-Mozilla-Status2",
    "X-Keywords",
];

#[test]
fn an_attached_message_carries_no_mailbox_status() {
    let Some(dir) = common::corpus() else { return };
    let pst = Pst::open_path(dir.join("hiraoka-msgInMsgInMsg.pst")).unwrap();
    let t = convert_all(&pst);
    let mut attached = 0;
    for (file, bytes) in t.files.iter().filter(|(f, _)| f.ends_with(".eml")) {
        let top = MessageParser::default().parse(bytes).expect("parses");
        assert!(top.header("Status").is_some(), "{file}: no Status");
        no_status_below(&top, file, &mut attached);
    }
    // The top message holds one, which holds another.
    assert_eq!(attached, 2);
}

#[test]
fn attachment_names_are_unique_in_a_message_and_carry_an_extension() {
    let Some(dir) = common::corpus() else { return };
    let mut repeated_in_pst = 0;
    for path in common::corpus_files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let pst = Pst::open_path(&path).unwrap();
        // Messages whose stored attachment names repeat (aspose-SampleOstFile's six OLE
        // pictures, all "Picture (Device Independent Bitmap)").
        for f in pst.folder_tree().unwrap().flatten() {
            for (row, _) in FolderItems::new(&pst, f.nid) {
                let Ok(m) = pst.message(row.nid) else {
                    continue;
                };
                let Ok(atts) = pst.attachments(&m) else {
                    continue;
                };
                let mut names: Vec<String> = atts
                    .into_iter()
                    .flatten()
                    .map(|a| a.filename.to_lowercase())
                    .filter(|n| !n.is_empty())
                    .collect();
                let all = names.len();
                names.sort();
                names.dedup();
                repeated_in_pst += usize::from(names.len() < all);
            }
        }
        for (file, bytes) in convert_all(&pst)
            .files
            .iter()
            .filter(|(f, _)| f.ends_with(".eml"))
        {
            let m = MessageParser::default().parse(bytes).expect("parses");
            let mut seen = std::collections::HashSet::new();
            for part in m.attachments() {
                let Some(n) = part.attachment_name() else {
                    continue;
                };
                assert!(
                    seen.insert(n.to_lowercase()),
                    "{name}: {file}: two attachments named {n:?}"
                );
                assert!(
                    n.rsplit_once('.')
                        .is_some_and(|(s, e)| !s.is_empty() && !e.is_empty()),
                    "{name}: {file}: {n:?} has no extension"
                );
            }
        }
    }
    assert!(
        repeated_in_pst > 0,
        "no message of the corpus repeats a name"
    );
}

#[test]
fn the_report_counts_the_messages_written_with_a_placeholder_address() {
    let Some(dir) = common::corpus() else { return };
    let (mut counted, mut seen) = (0, 0);
    for path in common::corpus_files(&dir) {
        let pst = Pst::open_path(&path).unwrap();
        let mut sink = MemTree::default();
        let opts = Options {
            eml: true,
            ..Options::default()
        };
        let rep = convert(&pst, &mut sink, &opts, "x", &mut |_| true).unwrap();
        let mut with = 0;
        for (_, bytes) in sink.files.iter().filter(|(f, _)| f.ends_with(".eml")) {
            let m = MessageParser::default().parse(bytes).expect("parses");
            let header = |h: Option<&mail_parser::Address>| {
                h.is_some_and(|a| {
                    a.iter()
                        .any(|x| x.address() == Some(unpst::mime::PLACEHOLDER_ADDRESS))
                })
            };
            with += usize::from(
                header(m.from()) || header(m.to()) || header(m.cc()) || header(m.bcc()),
            );
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(rep.totals.placeholders as usize, with, "{name}");
        counted += rep.totals.placeholders as usize;
        seen += with;
    }
    assert!(counted == seen && seen > 0);
}

/// pffexport lists no attachments for meeting items; the meeting request "05 - test email -
/// single meeting request" of aspose-SampleOstFile has Invitation.pdf in its attachment
/// table, and readpst, reading that table on its own, extracts the same file: the attachment
/// is the file's, and ours is byte for byte readpst's.
#[test]
fn the_meeting_requests_invitation_pdf_is_the_one_readpst_extracts() {
    let Some(dir) = common::corpus() else { return };
    let file = dir.join("aspose-SampleOstFile.ost");
    let subject = "05 - test email - single meeting request";
    let out = std::env::temp_dir().join(format!("unpst-readpst-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let ok = std::process::Command::new("readpst")
        .args(["-q", "-D", "-S", "-o"])
        .arg(&out)
        .arg(&file)
        .status()
        .expect("readpst runs (apt-get install pst-utils)");
    assert!(ok.success());
    // readpst -S writes message N as `N` and its attachments as `N-name`.
    let inbox = out.join("aspose-SampleOstFile.ost/Inbox");
    let pdf = std::fs::read_dir(&inbox)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with("-Invitation.pdf"))
        .expect("readpst extracts Invitation.pdf");
    let name = pdf.file_name().to_string_lossy().into_owned();
    let n = name.split('-').next().unwrap();
    let message = std::fs::read_to_string(inbox.join(n)).unwrap();
    assert!(
        message.lines().any(|l| l == format!("Subject: {subject}")),
        "readpst's message {n} is not the meeting request"
    );
    let theirs = std::fs::read(pdf.path()).unwrap();
    let _ = std::fs::remove_dir_all(&out);
    let t = convert_all(&Pst::open_path(&file).unwrap());
    let ours: Vec<Vec<u8>> = t
        .files
        .iter()
        .filter(|(f, _)| f.starts_with("eml/Inbox/") && f.ends_with(&format!("{subject}.eml")))
        .filter(|(f, _)| !f.contains("Undeliverable"))
        .flat_map(|(_, b)| {
            let m = MessageParser::default().parse(b).expect("parses");
            m.attachments()
                .filter(|p| p.attachment_name() == Some("Invitation.pdf"))
                .map(|p| p.contents().to_vec())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ours, vec![theirs]);
}

/// Bodies whose lines begin like an mbox separator, and the quoted ones mboxrd must tell
/// apart from them (the corpus has none: a fixture).
const FROM_LINES: [&str; 3] = [
    "From here to there\r\n>From a quote\r\n>>From a quote of a quote\r\nFromage\r\n",
    "From \r\nFrom:\r\n From indented\r\n",
    "The last line is one\r\nFrom the end",
];

/// The fixture as mboxrd, written by unpst's mbox writer.
fn from_lines_mbox() -> Vec<u8> {
    let mut mbox = Vec::new();
    for (i, body) in FROM_LINES.iter().enumerate() {
        let msg = format!(
            "From: a@example.org\r\nSubject: m{i}\r\nMessage-ID: <m{i}@example.org>\r\n\r\n{body}"
        );
        mbox.extend(unpst::sink::mbox::entry(
            "a@example.org",
            Some(1_514_800_800),
            msg.as_bytes(),
        ));
    }
    mbox
}

/// mboxrd's one reading rule: a line of `>`s then `From ` loses one `>`.
fn unquote(body: &str) -> String {
    body.split_inclusive('\n')
        .map(|l| {
            let q = l.len() - l.trim_start_matches('>').len();
            if q > 0 && l[q..].starts_with("From ") {
                &l[1..]
            } else {
                l
            }
        })
        .collect()
}

/// Python's mailbox (which, like most readers, splits at From_ lines and keeps the `>`s)
/// finds each message whole; undoing the quoting gives each body back exactly.
#[test]
fn mboxrd_from_lines_round_trip_through_python_mailbox() {
    let dir = std::env::temp_dir().join(format!("unpst-mboxrd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("box");
    std::fs::write(&path, from_lines_mbox()).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, mailbox, sys\n\
             box = mailbox.mbox(sys.argv[1], create=False)\n\
             print(json.dumps([m.get_payload() for m in box]))",
        ])
        .arg(&path)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bodies.len(), FROM_LINES.len(), "{bodies:?}");
    for (got, want) in bodies.iter().zip(FROM_LINES) {
        // mbox stores LF line ends; the separator's blank line is the mbox's, not the body's.
        let want = want.replace("\r\n", "\n");
        assert_eq!(
            unquote(got).trim_end_matches('\n'),
            want.trim_end_matches('\n')
        );
    }
}

/// Dovecot serving the file as an mbox mailbox: the same three messages, each body back
/// exactly once its quoting is undone.
#[test]
fn mboxrd_from_lines_round_trip_through_dovecot() {
    let Some(server) =
        common::dovecot::Dovecot::start('/', "mail_location = mbox:~/mail:INBOX=~/mail/inbox")
    else {
        return;
    };
    let home = server.dir.join("mail").join("alice");
    std::fs::create_dir_all(home.join("mail")).unwrap();
    std::fs::write(home.join("mail").join("inbox"), from_lines_mbox()).unwrap();
    // Dovecot serves it as its own user: the files must be its to read and lock.
    let ok = std::process::Command::new("chmod")
        .args(["-R", "a+rwX"])
        .arg(&home)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "chmod");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import imaplib, json, ssl, sys\n\
             m = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[1]), ssl_context=ssl.create_default_context(cafile=sys.argv[2]))\n\
             m.login('alice', sys.argv[3])\n\
             typ, data = m.select('INBOX')\n\
             n = int(data[0])\n\
             bodies = []\n\
             for i in range(1, n + 1):\n\
             \x20   typ, d = m.fetch(str(i), '(BODY.PEEK[TEXT])')\n\
             \x20   bodies.append(d[0][1].decode())\n\
             print(json.dumps(bodies))",
        ])
        .arg(server.tls_port.to_string())
        .arg(&server.cert)
        .arg(common::dovecot::PASSWORD)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    let bodies: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bodies.len(), FROM_LINES.len(), "{bodies:?}");
    for (got, want) in bodies.iter().zip(FROM_LINES) {
        assert_eq!(
            unquote(got).trim_end_matches(['\r', '\n']),
            want.trim_end_matches(['\r', '\n'])
        );
    }
}
