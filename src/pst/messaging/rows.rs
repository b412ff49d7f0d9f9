//! A folder's contents-table rows (MS-PST §2.4.4.5), read a page at a time so that memory
//! stays bounded however large the folder. The one walker every consumer pages with: an
//! unreadable folder or block of rows is recorded in [`Rows::error`] and the walk goes on
//! past it, so each consumer can report what it could not read.

use super::folder::{Folder, MessageSummary};
use super::store::Pst;
use crate::pst::ndb::Nid;
use std::collections::VecDeque;

/// Rows read at a time unless [`Rows::page_size`] says otherwise.
pub const PAGE: usize = 512;

/// How many messages ahead a [`Rows::hinting`] walk tells the source which blocks will be
/// read (see `ByteSource::prefetch`).
const LOOK_AHEAD: usize = 16;

/// An iterator over a folder's rows (or a range of them).
pub struct Rows<'a> {
    pst: &'a Pst,
    folder: Option<Folder>,
    total: usize,
    /// Next row to read, and one past the last.
    next: usize,
    end: usize,
    page_size: usize,
    page: VecDeque<MessageSummary>,
    /// Whether the row last returned began a newly read page.
    fresh: bool,
    /// Whether to tell the source what opening the coming rows' messages will read.
    hint: bool,
    /// The first problem: the folder, or a block of its rows, unreadable (those rows are
    /// missing from the walk).
    pub error: Option<String>,
}

impl<'a> Rows<'a> {
    /// Every row of the folder `nid`.
    pub fn new(pst: &'a Pst, nid: Nid) -> Self {
        match pst.folder(nid) {
            Ok(f) => Self::of(pst, f),
            Err(e) => {
                let mut r = Self::of_none(pst);
                r.error = Some(format!("folder unreadable: {e}"));
                r
            }
        }
    }

    /// Every row of an opened folder.
    pub fn of(pst: &'a Pst, folder: Folder) -> Self {
        let total = folder.contents.as_ref().map_or(0, |t| t.row_count());
        Self {
            total,
            end: total,
            folder: Some(folder),
            ..Self::of_none(pst)
        }
    }

    fn of_none(pst: &'a Pst) -> Self {
        Self {
            pst,
            folder: None,
            total: 0,
            next: 0,
            end: 0,
            page_size: PAGE,
            page: VecDeque::new(),
            fresh: false,
            hint: false,
            error: None,
        }
    }

    /// Only rows `start..start + count` (the others are not read; an unreadable block never
    /// shifts the window).
    pub fn range(mut self, start: usize, count: usize) -> Self {
        self.next = start.min(self.total);
        self.end = start.saturating_add(count).min(self.total);
        self
    }

    /// For a walk that opens each row's message: a slow source (the page's) is told ahead
    /// which blocks those messages will read, so it fetches them in the background.
    pub fn hinting(mut self) -> Self {
        self.hint = true;
        self
    }

    /// Rows read at a time.
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// How many rows the folder's contents table has.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The `k`-th row after the one last returned, if it is in the page read (for read-ahead).
    pub fn ahead(&self, k: usize) -> Option<&MessageSummary> {
        self.page.get(k)
    }

    /// Whether the row last returned began a newly read page: the rows from it on (it, then
    /// [`ahead`](Self::ahead)) are what that read brought.
    pub fn fresh(&self) -> bool {
        self.fresh
    }
}

impl Rows<'_> {
    /// Hints what opening `row` (just returned) and the rows after it will read.
    fn hint_ahead(&self, row: &MessageSummary) {
        let ndb = &self.pst.ndb;
        if self.fresh {
            // A page was just read: a slow source reads the blocks of its first messages
            // ahead, and what the first half of them point at.
            let nids: Vec<Nid> = std::iter::once(row.nid)
                .chain((0..LOOK_AHEAD - 1).map_while(|k| self.ahead(k).map(|r| r.nid)))
                .collect();
            ndb.hint_nodes(&nids);
            for &nid in nids.iter().take(LOOK_AHEAD / 2) {
                ndb.hint_children(nid);
            }
        }
        // Then, a row at a time, the blocks of the message LOOK_AHEAD rows on, and what the
        // one half as far points at (its blocks are read by now).
        if let Some(next) = self.ahead(LOOK_AHEAD - 1) {
            ndb.hint_nodes(&[next.nid]);
        }
        if let Some(next) = self.ahead(LOOK_AHEAD / 2 - 1) {
            ndb.hint_children(next.nid);
        }
    }

    fn next_row(&mut self) -> Option<MessageSummary> {
        self.fresh = false;
        loop {
            if let Some(row) = self.page.pop_front() {
                return Some(row);
            }
            let folder = self.folder.as_ref()?;
            if self.next >= self.end {
                return None;
            }
            let start = self.next;
            let n = self.page_size.min(self.end - start);
            self.next += n;
            match self.pst.summaries(folder, start, n) {
                Ok(rows) => {
                    self.page = rows.into();
                    self.fresh = true;
                }
                Err(e) => {
                    // One unreadable block of the row matrix: note its rows, go on.
                    self.error.get_or_insert(format!(
                        "contents table rows {start}..{} unreadable: {e}",
                        start + n
                    ));
                }
            }
        }
    }
}

impl Iterator for Rows<'_> {
    type Item = MessageSummary;

    fn next(&mut self) -> Option<MessageSummary> {
        let row = self.next_row()?;
        if self.hint {
            self.hint_ahead(&row);
        }
        Some(row)
    }
}
