//! The server's layout as an upload needs it: the hierarchy separator and personal namespace
//! (RFC 2342) and the mailboxes that exist, with their SPECIAL-USE attributes (RFC 6154).

use super::Result;
use super::client::{Conn, Limits, Token, check};
use super::mapping::ServerLayout;
use super::response::list_entry;

/// LIST: more mailboxes than any account has.
const LIST_LIMITS: Limits = Limits {
    responses: 100_000,
    bytes: 64 << 20,
};

/// The separator and namespace (`LIST "" ""`, NAMESPACE) and the existing mailboxes with
/// their SPECIAL-USE attributes.
pub fn read_layout(conn: &mut Conn) -> Result<ServerLayout> {
    let mut layout = ServerLayout::default();
    let (resp, st) = conn.run("LIST \"\" \"\"")?;
    check(&st, "LIST")?;
    for r in &resp {
        if let Some((_, sep, _)) = list_entry(r) {
            layout.separator = sep;
        }
    }
    if conn.has("NAMESPACE") {
        let (resp, st) = conn.run("NAMESPACE")?;
        if st.ok {
            for r in &resp {
                let t = r.tokens();
                // * NAMESPACE (("prefix" "sep")) other shared
                if let Some(Token::List(personal)) = t.get(2)
                    && let Some(Token::List(first)) = personal.first()
                {
                    layout.prefix = first.first().and_then(Token::text).unwrap_or_default();
                }
            }
        }
    }
    let cmd = if conn.has("SPECIAL-USE") && conn.has("LIST-EXTENDED") {
        "LIST \"\" \"*\" RETURN (SPECIAL-USE)"
    } else {
        "LIST \"\" \"*\""
    };
    // Taken as each line arrives: only the parsed entries stay.
    let st = conn.run_each(cmd, LIST_LIMITS, |r| {
        if let Some((attrs, _, name)) = list_entry(&r) {
            layout.mailboxes.push((name, attrs));
        }
        Ok(())
    })?;
    check(&st, "LIST")?;
    Ok(layout)
}
