//! IMAP upload throughput against a local Dovecot (`cargo bench --bench imap`, or
//! `cargo xtask bench-imap`); `cargo test` runs it too, as a smoke test of 100 messages in a
//! debug build, so it cannot rot. The same 2000 messages go into a fresh account four ways:
//! one APPEND at a time with synchronizing literals, one at a time with LITERAL+,
//! MULTIAPPEND batches of 100, and Python's imaplib one at a time as an outside baseline.

#[path = "../tests/common/mod.rs"]
mod common;

use common::dovecot::{Dovecot, PASSWORD};
use std::time::Instant;
use unpst::mime::MailFlags;
use unpst::sink::imap::{Item, Mapping, Server, UploadOptions, Uploader};

/// 2000 messages; 100 in the debug build `cargo test` makes (every mode is still verified).
const N: usize = if cfg!(debug_assertions) { 100 } else { 2000 };

fn messages() -> Vec<Item> {
    (0..N)
        .map(|i| {
            let body =
                "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(20 + i % 40);
            let text = format!(
                "From: Bench <bench@example.org>\r\nTo: you@example.org\r\nSubject: message {i}\r\n\
                 Date: Mon, 1 Jan 2018 10:00:00 +0000\r\nMessage-ID: <bench.{i}@example.org>\r\n\
                 MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            );
            Item {
                id: i as u32,
                subject: format!("message {i}"),
                message_id: format!("bench.{i}@example.org"),
                flags: MailFlags {
                    read: i % 2 == 0,
                    ..MailFlags::default()
                },
                date: Some(1_514_800_800 + i as i64),
                size: text.len(),
                bytes: text.into_bytes(),
            }
        })
        .collect()
}

fn run(server: &Dovecot, user: &str, batch: usize, literal_plus: bool, items: &[Item]) -> f64 {
    let mut s = Server::parse(&server.url(user), false).unwrap();
    s.ca_file = Some(server.cert.clone());
    let opts = UploadOptions {
        batch,
        literal_plus,
        ..UploadOptions::default()
    };
    let mut up = Uploader::connect(&s, PASSWORD, opts).unwrap();
    let t = Instant::now();
    up.begin_folder(Mapping {
        path: vec!["Bench".into()],
        special: None,
        mailbox: "Bench".into(),
        wire: "Bench".into(),
    })
    .unwrap();
    for it in items {
        up.add(it.clone()).unwrap();
    }
    let rep = up.end_folder().unwrap().unwrap().clone();
    let secs = t.elapsed().as_secs_f64();
    assert!(rep.verified && rep.appended as usize == N, "{rep:?}");
    up.finish(false).unwrap();
    secs
}

fn python(server: &Dovecot, user: &str, items: &[Item]) -> Option<f64> {
    let dir = std::env::temp_dir().join(format!("unpst-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    for (i, it) in items.iter().enumerate() {
        std::fs::write(dir.join(format!("{i:05}.eml")), &it.bytes).ok()?;
    }
    let script = r#"
import imaplib, os, ssl, sys, time
host, port, user, pw, ca, d = sys.argv[1:7]
m = imaplib.IMAP4_SSL(host, int(port), ssl_context=ssl.create_default_context(cafile=ca))
m.login(user, pw)
m.create('Bench')
t = time.time()
for f in sorted(os.listdir(d)):
    typ, _ = m.append('Bench', '(\\Seen)', imaplib.Time2Internaldate(1514800800), open(os.path.join(d, f), 'rb').read())
    assert typ == 'OK'
print(time.time() - t)
m.logout()
"#;
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            script,
            "127.0.0.1",
            &server.tls_port.to_string(),
            user,
            PASSWORD,
        ])
        .arg(&server.cert)
        .arg(&dir)
        .output()
        .ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn main() {
    let Some(server) = Dovecot::start('/', "") else {
        return;
    };
    let items = messages();
    let mb = items.iter().map(|i| i.bytes.len()).sum::<usize>() as f64 / 1e6;
    println!(
        "IMAP upload of {N} messages ({mb:.1} MB) into Dovecot on 127.0.0.1 over TLS, one connection"
    );
    let py = python(&server, "dave", &items);
    let rows = [
        (
            "one APPEND at a time, synchronizing literals",
            run(&server, "alice", 1, false, &items),
        ),
        (
            "one APPEND at a time, LITERAL+",
            run(&server, "bob", 1, true, &items),
        ),
        (
            "MULTIAPPEND, 100 per command, LITERAL+",
            run(&server, "carol", 100, true, &items),
        ),
    ];
    for (name, secs) in rows {
        let ratio = py
            .map(|p| format!("{:>6.2}x python", p / secs))
            .unwrap_or_default();
        println!(
            "{name:<48} {secs:>7.3} s {:>8.0} msg/s {ratio}",
            N as f64 / secs
        );
    }
    match py {
        Some(p) => println!(
            "{:<48} {p:>7.3} s {:>8.0} msg/s",
            "python3 imaplib, one APPEND at a time",
            N as f64 / p
        ),
        None => println!("python3 imaplib baseline: did not run"),
    }
}
