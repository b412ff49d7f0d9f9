//! A hostile IMAP server against the client: floods of responses, huge and many literals,
//! endless lines, a server that trickles a byte at a time, and a plaintext login aimed at
//! another machine.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use unpst::sink::imap::{ImapError, Server, UploadOptions, Uploader};

type Script = Box<dyn FnOnce(&mut BufReader<TcpStream>, &mut TcpStream) + Send>;

/// A one-connection server on 127.0.0.1 that greets and accepts any login, then hands the
/// next command (the probe of the layout, `LIST "" ""`) to `then`.
fn logged_in(then: Script) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((s, _)) = l.accept() else { return };
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let _ = w.write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready\r\n");
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let tag = line.split(' ').next().unwrap_or("*").to_string();
        let _ = w.write_all(format!("{tag} OK [CAPABILITY IMAP4rev1] logged in\r\n").as_bytes());
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        then(&mut r, &mut w);
    });
    port
}

/// Like [`logged_in`], with the probe answered: `then` gets the mailbox LIST.
fn server(then: Script) -> u16 {
    logged_in(Box::new(move |r, w| {
        let _ = w.write_all(b"* LIST (\\Noselect) \"/\" \"\"\r\nU2 OK done\r\n");
        let mut line = String::new();
        let _ = r.read_line(&mut line);
        then(r, w);
    }))
}

fn plain(port: u16) -> Server {
    let mut s = Server::parse(&format!("imap://u@127.0.0.1:{port}"), true).unwrap();
    s.timeout = Duration::from_secs(1);
    s.deadline = Duration::from_secs(3);
    s
}

/// Connects (login, layout) in a thread; the error, or a failure if it took over `limit`.
fn connect_err(server: Server, limit: Duration) -> ImapError {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Uploader::connect(&server, "pw", UploadOptions::default()).err());
    });
    match rx.recv_timeout(limit) {
        Ok(Some(e)) => e,
        Ok(None) => panic!("the hostile server was accepted"),
        Err(_) => panic!("still waiting for the server after {limit:?}"),
    }
}

#[test]
fn imap_list_flood_is_capped_not_collected() {
    let port = server(Box::new(|_, w| {
        let mut chunk = Vec::new();
        for i in 0..150_000 {
            chunk.extend_from_slice(format!("* LIST () \"/\" \"box{i}\"\r\n").as_bytes());
            if chunk.len() > 1 << 16 {
                if w.write_all(&chunk).is_err() {
                    return;
                }
                chunk.clear();
            }
        }
        let _ = w.write_all(&chunk);
        let _ = w.write_all(b"U3 OK done\r\n");
    }));
    let e = connect_err(plain(port), Duration::from_secs(30));
    assert!(matches!(e, ImapError::TooMuch(_)), "{e}");
    assert!(e.to_string().contains("LIST"), "{e}");
}

#[test]
fn imap_untagged_flood_on_a_kept_reply_is_capped() {
    // Noise where the client keeps the whole reply (here the probe of the layout).
    let port = logged_in(Box::new(|_, w| {
        let noise = b"* OK still here\r\n".repeat(20_000);
        let _ = w.write_all(&noise);
        let _ = w.write_all(b"U2 OK done\r\n");
    }));
    let e = connect_err(plain(port), Duration::from_secs(30));
    assert!(matches!(e, ImapError::TooMuch(_)), "{e}");
}

#[test]
fn imap_huge_literal_is_refused_when_announced() {
    for size in [100 << 20, 5 << 20, usize::MAX / 2] {
        let port = server(Box::new(move |_, w| {
            let _ = w.write_all(format!("* LIST () \"/\" {{{size}}}\r\n").as_bytes());
            // …and never sends it: the client must not wait to read it.
            std::thread::sleep(Duration::from_secs(10));
        }));
        let t = Instant::now();
        let e = connect_err(plain(port), Duration::from_secs(20));
        assert!(matches!(e, ImapError::TooMuch(_)), "{size}: {e}");
        assert!(t.elapsed() < Duration::from_millis(900), "{size}: waited");
    }
}

#[test]
fn imap_many_literals_in_one_response_are_capped() {
    let port = server(Box::new(|_, w| {
        // One response that never ends: each line announces one more 64 KiB literal.
        let lit = vec![b'a'; 64 << 10];
        let _ = w.write_all(b"* LIST () \"/\" ");
        for _ in 0..200 {
            let mut piece = format!("{{{}}}\r\n", lit.len()).into_bytes();
            piece.extend_from_slice(&lit);
            piece.push(b' ');
            if w.write_all(&piece).is_err() {
                return;
            }
        }
        let _ = w.write_all(b"\r\nU3 OK done\r\n");
    }));
    let e = connect_err(plain(port), Duration::from_secs(30));
    assert!(matches!(e, ImapError::TooMuch(_)), "{e}");
}

#[test]
fn imap_endless_line_is_capped() {
    let port = server(Box::new(|_, w| {
        let junk = vec![b'x'; 1 << 16];
        for _ in 0..64 {
            if w.write_all(&junk).is_err() {
                return;
            }
        }
    }));
    let e = connect_err(plain(port), Duration::from_secs(30));
    assert!(matches!(e, ImapError::TooMuch(_)), "{e}");
}

#[test]
fn imap_trickling_server_hits_the_command_deadline() {
    // A byte every 200 ms: each read is answered well within the 2 s timeout, but the
    // command (deadline 4 s) never ends.
    let port = server(Box::new(|_, w| {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if w.write_all(b"*").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }));
    let slow = || {
        let mut s = plain(port);
        s.timeout = Duration::from_secs(2);
        s.deadline = Duration::from_secs(4);
        s
    };
    let t = Instant::now();
    let e = connect_err(slow(), Duration::from_secs(15));
    assert!(matches!(e, ImapError::Deadline(4)), "{e}");
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());

    // The same in the greeting.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) && s.write_all(b"*").is_ok() {
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let mut slow = plain(port);
    slow.timeout = Duration::from_secs(2);
    slow.deadline = Duration::from_secs(4);
    let e = connect_err(slow, Duration::from_secs(15));
    assert!(matches!(e, ImapError::Deadline(4)), "{e}");
}

/// This machine's addresses that are not loopback (connecting to them stays on this machine).
fn own_non_loopback() -> Vec<String> {
    let mut v = vec!["0.0.0.0".to_string()];
    if let Ok(out) = std::process::Command::new("hostname").arg("-I").output() {
        v.extend(
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .filter(|a| a.parse::<std::net::Ipv4Addr>().is_ok())
                .map(str::to_string),
        );
    }
    v
}

#[test]
fn plaintext_login_goes_to_loopback_only() {
    // A server on every address of this machine: a client that sends anything reaches it.
    let l = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = l.local_addr().unwrap().port();
    l.set_nonblocking(true).unwrap();
    for host in own_non_loopback() {
        let url = format!("imap://u@{host}:{port}");
        let mut server = Server::parse(&url, true).unwrap();
        server.timeout = Duration::from_secs(2);
        let e = Uploader::connect(&server, "pw", UploadOptions::default())
            .err()
            .unwrap_or_else(|| panic!("{url}: connected"));
        assert!(matches!(e, ImapError::Config(_)), "{url}: {e}");
        assert!(e.to_string().contains("not this machine"), "{url}: {e}");
        // The CLI says the same, and fails.
        if let Some(dir) = crate::common::corpus() {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_unpst"))
                .arg("upload")
                .arg(dir.join("aspose-Outlook.pst"))
                .args(["--imap", &url, "--insecure-plaintext"])
                .args(["--password-env", "UNPST_SEC_PW"])
                .env("UNPST_SEC_PW", "secret")
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_ne!(out.status.code(), Some(0), "{url}");
            assert!(err.contains("not this machine"), "{url}: {err}");
        }
    }
    // Nothing came in: the refusal came before a connection.
    assert!(l.accept().is_err(), "a plaintext connection was made");
    // Loopback itself is fine (the connection is made; the server never answers).
    let ok = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut server = plain(ok.local_addr().unwrap().port());
    server.deadline = Duration::from_millis(500);
    let e = Uploader::connect(&server, "pw", UploadOptions::default())
        .err()
        .unwrap();
    assert!(!matches!(e, ImapError::Config(_)), "{e}");
}

#[test]
fn error_text_never_repeats_a_foreign_greeting() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let _ = s.write_all(b"SSH-2.0-OpenSSH_9.6p1 secret-build\r\n");
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    let e = connect_err(plain(port), Duration::from_secs(10));
    let text = e.to_string();
    assert!(
        !text.contains("SSH") && !text.contains("secret-build"),
        "{text}"
    );
    assert!(text.contains("not an IMAP server"), "{text}");
}

#[test]
fn imap_without_starttls_gets_no_password() {
    // imap:// means STARTTLS: a server that does not offer it never sees a login.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((s, _)) = l.accept() else { return };
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let _ = w.write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN] no tls here\r\n");
        let mut seen = String::new();
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            seen.push_str(&line);
            let tag = line.split(' ').next().unwrap_or("*").to_string();
            let _ = w.write_all(format!("{tag} OK sure\r\n").as_bytes());
            line.clear();
        }
        let _ = tx.send(seen);
    });
    let mut server = Server::parse(&format!("imap://u@127.0.0.1:{port}"), false).unwrap();
    server.timeout = Duration::from_secs(2);
    let e = Uploader::connect(&server, "hunter2", UploadOptions::default())
        .err()
        .expect("connected without TLS");
    assert!(e.to_string().contains("STARTTLS"), "{e}");
    let seen = rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    assert!(
        !seen.contains("LOGIN") && !seen.contains("AUTHENTICATE"),
        "{seen}"
    );
    let b64 = "AHUAaHVudGVyMg=="; // "\0u\0hunter2"
    assert!(!seen.contains("hunter2") && !seen.contains(b64), "{seen}");
}

#[test]
fn ca_file_that_is_a_fifo_is_refused_at_once() {
    let dir = std::env::temp_dir().join(format!("unpst-sec-ca-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("ca.pem");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // A TLS server is not needed: the CA file is read before the handshake.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut server = Server::parse(
        &format!("imaps://u@127.0.0.1:{}", l.local_addr().unwrap().port()),
        false,
    )
    .unwrap();
    server.ca_file = Some(fifo);
    server.timeout = Duration::from_secs(2);
    let t = Instant::now();
    let e = connect_err(server, Duration::from_secs(10));
    assert!(matches!(e, ImapError::Config(_)), "{e}");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    let _ = std::fs::remove_dir_all(&dir);
}
