//! The one contents-table walker: a folder's items read a page of rows at a time and
//! converted one by one (MS-PST §2.4.4.5, the contents table), with what became of each
//! recorded into the folder's report. Every consumer — the mbox and EML passes, the IMAP
//! upload, the page — walks folders with it.

use super::recovery::enter_item;
use crate::mime;
use crate::pst::Pst;
use crate::pst::messaging::Nid;
use crate::pst::messaging::{MessageSummary, Rows};
use crate::report::{Deferred, FolderReport, Skipped, Warning};

/// What became of one contents-table row.
pub enum Outcome {
    Mail(Box<mime::MimeMessage>),
    /// Not mail: kept for the contacts / calendar formats (the message class).
    Deferred(String),
    /// Unreadable or unconvertible (the reason).
    Skipped(String),
    /// Not mail, and no other format will take it (a recovered contact, …): its class, and
    /// its properties as text ([`crate::items::text`]) for the EML tree.
    Kept(String, String),
}

/// What a pass walks: a folder's items ([`FolderItems`]) or the recovered ones.
pub trait Items: Iterator<Item = (MessageSummary, Outcome)> {
    /// The first problem reading the items' list (its rows are then missing).
    fn error(&mut self) -> Option<String> {
        None
    }
}

impl Items for FolderItems<'_> {
    fn error(&mut self) -> Option<String> {
        FolderItems::error(self)
    }
}

/// The items of one folder, converted one at a time, walking its rows with the one row
/// walker ([`Rows`]: a page at a time, unreadable blocks noted). Every consumer — the mbox
/// and EML passes, IMAP upload, the page — walks folders with this.
pub struct FolderItems<'a> {
    pst: &'a Pst,
    rows: Rows<'a>,
}

impl<'a> FolderItems<'a> {
    pub fn new(pst: &'a Pst, nid: Nid) -> Self {
        Self {
            pst,
            rows: Rows::new(pst, nid).hinting(),
        }
    }

    /// Only rows `start..start + count`, without reading the others (the page converts a
    /// folder a few rows per call; an unreadable row block never shifts the window).
    pub fn rows(mut self, start: usize, count: usize) -> Self {
        self.rows = self.rows.range(start, count);
        self
    }

    /// The first problem reading the folder or its table (its rows are then missing).
    pub fn error(&mut self) -> Option<String> {
        self.rows.error.take()
    }
}

impl Iterator for FolderItems<'_> {
    type Item = (MessageSummary, Outcome);

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.rows.next()?;
        let outcome = convert_one(self.pst, &row);
        Some((row, outcome))
    }
}

/// Counts a converted message into its folder's report.
pub fn record_mail(rep: &mut FolderReport, id: Nid, m: &mime::MimeMessage) {
    rep.converted += 1;
    rep.bytes += m.bytes.len();
    rep.attachments += m.attachments.len() as u32;
    rep.embedded += m.attachments.iter().filter(|a| a.embedded).count() as u32;
    rep.placeholders += u32::from(m.placeholders > 0);
    rep.warnings.extend(m.warnings.iter().map(|w| Warning {
        id,
        subject: m.subject.clone(),
        warning: w.clone(),
    }));
}

/// Records a deferred or skipped item into its folder's report.
pub fn record_other(rep: &mut FolderReport, row: &MessageSummary, outcome: Outcome) {
    match outcome {
        Outcome::Deferred(class) | Outcome::Kept(class, _) => {
            rep.deferred.push(Deferred { id: row.nid, class })
        }
        Outcome::Skipped(reason) => rep.skipped.push(Skipped {
            id: row.nid,
            subject: row.subject.clone(),
            reason,
        }),
        Outcome::Mail(m) => record_mail(rep, row.nid, &m),
    }
}

/// Converts one contents-table row's message, deferring what is not mail.
fn convert_one(pst: &Pst, row: &MessageSummary) -> Outcome {
    if let Some(reason) = enter_item(row.nid) {
        return Outcome::Skipped(reason);
    }
    // The row names the class: items for later formats are not even opened.
    if !row.class.is_empty() && !crate::pst::messaging::well_known::is_mail_class(&row.class) {
        return Outcome::Deferred(row.class.clone());
    }
    let msg = match pst.message(row.nid) {
        Ok(m) => m,
        Err(e) => return Outcome::Skipped(format!("message unreadable: {e}")),
    };
    let class = msg.class(pst);
    if !crate::pst::messaging::well_known::is_mail_class(&class) {
        return Outcome::Deferred(class);
    }
    match mime::convert(pst, &msg) {
        Ok(m) => Outcome::Mail(Box::new(m)),
        Err(e) => Outcome::Skipped(e.to_string()),
    }
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.is_empty() {
        return "(no subject)".into();
    }
    s.chars().take(max).collect()
}
