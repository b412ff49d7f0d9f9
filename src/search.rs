//! Full-text search of message bodies: an index built a few messages at a time (so a viewer
//! can answer while it grows) within a fixed memory budget. Bodies come from the message's
//! own properties (MS-OXCMSG PidTagBody; else the HTML or RTF body as text, see
//! [`crate::mime::body`]), without building the MIME message.

use crate::pst::Pst;
use crate::pst::messaging::Nid;
use crate::pst::messaging::{FolderInfo, Rows};

/// Text kept per message: the start of a body is what people search for.
const PER_MESSAGE: usize = 16 << 10;

pub struct BodyIndex {
    /// Folders to index (nid, rows), in tree order.
    folders: Vec<(Nid, usize)>,
    /// Position: folder index and row within it.
    folder: usize,
    row: usize,
    /// (message nid, its body text lowercased, at most [`PER_MESSAGE`] bytes).
    entries: Vec<(Nid, Box<str>)>,
    pub bytes: usize,
    budget: usize,
    pub total: usize,
    /// Set when the budget was reached: the rest of the file is not indexed.
    pub limited: bool,
    /// Rows that could not be listed (an unreadable block of a contents table): their
    /// messages cannot be found.
    pub unreadable: usize,
}

/// How far the index got.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct IndexState {
    pub indexed: usize,
    pub total: usize,
    pub complete: bool,
    pub limited: bool,
    pub unreadable: usize,
}

impl BodyIndex {
    /// An empty index over every folder of `tree`, holding at most `budget` bytes of text.
    pub fn new(tree: &FolderInfo, budget: usize) -> Self {
        let mut folders = Vec::new();
        let mut work = vec![tree];
        while let Some(f) = work.pop() {
            if f.items > 0 {
                folders.push((f.nid, f.items as usize));
            }
            work.extend(f.children.iter().rev());
        }
        let total = folders.iter().map(|f| f.1).sum();
        Self {
            folders,
            folder: 0,
            row: 0,
            entries: Vec::new(),
            bytes: 0,
            budget,
            total,
            limited: false,
            unreadable: 0,
        }
    }

    pub fn state(&self) -> IndexState {
        IndexState {
            indexed: self.entries.len(),
            total: self.total,
            complete: self.folder >= self.folders.len() || self.limited,
            limited: self.limited,
            unreadable: self.unreadable,
        }
    }

    /// Indexes up to `n` more messages. A message or rows that cannot be read are passed
    /// over (the conversion reports them; search cannot find them): unreadable rows are
    /// counted in [`IndexState::unreadable`].
    pub fn step(&mut self, pst: &Pst, n: usize) -> IndexState {
        let mut left = n;
        while left > 0 && !self.state().complete {
            let (nid, rows) = self.folders[self.folder];
            if self.row >= rows {
                self.folder += 1;
                self.row = 0;
                continue;
            }
            let take = left.min(rows - self.row).min(100);
            let mut rows = Rows::new(pst, nid).range(self.row, take).page_size(take);
            let summaries: Vec<_> = rows.by_ref().collect();
            if rows.error.is_some() {
                self.unreadable += take - summaries.len();
            }
            self.row += take;
            left -= take;
            // A slow source (the page) reads these messages ahead while the first are read.
            let nids: Vec<Nid> = summaries.iter().map(|s| s.nid).collect();
            pst.ndb.hint_nodes(&nids);
            for s in summaries {
                let text = body_text(pst, s.nid);
                if text.is_empty() {
                    continue;
                }
                if self.bytes + text.len() > self.budget {
                    self.limited = true;
                    break;
                }
                self.bytes += text.len();
                self.entries.push((s.nid, text.into_boxed_str()));
            }
        }
        self.state()
    }

    /// The messages whose indexed body contains `query` (case-insensitive), at most `limit`.
    pub fn find(&self, query: &str, limit: usize) -> Vec<Nid> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        self.entries
            .iter()
            .filter(|(_, text)| text.contains(q.as_str()))
            .map(|(nid, _)| *nid)
            .take(limit)
            .collect()
    }
}

/// A message's body as lowercased plain text, cut at [`PER_MESSAGE`] bytes.
fn body_text(pst: &Pst, nid: Nid) -> String {
    let Ok(msg) = pst.message(nid) else {
        return String::new();
    };
    let mut text = match msg.string(pst, crate::pst::messaging::props::BODY) {
        Some(t) if !t.trim().is_empty() => t,
        _ => {
            let body = crate::mime::body::read(pst, &msg, &mut Vec::new());
            body.text
                .or_else(|| body.html.map(|h| crate::mime::body::text_of(&h)))
                .unwrap_or_default()
        }
    };
    if text.len() > PER_MESSAGE {
        let mut end = PER_MESSAGE;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text.to_lowercase()
}
