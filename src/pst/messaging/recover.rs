//! Items no folder lists any more: messages the live node B-tree has but no contents table
//! names (orphans), and deleted or older versions of messages that B-tree pages in the freed
//! space still map to blocks that were not written over ([`crate::pst::ndb::freed`]).

use super::message::Message;
use super::object::Object;
use super::store::Pst;
use crate::error::Result;
use crate::pst::ndb::freed::Freed;
use crate::pst::ndb::{Nid, NidType, NodeEntry};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Why an item is a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// In the node B-tree, in no folder's contents table.
    Orphan,
    /// Only in freed B-tree pages: deleted, or an older version of a live message.
    Freed,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Orphan => "orphan",
            Origin::Freed => "freed",
        }
    }
}

/// An item to try to recover.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub entry: NodeEntry,
    pub origin: Origin,
    /// The folder its entry names as parent, when that folder is still in the tree.
    pub folder: Option<String>,
    /// The live message of the same node id (a freed older version's current one).
    pub live: bool,
}

/// The candidates of a file, with the scan that found them (its blocks are read with it).
pub struct Recovery {
    pub candidates: Vec<Candidate>,
    pub freed: Rc<Freed>,
    /// The live messages by subject: what a recovered item may be a copy of.
    pub live_by_subject: HashMap<String, Vec<Nid>>,
}

impl Pst {
    /// The items no folder lists: the file is scanned the first time (every page read once),
    /// and what it found kept for the next (the page shows them, then converts them).
    pub fn recovery(&self) -> Result<Rc<Recovery>> {
        if let Some(r) = self.recovery.get() {
            return Ok(r.clone());
        }
        let r = Rc::new(self.scan_recovery()?);
        Ok(self.recovery.get_or_init(|| r).clone())
    }

    fn scan_recovery(&self) -> Result<Recovery> {
        let tree = self.folder_tree()?;
        let folders = tree.flatten();
        let mut listed: HashSet<Nid> = HashSet::new();
        let mut live_by_subject: HashMap<String, Vec<Nid>> = HashMap::new();
        for f in &folders {
            if let Ok(folder) = self.folder(f.nid) {
                for row in self.summaries(&folder, 0, usize::MAX).unwrap_or_default() {
                    listed.insert(row.nid);
                    live_by_subject
                        .entry(row.subject)
                        .or_default()
                        .push(row.nid);
                }
            }
        }
        let name_of = |parent: u32| {
            folders
                .iter()
                .find(|f| f.nid.get() == parent)
                .map(|f| f.path.join("/"))
        };
        let mut candidates = Vec::new();
        let mut live = HashSet::new();
        self.ndb.walk_nodes(|e| {
            live.insert(e.nid);
            if e.nid.kind() == NidType::NormalMessage && !listed.contains(&e.nid) {
                candidates.push(Candidate {
                    entry: e,
                    origin: Origin::Orphan,
                    folder: name_of(e.nid_parent),
                    live: false,
                });
            }
            true
        })?;
        let freed = self.ndb.scan_freed()?;
        for &e in &freed.nodes {
            candidates.push(Candidate {
                entry: e,
                origin: Origin::Freed,
                folder: name_of(e.nid_parent),
                live: live.contains(&e.nid),
            });
        }
        Ok(Recovery {
            candidates,
            freed: Rc::new(freed),
            live_by_subject,
        })
    }

    /// Opens a candidate as a message. Only inside [`Ndb::reading_freed`] can its freed
    /// blocks be read.
    ///
    /// [`Ndb::reading_freed`]: crate::pst::ndb::Ndb::reading_freed
    pub fn candidate_message(&self, c: &Candidate) -> Result<Message> {
        let obj = Object::read(&self.ndb, c.entry.bid_data, c.entry.bid_sub)?;
        Ok(Message::new(c.entry.nid, obj, self.codepage))
    }
}
