//! `unpst relay`: what it refuses (no token, wrong token, wrong / `null` / missing Origin,
//! foreign Host, non-loopback bind) and a whole upload through its WebSocket into Dovecot,
//! driven by a raw client here (the browser test drives it from the page).

mod common;

use common::dovecot::{Dovecot, PASSWORD};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use tungstenite::protocol::Role;
use tungstenite::{Message, WebSocket};
use unpst::convert::{FolderItems, Outcome};
use unpst::pst::Pst;
use unpst::sink::imap;

struct Relay {
    child: Child,
    port: u16,
    token: String,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Relay {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unpst"))
        .args([
            "relay",
            "--port",
            "0",
            "--www",
            concat!(env!("CARGO_MANIFEST_DIR"), "/www"),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "unpst relay: open http://127.0.0.1:PORT/#relay=TOKEN"
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    let (addr, token) = url.split_once("/#relay=").unwrap();
    let port = addr.rsplit(':').next().unwrap().parse().unwrap();
    Relay {
        child,
        port,
        token: token.to_string(),
    }
}

/// Sends a raw request head; returns the status line and the stream.
fn request(port: u16, head: &str) -> (String, TcpStream) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut status = Vec::new();
    let mut b = [0u8; 1];
    while !status.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).map_err(|e| panic!("{head:?}: {e}")).unwrap() == 0 {
            break;
        }
        status.push(b[0]);
    }
    let text = String::from_utf8_lossy(&status).into_owned();
    (text, s)
}

fn upgrade(
    port: u16,
    host: &str,
    origin: Option<&str>,
    protocol: Option<&str>,
) -> (String, TcpStream) {
    let mut head = format!(
        "GET /relay HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    if let Some(o) = origin {
        head.push_str(&format!("Origin: {o}\r\n"));
    }
    if let Some(p) = protocol {
        head.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    head.push_str("\r\n");
    request(port, &head)
}

#[test]
fn relay_refuses_everything_but_its_page() {
    let r = start(&[]);
    let p = r.port;
    let host = format!("127.0.0.1:{p}");
    let origin = format!("http://127.0.0.1:{p}");
    let good = format!("unpst.{}", r.token);
    let status = |s: &(String, TcpStream)| s.0.lines().next().unwrap_or("").to_string();

    let page = request(p, &format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n"));
    assert!(status(&page).contains("200"), "{}", page.0);
    assert!(
        page.0
            .contains("Content-Security-Policy: default-src 'self'")
    );
    let rebind = request(
        p,
        &format!("GET / HTTP/1.1\r\nHost: evil.example:{p}\r\n\r\n"),
    );
    assert!(status(&rebind).contains("421"), "{}", rebind.0);
    let escape = request(
        p,
        &format!("GET /../Cargo.toml HTTP/1.1\r\nHost: {host}\r\n\r\n"),
    );
    assert!(status(&escape).contains("404"), "{}", escape.0);

    for (what, h, o, proto) in [
        ("no token", host.as_str(), Some(origin.as_str()), None),
        (
            "wrong token",
            &host,
            Some(&origin),
            Some("unpst.0123456789abcdef0123456789abcdef0123456789abcdef"),
        ),
        (
            "token prefix",
            &host,
            Some(&origin),
            Some(&good[..good.len() - 1]),
        ),
        (
            "wrong Origin",
            &host,
            Some("http://evil.example"),
            Some(&good),
        ),
        ("null Origin", &host, Some("null"), Some(&good)),
        ("no Origin", &host, None, Some(&good)),
        (
            "other port's Origin",
            &host,
            Some("http://127.0.0.1:1"),
            Some(&good),
        ),
    ] {
        let resp = upgrade(p, h, o, proto);
        assert!(status(&resp).contains("403"), "{what}: {}", resp.0);
    }
    let foreign = upgrade(p, &format!("evil.example:{p}"), Some(&origin), Some(&good));
    assert!(status(&foreign).contains("421"), "{}", foreign.0);
    let ok = upgrade(
        p,
        &format!("localhost:{p}"),
        Some(&format!("http://localhost:{p}")),
        Some(&good),
    );
    assert!(status(&ok).contains("101"), "{}", ok.0);
    assert!(ok.0.contains(&format!("Sec-WebSocket-Protocol: {good}")));
    // RFC 6455's own example key and accept value.
    assert!(ok.0.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));

    let out = Command::new(env!("CARGO_BIN_EXE_unpst"))
        .args(["relay", "--port", "0", "--bind", "0.0.0.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only listens on 127.0.0.1 or ::1"));
}

fn send(ws: &mut WebSocket<TcpStream>, v: serde_json::Value) -> serde_json::Value {
    ws.send(Message::text(v.to_string())).unwrap();
    reply(ws)
}

fn reply(ws: &mut WebSocket<TcpStream>) -> serde_json::Value {
    loop {
        if let Message::Text(t) = ws.read().unwrap() {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// A whole upload through the relay's WebSocket: cut off half-way (the page closed), then run
/// again to the end (only what is missing is appended), then once more (nothing appended).
#[test]
fn upload_through_the_relay_is_verified_and_resumable() {
    let Some(dir) = common::corpus() else { return };
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    let r = start(&["--ca-file", server.cert.to_str().unwrap()]);
    let file = dir.join("aspose-Outlook.pst");
    let pst = Pst::open_path(&file).unwrap();
    let plan = unpst::upload::plan(&pst, None).unwrap();
    // Round 0 stops inside Sent Items, after Inbox (8 messages) was verified.
    for round in 0..3 {
        let (status, stream) = upgrade(
            r.port,
            &format!("127.0.0.1:{}", r.port),
            Some(&format!("http://127.0.0.1:{}", r.port)),
            Some(&format!("unpst.{}", r.token)),
        );
        assert!(status.contains("101"));
        let mut ws = WebSocket::from_raw_socket(stream, Role::Client, None);
        if round == 0 {
            let c = send(
                &mut ws,
                serde_json::json!({"op": "connect", "imap": server.url("alice"), "password": "nope"}),
            );
            assert_eq!(c["op"], "error");
            assert!(
                c["message"].as_str().unwrap().contains("login failed"),
                "{c}"
            );
        }
        let c = send(
            &mut ws,
            serde_json::json!({"op": "connect", "imap": server.url("alice"), "password": PASSWORD}),
        );
        assert_eq!(c["op"], "connected", "{c}");
        let m = send(&mut ws, serde_json::json!({"op": "map", "folders": plan}));
        assert_eq!(m["op"], "mapping", "{m}");
        assert_eq!(m["folders"][1]["mailbox"], "INBOX");
        let mut acks = 0;
        let mut present = 0;
        'folders: for (i, f) in plan.iter().enumerate() {
            let ready = send(&mut ws, serde_json::json!({"op": "folder", "index": i}));
            assert_eq!(ready["op"], "folder-ready", "{ready}");
            for (row, o) in FolderItems::new(&pst, f.nid) {
                let Outcome::Mail(m) = o else { continue };
                if round == 0 && acks == 10 {
                    break 'folders;
                }
                let whole = m.bytes.to_vec(&pst, u64::MAX).unwrap();
                let frame = imap::encode_frame(&imap::ItemMeta::of(row.nid.get(), &m), &whole);
                ws.send(Message::binary(frame)).unwrap();
                let ack = reply(&mut ws);
                assert_eq!(ack["op"], "ack", "{ack}");
                present += ack["present"].as_bool().unwrap() as u32;
                acks += 1;
            }
            let done = send(&mut ws, serde_json::json!({"op": "end-folder"}));
            assert_eq!(done["report"]["verified"], true, "{done}");
        }
        if round == 0 {
            // The page went away mid-folder: what was queued for Sent is not on the server.
            drop(ws);
            std::thread::sleep(std::time::Duration::from_millis(200));
            let c = server.contents("alice");
            assert_eq!((c["INBOX"].len(), c["Sent"].len()), (8, 0));
            continue;
        }
        assert_eq!(acks, 14);
        assert_eq!(present, if round == 1 { 8 } else { 14 });
        let fin = send(&mut ws, serde_json::json!({"op": "finish"}));
        assert_eq!(fin["op"], "done");
        let rep = &fin["report"];
        assert_eq!(
            (rep["messages"].as_u64(), rep["verified"].as_bool()),
            (Some(14), Some(true))
        );
        assert_eq!(rep["appended"], if round == 1 { 6 } else { 0 }, "{rep}");
    }
    let contents = server.contents("alice");
    assert_eq!(contents["INBOX"].len(), 8);
    assert_eq!(contents["Sent"].len(), 6);
}

/// Whether the page can run in Chromium here (built, with playwright-core); says why not.
fn page_ready() -> bool {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ready = root.join("www/pkg/unpst_bg.wasm").is_file()
        && root.join("tests/e2e/node_modules/playwright-core").is_dir()
        && std::path::Path::new("/usr/bin/chromium").exists();
    if !ready {
        assert!(
            std::env::var("UNPST_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "the page is not built or Chromium / playwright-core are missing"
        );
        common::skipped(
            "page not built (cargo xtask test builds it); page upload test did not run",
        );
    }
    ready
}

/// tests/e2e/upload.mjs against the relay `r` with `files` (one move) into `account`,
/// saving the messages refused as too large to `too_large_out`: what the page showed (its
/// last line).
fn page_upload(
    r: &Relay,
    files: &[&std::path::Path],
    account: &Account,
    too_large_out: Option<&std::path::Path>,
) -> serde_json::Value {
    let out = too_large_out.unwrap_or(std::path::Path::new(""));
    let shot = std::env::var("UNPST_SCREENSHOT").unwrap_or_default();
    page_script(
        "upload.mjs",
        r,
        files,
        account,
        &[
            ("UNPST_TOO_LARGE_OUT", out.as_os_str()),
            ("UNPST_SCREENSHOT", shot.as_ref()),
        ],
    )
}

/// Where a browser script uploads: Dovecot's TLS `port`, signed in as `user` with
/// `password`, or with OAuth2 `oauth` (sink::imap::oauth::Settings as JSON).
struct Account<'a> {
    port: u16,
    user: &'a str,
    password: &'a str,
    oauth: Option<serde_json::Value>,
}

/// Dovecot checking OAuth2 tokens (its oauth2 passdb against a local introspection
/// endpoint), the test authorization server (and what it was asked), a relay trusting that
/// Dovecot, and alice's account signed in with OAuth2 through them — the code and tokens the
/// authorization server hands out listed as `never_shown` (upload.mjs checks that none
/// reaches the page).
fn oauth2_setup() -> Option<(Dovecot, common::oauth::AuthLog, Relay, Account<'static>)> {
    use common::oauth::{authorization_server, introspection, oauth2_dovecot};
    let (port, _) = introspection(&["good-token"]);
    let server = oauth2_dovecot(port)?;
    let (auth, log) = authorization_server();
    let r = start(&["--ca-file", server.cert.to_str().unwrap()]);
    let account = Account {
        port: server.tls_port,
        user: "alice",
        password: "",
        oauth: Some(serde_json::json!({
            "client_id": "unpst-test",
            "authorize_url": format!("http://127.0.0.1:{auth}/authorize"),
            "token_url": format!("http://127.0.0.1:{auth}/token"),
            "scope": "imap-scope",
            "never_shown": ["the-code", "expired-token", "good-token"],
        })),
    };
    Some((server, log, r, account))
}

impl<'a> Account<'a> {
    /// `user` with the test servers' password.
    fn password(port: u16, user: &'a str) -> Self {
        Account {
            port,
            user,
            password: PASSWORD,
            oauth: None,
        }
    }
}

/// Runs the browser script `script` (tests/e2e) on the page the relay `r` serves, with
/// `files` (UNPST_FILE, one per line) and `account` (and `extra` environment): what the page
/// showed (its last line).
fn page_script(
    script: &str,
    r: &Relay,
    files: &[&std::path::Path],
    account: &Account,
    extra: &[(&str, &std::ffi::OsStr)],
) -> serde_json::Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let oauth = account.oauth.as_ref().map(|o| o.to_string());
    let out = Command::new("node")
        .arg(script)
        .current_dir(root.join("tests/e2e"))
        .env(
            "UNPST_URL",
            format!("http://127.0.0.1:{}/#relay={}", r.port, r.token),
        )
        .env(
            "UNPST_FILE",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .env("UNPST_HOST", "127.0.0.1")
        .env("UNPST_PORT", account.port.to_string())
        .env("UNPST_USER", account.user)
        .env("UNPST_PASSWORD", account.password)
        .env("UNPST_OAUTH", oauth.unwrap_or_default())
        .envs(extra.iter().copied())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

/// The PST's first folder's message as the converter writes it: (Message-ID, date).
fn first_message(file: &std::path::Path) -> (String, Option<i64>) {
    let pst = Pst::open_path(file).unwrap();
    let f = &unpst::upload::plan(&pst, None).unwrap()[0];
    let (_, Outcome::Mail(m)) = FolderItems::new(&pst, f.nid).next().unwrap() else {
        panic!("the message converts")
    };
    (m.message_id.clone(), m.date)
}

/// The page in headless Chromium uploads a corpus file through the relay into Dovecot; the
/// server then holds exactly the PST's mail, and the page shows the verification.
#[test]
fn page_uploads_through_the_relay() {
    let Some(dir) = common::corpus() else { return };
    if !page_ready() {
        return;
    }
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    let r = start(&["--ca-file", server.cert.to_str().unwrap()]);
    let file = dir.join("hiraoka-nonUnicodeCP932-ansi.pst");
    let shown = page_upload(
        &r,
        &[&file],
        &Account::password(server.tls_port, "carol"),
        None,
    );
    assert_eq!(
        shown["mapping"][0],
        serde_json::json!([
            "Outlook データ ファイルのトップ",
            "Outlook データ ファイルのトップ",
            "1",
            "new"
        ])
    );
    assert_eq!(
        shown["mapping"][1][1], "Trash",
        "削除済みアイテム → the server's Trash"
    );
    assert!(
        shown["summary"]
            .as_str()
            .unwrap()
            .starts_with("The message is on"),
        "{shown}"
    );
    // The server, read independently, holds the PST's message with its flags and date.
    let (id, date) = first_message(&file);
    let got = server.contents("carol");
    let msgs = &got["Outlook データ ファイルのトップ"];
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].0, id);
    assert_eq!(Some(msgs[0].2), date);
}

/// The page signs in with OAuth2 through the relay: the relay runs the authorization code
/// flow with PKCE (its loopback listener takes the redirect), the page sends the user to the
/// authorization server in a window of its own, the first token is refused by the real
/// Dovecot and refreshed once — and the upload after the dry run uses the relay's token
/// without a second sign-in. The mail arrives, and neither the code nor a token reaches the
/// page (upload.mjs reads every frame the relay sent it).
#[test]
fn page_signs_in_with_oauth2_through_the_relay() {
    let Some(dir) = common::corpus() else { return };
    if !page_ready() {
        return;
    }
    let Some((server, log, r, account)) = oauth2_setup() else {
        return;
    };
    let file = dir.join("hiraoka-nonUnicodeCP932-ansi.pst");
    let shown = page_upload(&r, &[&file], &account, None);
    assert!(
        shown["summary"]
            .as_str()
            .unwrap()
            .starts_with("The message is on"),
        "{shown}"
    );
    // One sign-in for the dry run and the upload; the refused token refreshed once.
    assert_eq!(*log.lock().unwrap(), ["authorize", "code", "refresh"]);
    let (id, _) = first_message(&file);
    let got = server.contents("alice");
    assert_eq!(got["Outlook データ ファイルのトップ"].len(), 1, "{got:?}");
    assert_eq!(got["Outlook データ ファイルのトップ"][0].0, id);
    assert!(
        !shown.to_string().contains("good-token") && !shown.to_string().contains("r1"),
        "{shown}"
    );
}

/// What the server refuses as too large is not lost in the page either: the relay hands each
/// back as an mbox entry, the page keeps them (in its private file system) and offers them as
/// one mbox to save — exactly the messages over Dovecot's 20 KiB limit (sized by our own
/// conversion), each whole as Python's mailbox reads it.
#[test]
fn the_page_keeps_what_the_server_refuses_as_too_large() {
    let Some(dir) = common::corpus() else { return };
    if !page_ready() {
        return;
    }
    let limit = "mail_plugins = $mail_plugins quota\nplugin {\n  quota = count:User quota\n  quota_vsizes = yes\n  quota_max_mail_size = 20k\n}\n";
    let Some(server) = Dovecot::start('/', limit) else {
        return;
    };
    let r = start(&["--ca-file", server.cert.to_str().unwrap()]);
    let file = dir.join("aspose-Outlook.pst");
    let saved =
        std::env::temp_dir().join(format!("unpst-page-too-large-{}.mbox", std::process::id()));
    let account = Account::password(server.tls_port, "alice");
    let shown = page_upload(&r, &[&file], &account, Some(&saved));
    let big = common::messages_over(&file, 20 * 1024);
    assert!(!big.is_empty());
    assert_eq!(
        shown["tooLarge"]["name"], "aspose-Outlook.too-large.mbox",
        "{shown}"
    );
    let py = Command::new("python3")
        .args([
            "-c",
            "import mailbox, sys\nfor m in mailbox.mbox(sys.argv[1]): print(m['Message-ID'].strip().strip('<>'))",
        ])
        .arg(&saved)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&saved);
    let mut kept: Vec<String> = String::from_utf8_lossy(&py.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    kept.sort();
    assert_eq!(kept, big, "{}", String::from_utf8_lossy(&py.stderr));
    assert!(
        shown["tooLarge"]["button"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Save the {} messages too large", big.len())),
        "{shown}"
    );
}

/// A folder name a hostile PST may carry, for the page and its report to show as text.
const MARKUP: &str = "<img src=x onerror=alert(1)>";

/// A generated mailbox big enough to Pause, Cancel and reload in the middle of its upload
/// (mail only: what the server must hold is exactly its messages).
fn mailbox_to_move(name: &str) -> (std::path::PathBuf, pstgen::Summary) {
    let spec = pstgen::Spec {
        seed: 16,
        target_bytes: 1 << 30,
        max_messages: 1500,
        folders: 4,
        depth: 2,
        max_attachment: 8 << 10,
        items: false,
        // A folder name that is markup: shown and reported as text, never as an element.
        names: vec![MARKUP.into()],
        ..pstgen::Spec::default()
    };
    common::generated(name, &spec)
}

/// tests/e2e/migrate.mjs (the six steps at phone width, with Pause, Resume, Cancel and a
/// reload mid-upload) into `server` as `account`; then the server, read independently,
/// holds each generated message exactly once, and the page's check said so.
fn guided_move(
    name: &str,
    server_contents: impl Fn() -> common::dovecot::Contents,
    r: &Relay,
    account: &Account,
) {
    let (file, summary) = mailbox_to_move(name);
    let shots = std::env::var_os("UNPST_SHOTS").unwrap_or_default();
    let shown = page_script(
        "migrate.mjs",
        r,
        &[&file],
        account,
        &[("UNPST_SHOTS", &shots)],
    );
    let _ = std::fs::remove_file(&file);
    let n = |k: &str| shown[k].as_u64().unwrap();
    assert_eq!(n("total"), summary.messages, "{shown}");
    // The rerun after the reload added only what had not arrived.
    assert!(n("present") > 0 && n("appended") > 0, "{shown}");
    assert_eq!(n("present") + n("appended"), summary.messages, "{shown}");
    common::dovecot::assert_each_once(&server_contents(), summary.messages);
    // The saved report says what the check said, and names the folder in markup as text.
    let report = shown["report"].as_str().unwrap();
    assert!(
        report.contains(shown["summary"].as_str().unwrap()),
        "{report}"
    );
    assert!(!report.contains("<img"), "{report}");
    assert!(
        report.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{report}"
    );
}

/// The guided move in the page, signed in with a password: every step says what it will do,
/// Pause stops sending, Cancel keeps what arrived, a reload mid-upload returns to the move
/// with the same file, and the rerun adds only what is missing — no message twice.
#[test]
fn page_guides_a_whole_move_step_by_step() {
    if !page_ready() {
        return;
    }
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    let r = start(&["--ca-file", server.cert.to_str().unwrap()]);
    let account = Account::password(server.tls_port, "dave");
    guided_move("move-password", || server.contents("dave"), &r, &account);
}

/// The same guided move signed in with OAuth2 through the relay: after the reload the
/// relay's token still serves (no second sign-in at the authorization server).
#[test]
fn page_guides_a_whole_move_signed_in_with_oauth2() {
    if !page_ready() {
        return;
    }
    let Some((server, log, r, account)) = oauth2_setup() else {
        return;
    };
    guided_move("move-oauth2", || server.contents("alice"), &r, &account);
    assert_eq!(*log.lock().unwrap(), ["authorize", "code", "refresh"]);
}

/// Several PSTs in one move from the page (an Outlook.pst and its archive, as in the CLI's
/// test): folders of the same path meet in one mailbox, a message both files hold is sent
/// once, the mapping and the check name each file — and the server holds exactly the
/// larger file (with one seed, the smaller file's messages are the first of the larger's).
#[test]
fn page_moves_several_files_into_one_account_sending_shared_messages_once() {
    if !page_ready() {
        return;
    }
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    let r = start(&["--ca-file", server.cert.to_str().unwrap()]);
    let [(archive, small), (current, big)] = common::archive_and_current("page");
    let account = Account::password(server.tls_port, "bob");
    let shown = page_upload(&r, &[&archive, &current], &account, None);
    let name = |p: &std::path::Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let total = |s: &pstgen::Summary| s.messages + s.notes;
    let summary = shown["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!(
            "All {} messages are on ",
            total(&small) + total(&big)
        )) && summary.ends_with(&format!(
            ": {} added now, {} already there.",
            total(&big),
            total(&small)
        )),
        "{shown}"
    );
    // The mapping and the check say which file each folder is from.
    let rows = shown["mapping"].as_array().unwrap();
    for f in [&archive, &current] {
        let from = format!("{}: ", name(f));
        assert!(
            rows.iter()
                .any(|r| r[0].as_str().unwrap().starts_with(&from)),
            "{shown}"
        );
        assert!(
            shown["details"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!(format!("{}:", name(f)))),
            "{shown}"
        );
    }
    common::dovecot::assert_each_once(&server.contents("bob"), total(&big));
    let _ = std::fs::remove_file(&archive);
    let _ = std::fs::remove_file(&current);
}
