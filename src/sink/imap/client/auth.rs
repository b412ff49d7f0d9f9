//! Signing in: SASL PLAIN (RFC 4616, with SASL-IR, RFC 4959) where offered, else LOGIN.

use super::{Conn, Limits, Status, quote};
use crate::sink::imap::{ImapError, Result};

impl Conn {
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
}
