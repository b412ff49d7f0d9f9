//! What a server's refusals mean: of an APPEND, too large for it (RFC 7889 `TOOBIG`, and the
//! words servers use) or throttled (RFC 5530 and the big providers' texts); of a sign-in, a
//! busy account (waited for) or not.

use super::super::client::{Literal, Status};
use super::super::{ImapError, Result};
use super::Item;

/// What keeps the messages a server refuses as too large (a local mbox, say): nothing lost.
pub type Oversize = Box<dyn FnMut(&Item, Literal) -> Result<()>>;

/// A refused message as one mbox entry (mboxrd, dated as the message), written to `out`:
/// how the too-large messages are kept, by the CLI in a file and by the relay for the page.
pub fn write_refused(
    item: &Item,
    lit: Literal,
    out: &mut dyn FnMut(&[u8]) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut entry = crate::sink::mbox::Entry::begin("MAILER-DAEMON", item.date, out)?;
    match lit {
        Literal::Bytes(b) => entry.write(b)?,
        Literal::Streamed(m, pst) => m.write_parts(pst, &mut |p| entry.write_part(p))?,
    }
    entry.finish()
}

/// Whether a refusal says the message is too large (RFC 7889 `TOOBIG`, or a reply that
/// speaks of its size).
pub fn too_large(st: &Status) -> bool {
    let code = st.code.as_deref().unwrap_or("").to_ascii_uppercase();
    let text = st.text.to_ascii_lowercase();
    let sized = ["too large", "too big", "size", "exceeds"]
        .iter()
        .any(|w| text.contains(w));
    code == "TOOBIG" || sized
}

/// Throttling replies: RFC 5530 `[UNAVAILABLE]`/`[INUSE]`, and Microsoft's "Suggested
/// Backoff Time" / "try again" texts.
pub(super) fn is_throttle(st: &Status) -> bool {
    let code = st.code.as_deref().unwrap_or("").to_ascii_uppercase();
    let text = st.text.to_ascii_lowercase();
    code == "UNAVAILABLE"
        || code == "INUSE"
        || code == "THROTTLED"
        || text.contains("backoff")
        || text.contains("throttl")
        || text.contains("try again")
}

/// Connects and signs in. A sign-in refused because the account has too many connections
/// (Gmail, Microsoft) is tried again after each of the upload's waits, as a throttled APPEND
/// is; past the last, the upload stops as throttled.
pub(super) fn sign_in(
    server: &super::Server,
    secret: &super::super::client::Secret,
    opts: &super::UploadOptions,
) -> Result<super::Conn> {
    let mut waits = opts.backoff.clone().into_iter();
    loop {
        let mut conn = super::Conn::connect(server)?;
        conn.literal_plus = opts.literal_plus;
        match conn.sign_in(&server.user, secret) {
            Err(ImapError::Auth(why)) if busy_sign_in(&why) => match waits.next() {
                Some(wait) => std::thread::sleep(wait),
                None => return Err(ImapError::Throttled(why)),
            },
            r => return r.map(|()| conn),
        }
    }
}

/// Whether a refused sign-in says the account is busy, not the credentials wrong: Gmail's
/// "Too many simultaneous connections", Microsoft's throttling. Nothing vaguer ("please try
/// again" follows wrong passwords too): signing in again with a wrong one can lock the
/// account.
pub(super) fn busy_sign_in(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("simultaneous connections")
        || text.contains("too many connections")
        || text.contains("throttl")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(code: Option<&str>, text: &str) -> Status {
        Status {
            ok: false,
            kind: "NO".into(),
            code: code.map(str::to_string),
            text: text.into(),
        }
    }

    #[test]
    fn size_refusals_are_told_from_others() {
        assert!(too_large(&st(Some("TOOBIG"), "no")));
        assert!(too_large(&st(Some("LIMIT"), "Mail size is too large")));
        assert!(!too_large(&st(
            Some("OVERQUOTA"),
            "Quota exceeded (mailbox for user is full)"
        )));
        assert!(!too_large(&st(Some("UNAVAILABLE"), "try again later")));
        assert!(is_throttle(&st(Some("UNAVAILABLE"), "try again later")));
    }

    #[test]
    fn a_busy_account_is_told_from_wrong_credentials() {
        assert!(busy_sign_in("Too many simultaneous connections. (Failure)"));
        assert!(busy_sign_in(
            "Request is throttled. Suggested Backoff Time: 5000 milliseconds"
        ));
        assert!(!busy_sign_in(
            "[AUTHENTICATIONFAILED] Invalid credentials (Failure)"
        ));
        assert!(!busy_sign_in("AUTHENTICATE failed."));
        assert!(!busy_sign_in("Authentication failed, please try again"));
    }
}
