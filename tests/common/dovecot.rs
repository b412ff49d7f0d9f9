//! A throwaway Dovecot IMAP server on 127.0.0.1 for one test: its own config, TLS
//! certificate, passwd file and maildirs in a temp directory; stopped (SIGTERM) on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Accounts on every test server (one per PST a test uploads), all with [`PASSWORD`].
pub const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
pub const USER: &str = USERS[0];
pub const PASSWORD: &str = "wonder land";

/// Mailbox → (Message-ID, flags, INTERNALDATE).
pub type Contents = std::collections::BTreeMap<String, Vec<(String, Vec<String>, i64)>>;

/// Asserts that `got` holds `n` messages, no Message-ID twice.
pub fn assert_each_once(got: &Contents, n: u64) {
    let mut ids: Vec<&str> = got.values().flatten().map(|m| m.0.as_str()).collect();
    assert_eq!(ids.len() as u64, n, "{got:?}");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len() as u64,
        n,
        "a message is on the server twice: {got:?}"
    );
}

pub struct Dovecot {
    pub dir: PathBuf,
    /// Plain IMAP (STARTTLS available) and implicit TLS ports.
    pub port: u16,
    pub tls_port: u16,
    /// The server's self-signed certificate, to trust with `--ca-file`.
    pub cert: PathBuf,
    child: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The dovecot binary, or `None` with a loud notice (CI sets UNPST_REQUIRE_DOVECOT=1 and
/// fails instead).
fn binary() -> Option<PathBuf> {
    for p in ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"] {
        if Path::new(p).exists() {
            return Some(PathBuf::from(p));
        }
    }
    if std::env::var("UNPST_REQUIRE_DOVECOT").as_deref() == Ok("1") {
        panic!("dovecot not installed and UNPST_REQUIRE_DOVECOT=1 (cargo xtask test installs it)");
    }
    super::skipped("dovecot not installed (apt-get install dovecot-imapd); IMAP tests did not run");
    None
}

impl Dovecot {
    /// Starts a server whose hierarchy separator is `sep`. `extra` is appended to the config
    /// (e.g. a quota plugin with a size limit).
    pub fn start(sep: char, extra: &str) -> Option<Self> {
        let bin = binary()?;
        let dir = std::env::temp_dir().join(format!(
            "unpst-dovecot-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("mail")).unwrap();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ])
            .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(ok.success(), "openssl could not make a certificate");
        let passwd: String = USERS
            .iter()
            .map(|u| format!("{u}:{{PLAIN}}{PASSWORD}\n"))
            .collect();
        std::fs::write(dir.join("passwd"), passwd).unwrap();
        let (port, tls_port) = (free_port(), free_port());
        let d = dir.display();
        let conf = format!(
            r#"base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_fsync = never
auth_failure_delay = 0
mail_max_userip_connections = 100
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = {sep}
  mailbox Sent {{
    special_use = \Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \Junk
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
{extra}
"#
        );
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        // The mail homes are created by the dovecot user.
        let _ = Command::new("chown")
            .args(["-R", "dovecot:dovecot"])
            .arg(dir.join("mail"))
            .status();
        let child = Command::new(bin)
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .arg("-F")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dovecot starts");
        let server = Self {
            dir,
            port,
            tls_port,
            cert,
            child,
        };
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "dovecot did not listen; log: {}",
                std::fs::read_to_string(server.dir.join("dovecot.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }

    /// `unpst upload FILE` into `user`'s account over TLS (password from the environment,
    /// no progress bar), with `extra` arguments.
    pub fn upload(&self, user: &str, file: &Path, extra: &[&str]) -> std::process::Output {
        upload_to(&self.url(user), &self.cert, file, extra)
    }

    /// `imaps://USER@127.0.0.1:PORT`.
    pub fn url(&self, user: &str) -> String {
        format!("imaps://{user}@127.0.0.1:{}", self.tls_port)
    }

    /// A user's maildir (for counting files while an upload runs).
    pub fn maildir(&self, user: &str) -> PathBuf {
        self.dir.join("mail").join(user).join("Maildir")
    }

    /// What the account holds, read with Python's imaplib: mailbox → sorted
    /// (Message-ID, flags without \Recent, INTERNALDATE as Unix seconds).
    pub fn contents(&self, user: &str) -> Contents {
        contents_of(self.tls_port, &self.cert, user)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        stop(&mut self.child, &self.dir);
    }
}

/// Stops a test server and removes its directory. SIGTERM lets a master process stop its
/// children (SIGKILL would leave them behind).
pub fn stop(child: &mut Child, dir: &Path) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `unpst upload FILE --imap URL` (password from the environment, no progress bar) trusting
/// `cert`, with `extra` arguments.
pub fn upload_to(url: &str, cert: &Path, file: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_unpst"))
        .arg("upload")
        .arg(file)
        .args(["--imap", url, "--password-env", "UNPST_TEST_PW", "-q"])
        .arg("--ca-file")
        .arg(cert)
        .args(extra)
        .env("UNPST_TEST_PW", PASSWORD)
        .output()
        .expect("unpst runs")
}

/// What `user`'s account on 127.0.0.1:`tls_port` holds, read with Python's imaplib:
/// mailbox → sorted (Message-ID, flags without \Recent, INTERNALDATE as Unix seconds).
pub fn contents_of(tls_port: u16, cert: &Path, user: &str) -> Contents {
    use std::io::Write;
    let mut child = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/check_imap.py"))
        .args(["127.0.0.1", &tls_port.to_string(), user])
        .arg(cert)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "check_imap.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("check_imap.py prints JSON")
}
