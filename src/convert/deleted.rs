//! The "Recovered items" folder (`--recover`): items no folder lists any more
//! ([`crate::pst::messaging::recover`]), each read as a whole message before it counts,
//! marked `X-Unpst-Recovered`, written like any folder's items and never mixed into the
//! live folders. A copy of a live item (or of another recovered one) is not repeated.

use super::walk::{Items, Outcome};
use crate::error::{Result, corrupt};
use crate::items::Kind;
use crate::mime;
use crate::pst::messaging::Nid;
use crate::pst::messaging::recover::{Candidate, Recovery};
use crate::pst::messaging::{MessageSummary, props, well_known};
use crate::pst::{Message, Pst};
use crate::report::{RecoveryReport, Skipped};
use std::collections::{HashMap, HashSet};

/// The folder recovered items are written as.
pub const FOLDER: &str = "Recovered items";

/// A recovered message whole in memory at most this big (for comparing it with others).
const COMPARE: u64 = 256 << 20;

/// What `--recover` found in a file: the scan, the items kept, and the counts.
pub struct Found {
    pub rec: std::rc::Rc<Recovery>,
    pub kept: Vec<Candidate>,
    pub report: RecoveryReport,
}

impl Found {
    /// The kept items, converted again as they are walked. Walk them (and write what they
    /// give) inside [`crate::pst::ndb::Ndb::reading_freed`] with `self.rec.freed`.
    pub fn items<'a>(&'a self, pst: &'a Pst) -> RecoveredItems<'a> {
        RecoveredItems::new(pst, &self.rec, &self.kept)
    }

    /// Each kept item's row and the folder it was in (when the file says so).
    pub fn rows(&self, pst: &Pst) -> Vec<(MessageSummary, String)> {
        pst.ndb.reading_freed(&self.rec.freed, || {
            self.kept
                .iter()
                .map(|c| (summary(pst, c), c.folder.clone().unwrap_or_default()))
                .collect()
        })
    }

    fn kept(&self, i: usize) -> Result<&Candidate> {
        self.kept
            .get(i)
            .ok_or_else(|| corrupt("recovered item", format!("no item {i}")))
    }

    /// Kept item `i` as RFC 5322 bytes, marked as it is exported (at most `limit` bytes).
    pub fn message_bytes(&self, pst: &Pst, i: usize, limit: u64) -> Result<Vec<u8>> {
        let c = self.kept(i)?;
        pst.ndb.reading_freed(&self.rec.freed, || {
            let msg = pst.candidate_message(c)?;
            let mut m = mime::convert(pst, &msg)?;
            m.bytes.prepend(mark(c).as_bytes());
            m.bytes.to_vec(pst, limit)
        })
    }

    /// Kept item `i` as vCard or iCalendar text, with its kind; `None` for mail and the rest.
    pub fn card(&self, pst: &Pst, i: usize) -> Result<Option<(Kind, String)>> {
        let c = self.kept(i)?;
        pst.ndb.reading_freed(&self.rec.freed, || {
            let msg = pst.candidate_message(c)?;
            Ok(Kind::of(&msg.class(pst))
                .map(|kind| (kind, kind.render(pst, &msg, &mut Default::default()))))
        })
    }
}

/// The header line that marks a recovered item, with the folder it was in.
fn mark(c: &Candidate) -> String {
    let folder: String = c
        .folder
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|ch| !ch.is_control() && *ch != '"' && *ch != '\\')
        .collect();
    format!(
        "X-Unpst-Recovered: {}; folder=\"{folder}\"\r\n",
        c.origin.as_str()
    )
}

/// Scans the file for deleted and older items and screens them (reads the file once).
pub fn find(pst: &Pst) -> crate::Result<Found> {
    let rec = pst.recovery()?;
    let (kept, report) = pst.ndb.reading_freed(&rec.freed, || screen(pst, &rec));
    Ok(Found { rec, kept, report })
}

/// Tries every candidate; keeps those that read as a whole message and are no copy.
/// Call inside [`crate::pst::ndb::Ndb::reading_freed`].
fn screen(pst: &Pst, rec: &Recovery) -> (Vec<Candidate>, RecoveryReport) {
    let mut report = RecoveryReport {
        candidates: rec.candidates.len() as u32,
        ..RecoveryReport::default()
    };
    let mut seen: HashSet<u64> = HashSet::new();
    let mut live: HashMap<Nid, Option<u64>> = HashMap::new();
    let mut kept = Vec::new();
    for c in &rec.candidates {
        let (row, outcome) = convert(pst, c, rec);
        let digest = match &outcome {
            Outcome::Mail(m) => m
                .bytes
                .to_vec(pst, COMPARE)
                .ok()
                .map(|b| digest(&b, &m.message_id)),
            Outcome::Kept(_, text) => Some(crate::util::fnv1a(&[text
                .split_once('\n')
                .map_or("", |t| t.1)
                .as_bytes()])),
            Outcome::Skipped(why) | Outcome::Deferred(why) => {
                report.failed.push(Skipped {
                    id: c.entry.nid,
                    subject: row.subject,
                    reason: why.clone(),
                });
                continue;
            }
        };
        // A copy of a live message with its subject (the same node's, or another's).
        let copy_of_live = digest.is_some()
            && rec
                .live_by_subject
                .get(&row.subject)
                .into_iter()
                .flatten()
                .any(|&nid| *live.entry(nid).or_insert_with(|| live_digest(pst, nid)) == digest);
        if copy_of_live || digest.is_some_and(|d| !seen.insert(d)) {
            report.duplicates += 1;
            continue;
        }
        report.recovered += 1;
        kept.push(c.clone());
    }
    (kept, report)
}

/// A message's digest, blind to what the converter makes up from its node id (a
/// Message-ID and the boundaries, when the file has no Message-ID) and to the marker.
fn digest(b: &[u8], message_id: &str) -> u64 {
    let body = b.strip_prefix(b"X-Unpst-Recovered:").map_or(b, |rest| {
        rest.iter()
            .position(|&x| x == b'\n')
            .map_or(rest, |i| &rest[i + 1..])
    });
    let Some(seed) = message_id
        .strip_suffix("@unpst.invalid")
        .and_then(|l| l.split('.').next())
        .filter(|s| s.len() >= 8)
    else {
        return crate::util::fnv1a(&[body]);
    };
    let text = String::from_utf8_lossy(body)
        .replace(message_id, "")
        .replace(seed, "");
    crate::util::fnv1a(&[text.as_bytes()])
}

/// The digest of a live message, as converted.
fn live_digest(pst: &Pst, nid: Nid) -> Option<u64> {
    let msg = pst.message(nid).ok()?;
    let m = mime::convert(pst, &msg).ok()?;
    m.bytes
        .to_vec(pst, COMPARE)
        .ok()
        .map(|b| digest(&b, &m.message_id))
}

/// A candidate's row, as a contents table would list it (what it can read of it).
pub(super) fn summary(pst: &Pst, c: &Candidate) -> MessageSummary {
    row(pst, c, pst.candidate_message(c).ok().as_ref())
}

fn row(pst: &Pst, c: &Candidate, msg: Option<&Message>) -> MessageSummary {
    let text = |id| {
        msg.and_then(|m| m.obj.string(&pst.ndb, id, pst.codepage))
            .unwrap_or_default()
    };
    let flags = msg
        .and_then(|m| m.obj.i32(props::MESSAGE_FLAGS))
        .unwrap_or(0);
    MessageSummary {
        nid: c.entry.nid,
        subject: msg.map(|m| m.subject(pst)).unwrap_or_default(),
        sender: text(props::SENDER_NAME),
        to: text(props::DISPLAY_TO),
        delivery_time: msg.and_then(|m| m.obj.time(props::MESSAGE_DELIVERY_TIME)),
        flags: flags as u32,
        size: 0,
        class: msg.map(|m| m.class(pst)).unwrap_or_default(),
        // mfHasAttach (MS-OXCMSG §2.2.1.6).
        has_attachments: flags & 0x10 != 0,
    }
}

/// One candidate converted: mail as mail (with its marker), anything else kept as text.
fn convert(pst: &Pst, c: &Candidate, rec: &Recovery) -> (MessageSummary, Outcome) {
    let msg = match pst.candidate_message(c) {
        Ok(m) => m,
        Err(e) => {
            return (
                row(pst, c, None),
                Outcome::Skipped(format!("unreadable: {e}")),
            );
        }
    };
    let row = row(pst, c, Some(&msg));
    if !well_known::is_mail_class(&row.class) {
        let text = crate::items::text::describe(pst, &msg);
        return (row.clone(), Outcome::Kept(row.class, text));
    }
    let outcome = match mime::convert(pst, &msg) {
        Ok(mut m) => {
            m.bytes.prepend(mark(c).as_bytes());
            let damaged = rec.freed.take_damaged();
            if damaged > 0 {
                m.warnings.push(format!(
                    "recovered with {damaged} blocks partly written over since they were freed"
                ));
            }
            Outcome::Mail(Box::new(m))
        }
        Err(e) => Outcome::Skipped(e.to_string()),
    };
    (row, outcome)
}

/// The kept candidates, converted again as a pass walks them.
pub struct RecoveredItems<'a> {
    pst: &'a Pst,
    rec: &'a Recovery,
    list: std::slice::Iter<'a, Candidate>,
}

impl<'a> RecoveredItems<'a> {
    pub fn new(pst: &'a Pst, rec: &'a Recovery, kept: &'a [Candidate]) -> Self {
        Self {
            pst,
            rec,
            list: kept.iter(),
        }
    }
}

impl Iterator for RecoveredItems<'_> {
    type Item = (MessageSummary, Outcome);

    fn next(&mut self) -> Option<Self::Item> {
        let c = self.list.next()?;
        Some(match convert(self.pst, c, self.rec) {
            // Contacts and calendar items go to the card formats, as a folder's do.
            (row, Outcome::Kept(class, _)) if crate::items::Kind::of(&class).is_some() => {
                (row, Outcome::Deferred(class))
            }
            other => other,
        })
    }
}

impl Items for RecoveredItems<'_> {}
