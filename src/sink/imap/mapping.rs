//! PST folders → IMAP mailbox names: the server's hierarchy separator and personal
//! namespace (RFC 2342), modified UTF-7 (RFC 3501 §5.1.3), the special folders (Inbox →
//! `INBOX`; Sent / Deleted / Junk / Drafts, also by their localized names, → the server's
//! SPECIAL-USE mailboxes, RFC 6154), separators inside PST names escaped, clashes numbered.

pub use crate::pst::messaging::well_known::Special;
use serde::Serialize;
use std::collections::HashSet;

// An inherent impl may live beside the IMAP code that needs it.
impl Special {
    /// The RFC 6154 attribute of the server's mailbox for it.
    pub fn attribute(self) -> &'static str {
        match self {
            Special::Inbox => "",
            Special::Sent => "\\Sent",
            Special::Trash => "\\Trash",
            Special::Junk => "\\Junk",
            Special::Drafts => "\\Drafts",
        }
    }
}

/// What the server told us about its folders.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerLayout {
    /// Hierarchy separator (`/`, `.`, …); `None` for a flat server.
    pub separator: Option<char>,
    /// Personal namespace prefix (`""`, or `INBOX.` on Courier-style servers), wire form.
    pub prefix: String,
    /// Existing mailboxes (wire names) with their attributes.
    pub mailboxes: Vec<(String, Vec<String>)>,
}

impl ServerLayout {
    /// The server's mailbox for a special folder: the one carrying its SPECIAL-USE
    /// attribute; where none does (Courier has no SPECIAL-USE; Cyrus accounts an admin tool
    /// made have none), an existing top-level mailbox under one of the folder's usual names
    /// (`Sent`, `Spam`, `INBOX.Trash`, `Gesendete Elemente`, …) — not a second one beside it.
    pub fn special(&self, s: Special) -> Option<&str> {
        if s == Special::Inbox {
            return Some("INBOX");
        }
        let by_use = self
            .mailboxes
            .iter()
            .find(|(_, attrs)| attrs.iter().any(|a| a.eq_ignore_ascii_case(s.attribute())));
        let by_name = || {
            self.mailboxes.iter().find(|(n, _)| {
                let name = super::utf7::decode(n);
                let Some(own) = name.strip_prefix(&super::utf7::decode(&self.prefix)) else {
                    return false;
                };
                // Directly in the personal namespace, not a sub-folder of something.
                self.separator.is_none_or(|sep| !own.contains(sep))
                    && crate::pst::messaging::well_known::special_by_name(own) == Some(s)
            })
        };
        by_use.or_else(by_name).map(|(n, _)| n.as_str())
    }

    pub fn exists(&self, wire: &str) -> bool {
        self.mailboxes.iter().any(|(n, _)| same_mailbox(n, wire))
    }
}

/// Mailbox names are case-sensitive except INBOX.
fn same_mailbox(a: &str, b: &str) -> bool {
    let inbox = |s: &str| s.eq_ignore_ascii_case("INBOX");
    a == b || (inbox(a) && inbox(b))
}

/// One PST folder and where it goes.
#[derive(Debug, Clone, Serialize)]
pub struct Mapping {
    /// The folder's path from the top of the mailbox.
    pub path: Vec<String>,
    pub special: Option<Special>,
    /// The mailbox name as shown (UTF-8).
    pub mailbox: String,
    /// The mailbox name on the wire (modified UTF-7).
    pub wire: String,
}

/// A PST name made safe as one mailbox name component.
fn component(name: &str, sep: Option<char>) -> String {
    let mut out: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match (Some(c) == sep, c) {
            // Look-alikes keep the name readable: "Q1/Q2" stays "Q1∕Q2".
            (true, '/') => '\u{2215}',
            (true, '.') => '\u{2024}',
            (true, '\\') => '\u{29F5}',
            (true, _) => '_',
            _ => c,
        })
        .collect();
    out = out.trim().to_string();
    if out.is_empty() {
        out = "(unnamed)".into();
    }
    out
}

/// Folder names some server refuses in a mailbox name: Maildir's `tmp`, `new` and `cur`
/// (Dovecot, LAYOUT=fs).
const RESERVED: [&str; 3] = ["tmp", "new", "cur"];

/// Another name for a folder whose name the server refused at CREATE: its last component
/// without what servers are known to refuse — `/`, `.` and `\` (Dovecot's Maildir, whatever the
/// separator), `& ; < > | ! % { } " * ?` (Cyrus), characters beyond the Basic Multilingual
/// Plane (Courier) — cut to 200 bytes, never a Maildir directory name, numbered if it is
/// the refused name or one `taken` by another folder of this upload. The same on every run,
/// so a rerun finds the mailbox the first run made (whether it exists is not asked).
pub fn fallback(map: &Mapping, server: &ServerLayout, taken: &[String]) -> Mapping {
    let sep = server.separator;
    let (parent, last) = match sep.and_then(|s| map.mailbox.rsplit_once(s)) {
        Some((p, l)) => (Some(p), l),
        None => (None, map.mailbox.as_str()),
    };
    let mut name = String::new();
    for c in last.chars() {
        let c = match c {
            '/' => '\u{2215}',
            '.' => '\u{2024}',
            '\\' => '\u{29F5}',
            '&' | ';' | '<' | '>' | '|' | '!' | '%' | '{' | '}' | '"' | '*' | '?' => '_',
            c if (c as u32) > 0xFFFF || c.is_control() => continue,
            c => c,
        };
        if name.len() + c.len_utf8() > 200 {
            break;
        }
        name.push(c);
    }
    let name = name.trim().to_string();
    let base = if name.is_empty() || RESERVED.iter().any(|r| name.eq_ignore_ascii_case(r)) {
        format!("{} (1)", if name.is_empty() { "folder" } else { &name })
    } else {
        name
    };
    let full = |n: &str| match (parent, sep) {
        (Some(p), Some(s)) => format!("{p}{s}{n}"),
        _ => n.to_string(),
    };
    let mut mailbox = full(&base);
    let mut n = 2;
    while mailbox == map.mailbox || taken.contains(&mailbox) {
        mailbox = full(&format!("{base} ({n})"));
        n += 1;
    }
    Mapping {
        path: map.path.clone(),
        special: map.special,
        wire: super::utf7::encode(&mailbox),
        mailbox,
    }
}

/// Maps folders (paths from the top of the mailbox, each with its recognized special kind)
/// onto the server. `under` puts everything below one folder and maps nothing specially.
pub fn map(
    folders: &[(Vec<String>, Option<Special>)],
    server: &ServerLayout,
    under: Option<&str>,
) -> Vec<Mapping> {
    let sep = server.separator;
    let sep_s = sep.map(String::from).unwrap_or_default();
    let prefix = super::utf7::decode(&server.prefix);
    let under: Vec<String> = under
        .map(|u| {
            u.split('/')
                .filter(|c| !c.trim().is_empty())
                .map(|c| component(c, sep))
                .collect()
        })
        .unwrap_or_default();
    let mut taken: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for (path, special) in folders {
        let mut parts: Vec<String> = path.iter().map(|p| component(p, sep)).collect();
        let special = if under.is_empty() { *special } else { None };
        // The first component may become the server's own special mailbox.
        let head = match (special, parts.first()) {
            (Some(Special::Inbox), Some(_)) => Some("INBOX".to_string()),
            (Some(s), Some(_)) => server.special(s).map(super::utf7::decode),
            _ => None,
        };
        let name = match head {
            Some(h) => {
                parts[0] = h;
                if sep.is_none() && parts.len() > 1 {
                    parts.join("_")
                } else {
                    parts.join(&sep_s)
                }
            }
            None => {
                let mut all = under.clone();
                all.extend(parts);
                let joined = if sep.is_none() {
                    all.join("_")
                } else {
                    all.join(&sep_s)
                };
                format!("{prefix}{joined}")
            }
        };
        let mut unique = name.clone();
        let mut n = 2;
        let key = |s: &str| {
            if s.eq_ignore_ascii_case("INBOX") {
                "INBOX".to_string()
            } else {
                s.to_string()
            }
        };
        while !taken.insert(key(&unique)) {
            unique = format!("{name} ({n})");
            n += 1;
        }
        out.push(Mapping {
            path: path.clone(),
            special,
            wire: super::utf7::encode(&unique),
            mailbox: unique,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(sep: char, prefix: &str) -> ServerLayout {
        ServerLayout {
            separator: Some(sep),
            prefix: prefix.into(),
            mailboxes: vec![
                ("INBOX".into(), vec![]),
                ("Sent".into(), vec!["\\Sent".into()]),
                ("Trash".into(), vec!["\\Trash".into()]),
            ],
        }
    }

    fn p(parts: &[&str], s: Option<Special>) -> (Vec<String>, Option<Special>) {
        (parts.iter().map(|s| s.to_string()).collect(), s)
    }

    #[test]
    fn specials_separators_and_clashes() {
        let folders = [
            p(&["Posteingang"], Some(Special::Inbox)),
            p(&["Posteingang", "Rechnungen 1/2"], Some(Special::Inbox)),
            p(&["Gesendete Elemente"], Some(Special::Sent)),
            p(&["Gelöschte Elemente"], Some(Special::Trash)),
            p(&["Entwürfe"], Some(Special::Drafts)),
            p(&["Projekte.2024"], None),
            p(&["受信トレイ2"], None),
            p(&["Sent"], None),
        ];
        let m = map(&folders, &server('/', ""), None);
        let names: Vec<&str> = m.iter().map(|m| m.mailbox.as_str()).collect();
        assert_eq!(
            names,
            [
                "INBOX",
                "INBOX/Rechnungen 1\u{2215}2",
                "Sent",
                "Trash",
                "Entwürfe",
                "Projekte.2024",
                "受信トレイ2",
                "Sent (2)"
            ]
        );
        assert_eq!(m[4].wire, "Entw&APw-rfe");
        let m = map(&folders, &server('.', "INBOX."), None);
        assert_eq!(m[1].mailbox, "INBOX.Rechnungen 1/2");
        assert_eq!(m[5].mailbox, "INBOX.Projekte\u{2024}2024");
        let m = map(&folders, &server('/', ""), Some("Old PST/2019"));
        assert_eq!(m[0].mailbox, "Old PST/2019/Posteingang");
        assert_eq!(m[2].mailbox, "Old PST/2019/Gesendete Elemente");
    }

    #[test]
    fn a_refused_name_gets_one_servers_take() {
        let m = |mailbox: &str| Mapping {
            path: vec![],
            special: None,
            mailbox: mailbox.into(),
            wire: super::super::utf7::encode(mailbox),
        };
        let slash = server('/', "");
        // Dovecot's Maildir (LAYOUT=fs) reserves tmp, new and cur.
        assert_eq!(
            fallback(&m("INBOX/tmp"), &slash, &[]).mailbox,
            "INBOX/tmp (1)"
        );
        // Maildir++ under a "." separator refuses "/" ("Name must not have '/' characters").
        let dot = server('.', "");
        assert_eq!(
            fallback(&m("INBOX.Projekte/2024"), &dot, &[]).mailbox,
            "INBOX.Projekte\u{2215}2024"
        );
        // Cyrus: "Q&A; misc"; Courier: characters beyond the BMP.
        assert_eq!(fallback(&m("Q&A; misc"), &slash, &[]).mailbox, "Q_A_ misc");
        assert_eq!(
            fallback(&m("Party \u{1F389}"), &slash, &[]).mailbox,
            "Party"
        );
        // A name that needs no cleaning gets a number, and so does a cleaned name another
        // folder of the upload took; one on the server already is the same on a rerun.
        assert_eq!(fallback(&m("Plain"), &slash, &[]).mailbox, "Plain (2)");
        let taken = ["Q_A_ misc".to_string(), "Q_A_ misc (2)".to_string()];
        assert_eq!(
            fallback(&m("Q&A; misc"), &slash, &taken).mailbox,
            "Q_A_ misc (3)"
        );
        let mut there = server('/', "");
        there.mailboxes.push(("Q_A_ misc".into(), vec![]));
        assert_eq!(fallback(&m("Q&A; misc"), &there, &[]).mailbox, "Q_A_ misc");
        assert!(fallback(&m(&"x".repeat(300)), &slash, &[]).mailbox.len() <= 200);
    }

    #[test]
    fn without_special_use_the_usual_names_are_the_special_folders() {
        // Courier: personal namespace "INBOX.", no SPECIAL-USE attributes at all.
        let courier = ServerLayout {
            separator: Some('.'),
            prefix: "INBOX.".into(),
            mailboxes: [
                "INBOX",
                "INBOX.Sent",
                "INBOX.Trash",
                "INBOX.Spam",
                "INBOX.Work.Drafts",
            ]
            .into_iter()
            .map(|n| (n.to_string(), vec![]))
            .collect(),
        };
        let folders = [
            p(&["Sent Items"], Some(Special::Sent)),
            p(&["Sent Items", "2019"], Some(Special::Sent)),
            p(&["Gelöschte Elemente"], Some(Special::Trash)),
            p(&["Junk E-mail"], Some(Special::Junk)),
            // Only a sub-folder is called Drafts: not the account's drafts.
            p(&["Drafts"], Some(Special::Drafts)),
        ];
        let names: Vec<String> = map(&folders, &courier, None)
            .into_iter()
            .map(|m| m.mailbox)
            .collect();
        assert_eq!(
            names,
            [
                "INBOX.Sent",
                "INBOX.Sent.2019",
                "INBOX.Trash",
                "INBOX.Spam",
                "INBOX.Drafts"
            ]
        );
    }
}
