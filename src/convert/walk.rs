//! The one contents-table walker: a folder's items read a page of rows at a time and
//! converted one by one (MS-PST §2.4.4.5, the contents table), with what became of each
//! recorded into the folder's report. Every consumer — the mbox and EML passes, the IMAP
//! upload, the page — walks folders with it.

use super::recovery::enter_item;
use crate::mime;
use crate::pst::Pst;
use crate::pst::messaging::MessageSummary;
use crate::report::{Deferred, FolderReport, Skipped, Warning};

/// Contents-table rows are read this many at a time (bounded memory for huge folders).
pub(super) const PAGE: usize = 512;
/// How many messages ahead the source is told which blocks will be read (see
/// `ByteSource::prefetch`).
const LOOK_AHEAD: usize = 16;

/// What became of one contents-table row.
pub enum Outcome {
    Mail(Box<mime::MimeMessage>),
    /// Not mail: kept for the contacts / calendar formats (the message class).
    Deferred(String),
    /// Unreadable or unconvertible (the reason).
    Skipped(String),
}

/// The items of one folder, converted one at a time: contents-table rows are read a page
/// at a time, so memory stays bounded however large the folder. Every consumer — the
/// mbox and EML passes, IMAP upload, the page — walks folders with this.
pub struct FolderItems<'a> {
    pst: &'a Pst,
    folder: Option<crate::pst::messaging::Folder>,
    rows_total: usize,
    start: usize,
    /// One past the last row to read.
    end: usize,
    page: std::collections::VecDeque<MessageSummary>,
    /// The first problem reading the folder or its table (its rows are then missing).
    pub error: Option<String>,
}

impl<'a> FolderItems<'a> {
    pub fn new(pst: &'a Pst, nid: u32) -> Self {
        let (folder, error) = match pst.folder(nid) {
            Ok(fo) => (Some(fo), None),
            Err(e) => (None, Some(format!("folder unreadable: {e}"))),
        };
        let rows_total = folder
            .as_ref()
            .and_then(|fo| fo.contents.as_ref())
            .map_or(0, |t| t.row_count());
        Self {
            pst,
            folder,
            rows_total,
            start: 0,
            end: rows_total,
            page: Default::default(),
            error,
        }
    }
}

impl FolderItems<'_> {
    /// Only rows `start..start + count`, without reading the others (the page converts a
    /// folder a few rows per call; an unreadable row block never shifts the window).
    pub fn rows(mut self, start: usize, count: usize) -> Self {
        self.start = start;
        self.end = start.saturating_add(count).min(self.rows_total);
        self
    }
}

impl Iterator for FolderItems<'_> {
    type Item = (MessageSummary, Outcome);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.page.pop_front() {
                // A slow source reads ahead, in two steps: the blocks of the message
                // LOOK_AHEAD rows on, and what the one half as far points at (its blocks
                // are read by now).
                if let Some(next) = self.page.get(LOOK_AHEAD - 1) {
                    self.pst.ndb.hint_nodes(&[next.nid]);
                }
                if let Some(next) = self.page.get(LOOK_AHEAD / 2 - 1) {
                    self.pst.ndb.hint_children(next.nid);
                }
                let outcome = convert_one(self.pst, &row);
                return Some((row, outcome));
            }
            let fo = self.folder.as_ref()?;
            if self.start >= self.end {
                return None;
            }
            let start = self.start;
            let n = PAGE.min(self.end - start);
            self.start += n;
            match self.pst.summaries(fo, start, n) {
                Ok(rows) => {
                    let nids: Vec<u32> = rows.iter().map(|r| r.nid).collect();
                    self.pst.ndb.hint_nodes(&nids[..nids.len().min(LOOK_AHEAD)]);
                    for &nid in nids.iter().take(LOOK_AHEAD / 2) {
                        self.pst.ndb.hint_children(nid);
                    }
                    self.page = rows.into();
                }
                Err(e) => {
                    // One unreadable block of the row matrix: report its rows, go on.
                    self.error.get_or_insert(format!(
                        "contents table rows {start}..{} unreadable: {e}",
                        start + n
                    ));
                }
            }
        }
    }
}

/// Counts a converted message into its folder's report.
pub fn record_mail(rep: &mut FolderReport, id: u32, m: &mime::MimeMessage) {
    rep.converted += 1;
    rep.bytes += m.bytes.len() as u64;
    rep.attachments += m.attachments.len() as u32;
    rep.embedded += m.attachments.iter().filter(|a| a.embedded).count() as u32;
    rep.warnings.extend(m.warnings.iter().map(|w| Warning {
        id,
        subject: m.subject.clone(),
        warning: w.clone(),
    }));
}

/// Records a deferred or skipped item into its folder's report.
pub fn record_other(rep: &mut FolderReport, row: &MessageSummary, outcome: Outcome) {
    match outcome {
        Outcome::Deferred(class) => rep.deferred.push(Deferred { id: row.nid, class }),
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
