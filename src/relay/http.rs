//! The relay's HTTP/1.1 side (RFC 9112): reading a request head under one deadline, and the
//! responses, whose headers lock the page to its own origin.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Largest request head accepted.
pub const MAX_HEAD: usize = 16 * 1024;

/// A parsed request head.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The target's path, without query or fragment.
    pub fn path(&self) -> &str {
        self.target.split(['?', '#']).next().unwrap_or("/")
    }
}

/// Parses a complete head (request line and header fields, up to the blank line).
pub fn parse_head(head: &[u8]) -> Option<Request> {
    if head.len() > MAX_HEAD {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let version = first.next()?;
    if first.next().is_some()
        || !version.starts_with("HTTP/1.")
        || method.is_empty()
        || target.is_empty()
    {
        return None;
    }
    let mut headers = Vec::new();
    for l in lines.take_while(|l| !l.is_empty()) {
        let (k, v) = l.split_once(':')?;
        // A name with white space or controls is a smuggling attempt or garbage.
        if k.is_empty() || k.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return None;
        }
        headers.push((k.to_string(), v.trim().to_string()));
    }
    Some(Request {
        method,
        target,
        headers,
    })
}

/// Reads a request head: all of it within `deadline` (however slowly the bytes come) and at
/// most [`MAX_HEAD`] bytes. Returns the head and whatever followed it (a WebSocket client
/// may send its first frame right behind the upgrade).
pub fn read_head(stream: &mut TcpStream, deadline: Duration) -> Option<(Request, Vec<u8>)> {
    let end = Instant::now() + deadline;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(p) = memchr::memmem::find(&buf, b"\r\n\r\n") {
            let rest = buf.split_off(p + 4);
            return Some((parse_head(&buf)?, rest));
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let left = end.checked_duration_since(Instant::now())?;
        if left.is_zero() {
            return None;
        }
        stream.set_read_timeout(Some(left)).ok()?;
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The page's Content-Security-Policy: its own files only, plus the relay's WebSocket on
/// exactly the origin the page was loaded from (`host` is one the Host check accepted).
/// Inline styles are allowed because mail HTML (shown in a script-less sandboxed iframe that
/// inherits this policy) depends on them. No other site may frame the page.
pub fn csp(host: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; frame-src 'self' blob:; \
         connect-src 'self' ws://{host}; worker-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// How long a whole response may take to send: a client that reads one byte a minute does
/// not keep a connection for ever.
const WRITE_DEADLINE: Duration = Duration::from_secs(60);

/// Writes a response. Every response isolates the page (COOP + COEP: the worker needs
/// `SharedArrayBuffer`), may be read by its own origin only (CORP) and framed by nobody.
pub fn respond(
    stream: &mut TcpStream,
    host: &str,
    status: &str,
    ctype: &str,
    body: &[u8],
    head_only: bool,
) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Content-Security-Policy: {}\r\nX-Content-Type-Options: nosniff\r\n\
         X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\nCache-Control: no-cache\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n\
         Cross-Origin-Resource-Policy: same-origin\r\nConnection: close\r\n\r\n",
        body.len(),
        csp(host)
    );
    let end = Instant::now() + WRITE_DEADLINE;
    let body = if head_only { &[][..] } else { body };
    for piece in std::iter::once(head.as_bytes()).chain(body.chunks(64 * 1024)) {
        let Some(left) = end.checked_duration_since(Instant::now()) else {
            return;
        };
        if left.is_zero()
            || stream.set_write_timeout(Some(left)).is_err()
            || stream.write_all(piece).is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let r = parse_head(b"GET /a?b HTTP/1.1\r\nHost: x\r\nA: b: c\r\n\r\n").unwrap();
        assert_eq!((r.method.as_str(), r.path()), ("GET", "/a"));
        assert_eq!(r.header("a"), Some("b: c"));
        assert!(parse_head(b"GET /a HTTP/1.1\r\nBad Name: x\r\n\r\n").is_none());
        assert!(parse_head(b"GET  /a HTTP/1.1\r\n\r\n").is_none());
        assert!(parse_head(b"GET /a\r\n\r\n").is_none());
        assert!(parse_head(b"\xff /a HTTP/1.1\r\n\r\n").is_none());
    }
}
