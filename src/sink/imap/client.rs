//! A small blocking IMAP4rev1 client (RFC 3501) with just what upload needs: TLS or
//! STARTTLS (rustls), LOGIN / AUTHENTICATE PLAIN (RFC 4616, SASL-IR RFC 4959), CAPABILITY,
//! NAMESPACE (RFC 2342), LIST with SPECIAL-USE (RFC 6154), CREATE, SELECT, FETCH of
//! Message-ID / FLAGS / INTERNALDATE, and APPEND with MULTIAPPEND (RFC 3502) and LITERAL+
//! (RFC 7888). The server is not trusted (docs/security.md): every read and write has a
//! timeout and every command a deadline; every response, and what one command may bring
//! back, is capped in bytes and in number; plaintext goes to this machine only; error text
//! never repeats what a server that is not IMAP sent.

use super::{ImapError, Result};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Implicit TLS (imaps, port 993).
    Tls,
    /// Plain connection upgraded with STARTTLS (imap, port 143); refused if not offered.
    StartTls,
    /// No TLS at all: only with an explicit opt-in, for loopback tests.
    Plain,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub security: Security,
    /// Extra trust anchors (PEM), for private or test CAs.
    pub ca_file: Option<std::path::PathBuf>,
    /// Longest wait for one read or write.
    pub timeout: Duration,
    /// Longest time one command may take, from sending it to its last response line
    /// (however slowly the server trickles bytes).
    pub deadline: Duration,
}

impl Server {
    /// Parses `imaps://user@host[:port]` or `imap://user@host[:port]` (STARTTLS, or no TLS
    /// when `plaintext`). The user part is percent-decoded (`me%40example.org`).
    pub fn parse(url: &str, plaintext: bool) -> Result<Self> {
        let bad = |why: &str| ImapError::Config(format!("{why}: {url}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected imaps://user@host[:port]"))?;
        let (security, default_port) = match (scheme.to_ascii_lowercase().as_str(), plaintext) {
            ("imaps", false) => (Security::Tls, 993),
            ("imap", false) => (Security::StartTls, 143),
            ("imap", true) => (Security::Plain, 143),
            ("imaps", true) => {
                return Err(bad(
                    "--insecure-plaintext needs an imap:// URL, not imaps://",
                ));
            }
            _ => return Err(bad("the scheme must be imaps:// or imap://")),
        };
        let rest = rest.trim_end_matches('/');
        let (user, hostport) = rest
            .rsplit_once('@')
            .ok_or_else(|| bad("the URL names no user (imaps://user@host)"))?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| bad("the port is not a number"))?,
            ),
            _ => (hostport, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || user.is_empty() {
            return Err(bad("the URL needs both a user and a host"));
        }
        Ok(Self {
            host: host.to_string(),
            port,
            user: percent_decode(user),
            security,
            ca_file: None,
            timeout: Duration::from_secs(60),
            deadline: Duration::from_secs(10 * 60),
        })
    }

    /// `imaps://user@host:port` for messages (no password, ever).
    pub fn display(&self) -> String {
        let scheme = if self.security == Security::Tls {
            "imaps"
        } else {
            "imap"
        };
        format!("{scheme}://{}@{}:{}", self.user, self.host, self.port)
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), b.get(i + 2).and_then(|&c| hex(c)))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

enum Stream {
    /// Only while the plain stream moves into TLS.
    Closed,
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    /// A scripted server (fuzzing and tests): reads come from the bytes, writes vanish.
    Script(std::io::Cursor<Vec<u8>>),
}

impl Stream {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(s.get_ref()),
            _ => None,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Closed => Err(std::io::ErrorKind::NotConnected.into()),
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Script(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Closed => Err(std::io::ErrorKind::NotConnected.into()),
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Script(_) => Ok(buf.len()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Closed | Stream::Script(_) => Ok(()),
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// A parsed piece of a server response.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Atom(String),
    Str(Vec<u8>),
    List(Vec<Token>),
    Nil,
}

impl Token {
    pub fn text(&self) -> Option<String> {
        match self {
            Token::Atom(a) => Some(a.clone()),
            Token::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
            _ => None,
        }
    }
}

/// One response line (with its literals inlined).
#[derive(Debug, Clone)]
pub struct Response {
    pub raw: Vec<u8>,
}

impl Response {
    pub fn tokens(&self) -> Vec<Token> {
        parse_tokens(&self.raw, &mut 0, 0)
    }

    /// The bracketed response code of a status response (`OK [CODE args] text`).
    pub fn code(&self) -> Option<String> {
        let s = String::from_utf8_lossy(&self.raw);
        let a = s.find('[')?;
        let b = s[a..].find(']')? + a;
        // Only when the bracket directly follows the status word.
        let before = s[..a].trim_end();
        let word = before.rsplit(' ').next().unwrap_or("");
        ["OK", "NO", "BAD", "PREAUTH", "BYE"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
            .then(|| s[a + 1..b].to_string())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).trim_end().to_string()
    }
}

/// How a tagged command ended.
#[derive(Debug, Clone)]
pub struct Status {
    pub ok: bool,
    /// `OK`, `NO` or `BAD`.
    pub kind: String,
    pub code: Option<String>,
    pub text: String,
}

/// Tokenizes IMAP response syntax: atoms (a `[...]` section is part of its atom), quoted
/// strings, literals `{n}\r\n…`, NIL and parenthesized lists.
fn parse_tokens(b: &[u8], i: &mut usize, depth: usize) -> Vec<Token> {
    let mut out = Vec::new();
    while *i < b.len() {
        match b[*i] {
            b' ' | b'\r' | b'\n' => *i += 1,
            b'(' => {
                *i += 1;
                if depth > 64 {
                    return out;
                }
                out.push(Token::List(parse_tokens(b, i, depth + 1)));
            }
            b')' => {
                *i += 1;
                return out;
            }
            b'"' => {
                *i += 1;
                let mut s = Vec::new();
                while *i < b.len() && b[*i] != b'"' {
                    if b[*i] == b'\\' && *i + 1 < b.len() {
                        *i += 1;
                    }
                    s.push(b[*i]);
                    *i += 1;
                }
                *i += 1;
                out.push(Token::Str(s));
            }
            b'{' => {
                let close = b[*i..].iter().position(|&c| c == b'}').map(|p| *i + p);
                let n = close.and_then(|c| {
                    std::str::from_utf8(&b[*i + 1..c])
                        .ok()?
                        .trim_end_matches('+')
                        .parse::<usize>()
                        .ok()
                });
                match (close, n) {
                    (Some(c), Some(n)) => {
                        let start = (c + 3).min(b.len());
                        let end = start.saturating_add(n).min(b.len());
                        out.push(Token::Str(b[start..end].to_vec()));
                        *i = end;
                    }
                    _ => {
                        out.push(Token::Atom("{".into()));
                        *i += 1;
                    }
                }
            }
            _ => {
                let start = *i;
                let mut bracket = 0usize;
                while *i < b.len() {
                    let c = b[*i];
                    if c == b'[' {
                        bracket += 1;
                    } else if c == b']' {
                        bracket = bracket.saturating_sub(1);
                    } else if bracket == 0 && matches!(c, b' ' | b'(' | b')' | b'\r' | b'\n') {
                        break;
                    }
                    *i += 1;
                }
                let a = String::from_utf8_lossy(&b[start..*i]).into_owned();
                out.push(if a.eq_ignore_ascii_case("NIL") {
                    Token::Nil
                } else {
                    Token::Atom(a)
                });
            }
        }
    }
    out
}

/// Longest response line, and largest response (its lines and literals), we accept. We
/// never fetch bodies: a response is a status, a mailbox or a few header lines.
pub const MAX_LINE: usize = 1 << 20;
pub const MAX_RESPONSE: usize = 4 << 20;

/// Bytes a second of the slowest uplink an upload should still work on (128 kbit/s): an
/// APPEND's deadline allows its bytes this long on top of the command deadline.
const SLOWEST_UPLINK: usize = 16 * 1024;

/// What one command may bring back before it is abandoned: untagged responses, and their
/// bytes. [`Limits::COLLECT`] for replies kept whole; LIST and FETCH are handled as they
/// arrive ([`Conn::run_each`]) and set their own.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub responses: usize,
    pub bytes: usize,
}

impl Limits {
    pub const COLLECT: Limits = Limits {
        responses: 10_000,
        bytes: 16 << 20,
    };
}

/// Quotes a string as an IMAP quoted string (names and passwords are 7-bit here; anything
/// else goes as a literal through [`Conn::run`]'s caller).
pub fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// A message to append.
pub struct AppendItem<'a> {
    pub flags: &'a [String],
    /// `dd-Mon-yyyy hh:mm:ss +0000`, unquoted.
    pub date: Option<String>,
    pub bytes: &'a [u8],
}

/// An authenticated (or about to be) IMAP connection.
pub struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    pos: usize,
    tag: u32,
    pub caps: Vec<String>,
    /// Use LITERAL+ when offered.
    pub literal_plus: bool,
    timeout: Duration,
    deadline: Duration,
    /// When the current command must be done by.
    due: Option<Instant>,
}

impl Conn {
    /// Connects, sets up TLS as the server spec says, and reads the greeting. Without TLS,
    /// every address the host resolves to must be this machine's, checked before a byte
    /// is sent: the password would cross the network in clear.
    pub fn connect(server: &Server) -> Result<Self> {
        let addrs: Vec<_> = (server.host.as_str(), server.port)
            .to_socket_addrs()
            .map_err(|e| ImapError::Connect(format!("{}: {e}", server.host)))?
            .collect();
        if server.security == Security::Plain
            && let Some(far) = addrs.iter().find(|a| !a.ip().is_loopback())
        {
            let at = if far.ip().to_string() == server.host.trim_matches(['[', ']']) {
                String::new()
            } else {
                format!(" ({})", far.ip())
            };
            return Err(ImapError::Config(format!(
                "refusing to send the password without TLS to {}{at}, which is not this \
                 machine: plaintext IMAP is allowed to a loopback address only; use imaps:// \
                 or imap:// with STARTTLS",
                server.host
            )));
        }
        let addr = addrs
            .first()
            .ok_or_else(|| ImapError::Connect(format!("{}: no address", server.host)))?;
        let tcp = TcpStream::connect_timeout(addr, server.timeout)
            .map_err(|e| ImapError::Connect(format!("{}:{}: {e}", server.host, server.port)))?;
        tcp.set_read_timeout(Some(server.timeout))?;
        tcp.set_write_timeout(Some(server.timeout))?;
        tcp.set_nodelay(true)?;
        let mut c = Self::over(Stream::Closed, server.timeout, server.deadline);
        // The TLS handshake and the greeting fall under the first command's deadline.
        c.due = Some(Instant::now() + server.deadline);
        c.stream = match server.security {
            Security::Tls => Stream::Tls(Box::new(tls(server, tcp, c.due)?)),
            _ => Stream::Plain(tcp),
        };
        let greeting = c.read_response()?;
        let t = greeting.text();
        if !(t.starts_with("* OK") || t.starts_with("* PREAUTH")) {
            // Never what it said: the relay must not tell a page what runs on a port.
            return Err(ImapError::Protocol(format!(
                "{}:{} is not an IMAP server (its greeting is not \"* OK\")",
                server.host, server.port
            )));
        }
        c.caps_from(&greeting);
        if server.security == Security::StartTls {
            if c.caps.is_empty() {
                c.capability()?;
            }
            if !c.has("STARTTLS") {
                return Err(ImapError::Config(
                    "the server does not offer STARTTLS; use imaps:// (or, for a loopback test, --insecure-plaintext)".into(),
                ));
            }
            let st = c.run("STARTTLS")?.1;
            if !st.ok {
                return Err(ImapError::Protocol(format!(
                    "STARTTLS refused: {}",
                    st.text
                )));
            }
            let Stream::Plain(tcp) = std::mem::replace(&mut c.stream, Stream::Closed) else {
                return Err(ImapError::Protocol("STARTTLS on a TLS stream".into()));
            };
            c.due = Some(Instant::now() + server.deadline);
            c.stream = Stream::Tls(Box::new(tls(server, tcp, c.due)?));
            c.buf.clear();
            c.pos = 0;
            c.caps.clear();
        }
        Ok(c)
    }

    fn over(stream: Stream, timeout: Duration, deadline: Duration) -> Self {
        Self {
            stream,
            buf: Vec::new(),
            pos: 0,
            tag: 0,
            caps: Vec::new(),
            literal_plus: true,
            timeout,
            deadline,
            due: None,
        }
    }

    /// A connection whose server is `script` (what it would send, all of it): for fuzzing
    /// the response parsing and for tests. What the client sends is dropped.
    #[doc(hidden)]
    pub fn scripted(script: Vec<u8>) -> Self {
        Self::over(
            Stream::Script(std::io::Cursor::new(script)),
            Duration::from_secs(1),
            Duration::from_secs(10),
        )
    }

    /// Starts a command's clock.
    fn begin(&mut self) {
        self.begin_sending(0);
    }

    /// Starts the clock of a command that sends `bytes`: the deadline grows by the time they
    /// take at [`SLOWEST_UPLINK`], so a large message on a slow line is not cut off.
    fn begin_sending(&mut self, bytes: usize) {
        let extra = Duration::from_secs((bytes / SLOWEST_UPLINK) as u64);
        self.due = Some(Instant::now() + self.deadline + extra);
    }

    /// Time left for the current command.
    fn left(&self) -> Result<Duration> {
        match self.due {
            None => Ok(self.timeout),
            Some(due) => match due.checked_duration_since(Instant::now()) {
                Some(d) if !d.is_zero() => Ok(d.min(self.timeout)),
                _ => Err(ImapError::Deadline(self.deadline.as_secs())),
            },
        }
    }

    /// A read or write that timed out is the server not answering — or, when the
    /// command's time is up, the deadline.
    fn io_error(&self, e: std::io::Error) -> ImapError {
        let timed_out = matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        );
        match (timed_out, self.due) {
            (true, Some(due)) if Instant::now() >= due => {
                ImapError::Deadline(self.deadline.as_secs())
            }
            (true, _) => ImapError::Timeout,
            _ => ImapError::Io(e),
        }
    }

    /// Writes all of `bytes` within the command's deadline (a server that reads a byte a
    /// minute cannot hold us).
    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        for piece in bytes.chunks(64 * 1024) {
            let left = self.left()?;
            if let Some(t) = self.stream.tcp() {
                t.set_write_timeout(Some(left))?;
            }
            self.stream.write_all(piece).map_err(|e| self.io_error(e))?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.stream.flush().map_err(|e| self.io_error(e))
    }

    /// Whether the server announced a capability (case-insensitive).
    pub fn has(&self, cap: &str) -> bool {
        self.caps.iter().any(|c| c.eq_ignore_ascii_case(cap))
    }

    /// The value of `NAME=value` capabilities (APPENDLIMIT=n).
    pub fn cap_value(&self, name: &str) -> Option<String> {
        self.caps.iter().find_map(|c| {
            let (k, v) = c.split_once('=')?;
            k.eq_ignore_ascii_case(name).then(|| v.to_string())
        })
    }

    fn caps_from(&mut self, r: &Response) {
        if let Some(code) = r.code()
            && let Some(rest) = code.strip_prefix("CAPABILITY ")
        {
            self.caps = rest.split_whitespace().map(str::to_string).collect();
        }
    }

    pub fn capability(&mut self) -> Result<()> {
        let (resp, st) = self.run("CAPABILITY")?;
        check(&st, "CAPABILITY")?;
        for r in resp {
            let t = r.tokens();
            if matches!(t.get(1), Some(Token::Atom(a)) if a.eq_ignore_ascii_case("CAPABILITY")) {
                self.caps = t[2..].iter().filter_map(Token::text).collect();
            }
        }
        Ok(())
    }

    /// Logs in with AUTHENTICATE PLAIN when offered, else LOGIN. The password is never
    /// logged or kept.
    pub fn login(&mut self, user: &str, password: &str) -> Result<()> {
        if self.caps.is_empty() {
            self.capability()?;
        }
        let st = if self.has("AUTH=PLAIN") {
            use base64::Engine;
            let blob =
                base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
            if self.has("SASL-IR") {
                self.run_secret(&format!("AUTHENTICATE PLAIN {blob}"))?
            } else {
                self.run_continued("AUTHENTICATE PLAIN", blob.as_bytes())?
            }
        } else if self.has("LOGINDISABLED") {
            return Err(ImapError::Config(
                "the server disables LOGIN on this connection (use TLS)".into(),
            ));
        } else if user.is_ascii() && password.is_ascii() && !password.contains(['\r', '\n']) {
            self.run_secret(&format!("LOGIN {} {}", quote(user), quote(password)))?
        } else {
            return Err(ImapError::Config(
                "the server offers only LOGIN, which cannot carry this non-ASCII password".into(),
            ));
        };
        if !st.ok {
            return Err(ImapError::Auth(st.text));
        }
        // Capabilities may change after login; ask again unless the OK carried them.
        match st
            .code
            .as_deref()
            .and_then(|c| c.strip_prefix("CAPABILITY "))
        {
            Some(caps) => self.caps = caps.split_whitespace().map(str::to_string).collect(),
            None => self.capability()?,
        }
        Ok(())
    }

    fn next_tag(&mut self) -> String {
        self.tag += 1;
        format!("U{}", self.tag)
    }

    /// Sends a command and collects untagged responses until its tagged status (at most
    /// [`Limits::COLLECT`]).
    pub fn run(&mut self, cmd: &str) -> Result<(Vec<Response>, Status)> {
        let mut out = Vec::new();
        let st = self.run_each(cmd, Limits::COLLECT, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok((out, st))
    }

    /// Sends a command and hands each untagged response to `each` as it arrives; at most
    /// `limits` of them.
    pub fn run_each(
        &mut self,
        cmd: &str,
        limits: Limits,
        each: impl FnMut(Response) -> Result<()>,
    ) -> Result<Status> {
        let tag = self.next_tag();
        self.begin();
        self.send(format!("{tag} {cmd}\r\n").as_bytes())?;
        self.flush()?;
        let verb = cmd.split(' ').next().unwrap_or(cmd).to_string();
        self.collect(&tag, &verb, limits, each)
    }

    /// Like [`run`](Self::run) for a command that carries a secret.
    fn run_secret(&mut self, cmd: &str) -> Result<Status> {
        Ok(self.run(cmd)?.1)
    }

    /// A command whose argument follows a continuation request (SASL without SASL-IR).
    fn run_continued(&mut self, cmd: &str, then: &[u8]) -> Result<Status> {
        let tag = self.next_tag();
        self.begin();
        self.send(format!("{tag} {cmd}\r\n").as_bytes())?;
        self.flush()?;
        if let Some(st) = self.wait_continuation(&tag)? {
            return Ok(st);
        }
        self.send(then)?;
        self.send(b"\r\n")?;
        self.flush()?;
        self.collect(&tag, "AUTHENTICATE", Limits::COLLECT, |_| Ok(()))
    }

    /// Waits for `+`; a tagged status instead (the command failed early) is returned.
    fn wait_continuation(&mut self, tag: &str) -> Result<Option<Status>> {
        for _ in 0..Limits::COLLECT.responses {
            let r = self.read_response()?;
            if r.raw.starts_with(b"+") {
                return Ok(None);
            }
            if let Some(st) = status_of(&r, tag) {
                return Ok(Some(st));
            }
            self.bye_check(&r)?;
        }
        Err(ImapError::TooMuch(format!(
            "sent more than {} responses while we waited to send data",
            Limits::COLLECT.responses
        )))
    }

    fn bye_check(&self, r: &Response) -> Result<()> {
        if r.raw.starts_with(b"* BYE") {
            return Err(ImapError::Protocol(format!("server closed: {}", r.text())));
        }
        Ok(())
    }

    fn collect(
        &mut self,
        tag: &str,
        verb: &str,
        limits: Limits,
        mut each: impl FnMut(Response) -> Result<()>,
    ) -> Result<Status> {
        let (mut n, mut bytes) = (0usize, 0usize);
        loop {
            let r = self.read_response()?;
            if let Some(st) = status_of(&r, tag) {
                self.due = None;
                return Ok(st);
            }
            self.bye_check(&r)?;
            self.caps_from(&r);
            n += 1;
            bytes += r.raw.len();
            if n > limits.responses || bytes > limits.bytes {
                return Err(ImapError::TooMuch(format!(
                    "answered {verb} with more than {} responses or {} MiB",
                    limits.responses,
                    limits.bytes >> 20
                )));
            }
            each(r)?;
        }
    }

    /// Appends one or more messages to `mailbox` (already encoded) in one command:
    /// MULTIAPPEND when there are several, LITERAL+ when offered.
    pub fn append(&mut self, mailbox: &str, items: &[AppendItem]) -> Result<Status> {
        let plus = self.literal_plus && self.has("LITERAL+");
        let tag = self.next_tag();
        self.begin_sending(items.iter().map(|it| it.bytes.len()).sum());
        let mut head = format!("{tag} APPEND {}", quote(mailbox));
        for (n, it) in items.iter().enumerate() {
            head.push_str(&format!(" ({})", it.flags.join(" ")));
            if let Some(d) = &it.date {
                head.push_str(&format!(" \"{d}\""));
            }
            head.push_str(&format!(
                " {{{}{}}}\r\n",
                it.bytes.len(),
                if plus { "+" } else { "" }
            ));
            self.send(head.as_bytes())?;
            head.clear();
            if !plus {
                self.flush()?;
                if let Some(st) = self.wait_continuation(&tag)? {
                    return Ok(st);
                }
            }
            self.send(it.bytes)?;
            if n + 1 == items.len() {
                self.send(b"\r\n")?;
            }
        }
        self.flush()?;
        self.collect(&tag, "APPEND", Limits::COLLECT, |_| Ok(()))
    }

    /// Reads one response: a line, plus any literals it announces and the lines after them.
    pub fn read_response(&mut self) -> Result<Response> {
        let mut raw = Vec::new();
        loop {
            let line = self.read_line()?;
            raw.extend_from_slice(&line);
            if raw.len() > MAX_RESPONSE {
                return Err(ImapError::TooMuch(format!(
                    "sent a response over {} MiB",
                    MAX_RESPONSE >> 20
                )));
            }
            let Some(n) = literal_len(&line) else {
                return Ok(Response { raw });
            };
            if n > MAX_RESPONSE || raw.len() + n > MAX_RESPONSE {
                return Err(ImapError::TooMuch(format!(
                    "announced a {n}-byte literal after {} bytes of the same response (a \
                     response may have {} MiB)",
                    raw.len(),
                    MAX_RESPONSE >> 20
                )));
            }
            let lit = self.read_exact_buf(n)?;
            raw.extend_from_slice(&lit);
        }
    }

    fn fill(&mut self) -> Result<()> {
        // Drop what was consumed, so the buffer holds at most one response in the making
        // however long the server keeps talking.
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let left = self.left()?;
        if let Some(t) = self.stream.tcp() {
            t.set_read_timeout(Some(left))?;
        }
        let mut tmp = [0u8; 64 * 1024];
        let n = self.stream.read(&mut tmp).map_err(|e| self.io_error(e))?;
        if n == 0 {
            return Err(ImapError::Protocol(
                "the server closed the connection".into(),
            ));
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(())
    }

    fn read_line(&mut self) -> Result<Vec<u8>> {
        loop {
            if let Some(p) = memchr::memchr(b'\n', &self.buf[self.pos..]) {
                let line = self.buf[self.pos..self.pos + p + 1].to_vec();
                self.pos += p + 1;
                return Ok(line);
            }
            if self.buf.len() - self.pos > MAX_LINE {
                return Err(ImapError::TooMuch(format!(
                    "sent a response line over {} MiB",
                    MAX_LINE >> 20
                )));
            }
            self.fill()?;
        }
    }

    fn read_exact_buf(&mut self, n: usize) -> Result<Vec<u8>> {
        while self.buf.len() - self.pos < n {
            self.fill()?;
        }
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(out)
    }

    /// Says goodbye; errors are irrelevant by then.
    pub fn logout(mut self) {
        let _ = self.run("LOGOUT");
    }
}

fn literal_len(line: &[u8]) -> Option<usize> {
    let l = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let l = l.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&c| c == b'{')?;
    std::str::from_utf8(&l[open + 1..])
        .ok()?
        .trim_end_matches('+')
        .parse()
        .ok()
}

fn status_of(r: &Response, tag: &str) -> Option<Status> {
    let t = String::from_utf8_lossy(&r.raw);
    let rest = t.strip_prefix(tag)?.strip_prefix(' ')?;
    let (kind, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let kind = kind.trim().to_ascii_uppercase();
    Some(Status {
        ok: kind == "OK",
        code: r.code(),
        text: text.trim_end().to_string(),
        kind,
    })
}

/// Turns a failed status into an error naming the command.
pub fn check(st: &Status, what: &str) -> Result<()> {
    if st.ok {
        Ok(())
    } else {
        Err(ImapError::Refused(format!(
            "{what}: {} {}",
            st.kind, st.text
        )))
    }
}

fn tls(
    server: &Server,
    tcp: TcpStream,
    due: Option<Instant>,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &server.ca_file {
        // A FIFO or device would block or never end.
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= 16 << 20) {
            return Err(ImapError::Config(format!(
                "{}: not a readable certificate file (PEM)",
                path.display()
            )));
        }
        let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(path)
            .map_err(|e| ImapError::Config(format!("{}: {e}", path.display())))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| ImapError::Config(format!("{}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(ImapError::Config(format!(
                "{}: no certificate in it",
                path.display()
            )));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| ImapError::Config(format!("{}: {e}", path.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(server.host.clone())
        .map_err(|e| ImapError::Config(format!("{}: {e}", server.host)))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| ImapError::Tls(e.to_string()))?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    // Handshake now, so certificate problems surface as such.
    while s.conn.is_handshaking() {
        if due.is_some_and(|d| Instant::now() >= d) {
            return Err(ImapError::Deadline(server.deadline.as_secs()));
        }
        s.conn
            .complete_io(&mut s.sock)
            .map_err(|e| ImapError::Tls(e.to_string()))?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_codes() {
        let r = Response {
            raw: b"* 3 FETCH (FLAGS (\\Seen $Forwarded) INTERNALDATE \"02-Jan-2018 03:04:05 +0000\" BODY[HEADER.FIELDS (MESSAGE-ID)] {21}\r\nMessage-ID: <a@b>\r\n\r\n)\r\n".to_vec(),
        };
        let t = r.tokens();
        assert_eq!(t[0], Token::Atom("*".into()));
        let Token::List(items) = &t[3] else {
            panic!("{t:?}")
        };
        assert_eq!(
            items[4],
            Token::Atom("BODY[HEADER.FIELDS (MESSAGE-ID)]".into())
        );
        assert_eq!(items[5], Token::Str(b"Message-ID: <a@b>\r\n\r\n".to_vec()));
        let ok = Response {
            raw: b"* OK [PERMANENTFLAGS (\\Seen \\*)] Limited\r\n".to_vec(),
        };
        assert_eq!(ok.code().as_deref(), Some("PERMANENTFLAGS (\\Seen \\*)"));
        assert_eq!(literal_len(b"* LIST () \"/\" {5}\r\n"), Some(5));
        assert_eq!(literal_len(b"x {5+}\r\n"), Some(5));
        let st = status_of(
            &Response {
                raw: b"U7 NO [TOOBIG] Too big\r\n".to_vec(),
            },
            "U7",
        )
        .unwrap();
        assert!(!st.ok);
        assert_eq!(st.code.as_deref(), Some("TOOBIG"));
    }

    #[test]
    fn urls() {
        let s = Server::parse("imaps://me%40example.org@mail.example.org", false).unwrap();
        assert_eq!((s.user.as_str(), s.port), ("me@example.org", 993));
        let s = Server::parse("imap://u@127.0.0.1:1143", true).unwrap();
        assert_eq!((s.security, s.port), (Security::Plain, 1143));
        assert!(Server::parse("imaps://host", false).is_err());
        assert!(Server::parse("http://u@host", false).is_err());
        assert!(Server::parse("imaps://u@h:99999", false).is_err());
    }
}
