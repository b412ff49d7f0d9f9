//! Signing in: SASL PLAIN (RFC 4616, with SASL-IR, RFC 4959) where offered, else LOGIN;
//! with an OAuth2 access token, SASL OAUTHBEARER (RFC 7628) or XOAUTH2 (Google's and
//! Microsoft's older form), whichever the server offers. Secrets are never logged or kept.

use super::{Conn, Limits, Status, quote};
use crate::sink::imap::response::status_of;
use crate::sink::imap::{ImapError, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// What proves who the user is.
pub enum Secret {
    Password(String),
    /// An OAuth2 access token for the IMAP scope (Microsoft 365:
    /// `https://outlook.office.com/IMAP.AccessAsUser.All`; Gmail: `https://mail.google.com/`).
    Token(String),
}

/// An authzid as RFC 5801's gs2-header writes it: `,` and `=` escaped.
fn gs2_name(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// The `status` of an OAUTHBEARER / XOAUTH2 error challenge (RFC 7628 §3.2.2: base64 JSON),
/// cut to a short token: the server is not trusted to say more.
fn challenge_status(challenge: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(challenge).ok()?;
    let s: String = json["status"]
        .as_str()?
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(40)
        .collect();
    (!s.is_empty()).then_some(s)
}

impl Conn {
    /// Signs in with a password or an OAuth2 token.
    pub fn sign_in(&mut self, user: &str, secret: &Secret) -> Result<()> {
        match secret {
            Secret::Password(p) => self.login(user, p),
            Secret::Token(t) => self.login_oauth2(user, t),
        }
    }

    /// Signs in with an OAuth2 access token: OAUTHBEARER where offered, else XOAUTH2.
    pub fn login_oauth2(&mut self, user: &str, token: &str) -> Result<()> {
        if self.caps.is_empty() {
            self.capability()?;
        }
        if token.is_empty() || token.contains(|c: char| c.is_control() || c == ' ') {
            return Err(ImapError::Config(
                "the OAuth2 token is empty or holds spaces or control characters".into(),
            ));
        }
        let (mech, initial, answer): (&str, String, &[u8]) = if self.has("AUTH=OAUTHBEARER") {
            // On failure the server challenges with an error; the client answers with %x01.
            (
                "OAUTHBEARER",
                format!("n,a={},\x01auth=Bearer {token}\x01\x01", gs2_name(user)),
                b"\x01",
            )
        } else if self.has("AUTH=XOAUTH2") {
            // Its error challenge is answered with an empty response.
            (
                "XOAUTH2",
                format!("user={user}\x01auth=Bearer {token}\x01\x01"),
                b"",
            )
        } else {
            return Err(ImapError::Config(
                "the server offers no OAuth2 sign-in (neither AUTH=OAUTHBEARER nor AUTH=XOAUTH2)"
                    .into(),
            ));
        };
        let (st, challenge) = self.sasl(mech, initial.as_bytes(), answer)?;
        if !st.ok {
            let why = challenge
                .as_deref()
                .and_then(challenge_status)
                .unwrap_or_else(|| format!("{} {}", st.kind, st.text));
            return Err(ImapError::Token(why));
        }
        self.signed_in(st)
    }

    /// One SASL exchange (`initial` sent as SASL-IR where offered): an error challenge is
    /// answered with `answer`, and returned with the tagged status.
    fn sasl(
        &mut self,
        mech: &str,
        initial: &[u8],
        answer: &[u8],
    ) -> Result<(Status, Option<Vec<u8>>)> {
        let tag = self.next_tag();
        self.begin();
        let ir = STANDARD.encode(initial);
        if self.has("SASL-IR") {
            self.send(format!("{tag} AUTHENTICATE {mech} {ir}\r\n").as_bytes())?;
        } else {
            self.send(format!("{tag} AUTHENTICATE {mech}\r\n").as_bytes())?;
            self.flush()?;
            if let Some(st) = self.wait_continuation(&tag)? {
                return Ok((st, None));
            }
            self.send(ir.as_bytes())?;
            self.send(b"\r\n")?;
        }
        self.flush()?;
        let mut challenge = None;
        for _ in 0..Limits::COLLECT.responses {
            let r = self.read_response()?;
            if let Some(st) = status_of(&r, &tag) {
                self.due = None;
                return Ok((st, challenge));
            }
            if r.raw.starts_with(b"+") {
                // One challenge is all these mechanisms send; a second is answered the same.
                let text = String::from_utf8_lossy(&r.raw[1..]);
                challenge = STANDARD.decode(text.trim()).ok();
                self.send(STANDARD.encode(answer).as_bytes())?;
                self.send(b"\r\n")?;
                self.flush()?;
                continue;
            }
            self.bye_check(&r)?;
            self.caps_from(&r);
        }
        Err(ImapError::TooMuch(format!(
            "sent more than {} responses during AUTHENTICATE",
            Limits::COLLECT.responses
        )))
    }

    /// Logs in with AUTHENTICATE PLAIN when offered, else LOGIN. The password is never
    /// logged or kept.
    pub fn login(&mut self, user: &str, password: &str) -> Result<()> {
        if self.caps.is_empty() {
            self.capability()?;
        }
        let st = if self.has("AUTH=PLAIN") {
            let blob = STANDARD.encode(format!("\0{user}\0{password}"));
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
        self.signed_in(st)
    }

    /// After a successful sign-in: capabilities may change; ask again unless the OK carried
    /// them.
    fn signed_in(&mut self, st: Status) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oauth2_refusal_says_the_servers_status_and_nothing_else() {
        // XOAUTH2 only: its error challenge ({"status":"401",…}) is answered, then NO.
        let challenge = STANDARD.encode(r#"{"status":"401","schemes":"bearer <b>x</b>"}"#);
        let script = format!(
            "* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR\r\nU1 OK\r\n+ {challenge}\r\nU2 NO [AUTHENTICATIONFAILED] no\r\n"
        );
        let mut c = Conn::scripted(script.into_bytes());
        match c.login_oauth2("alice", "tok") {
            Err(ImapError::Token(why)) => assert_eq!(why, "401"),
            other => panic!("{:?}", other.err()),
        }
        // A status that is no token is not repeated.
        assert_eq!(
            challenge_status(br#"{"status":"<script>"}"#).as_deref(),
            Some("script")
        );
        assert_eq!(challenge_status(b"not json"), None);
    }

    #[test]
    fn oauthbearer_is_preferred_and_capabilities_are_taken_from_the_ok() {
        let script = "* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 AUTH=OAUTHBEARER SASL-IR\r\nU1 OK\r\nU2 OK [CAPABILITY IMAP4rev1 MOVE] in\r\n";
        let mut c = Conn::scripted(script.as_bytes().to_vec());
        c.login_oauth2("a,b=c", "tok").unwrap();
        assert!(c.has("MOVE"));
        assert_eq!(gs2_name("a,b=c"), "a=2Cb=3Dc");
        // Without either mechanism there is nothing to try.
        let mut c = Conn::scripted(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nU1 OK\r\n".to_vec());
        assert!(matches!(
            c.login_oauth2("a", "t"),
            Err(ImapError::Config(_))
        ));
    }
}
