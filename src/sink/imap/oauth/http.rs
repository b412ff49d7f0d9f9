//! Just enough HTTP/1.1 (RFC 9112) for OAuth2 token requests and autoconfig files: one form
//! POST or GET over TLS (plain HTTP only to this machine, for tests), its answer read whole
//! within bounds — `Content-Length` or chunked.

use super::super::server::{Security, Server};
use super::super::stream::tls;
use super::OAuthError;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The most an answer may take: a token response is a few KiB.
const MAX_BODY: usize = 256 * 1024;

/// `application/x-www-form-urlencoded` / query form of `pairs`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Decodes a percent-encoded query value (`+` is a space).
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 3 <= b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An endpoint: `https://host[:port]/path`, or `http://127.0.0.1…` (tests).
struct Endpoint {
    tls: bool,
    host: String,
    port: u16,
    path: String,
}

fn endpoint(url: &str) -> Result<Endpoint, OAuthError> {
    let bad = || OAuthError::Config(format!("not an https:// address: {url}"));
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(bad());
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
        None => (authority, if tls { 443 } else { 80 }),
    };
    // Tokens travel only inside TLS, or to this very machine.
    if host.is_empty() || !tls && !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(bad());
    }
    Ok(Endpoint {
        tls,
        host: host.to_string(),
        port,
        path: if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
    })
}

/// POSTs a form to `url`; the JSON it answers (an OAuth2 error answer too), with the status.
pub fn post_form(
    url: &str,
    body: &str,
    ca_file: Option<&std::path::Path>,
) -> Result<(u16, serde_json::Value), OAuthError> {
    let ep = endpoint(url)?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        ep.path,
        ep.host,
        body.len()
    );
    let (status, body) = read_answer(send(&ep, &request, ca_file)?)?;
    let json = serde_json::from_slice(&body)
        .map_err(|_| OAuthError::Http(format!("status {status}, and no JSON in the answer")))?;
    Ok((status, json))
}

/// GETs `url` (`https://`, or `http://` to this machine only): the status and the body.
pub fn get(url: &str, ca_file: Option<&std::path::Path>) -> Result<(u16, Vec<u8>), OAuthError> {
    let ep = endpoint(url)?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        ep.path, ep.host
    );
    read_answer(send(&ep, &request, ca_file)?)
}

/// Connects to `ep` (TLS unless it is this machine's plain HTTP) and sends `request`.
fn send(
    ep: &Endpoint,
    request: &str,
    ca_file: Option<&std::path::Path>,
) -> Result<Box<dyn ReadWrite>, OAuthError> {
    let timeout = Duration::from_secs(30);
    // Each address the name has, a few seconds each: a host that drops packets is given up.
    let failed = |e: std::io::Error| OAuthError::Http(format!("connecting to {}: {e}", ep.host));
    let addrs = (ep.host.as_str(), ep.port)
        .to_socket_addrs()
        .map_err(failed)?;
    let mut last = std::io::Error::other("no address");
    let tcp = addrs
        .into_iter()
        .find_map(|a| {
            TcpStream::connect_timeout(&a, Duration::from_secs(10))
                .map_err(|e| last = e)
                .ok()
        })
        .ok_or_else(|| failed(last))?;
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;
    let mut stream: Box<dyn ReadWrite> = if ep.tls {
        let server = Server {
            host: ep.host.clone(),
            port: ep.port,
            user: String::new(),
            security: Security::Tls,
            ca_file: ca_file.map(|p| p.to_path_buf()),
            timeout,
            deadline: Duration::from_secs(60),
        };
        let due = Some(Instant::now() + Duration::from_secs(60));
        Box::new(tls(&server, tcp, due).map_err(|e| OAuthError::Http(e.to_string()))?)
    } else {
        Box::new(tcp)
    };
    stream.write_all(request.as_bytes())?;
    stream.flush()?;
    Ok(stream)
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Status line, headers, then the body by its length, in chunks, or to the end — all of it
/// within [`MAX_BODY`] and 16 KiB of headers, whatever the endpoint sends.
fn read_answer(r: impl Read) -> Result<(u16, Vec<u8>), OAuthError> {
    let too_big = || OAuthError::Http("the answer is over 256 KiB, or its head over 16 KiB".into());
    let mut r = BufReader::new(r.take(MAX_BODY as u64 + 16 * 1024));
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| OAuthError::Http("not an HTTP answer".into()))?;
    let (mut length, mut chunked, mut head) = (None, false, line.len());
    loop {
        line.clear();
        let n = r.read_line(&mut line)?;
        head += n;
        // A line cut off by the limit, or too many of them: no answer of ours.
        if head > 16 * 1024 || (n > 0 && !line.ends_with('\n')) {
            return Err(too_big());
        }
        if n == 0 || line.trim().is_empty() {
            break;
        }
        let l = line.to_ascii_lowercase();
        if let Some(v) = l.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        } else if l.starts_with("transfer-encoding:") && l.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| OAuthError::Http("bad chunk size".into()))?;
            if size == 0 {
                break;
            }
            if body.len() + size > MAX_BODY {
                return Err(too_big());
            }
            let mut chunk = vec![0u8; size + 2];
            r.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        if n > MAX_BODY {
            return Err(too_big());
        }
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else {
        r.take(MAX_BODY as u64 + 1).read_to_end(&mut body)?;
        if body.len() > MAX_BODY {
            return Err(too_big());
        }
    }
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_encode_and_decode_as_rfc_3986_says() {
        assert_eq!(form(&[("a b", "x/y&z=1")]), "a%20b=x%2Fy%26z%3D1");
        assert_eq!(decode("x%2Fy+z%3"), "x/y z%3");
        assert!(
            endpoint("http://login.example.com/token").is_err(),
            "plain HTTP off this machine"
        );
        assert!(endpoint("ftp://x/y").is_err());
        assert_eq!(endpoint("https://h:8443").unwrap().path, "/");
    }

    #[test]
    fn an_endless_or_oversized_answer_is_cut_off() {
        // A hostile token endpoint: an endless header line, an endless chunk, a huge length.
        let endless = std::io::repeat(b'a');
        assert!(read_answer(b"HTTP/1.1 200 OK\r\n".chain(endless)).is_err());
        let chunk = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n";
        assert!(read_answer(chunk.chain(std::io::repeat(b'{'))).is_err());
        let huge = b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n{}";
        assert!(read_answer(&huge[..]).is_err());
        // No length, and a body without end (an autoconfig "file" that never stops).
        let open = b"HTTP/1.1 200 OK\r\n\r\n";
        assert!(read_answer(open.chain(std::io::repeat(b'<'))).is_err());
    }

    #[test]
    fn chunked_and_sized_answers_are_read_whole() {
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n";
        assert_eq!(read_answer(&chunked[..]).unwrap().1, b"{\"a\":1}");
        let sized = b"HTTP/1.1 400 Bad\r\nContent-Length: 16\r\n\r\n{\"error\":\"nope\"}";
        let (status, body) = read_answer(&sized[..]).unwrap();
        assert_eq!((status, &body[..]), (400, &b"{\"error\":\"nope\"}"[..]));
    }
}
