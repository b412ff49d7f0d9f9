//! IMAP upload against a real Dovecot on 127.0.0.1 (one throwaway server per test), checked
//! with Python's imaplib — an independent client — against what the PST holds.

mod common;

use common::dovecot::{Dovecot, PASSWORD};
use common::oauth::{authorization_server, introspection, oauth2_dovecot};
use common::servers::{Kind, Other};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use unpst::pst::Pst;
use unpst::sink::imap::{self, Server, UploadOptions, Uploader};

type Contents = BTreeMap<String, Vec<(String, Vec<String>, i64)>>;

/// What the server must hold after uploading a file, per mailbox: how many messages, and
/// for each one the oracle knows by Message-ID, its flags and INTERNALDATE (`None`: the
/// message has no date, the server's clock decides).
#[derive(Debug, Default)]
struct Mailbox {
    count: usize,
    known: Vec<(String, Vec<String>, Option<i64>)>,
}
type Expected = BTreeMap<String, Mailbox>;

/// How a test server names mailboxes: its hierarchy separator, the prefix of every
/// personal mailbox, and the mailboxes its special folders are (INBOX; Sent, Trash and Junk
/// by SPECIAL-USE, or by name where it has none).
struct Layout {
    sep: char,
    prefix: &'static str,
    special: [(&'static str, &'static str); 4],
}

/// The test Dovecot's (and Cyrus's, with `/`), as their configs make them. go-pst-support's
/// "Sent Messages" is not among them: its store names no Sent Items, and "Posta inviata"
/// (an Italian Outlook's) comes first in its tree; a second sent-mail folder keeps its name.
fn beside_inbox(sep: char) -> Layout {
    Layout {
        sep,
        prefix: "",
        special: [
            ("Inbox", "INBOX"),
            ("Sent Items", "Sent"),
            ("Deleted Items", "Trash"),
            ("Junk E-mail", "Junk"),
        ],
    }
}

/// Courier's: everything below INBOX, its Sent, Trash and Junk found by name (it has no
/// SPECIAL-USE).
const COURIER: Layout = Layout {
    sep: '.',
    prefix: "INBOX.",
    special: [
        ("Inbox", "INBOX"),
        ("Sent Items", "INBOX.Sent"),
        ("Deleted Items", "INBOX.Trash"),
        ("Junk E-mail", "INBOX.Junk"),
    ],
};

/// Where a folder of the oracle (its path from the root) goes, written out rather than
/// asked of the uploader: below the top of the mailbox (Top of Personal Folders, an OST's
/// IPM_SUBTREE) a special folder to the server's own, the rest by name; the top's own
/// messages to a mailbox named after it.
fn mailbox_of(folder: &str, layout: &Layout) -> String {
    let path = folder.strip_prefix("Root - Mailbox/").unwrap_or(folder);
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() == 1 {
        return format!("{}{}", layout.prefix, parts[0]);
    }
    parts.remove(0);
    if let Some((_, s)) = layout.special.iter().find(|(n, _)| *n == parts[0]) {
        parts[0] = s;
        return parts.join(&layout.sep.to_string());
    }
    format!("{}{}", layout.prefix, parts.join(&layout.sep.to_string()))
}

/// A message's IMAP flags from its properties (MS-OXCMSG PidTagMessageFlags, MS-OXOMSG
/// PidTagLastVerbExecuted / PidTagIconIndex, MS-OXOFLAG PidTagFlagStatus) — and \Seen from
/// the oracle's read flag.
fn flags_of(pst: &Pst, m: &unpst::pst::Message, read: bool) -> Vec<String> {
    let o = &m.obj;
    let f = o.i32(0x0E07).unwrap_or(0);
    let verb = o.i32(0x1081).unwrap_or(0);
    let icon = o.i32(0x1080).unwrap_or(0);
    // Unsent, and never submitted nor received: a draft (imported mail keeps "unsent").
    let draft = f & 8 != 0 && o.time(0x0039).is_none() && !o.has(0x007D);
    let mut out: Vec<String> = [
        (read, "\\Seen"),
        (matches!(verb, 102 | 103) || icon == 0x105, "\\Answered"),
        (o.i32(0x1090) == Some(2), "\\Flagged"),
        (draft, "\\Draft"),
        (verb == 104 || icon == 0x106, "$Forwarded"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, f)| f.to_string())
    .collect();
    let keywords = pst
        .named
        .string_id(unpst::pst::messaging::named::PS_PUBLIC_STRINGS, "Keywords");
    for c in keywords
        .map(|id| o.strings(&pst.ndb, id, m.codepage))
        .unwrap_or_default()
    {
        out.push(c.trim().replace(' ', "_"));
    }
    out.sort();
    out
}

/// What the server must hold after uploading `file`: the oracle's mail items (pffexport's
/// view of the file) per mailbox, with Message-ID, read flag and delivery time; the other
/// flags from each message's own properties. Nothing here comes from the upload code.
fn expected(file: &Path, sep: char) -> Expected {
    expected_in(file, &beside_inbox(sep))
}

/// [`expected`] on a server of `layout`.
fn expected_in(file: &Path, layout: &Layout) -> Expected {
    let dir = file.parent().unwrap();
    let name = file.file_name().unwrap().to_string_lossy();
    let oracle = common::oracle(dir, &name, ".messages.json");
    // The PST's messages by Message-ID, for their flag properties.
    let pst = Pst::open_path(file).unwrap();
    let mut by_id = BTreeMap::new();
    for f in pst.folder_tree().unwrap().flatten() {
        let Ok(folder) = pst.folder(f.nid) else {
            continue;
        };
        for nid in pst.message_ids(&folder).unwrap_or_default() {
            if let Ok(m) = pst.message(nid)
                && let Some(id) = m.string(&pst, 0x1035)
            {
                by_id.insert(id.trim().trim_matches(['<', '>']).to_string(), m);
            }
        }
    }
    let mut out = Expected::new();
    for it in oracle["items"].as_array().unwrap() {
        if !matches!(it["kind"].as_str(), Some("Message" | "Meeting")) {
            continue;
        }
        let folder = it["folder"].as_str().unwrap();
        let mb = out.entry(mailbox_of(folder, layout)).or_default();
        mb.count += 1;
        let id = it["message_id"].as_str().unwrap_or("").trim();
        let id = id.trim_start_matches('<').trim_end_matches('>');
        if id.is_empty() {
            continue;
        }
        let m = by_id
            .get(id)
            .unwrap_or_else(|| panic!("{name}: no message {id}"));
        let iso = |k: &str| it[k].as_str().map(iso_to_unix);
        // INTERNALDATE: delivery, else submit, else creation (years a server can store).
        let date = iso("delivery")
            .or(iso("submit"))
            .or(iso("creation"))
            .filter(|t| (0..253_402_300_800).contains(t));
        mb.known
            .push((id.to_string(), flags_of(&pst, m, it["read"] == true), date));
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` as Unix seconds.
fn iso_to_unix(s: &str) -> i64 {
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)
}

/// The server holds exactly what the PST has (mailboxes the PST does not fill are empty).
fn assert_same(server: &Contents, want: &Expected) {
    for (mailbox, mb) in want {
        let got = server.get(mailbox).unwrap_or_else(|| {
            panic!(
                "mailbox {mailbox:?} missing; server has {:?}",
                server.keys()
            )
        });
        assert_eq!(
            got.len(),
            mb.count,
            "{mailbox}: message count; the server has {:?}",
            server.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>()
        );
        for (id, flags, date) in &mb.known {
            let on = got.iter().filter(|(g, _, _)| g == id).collect::<Vec<_>>();
            assert_eq!(
                on.len(),
                1,
                "{mailbox}: {id} on the server {} times",
                on.len()
            );
            let mut f = on[0].1.clone();
            f.sort();
            assert_eq!(&f, flags, "{mailbox}: flags of {id}");
            if let Some(d) = date {
                assert_eq!(on[0].2, *d, "{mailbox}: INTERNALDATE of {id}");
            }
        }
    }
    for (mailbox, msgs) in server {
        if !want.contains_key(mailbox) {
            assert!(msgs.is_empty(), "{mailbox} should be empty: {msgs:?}");
        }
    }
}

fn cli_upload(server: &Dovecot, user: &str, file: &Path, extra: &[&str]) -> std::process::Output {
    server.upload(user, file, extra)
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// Separator `/`: three files (French, Japanese CP932 and English folder names, special
/// folders, subfolders), each into its own account through the CLI over TLS; then a
/// second run adds nothing.
#[test]
fn cli_upload_slash_separator_is_exact_and_idempotent() {
    let Some(dir) = common::corpus() else { return };
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    for (user, name) in [
        ("alice", "aspose-Outlook.pst"),
        ("bob", "tika-testPST.pst"),
        ("carol", "hiraoka-nonUnicodeCP932-ansi.pst"),
    ] {
        let file = dir.join(name);
        // The dry run prints the mapping and leaves the account as it was.
        let before = server.contents(user);
        let dry = cli_upload(&server, user, &file, &["--dry-run"]);
        assert!(dry.status.success(), "{}", stdout(&dry));
        assert!(stdout(&dry).contains("nothing will be changed"));
        assert_eq!(server.contents(user), before);
        let out = cli_upload(&server, user, &file, &[]);
        assert!(
            out.status.success(),
            "{name}: {}\n{}",
            stdout(&out),
            server.log()
        );
        let want = expected(&file, '/');
        let got = server.contents(user);
        assert_same(&got, &want);
        let again = cli_upload(&server, user, &file, &[]);
        assert!(again.status.success(), "{}", stdout(&again));
        let text = stdout(&again);
        assert!(
            text.contains(" 0 appended"),
            "rerun appended something: {text}"
        );
        assert_eq!(
            server.contents(user),
            got,
            "{name}: a rerun changed the server"
        );
    }
    let dry = stdout(&cli_upload(
        &server,
        "alice",
        &dir.join("aspose-Outlook.pst"),
        &["--dry-run"],
    ));
    assert!(
        dry.lines().any(|l| l.contains("Sent Items")
            && l.contains("→ Sent ")
            && l.contains("exists, 6 messages")),
        "{dry}"
    );
    // The names, spelled out: special folders land in the server's own, Inbox in INBOX.
    let alice = server.contents("alice");
    assert_eq!(alice["INBOX"].len(), 8);
    assert_eq!(alice["Sent"].len(), 6);
    assert!(alice.contains_key("INBOX/SubInbox"));
    let bob = server.contents("bob");
    assert_eq!(bob["Début du fichier de données Outlook"].len(), 7);
    assert!(
        bob.contains_key("Trash"),
        "Éléments supprimés → Trash: {:?}",
        bob.keys()
    );
    let carol = server.contents("carol");
    assert_eq!(carol["Outlook データ ファイルのトップ"].len(), 1);
}

/// Uploads through the library over STARTTLS; `stop_after` cancels after that many items.
fn lib_upload(
    server: &Dovecot,
    user: &str,
    file: &Path,
    stop_after: Option<u64>,
) -> imap::UploadReport {
    let mut s = Server::parse(&format!("imap://{user}@127.0.0.1:{}", server.port), false).unwrap();
    s.ca_file = Some(server.cert.clone());
    let pst = Pst::open_path(file).unwrap();
    let plan = unpst::upload::plan(&pst, None).unwrap();
    let mut up = Uploader::connect(
        &s,
        PASSWORD,
        UploadOptions {
            batch: 4,
            ..UploadOptions::default()
        },
    )
    .unwrap();
    let (_, cancelled) = unpst::upload::upload_pst(&pst, &mut up, &plan, &mut |p| {
        stop_after.is_none_or(|n| p.done < n)
    })
    .unwrap();
    up.finish(cancelled).unwrap()
}

/// Separator `.`, STARTTLS, the OST (87 mails in many folders) and go-pst's support file;
/// a cancelled upload resumes without duplicates.
#[test]
fn library_upload_dot_separator_resumes_without_duplicates() {
    let Some(dir) = common::corpus() else { return };
    let Some(server) = Dovecot::start('.', "") else {
        return;
    };
    let ost = dir.join("aspose-SampleOstFile.ost");
    let first = lib_upload(&server, "alice", &ost, Some(30));
    assert!(first.cancelled && !first.verified);
    let partial: usize = server.contents("alice").values().map(Vec::len).sum();
    assert!(
        partial > 0 && partial < 87,
        "cancelled after 30 items, server has {partial}"
    );
    let second = lib_upload(&server, "alice", &ost, None);
    assert!(second.verified, "{}", second.to_json());
    assert_eq!(second.messages, 87);
    assert_eq!(
        second.present as usize, partial,
        "what the first run appended is skipped"
    );
    assert_eq!(second.appended as usize, 87 - partial);
    assert_same(&server.contents("alice"), &expected(&ost, '.'));

    let support = dir.join("go-pst-support.pst");
    let r = lib_upload(&server, "bob", &support, None);
    assert!(
        r.verified && r.appended == 17 && r.missing == 0,
        "{}",
        r.to_json()
    );
    assert_same(&server.contents("bob"), &expected(&support, '.'));
}

/// `kill -9` of the CLI half-way (one APPEND per message), then a rerun: nothing missing,
/// nothing twice.
#[test]
fn killed_cli_upload_resumes_exactly() {
    let Some(dir) = common::corpus() else { return };
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    let ost = dir.join("aspose-SampleOstFile.ost");
    let mut child = Command::new(env!("CARGO_BIN_EXE_unpst"))
        .arg("upload")
        .arg(&ost)
        .args([
            "--imap",
            &server.url("dave"),
            "--password-env",
            "UNPST_TEST_PW",
            "-q",
        ])
        .args(["--batch", "1", "--ca-file"])
        .arg(&server.cert)
        .env("UNPST_TEST_PW", PASSWORD)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once messages start arriving in the maildir.
    let count = |dir: &Path| -> usize {
        common::files_below(dir)
            .iter()
            .filter(|p| {
                p.parent()
                    .is_some_and(|d| d.ends_with("new") || d.ends_with("cur"))
            })
            .count()
    };
    let t = std::time::Instant::now();
    while count(&server.maildir("dave")) < 5 && t.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    let partial: usize = server.contents("dave").values().map(Vec::len).sum();
    eprintln!("killed ({status}) with {partial} of 87 messages on the server");
    // Resuming means something only if the kill landed mid-upload.
    assert!(
        !status.success(),
        "the upload ended before the kill ({status})"
    );
    assert!(
        (1..87).contains(&partial),
        "{partial} of 87 messages on the server at the kill"
    );
    let out = cli_upload(&server, "dave", &ost, &[]);
    assert!(out.status.success(), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{} already there", partial)),
        "the rerun skips the {partial} already there: {text}"
    );
    assert_same(&server.contents("dave"), &expected(&ost, '/'));
}

/// A server-side size limit: the oversize messages are listed as refused (with the server's
/// reason) and as missing, kept in a local mbox, the rest arrives, and the exit status says
/// not everything did.
#[test]
fn oversize_messages_are_reported_not_dropped() {
    let Some(dir) = common::corpus() else { return };
    let limit = "mail_plugins = $mail_plugins quota\nplugin {\n  quota = count:User quota\n  quota_vsizes = yes\n  quota_max_mail_size = 20k\n}\n";
    let Some(server) = Dovecot::start('/', limit) else {
        return;
    };
    let file = dir.join("aspose-Outlook.pst");
    let report = std::env::temp_dir().join(format!("unpst-report-{}.json", std::process::id()));
    let kept = std::env::temp_dir().join(format!("unpst-too-large-{}.mbox", std::process::id()));
    let out = cli_upload(
        &server,
        "alice",
        &file,
        &[
            "--report",
            report.to_str().unwrap(),
            "--too-large",
            kept.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let _ = std::fs::remove_file(&report);
    let up = &json["upload"];
    // Which messages exceed 20 KiB, from our own conversion.
    let big = common::messages_over(&file, 20 * 1024);
    assert!(!big.is_empty());
    let mut refused: Vec<String> = up["folders"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rejected"].as_array().unwrap().clone())
        .map(|r| {
            assert!(r["reason"].as_str().unwrap().starts_with("NO"), "{r}");
            r["message_id"].as_str().unwrap().to_string()
        })
        .collect();
    refused.sort();
    assert_eq!(refused, big);
    assert_eq!(up["missing"], big.len());
    assert_eq!(up["verified"], false);
    // Nothing lost: the refused messages are in the local mbox, each whole (Python's mailbox
    // module reads it; the Message-IDs are those refused).
    let py = Command::new("python3")
        .args([
            "-c",
            "import mailbox, sys\nfor m in mailbox.mbox(sys.argv[1]): print(m['Message-ID'].strip().strip('<>'))",
        ])
        .arg(&kept)
        .output()
        .unwrap();
    let mut saved: Vec<String> = String::from_utf8_lossy(&py.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    saved.sort();
    assert_eq!(saved, big, "{}", String::from_utf8_lossy(&py.stderr));
    assert!(
        stdout(&out).contains("too large for the server: saved to"),
        "{}",
        stdout(&out)
    );
    let _ = std::fs::remove_file(&kept);
    let on_server: usize = server.contents("alice").values().map(Vec::len).sum();
    assert_eq!(
        on_server + big.len(),
        up["messages"].as_u64().unwrap() as usize
    );
}

/// A wrong password is a clear error, exit status 2, and the password is not echoed.
#[test]
fn wrong_password_is_a_clear_error() {
    let Some(dir) = common::corpus() else { return };
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_unpst"))
        .arg("upload")
        .arg(dir.join("aspose-Outlook.pst"))
        .args([
            "--imap",
            &server.url("alice"),
            "--password-env",
            "PW",
            "--ca-file",
        ])
        .arg(&server.cert)
        .env("PW", "not-the-secret-xyz")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("login failed"), "{text}");
    assert!(!text.contains("not-the-secret-xyz"));
    // And an untrusted certificate (no --ca-file) is refused before any login.
    let out = Command::new(env!("CARGO_BIN_EXE_unpst"))
        .arg("upload")
        .arg(dir.join("aspose-Outlook.pst"))
        .args(["--imap", &server.url("alice"), "--password-env", "PW"])
        .env("PW", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("TLS"), "{}", stdout(&out));
}

/// Dovecot's Maildir with LAYOUT=fs keeps its own `tmp`, `new` and `cur` directories in every
/// mailbox directory, so it refuses a mailbox named `tmp`: tika-testPST_variousBodyTypes has
/// one (Inbox/tmp). It goes to another name, said so, and the rest of the upload goes on.
#[test]
fn a_folder_name_the_server_refuses_is_uploaded_under_another() {
    let Some(dir) = common::corpus() else { return };
    let Some(server) = Dovecot::start('/', "mail_location = maildir:~/Maildir:LAYOUT=fs") else {
        return;
    };
    let name = "tika-testPST_variousBodyTypes.pst";
    let report = std::env::temp_dir().join(format!("unpst-refused-{}.json", std::process::id()));
    let out = cli_upload(
        &server,
        "alice",
        &dir.join(name),
        &["--report", report.to_str().unwrap()],
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", server.log());
    assert!(
        text.contains("the server refused the name “INBOX/tmp”"),
        "{text}"
    );
    // readpst's count of the folder, from the oracle.
    let oracle = common::oracle(&dir, name, ".json");
    let want =
        oracle["tools"]["readpst"]["r"]["folders"]["Outlook Data File/Inbox/tmp"]["mbox_messages"]
            .as_u64()
            .unwrap() as usize;
    let got = server.contents("alice");
    assert_eq!(
        got.get("INBOX/tmp (1)").map(Vec::len),
        Some(want),
        "{:?}",
        got.keys()
    );
    let rep: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let _ = std::fs::remove_file(&report);
    assert_eq!(rep["upload"]["verified"], true, "{rep:#}");
}

/// Microsoft 365 and Gmail take no passwords over IMAP: upload with an OAuth2 token against
/// a real Dovecot validating it through its oauth2 passdb; a wrong token is a clear error, and
/// a token command is asked once more when the first token is refused.
#[test]
fn upload_signs_in_with_an_oauth2_token() {
    let Some(dir) = common::corpus() else { return };
    let (port, asked) = introspection(&["good-token"]);
    let Some(server) = oauth2_dovecot(port) else {
        return;
    };
    let file = dir.join("aspose-Outlook.pst");
    let with = |extra: &[&str], env: (&str, &str)| {
        Command::new(env!("CARGO_BIN_EXE_unpst"))
            .arg("upload")
            .arg(&file)
            .args(["--imap", &server.url("alice"), "-q", "--ca-file"])
            .arg(&server.cert)
            .args(extra)
            .env(env.0, env.1)
            .output()
            .expect("unpst runs")
    };
    // A wrong token: refused, said so, nothing uploaded.
    let bad = with(
        &["--oauth2-token-env", "UNPST_TOKEN"],
        ("UNPST_TOKEN", "bad-token"),
    );
    let text = stdout(&bad);
    assert_eq!(bad.status.code(), Some(2), "{text}");
    assert!(text.contains("refused the OAuth2 token"), "{text}");
    assert!(!text.contains("bad-token"), "the token is repeated: {text}");
    assert!(
        asked.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "{}",
        server.log()
    );
    // The right one: everything arrives, verified.
    let good = with(
        &["--oauth2-token-env", "UNPST_TOKEN"],
        ("UNPST_TOKEN", "good-token"),
    );
    assert!(good.status.success(), "{}\n{}", stdout(&good), server.log());
    assert_same(&server.contents("alice"), &expected(&file, '/'));
    // A token command whose first token has expired: run once more, and the rerun adds nothing.
    let flag = std::env::temp_dir().join(format!("unpst-token-{}", std::process::id()));
    let _ = std::fs::remove_file(&flag);
    let cmd = format!(
        "if [ -e '{f}' ]; then echo good-token; else touch '{f}'; echo expired-token; fi",
        f = flag.display()
    );
    let again = with(&["--oauth2-token-cmd", &cmd], ("UNPST_UNUSED", ""));
    let _ = std::fs::remove_file(&flag);
    let text = stdout(&again);
    assert!(again.status.success(), "{text}\n{}", server.log());
    assert!(text.contains(" 0 appended"), "{text}");
}

/// The sign-in done by unpst itself: the browser (a script standing in for one, via
/// $BROWSER) is sent to the provider, comes back to unpst's loopback listener with a code,
/// which is exchanged with its PKCE verifier; the first token is refused by the real Dovecot,
/// refreshed once, and the upload arrives whole. A sign-in the provider refuses says why.
#[test]
fn upload_signs_in_through_the_browser_with_pkce_and_refreshes_once() {
    let Some(dir) = common::corpus() else { return };
    let (port, _) = introspection(&["good-token"]);
    let Some(server) = oauth2_dovecot(port) else {
        return;
    };
    let (auth, log) = authorization_server();
    let file = dir.join("aspose-Outlook.pst");
    let browser =
        "python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1]).read()' %s";
    let run = |client: &str| {
        Command::new(env!("CARGO_BIN_EXE_unpst"))
            .arg("upload")
            .arg(&file)
            .args(["--imap", &server.url("alice"), "-q", "--ca-file"])
            .arg(&server.cert)
            .args([
                "--oauth2",
                "custom",
                "--oauth2-client-id",
                client,
                "--oauth2-scope",
                "imap-scope",
            ])
            .args([
                "--oauth2-authorize-url",
                &format!("http://127.0.0.1:{auth}/authorize"),
            ])
            .args([
                "--oauth2-token-url",
                &format!("http://127.0.0.1:{auth}/token"),
            ])
            .env("BROWSER", browser)
            .output()
            .expect("unpst runs")
    };
    let ok = run("unpst-test");
    let text = stdout(&ok);
    assert!(ok.status.success(), "{text}\n{}", server.log());
    assert_eq!(*log.lock().unwrap(), ["authorize", "code", "refresh"]);
    assert_same(&server.contents("alice"), &expected(&file, '/'));
    for secret in ["expired-token", "good-token", "the-code"] {
        assert!(!text.contains(secret), "{secret} shown: {text}");
    }
    let refused = run("someone-else");
    let text = stdout(&refused);
    assert_eq!(refused.status.code(), Some(2), "{text}");
    assert!(
        text.contains("sign-in was refused: access_denied"),
        "{text}"
    );
}

/// `--recover` uploads too: a generated file's deleted messages go to a mailbox of their own,
/// "Recovered items" — exactly as many as were deleted, none of them in a live folder — and
/// a second run adds nothing; `inspect --recover` counts them beforehand.
#[test]
fn upload_recover_puts_deleted_messages_in_their_own_mailbox_once() {
    let spec = pstgen::Spec {
        seed: 33,
        max_messages: 20,
        folders: 1,
        items: false,
        deleted: 3,
        ..pstgen::Spec::default()
    };
    let file = std::env::temp_dir().join(format!("unpst-recover-up-{}.pst", std::process::id()));
    let f = std::fs::File::create(&file).unwrap();
    let s = pstgen::generate(std::io::BufWriter::new(f), &spec, |_, _| {}).unwrap();
    let inspect = Command::new(env!("CARGO_BIN_EXE_unpst"))
        .args(["inspect", "--recover"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        stdout(&inspect).contains("recoverable: 3 deleted or older items"),
        "{}",
        stdout(&inspect)
    );
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    for round in 0..2 {
        let out = cli_upload(&server, "alice", &file, &["--recover"]);
        assert!(out.status.success(), "{}\n{}", stdout(&out), server.log());
        let got = server.contents("alice");
        let recovered = got.get("Recovered items").cloned().unwrap_or_default();
        assert_eq!(recovered.len(), 3, "round {round}: {got:?}");
        let live: usize = got
            .iter()
            .filter(|(k, _)| k.as_str() != "Recovered items")
            .map(|(_, v)| v.len())
            .sum();
        assert_eq!(live as u64, s.messages, "round {round}");
        if round == 1 {
            assert!(stdout(&out).contains(" 0 appended"), "{}", stdout(&out));
        }
    }
    let _ = std::fs::remove_file(&file);
}

/// Two uploads into one account at once would each read what the server holds before the
/// other appends, and both append it: while one runs (its lock held here), another is
/// refused before it connects, and nothing arrives; once it is done, the next goes through.
#[test]
fn a_second_upload_into_the_same_account_is_refused_while_one_runs() {
    let Some(dir) = common::corpus() else { return };
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    let file = dir.join("aspose-Outlook.pst");
    let account = Server::parse(&server.url("bob"), false).unwrap();
    let held = unpst::sink::imap::lock::AccountLock::acquire(&account).unwrap();
    let refused = cli_upload(&server, "bob", &file, &[]);
    let text = stdout(&refused);
    assert_eq!(refused.status.code(), Some(2), "{text}");
    assert!(text.contains("another upload into"), "{text}");
    assert!(server.contents("bob").values().all(|m| m.is_empty()));
    drop(held);
    let ok = cli_upload(&server, "bob", &file, &[]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert_same(&server.contents("bob"), &expected(&file, '/'));
}

/// An upload that is ending (the page's, cancelled a moment ago: its session still closing)
/// is waited for, up to `LET_GO`: the next upload then gets the lock instead of a refusal.
/// One that holds it longer still refuses the next.
#[test]
fn a_lock_let_go_within_moments_is_waited_for() {
    use unpst::sink::imap::lock::{AccountLock, LET_GO};
    let account = Server::parse(
        &format!("imaps://wait{}@127.0.0.1:1", std::process::id()),
        false,
    )
    .unwrap();
    let held = AccountLock::acquire(&account).unwrap();
    let t = std::time::Instant::now();
    let release = std::thread::spawn(move || {
        std::thread::sleep(LET_GO / 4);
        drop(held);
    });
    let got = AccountLock::acquire(&account);
    assert!(
        got.is_ok(),
        "refused although let go after {:?}",
        LET_GO / 4
    );
    assert!(t.elapsed() >= LET_GO / 4);
    release.join().unwrap();
    let t = std::time::Instant::now();
    let again = AccountLock::acquire(&account);
    assert!(again.is_err(), "a second lock while the first is held");
    assert!(t.elapsed() >= LET_GO, "refused before {LET_GO:?}");
    drop(got);
}

/// Cyrus IMAP 3.6 and Courier-IMAP 5.0 (unpacked from Debian's packages, run beside the
/// Dovecot): four corpus files, each into its own account, arrive exactly as the oracle
/// has them, and a second run adds nothing. Courier offers none of MULTIAPPEND, LITERAL+
/// and SPECIAL-USE (one message per APPEND; Sent, Trash and Junk found by name).
#[test]
fn uploads_to_cyrus_and_courier_are_exact_and_reruns_add_nothing() {
    let Some(dir) = common::corpus() else { return };
    let files = [
        ("alice", "aspose-Outlook.pst"),
        ("bob", "aspose-SampleOstFile.ost"),
        ("carol", "tika-testPST_variousBodyTypes.pst"),
        ("dave", "pst2john-97-outlook-pass12345-ansi.pst"),
    ];
    for (kind, layout) in [(Kind::Cyrus, beside_inbox('/')), (Kind::Courier, COURIER)] {
        let Some(server) = Other::start(kind) else {
            continue;
        };
        for (user, name) in files {
            let file = dir.join(name);
            let out = server.upload(user, &file, &[]);
            assert!(out.status.success(), "{kind:?} {name}: {}", stdout(&out));
            let got = server.contents(user);
            assert_same(&got, &expected_in(&file, &layout));
            let again = server.upload(user, &file, &[]);
            let text = stdout(&again);
            assert!(again.status.success(), "{kind:?} {name}: {text}");
            assert!(text.contains(" 0 appended"), "{kind:?} {name}: {text}");
            assert_eq!(server.contents(user), got, "{kind:?} {name}: rerun");
        }
    }
}

/// The message counts of a generated file's folders, as a sorted multiset (empty ones out).
fn folder_counts(s: &pstgen::Summary) -> Vec<u32> {
    let mut v: Vec<u32> = s
        .folders
        .iter()
        .map(|(_, n)| *n)
        .filter(|n| *n > 0)
        .collect();
    v.sort();
    v
}

/// The message counts of an account's mailboxes, likewise.
fn mailbox_counts(c: &Contents) -> Vec<u32> {
    let mut v: Vec<u32> = c
        .values()
        .map(|m| m.len() as u32)
        .filter(|n| *n > 0)
        .collect();
    v.sort();
    v
}

/// Folder names the servers refuse, on the real servers: a generated file's awkward names
/// (`Projekte/2024`, `Ünïcödé 📁` beyond the BMP, quotes, `&`, `:`, `*`, a tab, a leading
/// space, a trailing dot, a 90-character name) — Courier refuses `/` and characters beyond
/// the BMP. Each refused folder goes under another name, the run goes on, every message
/// arrives (the server's mailboxes hold the generated folders' counts), and a rerun adds
/// nothing.
#[test]
fn names_cyrus_and_courier_refuse_are_uploaded_under_others() {
    let spec = pstgen::Spec {
        seed: 42,
        target_bytes: 3 << 20,
        folders: 14,
        depth: 5,
        per_folder: 6,
        max_attachment: 64 << 10,
        items: false,
        ..pstgen::Spec::default()
    };
    let (file, summary) = common::generated("names", &spec);
    // Mail folders' counts (the generated file has no others here).
    let want = folder_counts(&summary);
    for kind in [Kind::Cyrus, Kind::Courier] {
        let Some(server) = Other::start(kind) else {
            continue;
        };
        let out = server.upload("alice", &file, &[]);
        let text = stdout(&out);
        assert!(out.status.success(), "{kind:?}: {text}");
        assert!(
            text.contains("every message is on the server"),
            "{kind:?}: {text}"
        );
        let got = server.contents("alice");
        assert_eq!(
            mailbox_counts(&got),
            want,
            "{kind:?}: messages per mailbox; {got:?}"
        );
        let total: usize = got.values().map(Vec::len).sum();
        assert_eq!(total as u64, summary.messages + summary.notes, "{kind:?}");
        if kind == Kind::Courier {
            // The slash and the emoji are not in any of its names.
            assert!(
                got.keys()
                    .all(|k| !k.contains('/') && k.chars().all(|c| c <= '\u{FFFF}')),
                "{:?}",
                got.keys()
            );
            assert!(text.contains("refused"), "{text}");
        }
        let again = server.upload("alice", &file, &[]);
        let text = stdout(&again);
        assert!(again.status.success(), "{kind:?}: {text}");
        assert!(text.contains(" 0 appended"), "{kind:?} rerun: {text}");
        assert_eq!(server.contents("alice"), got, "{kind:?}: rerun");
    }
    let _ = std::fs::remove_file(&file);
}

/// Several PSTs in one run, as people keep them (an Outlook.pst and its archive): folders
/// of the same path go to the same mailbox, a message both files hold is sent once, and the
/// server ends up holding exactly the larger file — the generator's counts say what that is
/// (with one seed, the smaller file's messages are the first of the larger's).
#[test]
fn several_files_upload_in_one_run_and_shared_messages_go_once() {
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    let [(archive, small), (current, big)] = common::archive_and_current("cli");
    assert!(small.messages < big.messages);
    let out = server.upload("alice", &archive, &[current.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    // Each file's folders listed under its name; the second sends only what is new.
    assert!(text.contains(&format!("{}:", archive.display())), "{text}");
    assert!(text.contains(&format!("{}:", current.display())), "{text}");
    let got = server.contents("alice");
    assert_eq!(
        mailbox_counts(&got),
        folder_counts(&big),
        "messages per mailbox: {got:?}"
    );
    for (mailbox, msgs) in &got {
        let mut ids: Vec<&String> = msgs.iter().map(|(id, _, _)| id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), msgs.len(), "{mailbox}: a message twice");
    }
    let total = |s: &pstgen::Summary| s.messages + s.notes;
    assert!(
        text.contains(&format!(
            "{} messages, {} appended, {} already there",
            total(&small) + total(&big),
            total(&big),
            total(&small)
        )),
        "{text}"
    );
    let again = server.upload("alice", &archive, &[current.to_str().unwrap()]);
    assert!(again.status.success(), "{}", stdout(&again));
    assert!(stdout(&again).contains(" 0 appended"), "{}", stdout(&again));
    assert_eq!(server.contents("alice"), got);
    let _ = std::fs::remove_file(&archive);
    let _ = std::fs::remove_file(&current);
}

/// `upload --to ADDRESS`: the provider's server named before anything else happens (the
/// hosts as the providers' own setup pages give them), a provider that refuses passwords
/// asked of with OAuth2 instead of tried, another domain tried at mail.DOMAIN and said to
/// be a guess. Nothing here reaches the network: each run stops before a connection (a
/// password variable that is not set; `.invalid`, which never resolves).
#[test]
fn upload_to_an_address_names_the_providers_server() {
    let Some(dir) = common::corpus() else { return };
    let file = dir.join("aspose-Outlook.pst");
    let run = |to: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_unpst"))
            .arg("upload")
            .arg(&file)
            .args(["--to", to, "--password-env", "UNPST_TEST_UNSET_VAR", "-q"])
            .env_remove("UNPST_TEST_UNSET_VAR")
            .output()
            .unwrap();
        (out.status.code(), stdout(&out))
    };
    let (code, text) = run("someone@hotmail.com");
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("refuses passwords"), "{text}");
    assert!(text.contains("--oauth2 microsoft"), "{text}");
    for (address, host) in [
        ("me@gmail.com", "imap.gmail.com"),
        ("me@icloud.com", "imap.mail.me.com"),
        ("me@yahoo.com", "imap.mail.yahoo.com"),
        ("me@fastmail.com", "imap.fastmail.com"),
        ("me@web.de", "imap.web.de"),
        ("me@gmx.de", "imap.gmx.net"),
    ] {
        let (code, text) = run(address);
        assert_eq!(code, Some(2), "{text}");
        assert!(
            text.contains(&format!("{host} (port 993, TLS)")),
            "{address}: {text}"
        );
        assert!(text.contains("UNPST_TEST_UNSET_VAR is not set"), "{text}");
    }
    let (code, text) = run("info@bakery.invalid");
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("trying mail.bakery.invalid"), "{text}");
    assert!(text.contains("usual hosting default"), "{text}");
}
