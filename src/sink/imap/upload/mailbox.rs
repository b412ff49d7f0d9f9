//! The mailboxes of an upload: the names earlier folders were renamed to, creating (parents
//! first, marked with CREATE-SPECIAL-USE where offered; a refused name cleaned once),
//! selecting, and reading what a mailbox holds.

use super::Uploader;
use crate::sink::imap::client::{Limits, Status, Token, check, quote};
use crate::sink::imap::mapping::{self, Mapping, Special};
use crate::sink::imap::response::{ServerMessage, list_atoms, server_message};
use crate::sink::imap::{ImapError, Result};
use std::collections::HashMap;

/// A folder's mailbox, ready to append to: where it is, and what it holds.
pub(super) struct OpenMailbox {
    pub map: Mapping,
    /// Created by this upload (then nothing else should be in it).
    pub created: bool,
    /// What happened to its name on the way.
    pub note: Option<String>,
    /// Why it could not be created at all.
    pub failed: Option<String>,
    /// Flags the server keeps for this mailbox.
    pub permanent: Vec<String>,
    /// The Message-IDs in it (count per ID).
    pub present: HashMap<String, u32>,
}

pub(super) struct Selected {
    /// Flags the server keeps for this mailbox.
    permanent: Vec<String>,
    exists: u32,
}

/// One mailbox's FETCH: a message's few hundred bytes, for the largest folders people keep.
const FETCH_LIMITS: Limits = Limits {
    responses: 2_000_000,
    bytes: 512 << 20,
};

fn is_exists(st: &Status) -> bool {
    st.code.as_deref() == Some("ALREADYEXISTS") || st.text.to_ascii_lowercase().contains("exists")
}

impl Uploader {
    /// Creates the mailbox `map` names if missing — under a cleaned name when the server
    /// refuses it — selects it and reads its Message-IDs.
    pub(super) fn open_mailbox(&mut self, map: Mapping) -> Result<OpenMailbox> {
        let mut map = self.renamed(map);
        let mut created = !self.layout.exists(&map.wire);
        let (mut note, mut failed) = (None, None);
        if created {
            let special = map.special.filter(|_| map.path.len() == 1);
            match self.create(&map.wire, special) {
                Ok(()) => {}
                Err(ImapError::Refused(why)) => {
                    // Not a mailbox another folder of this upload went to.
                    let taken: Vec<String> = (self.renames.iter().map(|(_, new)| new))
                        .chain(
                            (self.report.folders.iter())
                                .filter(|f| f.path != map.path)
                                .map(|f| &f.mailbox),
                        )
                        .cloned()
                        .collect();
                    let alt = mapping::fallback(&map, &self.layout, &taken);
                    // There already: an earlier run's (reruns add only what is missing).
                    let there = self.layout.exists(&alt.wire);
                    let made = if there {
                        Ok(())
                    } else {
                        self.create(&alt.wire, special)
                    };
                    match made {
                        Ok(()) => {
                            created = !there;
                            note = Some(format!(
                                "the server refused the name “{}” ({why}): uploaded as “{}”",
                                map.mailbox, alt.mailbox
                            ));
                            self.renames
                                .push((map.mailbox.clone(), alt.mailbox.clone()));
                            map = alt;
                        }
                        Err(ImapError::Refused(again)) => {
                            failed = Some(format!(
                                "the server refused the folder as “{}” ({why}) and as “{}” ({again})",
                                map.mailbox, alt.mailbox
                            ));
                        }
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let mut present = HashMap::new();
        let mut permanent = Vec::new();
        if failed.is_none() {
            let sel = self.select(&map.wire)?;
            permanent = sel.permanent;
            if sel.exists > 0 {
                for m in self.fetch_all(false)? {
                    *present.entry(m.message_id).or_default() += 1;
                }
            }
        }
        Ok(OpenMailbox {
            map,
            created,
            note,
            failed,
            permanent,
            present,
        })
    }

    /// `map` under the name it (another PST's folder of the same path) or its parents were
    /// created with.
    pub(super) fn renamed(&self, mut map: Mapping) -> Mapping {
        let sep = self.layout.separator.map(String::from).unwrap_or_default();
        for (old, new) in self.renames.iter().rev() {
            if map.mailbox == *old {
                map.mailbox = new.clone();
                map.wire = crate::sink::imap::utf7::encode(&map.mailbox);
                break;
            }
            let under = format!("{old}{sep}");
            if !sep.is_empty() && map.mailbox.starts_with(&under) {
                map.mailbox = format!("{new}{sep}{}", &map.mailbox[under.len()..]);
                map.wire = crate::sink::imap::utf7::encode(&map.mailbox);
                break;
            }
        }
        map
    }

    /// Messages already in a mailbox (0 if it does not exist).
    pub fn count(&mut self, wire: &str) -> Result<u32> {
        if !self.layout.exists(wire) {
            return Ok(0);
        }
        let (resp, st) = self
            .conn
            .run(&format!("STATUS {} (MESSAGES)", quote(wire)))?;
        check(&st, "STATUS")?;
        Ok(resp
            .iter()
            .find_map(|r| {
                let t = r.tokens();
                match t.last() {
                    Some(Token::List(l)) => l
                        .windows(2)
                        .find(|w| w[0] == Token::Atom("MESSAGES".into()))
                        .and_then(|w| w[1].text()?.parse().ok()),
                    _ => None,
                }
            })
            .unwrap_or(0))
    }

    /// The Message-IDs in a mailbox now (count per ID). A fresh SELECT makes the server
    /// report messages appended on this connection.
    pub(super) fn server_ids(&mut self, wire: &str) -> Result<HashMap<String, u32>> {
        let sel = self.select(wire)?;
        let mut ids: HashMap<String, u32> = HashMap::new();
        if sel.exists > 0 {
            for m in self.fetch_all(false)? {
                *ids.entry(m.message_id).or_default() += 1;
            }
        }
        Ok(ids)
    }

    /// Creates a mailbox (and its parents). `special`: the mailbox is the special folder of
    /// that kind, marked so where the server takes it (CREATE-SPECIAL-USE, RFC 6154 §3).
    pub(super) fn create(&mut self, wire: &str, special: Option<Special>) -> Result<()> {
        // Parents first: not every server creates them.
        if let Some(sep) = self.layout.separator {
            let mut at = 0;
            while let Some(i) = wire[at..].find(sep) {
                let parent = &wire[..at + i];
                at += i + sep.len_utf8();
                if !parent.is_empty() && !self.layout.exists(parent) {
                    let st = self.conn.run(&format!("CREATE {}", quote(parent)))?.1;
                    if st.ok || is_exists(&st) {
                        self.layout.mailboxes.push((parent.to_string(), Vec::new()));
                    }
                }
            }
        }
        let marked = special
            .filter(|s| *s != Special::Inbox && self.conn.has("CREATE-SPECIAL-USE"))
            .map(|s| {
                let cmd = format!("CREATE {} (USE ({}))", quote(wire), s.attribute());
                self.conn.run(&cmd).map(|(_, st)| st)
            })
            .transpose()?;
        // A server that cannot mark it (NO [USEATTR]) still creates it unmarked.
        let st = match marked {
            Some(st) if st.ok || is_exists(&st) => st,
            _ => self.conn.run(&format!("CREATE {}", quote(wire)))?.1,
        };
        if !(st.ok || is_exists(&st)) {
            check(
                &st,
                &format!("CREATE {}", crate::sink::imap::utf7::decode(wire)),
            )?;
        }
        let _ = self.conn.run(&format!("SUBSCRIBE {}", quote(wire)))?;
        self.layout.mailboxes.push((wire.to_string(), Vec::new()));
        Ok(())
    }

    /// Selects a mailbox.
    pub(super) fn select(&mut self, wire: &str) -> Result<Selected> {
        let (resp, st) = self.conn.run(&format!("SELECT {}", quote(wire)))?;
        check(
            &st,
            &format!("SELECT {}", crate::sink::imap::utf7::decode(wire)),
        )?;
        let mut flags = Vec::new();
        let mut permanent = None;
        let mut exists = 0;
        for r in &resp {
            if let Some(code) = r.code()
                && let Some(rest) = code.strip_prefix("PERMANENTFLAGS ")
            {
                permanent = Some(list_atoms(rest));
            }
            let t = r.tokens();
            if matches!(t.get(2), Some(Token::Atom(a)) if a.eq_ignore_ascii_case("EXISTS")) {
                exists = t
                    .get(1)
                    .and_then(Token::text)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
            }
            if matches!(t.get(1), Some(Token::Atom(a)) if a.eq_ignore_ascii_case("FLAGS"))
                && let Some(Token::List(l)) = t.get(2)
            {
                flags = l.iter().filter_map(Token::text).collect();
            }
        }
        // No PERMANENTFLAGS means every flag of FLAGS is permanent (RFC 3501 §7.1).
        Ok(Selected {
            permanent: permanent.unwrap_or(flags),
            exists,
        })
    }

    /// Message-ID (and flags, INTERNALDATE) of every message in the selected mailbox.
    pub fn fetch_all(&mut self, with_flags: bool) -> Result<Vec<ServerMessage>> {
        let items = if with_flags {
            "(FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        } else {
            "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        };
        let mut out = Vec::new();
        let st = self
            .conn
            .run_each(&format!("FETCH 1:* {items}"), FETCH_LIMITS, |r| {
                out.extend(server_message(&r));
                Ok(())
            })?;
        check(&st, "FETCH")?;
        Ok(out)
    }

    /// Selects a mailbox (by its display name) and fetches everything: for checks.
    pub fn messages_in(&mut self, mailbox: &str) -> Result<Vec<ServerMessage>> {
        if self
            .select(&crate::sink::imap::utf7::encode(mailbox))?
            .exists
            == 0
        {
            return Ok(Vec::new());
        }
        self.fetch_all(true)
    }
}
