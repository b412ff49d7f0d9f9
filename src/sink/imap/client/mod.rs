//! A small blocking IMAP4rev1 client (RFC 3501) with just what upload needs: TLS or
//! STARTTLS (rustls), LOGIN / AUTHENTICATE PLAIN (RFC 4616, SASL-IR RFC 4959), CAPABILITY,
//! NAMESPACE (RFC 2342), LIST with SPECIAL-USE (RFC 6154), CREATE, SELECT, FETCH of
//! Message-ID / FLAGS / INTERNALDATE, and APPEND with MULTIAPPEND (RFC 3502) and LITERAL+
//! (RFC 7888). The server is not trusted (docs/security.md): every read and write has a
//! timeout and every command a deadline; every response, and what one command may bring
//! back, is capped in bytes and in number; plaintext goes to this machine only; error text
//! never repeats what a server that is not IMAP sent.

pub use super::response::{Response, Status, Token, check};
use super::response::{literal_len, status_of};
pub use super::server::{Security, Server};
use super::stream::{Stream, tls};
use super::{ImapError, Result};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

mod append;
mod auth;
pub use append::{AppendItem, Literal};
pub use auth::Secret;

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
