//! APPEND (RFC 3501 §6.3.11, MULTIAPPEND RFC 3502, LITERAL+ RFC 7888): messages sent as
//! literals, from memory or read from their PST as they go.

use super::{Conn, Limits, quote};
use super::{ImapError, Result, Status};

/// A message to append.
pub struct AppendItem<'a> {
    pub flags: &'a [String],
    /// `dd-Mon-yyyy hh:mm:ss +0000`, unquoted.
    pub date: Option<String>,
    pub bytes: Literal<'a>,
}

/// A message as an APPEND literal: in memory, or converted with its attachment data still
/// in the PST (read as it is sent).
#[derive(Clone, Copy)]
pub enum Literal<'a> {
    Bytes(&'a [u8]),
    Streamed(&'a crate::mime::MessageBytes, &'a crate::pst::Pst),
}

impl Literal<'_> {
    pub fn len(&self) -> u64 {
        match self {
            Literal::Bytes(b) => b.len() as u64,
            Literal::Streamed(m, _) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Conn {
    /// Appends one or more messages to `mailbox` (already encoded) in one command:
    /// MULTIAPPEND when there are several, LITERAL+ when offered.
    pub fn append(&mut self, mailbox: &str, items: &[AppendItem]) -> Result<Status> {
        let plus = self.literal_plus && self.has("LITERAL+");
        let tag = self.next_tag();
        self.begin_sending(items.iter().map(|it| it.bytes.len()).sum::<u64>() as usize);
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
            self.send_literal(it.bytes)?;
            if n + 1 == items.len() {
                self.send(b"\r\n")?;
            }
        }
        self.flush()?;
        self.collect(&tag, "APPEND", Limits::COLLECT, |_| Ok(()))
    }

    /// Sends a literal's bytes; a streamed message as it is read from its PST.
    fn send_literal(&mut self, lit: Literal) -> Result<()> {
        match lit {
            Literal::Bytes(b) => self.send(b),
            Literal::Streamed(m, pst) => {
                let mut failed = None;
                let r = m.write_to(pst, &mut |b| {
                    self.send(b).map_err(|e| {
                        failed = Some(e);
                        crate::Error::Cancelled
                    })
                });
                match (failed, r) {
                    (Some(e), _) => Err(e),
                    (None, r) => r.map_err(|e| ImapError::Protocol(e.to_string())),
                }
            }
        }
    }
}
