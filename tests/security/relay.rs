//! The relay as a local attacker or a foreign web page meets it: file reads through crafted
//! paths, headers that let other sites frame or read the page, connection floods, slow
//! clients, thread exhaustion, and the relay as a port scanner.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use unpst::relay::{Config, Limits, Relay};

/// A page directory of our own: the page's `index.html` and `app.js`, and a file that is
/// not one of the page's.
fn www() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("unpst-sec-www-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    std::fs::write(dir.join("index.html"), "<!doctype html><title>page</title>").unwrap();
    std::fs::write(dir.join("app.js"), "// app").unwrap();
    std::fs::write(dir.join("secret.txt"), "not the page's").unwrap();
    dir
}

/// A relay in this process (serving our `www`), with `limits`; returns its port and token.
fn relay(limits: Limits, plaintext: bool) -> (u16, String) {
    let r = Relay::bind(Config {
        bind: "127.0.0.1".parse().unwrap(),
        port: 0,
        www: Some(www()),
        ca_file: None,
        allow_plaintext: plaintext,
        limits,
    })
    .unwrap();
    let (port, token) = (r.port, r.token.clone());
    std::thread::spawn(move || r.serve());
    (port, token)
}

/// Sends `head`, reads the answer to its end (at most 1 MiB, 5 s): (status line, whole).
fn fetch(port: u16, head: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    while got.len() < 1 << 20 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&got).into_owned();
    (text.lines().next().unwrap_or("").to_string(), text)
}

fn get(port: u16, target: &str) -> (String, String) {
    fetch(
        port,
        &format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
    )
}

#[test]
fn relay_serves_no_file_a_request_names() {
    let (port, token) = relay(Limits::default(), false);
    let (status, body) = get(port, "/");
    assert!(
        status.contains("200") && body.contains("<title>page</title>"),
        "{body}"
    );
    assert!(get(port, "/app.js").0.contains("200"));
    for target in [
        "//etc/passwd",
        "///etc/passwd",
        "//proc/self/cmdline",
        "//proc/self/fd/1",
        "//proc/self/environ",
        "//dev/zero",
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        "/pkg/../../etc/passwd",
        "/.\\..\\..\\etc\\passwd",
        "/C:/Windows/win.ini",
        "/secret.txt",
        "/./secret.txt",
        "/index.html/../secret.txt",
        "http://127.0.0.1/etc/passwd",
        "*",
    ] {
        let (status, body) = get(port, target);
        assert!(status.contains("404"), "{target}: {status}");
        assert!(
            !body.contains("root:") && !body.contains("not the page's") && !body.contains(&token),
            "{target} leaked: {body}"
        );
    }
    // A page directory holding a FIFO where a page file should be: refused at start, at once.
    let dir = std::env::temp_dir().join(format!("unpst-sec-fifo-www-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "x").unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(dir.join("app.js"))
            .status()
            .unwrap()
            .success()
    );
    let t = Instant::now();
    let r = Relay::bind(Config {
        bind: "127.0.0.1".parse().unwrap(),
        port: 0,
        www: Some(dir.clone()),
        ca_file: None,
        allow_plaintext: false,
        limits: Limits::default(),
    });
    assert!(r.is_err() && t.elapsed() < Duration::from_secs(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn relay_headers_keep_other_sites_out() {
    let (port, _) = relay(Limits::default(), false);
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        for target in ["/", "/app.js", "/nothing"] {
            let (_, resp) = fetch(
                port,
                &format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n"),
            );
            let head = resp.split("\r\n\r\n").next().unwrap_or("");
            let csp = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Security-Policy: "))
                .unwrap_or_else(|| panic!("no CSP: {head}"));
            assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
            let connect = csp
                .split(';')
                .map(str::trim)
                .find(|d| d.starts_with("connect-src"))
                .unwrap();
            // The relay's own origin, nothing else: no wildcard port, no other host.
            assert_eq!(connect, format!("connect-src 'self' ws://{host}"));
            assert!(
                head.contains("\r\nCross-Origin-Resource-Policy: same-origin"),
                "{head}"
            );
            assert!(head.contains("\r\nX-Frame-Options: DENY"), "{head}");
            assert!(
                head.contains("\r\nCross-Origin-Opener-Policy: same-origin"),
                "{head}"
            );
        }
    }
}

#[test]
fn relay_bind_takes_only_what_its_host_check_accepts() {
    for addr in ["127.0.0.2", "127.1.2.3", "0.0.0.0", "::"] {
        let out = Command::new(env!("CARGO_BIN_EXE_unpst"))
            .args(["relay", "--port", "0", "--bind", addr])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{addr}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("127.0.0.1 or ::1"), "{addr}: {err}");
    }
    // ::1 (where the machine has it) prints an address its own Host check accepts.
    if let Ok(r) = Relay::bind(Config {
        bind: "::1".parse().unwrap(),
        port: 0,
        www: Some(www()),
        ca_file: None,
        allow_plaintext: false,
        limits: Limits::default(),
    }) {
        let url = r.url();
        let port = r.port;
        std::thread::spawn(move || r.serve());
        let host = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let mut s = TcpStream::connect(("::1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
            .unwrap();
        let mut got = String::new();
        let _ = s.read_to_string(&mut got);
        assert!(got.starts_with("HTTP/1.1 200"), "{url}: {got}");
    }
}

/// Attacker connections that send a request head a byte at a time, slowly enough that no
/// single read times out.
fn trickle(port: u16, n: usize) -> Vec<TcpStream> {
    let mut v = Vec::new();
    for _ in 0..n {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"G");
            v.push(s);
        }
    }
    v
}

fn keep_trickling(conns: &mut [TcpStream]) {
    for s in conns.iter_mut() {
        let _ = s.write_all(b"E");
    }
}

/// The user's page request while an attacker holds every connection it can.
fn answered_within(port: u16, limit: Duration) -> bool {
    let t = Instant::now();
    let ok = get(port, "/").0.contains("200");
    ok && t.elapsed() < limit
}

#[test]
fn relay_answers_while_slow_clients_hold_connections() {
    let (port, _) = relay(Limits::default(), false);
    let mut conns = trickle(port, 600);
    for _ in 0..3 {
        keep_trickling(&mut conns);
        assert!(answered_within(port, Duration::from_secs(2)));
        // Newer attackers again, behind the user's request.
        conns.extend(trickle(port, 100));
    }
    // Slow readers: ask for the page and never read the answer.
    let mut readers = Vec::new();
    for _ in 0..200 {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ =
                s.write_all(format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes());
            readers.push(s);
        }
    }
    assert!(answered_within(port, Duration::from_secs(2)));
}

/// `unpst relay` run through `wrapper` (a command that sets a limit, then runs the rest).
fn limited_relay(wrapper: &[&str]) -> (Child, u16) {
    let dir = www();
    let mut child = Command::new(wrapper[0])
        .args(&wrapper[1..])
        .arg(env!("CARGO_BIN_EXE_unpst"))
        .args(["relay", "--port", "0", "--www"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = Vec::new();
    let mut out = child.stdout.take().unwrap();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\n") && out.read(&mut b).unwrap_or(0) == 1 {
        line.push(b[0]);
    }
    let line = String::from_utf8_lossy(&line).into_owned();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, port)
}

/// CPU seconds a process has used (utime + stime from /proc).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // Fields 14 and 15 of the line; `after` starts at field 3.
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}

#[test]
fn relay_survives_running_out_of_file_descriptors() {
    let (mut child, port) = limited_relay(&["prlimit", "--nofile=64:64"]);
    let mut conns = trickle(port, 400);
    let cpu0 = cpu_seconds(child.id());
    let t0 = Instant::now();
    for _ in 0..3 {
        keep_trickling(&mut conns);
        assert!(answered_within(port, Duration::from_secs(3)));
        conns.extend(trickle(port, 50));
        std::thread::sleep(Duration::from_millis(300));
    }
    // No busy loop on "too many open files".
    let cpu = cpu_seconds(child.id()) - cpu0;
    assert!(
        cpu < t0.elapsed().as_secs_f64() * 0.5,
        "{cpu} s CPU in {:?}",
        t0.elapsed()
    );
    assert!(child.try_wait().unwrap().is_none(), "the relay exited");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn relay_survives_failing_thread_spawns() {
    // Four tasks for the relay's user (root is exempt from the limit, so the relay runs as
    // nobody): the main thread and three connection threads, then spawns fail.
    let (mut child, port) = limited_relay(&[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "prlimit",
        "--nproc=4:4",
    ]);
    let mut conns = trickle(port, 100);
    for _ in 0..3 {
        keep_trickling(&mut conns);
        assert!(answered_within(port, Duration::from_secs(3)));
        conns.extend(trickle(port, 20));
    }
    assert!(child.try_wait().unwrap().is_none(), "the relay exited");
    let _ = child.kill();
    let _ = child.wait();
}

/// Upgrades to the relay's WebSocket with the token.
fn session(port: u16, token: &str) -> (String, TcpStream) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(
        format!(
            "GET /relay HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: unpst.{token}\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
        head.push(b[0]);
    }
    (String::from_utf8_lossy(&head).into_owned(), s)
}

fn ws(s: TcpStream) -> tungstenite::WebSocket<TcpStream> {
    tungstenite::WebSocket::from_raw_socket(s, tungstenite::protocol::Role::Client, None)
}

fn command(w: &mut tungstenite::WebSocket<TcpStream>, v: serde_json::Value) -> serde_json::Value {
    w.send(tungstenite::Message::text(v.to_string())).unwrap();
    loop {
        if let tungstenite::Message::Text(t) = w.read().unwrap() {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

#[test]
fn relay_caps_sessions_and_closes_idle_ones() {
    let limits = Limits {
        session_idle: Duration::from_secs(1),
        ..Limits::default()
    };
    let (port, token) = relay(limits, false);
    let open: Vec<_> = (0..limits.sessions)
        .map(|_| {
            let (head, s) = session(port, &token);
            assert!(head.starts_with("HTTP/1.1 101"), "{head}");
            s
        })
        .collect();
    let (head, _) = session(port, &token);
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    // Idle sessions are closed: their slots come back.
    std::thread::sleep(Duration::from_millis(1500));
    for mut s in open {
        let mut b = [0u8; 64];
        let t = Instant::now();
        // The server's close frame, then the end of the stream.
        while matches!(s.read(&mut b), Ok(n) if n > 0) && t.elapsed() < Duration::from_secs(5) {}
        assert!(t.elapsed() < Duration::from_secs(5));
    }
    let (head, _) = session(port, &token);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
}

/// A service that is not IMAP: it says `banner` to whoever connects.
fn not_imap(banner: &'static str) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut s = s;
            let _ = s.write_all(banner.as_bytes());
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    port
}

#[test]
fn relay_is_no_port_scanner() {
    let (port, token) = relay(Limits::default(), true);
    let (head, s) = session(port, &token);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut w = ws(s);
    let mut attempts = 0;
    for (banner, secret) in [
        ("SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n", "OpenSSH"),
        (
            "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.25.3\r\n\r\n",
            "nginx",
        ),
        ("220 mail.example ESMTP Postfix\r\n", "Postfix"),
        ("-ERR redis secret-key\r\n", "redis"),
        ("* BYE internal-host-name\r\n", "internal-host-name"),
    ] {
        let target = not_imap(banner);
        for url in [
            format!("imap://u@127.0.0.1:{target}"),
            format!("imaps://u@127.0.0.1:{target}"),
        ] {
            let r = command(
                &mut w,
                serde_json::json!({"op": "connect", "imap": url, "password": "x"}),
            );
            attempts += 1;
            let msg = r["message"].as_str().unwrap_or("").to_string();
            assert_eq!(r["op"], "error");
            assert!(!msg.contains(secret), "{url} echoed {secret}: {msg}");
        }
    }
    assert_eq!(attempts, 10);
    // Past the burst, attempts are refused before any connection is made.
    let r = command(
        &mut w,
        serde_json::json!({"op": "connect", "imap": format!("imap://u@127.0.0.1:{}", not_imap("* OK\r\n")), "password": "x"}),
    );
    assert!(
        r["message"]
            .as_str()
            .unwrap_or("")
            .contains("too many connection attempts"),
        "{r}"
    );
}

#[test]
fn relay_caps_request_heads_and_websocket_frames() {
    let (port, token) = relay(Limits::default(), false);
    // A head over 16 KiB: dropped without an answer.
    let big = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let (status, _) = fetch(port, &big);
    assert!(status.is_empty(), "{status}");
    // Endless header lines, never a blank one: dropped at the cap too.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut sent = 0;
    while sent < 64 * 1024 && s.write_all(b"X-A: b\r\n").is_ok() {
        sent += 8;
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut b = [0u8; 16];
    assert!(matches!(s.read(&mut b), Ok(0) | Err(_)));
    // A WebSocket frame that announces 1 GiB: the session ends, nothing is allocated.
    let (head, mut s) = session(port, &token);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut frame = vec![0x82u8, 0xff]; // binary, masked, 64-bit length
    frame.extend_from_slice(&(1u64 << 30).to_be_bytes());
    frame.extend_from_slice(&[1, 2, 3, 4]);
    s.write_all(&frame).unwrap();
    let t = Instant::now();
    while matches!(s.read(&mut b), Ok(n) if n > 0) && t.elapsed() < Duration::from_secs(5) {}
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "the session stayed open"
    );
}
