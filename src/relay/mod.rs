//! `unpst relay`: serves the page and, on the same origin, a WebSocket (RFC 6455) through
//! which the page hands converted messages to the IMAP upload ([`crate::sink::imap`]).
//!
//! Locked to this machine and this launch: it binds loopback only; every request must name
//! us in `Host` (no DNS rebinding); the WebSocket also needs the exact `Origin` of the page
//! (never `null`) and the per-launch token, compared in constant time, which the page gets
//! from the URL fragment (fragments are never sent over the network) and offers as a
//! `Sec-WebSocket-Protocol`. Credentials pass through to the IMAP server and are never
//! logged or stored.

mod session;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The page's Content-Security-Policy: its own files only, plus the relay's WebSocket.
/// Inline styles are allowed because mail HTML (shown in a script-less sandboxed iframe that
/// inherits this policy) depends on them.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; frame-src 'self' blob:; \
connect-src 'self' ws://127.0.0.1:* ws://localhost:*; worker-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'";

/// The WebSocket sub-protocol prefix that carries the token.
pub const PROTOCOL_PREFIX: &str = "unpst.";

/// How the relay runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    /// The page's files (`www/` with the built `pkg/`); `None` serves only the WebSocket.
    pub www: Option<PathBuf>,
    /// Extra trust anchors for the IMAP server's certificate (private or test CAs).
    pub ca_file: Option<PathBuf>,
    /// Allow `imap://` without TLS (loopback test servers only).
    pub allow_plaintext: bool,
}

/// A running relay's address and secret.
pub struct Relay {
    pub listener: TcpListener,
    pub port: u16,
    pub token: String,
    config: Arc<Config>,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("the relay only listens on loopback (127.0.0.1 or ::1), not {0}")]
    NotLoopback(IpAddr),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("no randomness for the token: {0}")]
    Random(String),
}

impl Relay {
    /// Binds (loopback only) and makes a fresh token.
    pub fn bind(config: Config) -> Result<Self, RelayError> {
        if !config.bind.is_loopback() {
            return Err(RelayError::NotLoopback(config.bind));
        }
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(addr).map_err(|e| RelayError::Bind(addr, e))?;
        let port = listener
            .local_addr()
            .map_err(|e| RelayError::Bind(addr, e))?
            .port();
        let mut secret = [0u8; 24];
        getrandom::fill(&mut secret).map_err(|e| RelayError::Random(e.to_string()))?;
        let token = secret.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            listener,
            port,
            token,
            config: Arc::new(config),
        })
    }

    /// The address to open, token in the fragment.
    pub fn url(&self) -> String {
        let host = match self.config.bind {
            IpAddr::V6(_) => "[::1]".to_string(),
            IpAddr::V4(v4) => v4.to_string(),
        };
        format!("http://{host}:{}/#relay={}", self.port, self.token)
    }

    /// Serves forever, one thread per connection.
    pub fn serve(self) {
        let shared = Arc::new((self.config, self.token, self.port));
        for stream in self.listener.incoming().flatten() {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let (config, token, port) = &*shared;
                handle(stream, config, token, *port);
            });
        }
    }
}

/// Compares secrets without an early exit (no timing oracle on the token).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a request head (≤ 16 KiB, 10 s).
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Request {
        method,
        target,
        headers,
    })
}

/// Every response isolates the page (COOP + COEP): the worker needs `SharedArrayBuffer` to
/// wait for the writer when the export goes into a folder the user picked.
fn respond(stream: &mut TcpStream, status: &str, ctype: &str, body: &[u8], head_only: bool) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Content-Security-Policy: {CSP}\r\nX-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\nCache-Control: no-cache\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if !head_only {
        let _ = stream.write_all(body);
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "webmanifest" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// Our own names: `Host` must be one of them (a rebinding attacker's name is refused).
fn host_ok(host: Option<&str>, port: u16) -> bool {
    host.is_some_and(|h| {
        [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ]
        .iter()
        .any(|ok| h.eq_ignore_ascii_case(ok))
    })
}

/// Why a WebSocket upgrade is refused, if it is.
fn ws_refusal(req: &Request, token: &str, port: u16) -> Option<&'static str> {
    let origin = req.header("Origin").unwrap_or("");
    let origin_ok = [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://[::1]:{port}"),
    ]
    .iter()
    .any(|o| o == origin);
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

fn handle(mut stream: TcpStream, config: &Config, token: &str, port: u16) {
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    if !host_ok(req.header("Host"), port) {
        respond(
            &mut stream,
            "421 Misdirected Request",
            "text/plain",
            b"wrong host",
            false,
        );
        return;
    }
    let path = req
        .target
        .split(['?', '#'])
        .next()
        .unwrap_or("/")
        .to_string();
    if path == "/relay" {
        if let Some(why) = ws_refusal(&req, token, port) {
            respond(
                &mut stream,
                "403 Forbidden",
                "text/plain",
                why.as_bytes(),
                false,
            );
            return;
        }
        let key = req.header("Sec-WebSocket-Key").unwrap_or_default();
        let protocol = format!("{PROTOCOL_PREFIX}{token}");
        let accept = {
            use base64::Engine;
            let mut sha = sha1_smol::Sha1::new();
            sha.update(key.as_bytes());
            sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
            base64::engine::general_purpose::STANDARD.encode(sha.digest().bytes())
        };
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n"
        );
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let _ = stream.set_read_timeout(None);
        session::run(stream, config);
        return;
    }
    let head_only = req.method == "HEAD";
    if req.method != "GET" && !head_only {
        respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only",
            false,
        );
        return;
    }
    let Some(root) = &config.www else {
        respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"this relay serves no page (start it with --www DIR)",
            head_only,
        );
        return;
    };
    serve_file(&mut stream, root, &path, head_only);
}

fn serve_file(stream: &mut TcpStream, root: &Path, path: &str, head_only: bool) {
    let path = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    let safe = path.starts_with('/')
        && !path
            .split('/')
            .any(|c| c == ".." || c.contains('\\') || c.contains(':'));
    if !safe {
        respond(
            stream,
            "400 Bad Request",
            "text/plain",
            b"bad path",
            head_only,
        );
        return;
    }
    match std::fs::read(root.join(&path[1..])) {
        Ok(b) => respond(stream, "200 OK", content_type(&path), &b, head_only),
        Err(_) => respond(
            stream,
            "404 Not Found",
            "text/plain",
            b"not found",
            head_only,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_host_checks() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(host_ok(Some("127.0.0.1:8080"), 8080));
        assert!(host_ok(Some("LOCALHOST:8080"), 8080));
        assert!(!host_ok(Some("evil.example:8080"), 8080));
        assert!(!host_ok(Some("127.0.0.1:8081"), 8080));
        assert!(!host_ok(None, 8080));
    }
}
