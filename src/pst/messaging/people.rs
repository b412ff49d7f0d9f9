//! What the file itself knows of people's internet addresses: an Exchange address (a DN,
//! MS-OXCDATA §2.2.4.3.1's X500 DN) → SMTP map and a display name → SMTP map, learnt from
//! the senders and recipients that carry both (PidTagSmtpAddress, PidTagSenderSmtpAddress,
//! …), and the store owner's address (whom Sent Items was sent by most). A message that
//! names a person by DN or name only is given the address the same person has elsewhere in
//! the file, rather than a placeholder.

use super::props;
use super::rows::Rows;
use super::store::Pst;
use super::{Message, best_address};
use std::collections::HashMap;

/// Messages read at most to learn addresses (Sent Items first): the book is built once per
/// file, the first time an address is missing, and must stay cheap in the page.
const SCAN: usize = 500;
/// Addresses kept at most (a hostile file's recipient tables must not grow it without end).
const MAX_KNOWN: usize = 100_000;

/// What a file knows of addresses.
#[derive(Debug, Default)]
pub struct AddressBook {
    /// Lower-case Exchange DN → SMTP address.
    by_dn: HashMap<String, String>,
    /// Lower-case display name → its one SMTP address (`None`: the name has several).
    by_name: HashMap<String, Option<String>>,
    /// Lower-case local part → its one SMTP address: a recipient typed as `saqib.razzaq`
    /// on an Exchange server is `saqib.razzaq@ex2010.local` elsewhere in the file.
    by_local: HashMap<String, Option<String>>,
    /// The address Sent Items was sent from most, with its name.
    pub owner: Option<(String, String)>,
}

/// `s` when it is an address on its own (`nobody@yahoo.com`, `'lfcnassif@gmail.com'` as
/// Outlook quotes a typed address): one `@`, a dotted domain, no spaces.
pub fn as_address(s: &str) -> Option<String> {
    let s = s.trim().trim_matches(['\'', '"', '<', '>']).trim();
    let (local, domain) = s.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"()<>[]\\,;:\"".contains(c));
    ok.then(|| s.to_string())
}

impl AddressBook {
    /// Learns from up to [`SCAN`] messages, Sent Items first.
    pub fn build(pst: &Pst) -> Self {
        let mut book = AddressBook::default();
        let Ok(tree) = pst.folder_tree() else {
            return book;
        };
        let sent = pst.store_folder(props::IPM_SENTMAIL_ENTRYID);
        let mut folders: Vec<_> = tree.flatten().into_iter().filter(|f| f.items > 0).collect();
        folders.sort_by_key(|f| Some(f.nid) != sent);
        let mut senders: HashMap<(String, String), u32> = HashMap::new();
        let mut read = 0;
        'folders: for f in folders {
            for row in Rows::new(pst, f.nid).hinting() {
                if read >= SCAN {
                    break 'folders;
                }
                read += 1;
                let Ok(m) = pst.message(row.nid) else {
                    continue;
                };
                for (name, smtp) in book.learn_message(pst, &m) {
                    if Some(f.nid) == sent {
                        *senders.entry((smtp, name)).or_default() += 1;
                    }
                }
            }
        }
        book.owner = senders
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|((smtp, name), _)| (name, smtp));
        book
    }

    /// Learns a message's sender, whom it represents and its recipients; returns the
    /// senders' (name, SMTP address).
    fn learn_message(&mut self, pst: &Pst, m: &Message) -> Vec<(String, String)> {
        let s = |id: u16| m.string(pst, id).unwrap_or_default();
        let mut senders = Vec::new();
        for [name, smtp, kind, address] in [
            [
                props::SENDER_NAME,
                props::SENDER_SMTP,
                props::SENDER_ADDRTYPE,
                props::SENDER_EMAIL,
            ],
            [
                props::SENT_REPRESENTING_NAME,
                props::SENT_REPRESENTING_SMTP,
                props::SENT_REPRESENTING_ADDRTYPE,
                props::SENT_REPRESENTING_EMAIL,
            ],
        ] {
            let (name, address) = (s(name), s(address));
            let smtp = best_address(&s(smtp), &s(kind), &address);
            if self.learn(&name, &address, &smtp) {
                senders.push((name, smtp));
            }
        }
        for r in pst.recipients(m).unwrap_or_default() {
            self.learn(&r.name, &r.address, &r.email);
        }
        senders
    }

    /// Notes that `name` (and the stored `address`, a DN when it is not SMTP) is `smtp`.
    fn learn(&mut self, name: &str, address: &str, smtp: &str) -> bool {
        let Some(smtp) = as_address(smtp) else {
            return false;
        };
        if self.by_dn.len() + self.by_name.len() + self.by_local.len() > MAX_KNOWN {
            return false;
        }
        if !address.is_empty() && !address.contains('@') {
            self.by_dn.insert(address.to_lowercase(), smtp.clone());
        }
        let name = name.trim().to_lowercase();
        if !name.is_empty() {
            one_of(&mut self.by_name, name, &smtp);
        }
        if let Some((local, _)) = smtp.split_once('@') {
            one_of(&mut self.by_local, local.to_lowercase(), &smtp);
        }
        true
    }

    /// The SMTP address of someone the message names only by `name` and a stored `address`
    /// that is not SMTP (an Exchange DN, or nothing).
    pub fn resolve(&self, name: &str, address: &str) -> Option<String> {
        if let Some(a) = as_address(address) {
            return Some(a);
        }
        if !address.is_empty()
            && let Some(a) = self.by_dn.get(&address.to_lowercase())
        {
            return Some(a.clone());
        }
        if let Some(a) = as_address(name) {
            return Some(a);
        }
        let local = (!address.contains(['/', '@', ' ']))
            .then(|| self.by_local.get(&address.trim().to_lowercase()))
            .flatten();
        local
            .or_else(|| self.by_name.get(&name.trim().to_lowercase()))
            .cloned()
            .flatten()
    }
}

/// Notes `key` → `smtp` where `key` has no other address; one with two has none.
fn one_of(map: &mut HashMap<String, Option<String>>, key: String, smtp: &str) {
    map.entry(key)
        .and_modify(|known| {
            if known
                .as_deref()
                .is_some_and(|k| !k.eq_ignore_ascii_case(smtp))
            {
                *known = None;
            }
        })
        .or_insert_with(|| Some(smtp.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_an_address_only_when_it_looks_like_one() {
        assert_eq!(
            as_address("nobody@yahoo.com").as_deref(),
            Some("nobody@yahoo.com")
        );
        assert_eq!(
            as_address("'lfcnassif@gmail.com'").as_deref(),
            Some("lfcnassif@gmail.com")
        );
        // Internationalized addresses (RFC 6531) are addresses too.
        assert!(as_address("jörg@bücher.de").is_some());
        for not in [
            "Saqib Razzaq",
            "a@b",
            "x y@z.org",
            "@z.org",
            "a@.org",
            "a@b.c@d.e",
        ] {
            assert_eq!(as_address(not), None, "{not}");
        }
    }

    #[test]
    fn a_dn_or_a_name_is_resolved_by_what_the_file_says_elsewhere() {
        let mut b = AddressBook::default();
        let dn = "/o=Org/ou=Exchange Administrative Group/cn=Recipients/cn=saqib";
        b.learn("Saqib Razzaq", dn, "saqib@example.org");
        b.learn("Two Faced", "", "one@example.org");
        b.learn("Two Faced", "", "two@example.org");
        assert_eq!(
            b.resolve("", &dn.to_uppercase()).as_deref(),
            Some("saqib@example.org")
        );
        assert_eq!(
            b.resolve("saqib razzaq", "").as_deref(),
            Some("saqib@example.org")
        );
        // A name used with two addresses says nothing.
        assert_eq!(b.resolve("Two Faced", ""), None);
        // An address without its domain, by its local part.
        assert_eq!(
            b.resolve("x", "SAQIB").as_deref(),
            Some("saqib@example.org")
        );
        assert_eq!(b.resolve("Nobody Known", "/o=x/cn=y"), None);
    }
}
