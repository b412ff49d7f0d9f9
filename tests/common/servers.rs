//! Cyrus IMAP 3.6 and Courier-IMAP 5.0 as throwaway test servers on 127.0.0.1, beside the
//! Dovecot of [`super::dovecot`]: Debian's packages conflict with dovecot-imapd, so
//! `tests/servers/fetch.sh` unpacks them (no install) and `tests/servers/{cyrus,courier}.sh`
//! starts one in a temp directory — the same accounts and password, a self-signed
//! certificate, implicit TLS. Stopped (SIGTERM) on drop.

use super::dovecot::{Contents, contents_of, stop, upload_to};
use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Cyrus IMAP 3.6: separator `/`, folders beside INBOX, SPECIAL-USE, MULTIAPPEND,
    /// LITERAL+.
    Cyrus,
    /// Courier-IMAP 5.0: everything below `INBOX.`, separator `.`; none of SPECIAL-USE,
    /// MULTIAPPEND, LITERAL+; refuses `/` in a name and names beyond the BMP.
    Courier,
}

pub struct Other {
    pub kind: Kind,
    pub dir: PathBuf,
    pub tls_port: u16,
    pub cert: PathBuf,
    child: Child,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Where `fetch.sh` unpacked the servers (`cargo xtask test` sets `UNPST_IMAP_SERVERS`).
fn unpacked() -> PathBuf {
    std::env::var_os("UNPST_IMAP_SERVERS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/imap-servers"),
        PathBuf::from,
    )
}

impl Other {
    /// Starts a server of `kind`, or `None` with a loud notice when it is not unpacked (CI
    /// sets UNPST_REQUIRE_DOVECOT=1, and a missing server fails the test instead).
    pub fn start(kind: Kind) -> Option<Self> {
        let (script, var, name) = match kind {
            Kind::Cyrus => ("cyrus.sh", "CYRUS_ROOT", "cyrus"),
            Kind::Courier => ("courier.sh", "COURIER_ROOT", "courier"),
        };
        let root = unpacked().join(name).join("root");
        if !root.join("usr").is_dir() {
            let why = format!(
                "{name} not unpacked in {} (tests/servers/fetch.sh); its IMAP tests did not run",
                root.display()
            );
            if std::env::var("UNPST_REQUIRE_DOVECOT").as_deref() == Ok("1") {
                panic!("{why}, and UNPST_REQUIRE_DOVECOT=1");
            }
            super::skipped(&why);
            return None;
        }
        if kind == Kind::Courier && !is_root() {
            // Its auth library's paths are compiled in: courier.sh mounts over /etc, /usr
            // and /run in a private mount namespace, which takes root.
            let why = "Courier's test server needs root (a private mount namespace)";
            if std::env::var("UNPST_REQUIRE_DOVECOT").as_deref() == Ok("1") {
                panic!("{why}, and UNPST_REQUIRE_DOVECOT=1");
            }
            super::skipped(why);
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "unpst-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        // Its own output goes to a file: a pipe nobody reads could fill and stall it.
        let log = std::fs::File::create(dir.join("start.err")).unwrap();
        // Its own process group: Cyrus's master signals its group when it stops, which
        // took down the other servers of a test run (and their uploads).
        let mut child = Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/servers/").to_string() + script)
            .arg(&dir)
            .env(var, &root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("bash runs");
        // The script prints "PORT TLSPORT" once both listen.
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let ports: Vec<u16> = line
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        let [_, tls_port] = ports[..] else {
            let _ = child.kill();
            let _ = child.wait();
            let err = std::fs::read_to_string(dir.join("start.err")).unwrap_or_default();
            panic!("{name} did not start: {line:?} {err}");
        };
        Some(Self {
            kind,
            cert: dir.join("cert.pem"),
            dir,
            tls_port,
            child,
        })
    }

    /// `imaps://USER@127.0.0.1:PORT`.
    pub fn url(&self, user: &str) -> String {
        format!("imaps://{user}@127.0.0.1:{}", self.tls_port)
    }

    /// `unpst upload FILE` into `user`'s account over TLS, with `extra` arguments.
    pub fn upload(&self, user: &str, file: &Path, extra: &[&str]) -> std::process::Output {
        upload_to(&self.url(user), &self.cert, file, extra)
    }

    /// What `user`'s account holds, read with Python's imaplib.
    pub fn contents(&self, user: &str) -> Contents {
        contents_of(self.tls_port, &self.cert, user)
    }
}

impl Drop for Other {
    fn drop(&mut self) {
        stop(&mut self.child, &self.dir);
    }
}
