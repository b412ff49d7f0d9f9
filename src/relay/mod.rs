//! `unpst relay`: serves the page and, on the same origin, a WebSocket (RFC 6455) through
//! which the page hands converted messages to the IMAP upload ([`crate::sink::imap`]).
//!
//! Locked to this machine and this launch (docs/security.md): it binds 127.0.0.1 or ::1
//! only; every request must name us in `Host` (no DNS rebinding); it serves a fixed list of
//! page files read at start ([`files`]), never a path a request names; the WebSocket also
//! needs the exact `Origin` of the page (never `null`) and the per-launch token, compared in
//! constant time, which the page gets from the URL fragment (fragments are never sent over
//! the network) and offers as a `Sec-WebSocket-Protocol`. Connections are capped (the oldest
//! plain request is dropped for a new one, so a flood of slow clients cannot lock the user
//! out), a request head has one deadline, sessions have an idle timeout. Credentials pass
//! through to the IMAP server and are never logged or stored.

pub mod files;
pub mod http;
pub mod session;

use files::Files;
use http::{Request, read_head, respond};
use std::collections::VecDeque;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The WebSocket sub-protocol prefix that carries the token (shared with the page, which
/// gets it from the module).
pub use crate::sink::imap::RELAY_PROTOCOL_PREFIX as PROTOCOL_PREFIX;

/// IMAP connection attempts: a burst of this many, then one per [`CONNECT_EVERY`].
pub const CONNECT_BURST: u32 = 10;
pub const CONNECT_EVERY: Duration = Duration::from_secs(6);

/// What one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Plain HTTP connections open at once; a new one beyond this closes the oldest.
    pub connections: usize,
    /// Upload sessions (WebSockets) open at once; one page needs one.
    pub sessions: usize,
    /// A whole request head must arrive within this.
    pub head_deadline: Duration,
    /// A session that hears nothing from the page for this long is closed.
    pub session_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connections: 64,
            sessions: 4,
            head_deadline: Duration::from_secs(10),
            // As long as an IMAP server keeps an idle login (RFC 3501 §5.4): a paused upload
            // that outlives it needs a new login anyway.
            session_idle: Duration::from_secs(30 * 60),
        }
    }
}

/// How the relay runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    /// The page's files (`www/` with the built `pkg/`); `None` serves only the WebSocket.
    pub www: Option<PathBuf>,
    /// Extra trust anchors for the IMAP server's certificate (private or test CAs).
    pub ca_file: Option<PathBuf>,
    /// Allow `imap://` without TLS, to a server on this machine only.
    pub allow_plaintext: bool,
    pub limits: Limits,
}

/// A running relay's address and secret.
pub struct Relay {
    pub listener: TcpListener,
    pub port: u16,
    pub token: String,
    /// Page files that were not found (the page cannot run without `pkg/`).
    pub missing: Vec<String>,
    shared: Arc<Shared>,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("the relay only listens on 127.0.0.1 or ::1, not {0}")]
    NotLoopback(IpAddr),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("no randomness for the token: {0}")]
    Random(String),
    #[error("the page: {0}")]
    Page(String),
}

/// What every connection's thread shares.
pub(crate) struct Shared {
    config: Config,
    token: String,
    port: u16,
    files: Option<Files>,
    conns: Mutex<Conns>,
    pub(crate) connects: Mutex<RateLimit>,
    tokens: session::TokenStore,
}

#[derive(Default)]
struct Conns {
    next: u64,
    /// Plain requests being read or answered, oldest first (a clone to shut it down).
    http: VecDeque<(u64, TcpStream)>,
    sessions: usize,
}

/// A token bucket.
pub struct RateLimit {
    tokens: u32,
    last: Instant,
}

impl RateLimit {
    /// Takes one attempt, or says how long until the next is allowed.
    pub fn take(&mut self) -> Result<(), Duration> {
        let now = Instant::now();
        while self.tokens < CONNECT_BURST && now.duration_since(self.last) >= CONNECT_EVERY {
            self.tokens += 1;
            self.last += CONNECT_EVERY;
        }
        if self.tokens == CONNECT_BURST {
            self.last = now;
        }
        if self.tokens == 0 {
            return Err(CONNECT_EVERY.saturating_sub(now.duration_since(self.last)));
        }
        self.tokens -= 1;
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking connection thread must not take the relay down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Relay {
    /// Binds (127.0.0.1 or ::1 only: the names the Host check knows), reads the page's files
    /// and makes a fresh token.
    pub fn bind(config: Config) -> Result<Self, RelayError> {
        if config.bind != IpAddr::V4(Ipv4Addr::LOCALHOST)
            && config.bind != IpAddr::V6(Ipv6Addr::LOCALHOST)
        {
            return Err(RelayError::NotLoopback(config.bind));
        }
        let (files, missing) = match &config.www {
            Some(dir) => {
                let (f, m) = Files::load(dir).map_err(RelayError::Page)?;
                (Some(f), m)
            }
            None => (None, Vec::new()),
        };
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(addr).map_err(|e| RelayError::Bind(addr, e))?;
        let port = listener
            .local_addr()
            .map_err(|e| RelayError::Bind(addr, e))?
            .port();
        let mut secret = [0u8; 24];
        getrandom::fill(&mut secret).map_err(|e| RelayError::Random(e.to_string()))?;
        let token: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let shared = Arc::new(Shared {
            config,
            token: token.clone(),
            port,
            files,
            conns: Mutex::new(Conns::default()),
            connects: Mutex::new(RateLimit {
                tokens: CONNECT_BURST,
                last: Instant::now(),
            }),
            tokens: Default::default(),
        });
        Ok(Self {
            listener,
            port,
            token,
            missing,
            shared,
        })
    }

    /// The address to open, token in the fragment.
    pub fn url(&self) -> String {
        let host = match self.shared.config.bind {
            IpAddr::V6(_) => "[::1]".to_string(),
            IpAddr::V4(v4) => v4.to_string(),
        };
        format!("http://{host}:{}/#relay={}", self.port, self.token)
    }

    /// Serves for ever, a thread per connection. Failing accepts (out of file descriptors)
    /// and failing thread spawns are waited out with a growing pause, never fatal.
    pub fn serve(self) {
        let mut pause = Duration::ZERO;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if self.shared.clone().admit(stream) {
                        pause = Duration::ZERO;
                        continue;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // Out of file descriptors: the oldest plain request gives its own back.
                Err(_) => self.shared.evict_oldest(),
            }
            pause = (pause * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
            std::thread::sleep(pause);
        }
    }
}

/// Removes a plain connection from the list when its thread ends (however it ends).
struct HttpSlot {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for HttpSlot {
    fn drop(&mut self) {
        lock(&self.shared.conns).http.retain(|(i, _)| *i != self.id);
    }
}

/// Frees a session slot when the session ends.
struct SessionSlot(Arc<Shared>);

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut c = lock(&self.0.conns);
        c.sessions = c.sessions.saturating_sub(1);
    }
}

impl Shared {
    /// Starts a connection's thread. When no thread can be had (a thread limit), the oldest
    /// plain request is closed to free one and the start is tried again, a few times: a flood
    /// of connections cannot lock the user out. False when it still failed.
    fn admit(self: Arc<Self>, stream: TcpStream) -> bool {
        for attempt in 0..4u32 {
            if attempt > 0 {
                self.evict_oldest();
                std::thread::sleep(Duration::from_millis(5 << attempt));
            }
            let (Ok(mine), Ok(closer)) = (stream.try_clone(), stream.try_clone()) else {
                // Out of file descriptors.
                self.evict_oldest();
                return false;
            };
            let slot = self.register(closer);
            let spawned = std::thread::Builder::new()
                .name("relay-conn".into())
                .spawn(move || {
                    let shared = slot.shared.clone();
                    handle(mine, &shared, slot);
                });
            // On failure the closure, with its slot and stream, is dropped: deregistered.
            if spawned.is_ok() {
                return true;
            }
        }
        false
    }

    /// Lists a plain connection (closing the oldest when at the cap); it is delisted when
    /// the returned slot is dropped.
    fn register(self: &Arc<Self>, closer: TcpStream) -> HttpSlot {
        let mut c = lock(&self.conns);
        while c.http.len() >= self.config.limits.connections.max(1) {
            if let Some((_, old)) = c.http.pop_front() {
                let _ = old.shutdown(Shutdown::Both);
            }
        }
        c.next += 1;
        let id = c.next;
        c.http.push_back((id, closer));
        HttpSlot {
            shared: self.clone(),
            id,
        }
    }

    /// Closes the oldest plain connection (its thread then ends and frees it).
    fn evict_oldest(&self) {
        if let Some((_, old)) = lock(&self.conns).http.pop_front() {
            let _ = old.shutdown(Shutdown::Both);
        }
    }

    /// Turns a plain connection into a session, if a session slot is free.
    fn begin_session(self: &Arc<Self>, slot: HttpSlot) -> Option<SessionSlot> {
        let mut c = lock(&self.conns);
        if c.sessions >= self.config.limits.sessions {
            return None;
        }
        c.sessions += 1;
        drop(c);
        drop(slot);
        Some(SessionSlot(self.clone()))
    }
}

/// Compares secrets without an early exit (no timing oracle on the token).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The origins the page can have: the bound address, and `localhost` for it.
fn own_hosts(bind: IpAddr, port: u16) -> [String; 2] {
    match bind {
        IpAddr::V6(_) => [format!("[::1]:{port}"), format!("localhost:{port}")],
        IpAddr::V4(_) => [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
    }
}

/// Our own names: `Host` must be one of them (a rebinding attacker's name is refused).
/// Returns the accepted host, lower case.
fn host_ok(host: Option<&str>, bind: IpAddr, port: u16) -> Option<String> {
    let h = host?.to_ascii_lowercase();
    own_hosts(bind, port).contains(&h).then_some(h)
}

/// Why a WebSocket upgrade is refused, if it is.
fn ws_refusal(req: &Request, token: &str, bind: IpAddr, port: u16) -> Option<&'static str> {
    let origin = req.header("Origin").unwrap_or("");
    let origin_ok = own_hosts(bind, port)
        .iter()
        .any(|h| origin.strip_prefix("http://") == Some(h.as_str()));
    if !origin_ok {
        return Some("wrong or missing Origin");
    }
    let offered = req.header("Sec-WebSocket-Protocol").unwrap_or("");
    let has_token = offered.split(',').any(|p| {
        p.trim()
            .strip_prefix(PROTOCOL_PREFIX)
            .is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes()))
    });
    if !has_token {
        return Some("missing or wrong token");
    }
    let upgrade = req
        .header("Upgrade")
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    if !upgrade || req.header("Sec-WebSocket-Version") != Some("13") {
        return Some("not a WebSocket version 13 upgrade");
    }
    if req.header("Sec-WebSocket-Key").is_none() {
        return Some("no Sec-WebSocket-Key");
    }
    None
}

/// One connection: a request for a page file, or the upgrade to an upload session.
fn handle(mut stream: TcpStream, shared: &Arc<Shared>, slot: HttpSlot) {
    let Some((req, rest)) = read_head(&mut stream, shared.config.limits.head_deadline) else {
        return;
    };
    let (bind, port) = (shared.config.bind, shared.port);
    let Some(host) = host_ok(req.header("Host"), bind, port) else {
        let own = own_hosts(bind, port);
        let why = b"wrong host";
        respond(
            &mut stream,
            &own[0],
            "421 Misdirected Request",
            "text/plain",
            why,
            false,
        );
        return;
    };
    if req.path() == "/relay" {
        upgrade(stream, &req, &host, rest, shared, slot);
    } else {
        page_file(&mut stream, &req, &host, shared);
    }
}

/// A plain-text answer.
fn text(stream: &mut TcpStream, req: &Request, host: &str, status: &str, body: &[u8]) {
    respond(
        stream,
        host,
        status,
        "text/plain",
        body,
        req.method == "HEAD",
    );
}

/// Serves one of the page's files (GET or HEAD).
fn page_file(stream: &mut TcpStream, req: &Request, host: &str, shared: &Shared) {
    if req.method != "GET" && req.method != "HEAD" {
        text(stream, req, host, "405 Method Not Allowed", b"GET only");
        return;
    }
    let Some(files) = &shared.files else {
        let why = b"this relay serves no page (start it with --www DIR)";
        text(stream, req, host, "404 Not Found", why);
        return;
    };
    match files.get(req.path()) {
        Some((ctype, body)) => respond(stream, host, "200 OK", ctype, body, req.method == "HEAD"),
        None => text(stream, req, host, "404 Not Found", b"not found"),
    }
}

/// Checks the upgrade (Origin, token, a free session slot), answers it (RFC 6455 §4.2.2)
/// and runs the session until the page closes it or leaves it idle.
fn upgrade(
    mut stream: TcpStream,
    req: &Request,
    host: &str,
    rest: Vec<u8>,
    shared: &Arc<Shared>,
    slot: HttpSlot,
) {
    let limits = shared.config.limits;
    if let Some(why) = ws_refusal(req, &shared.token, shared.config.bind, shared.port) {
        text(&mut stream, req, host, "403 Forbidden", why.as_bytes());
        return;
    }
    let Some(session_slot) = shared.begin_session(slot) else {
        let why = b"too many upload sessions are open";
        text(&mut stream, req, host, "503 Service Unavailable", why);
        return;
    };
    let key = req.header("Sec-WebSocket-Key").unwrap_or_default();
    let accept = {
        use base64::Engine;
        let mut sha = sha1_smol::Sha1::new();
        sha.update(key.as_bytes());
        sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
        base64::engine::general_purpose::STANDARD.encode(sha.digest().bytes())
    };
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: {PROTOCOL_PREFIX}{}\r\n\r\n",
        shared.token
    );
    let _ = stream.set_write_timeout(Some(limits.head_deadline));
    if stream.write_all(head.as_bytes()).is_err()
        || stream.set_read_timeout(Some(limits.session_idle)).is_err()
        || stream.set_write_timeout(Some(limits.session_idle)).is_err()
    {
        return;
    }
    session::run(
        stream,
        rest,
        &shared.config,
        &shared.connects,
        &shared.tokens,
    );
    drop(session_slot);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_host_checks() {
        let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(host_ok(Some("127.0.0.1:8080"), v4, 8080).is_some());
        assert!(host_ok(Some("LOCALHOST:8080"), v4, 8080).is_some());
        assert!(host_ok(Some("[::1]:8080"), v4, 8080).is_none());
        assert!(host_ok(Some("evil.example:8080"), v4, 8080).is_none());
        assert!(host_ok(Some("127.0.0.1:8081"), v4, 8080).is_none());
        assert!(host_ok(None, v4, 8080).is_none());
    }

    #[test]
    fn connect_attempts_are_rate_limited() {
        let mut r = RateLimit {
            tokens: CONNECT_BURST,
            last: Instant::now(),
        };
        for _ in 0..CONNECT_BURST {
            assert!(r.take().is_ok());
        }
        assert!(r.take().is_err());
    }
}
