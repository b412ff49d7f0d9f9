//! IMAP responses (RFC 3501 §7, the formal syntax of §9): a response with its literals
//! inlined, its tokens (atoms, quoted strings, literals, NIL, lists), response codes, the
//! tagged status, and what upload reads out of LIST and FETCH responses. Nothing here reads
//! from the network: [`super::client`] does, under its limits.

use super::{ImapError, Result};

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

pub(super) fn literal_len(line: &[u8]) -> Option<usize> {
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

pub(super) fn status_of(r: &Response, tag: &str) -> Option<Status> {
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

/// A message on the server, as FETCH reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerMessage {
    pub message_id: String,
    pub flags: Vec<String>,
    pub internal_date: String,
}

/// The longest flag kept from a FETCH response (a header line's limit, RFC 5322 §2.1.1).
const MAX_KEPT: usize = 998;

/// A `* n FETCH (…)` response's Message-ID, flags and INTERNALDATE.
pub fn server_message(r: &Response) -> Option<ServerMessage> {
    let t = r.tokens();
    if !matches!(t.get(2), Some(Token::Atom(a)) if a.eq_ignore_ascii_case("FETCH")) {
        return None;
    }
    let Some(Token::List(l)) = t.get(3) else {
        return None;
    };
    let mut m = ServerMessage {
        message_id: String::new(),
        flags: Vec::new(),
        internal_date: String::new(),
    };
    for w in l.chunks(2) {
        let [Token::Atom(k), v] = w else { continue };
        let k = k.to_ascii_uppercase();
        if k == "FLAGS" {
            if let Token::List(f) = v {
                // What is kept of each message stays small, whatever the server sends.
                m.flags = f
                    .iter()
                    .filter_map(Token::text)
                    .filter(|t| t.len() <= MAX_KEPT)
                    .take(64)
                    .collect();
            }
        } else if k == "INTERNALDATE" {
            m.internal_date = v.text().unwrap_or_default();
        } else if k.starts_with("BODY[")
            && let Token::Str(h) = v
        {
            m.message_id = header_message_id(h);
        }
    }
    Some(m)
}

pub fn list_atoms(s: &str) -> Vec<String> {
    s.trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The Message-ID from a fetched header block.
fn header_message_id(h: &[u8]) -> String {
    let text = String::from_utf8_lossy(h);
    let mut value: Option<String> = None;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push_str(line);
                continue;
            }
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case("message-id")
        {
            value = Some(v.to_string());
        }
    }
    value
        .map(|v| crate::mime::normalize_message_id(&v))
        .unwrap_or_default()
}

/// `* LIST (attrs) "sep" name` → (attrs, separator, name).
pub fn list_entry(r: &Response) -> Option<(Vec<String>, Option<char>, String)> {
    let t = r.tokens();
    if !matches!(t.get(1), Some(Token::Atom(a)) if a.eq_ignore_ascii_case("LIST")) {
        return None;
    }
    let attrs = match t.get(2)? {
        Token::List(l) => l.iter().filter_map(Token::text).collect(),
        _ => Vec::new(),
    };
    let sep = match t.get(3)? {
        Token::Str(s) => std::str::from_utf8(s).ok()?.chars().next(),
        _ => None,
    };
    let name = t.get(4)?.text()?;
    Some((attrs, sep, name))
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
        assert_eq!(header_message_id(b"Message-ID:\r\n <a@b>\r\n\r\n"), "a@b");
        assert_eq!(header_message_id(b"\r\n"), "");
    }
}
