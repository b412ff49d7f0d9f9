//! Where and how to reach the IMAP server: `imaps://user@host[:port]` (implicit TLS) or
//! `imap://…` (STARTTLS, or no TLS at all when asked for, to this machine only), RFC 5092's
//! URL form with the user percent-encoded.

use super::{ImapError, Result};
use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
