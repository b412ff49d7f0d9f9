//! Which folders are written and under what names: the selection in tree order, the
//! output path of each folder (Thunderbird's `.sbd` layout for mbox), and unique, sanitized
//! file names per output directory.

use crate::error::Result;
use crate::pst::ndb::Nid;
use crate::pst::{FolderInfo, Pst};
use crate::sink::names::NameSet;
use std::collections::HashMap;

/// The folders to convert, in tree order, and how deep the top of the mailbox sits.
pub struct Selection {
    /// Each without its children (the tree order is kept).
    pub folders: Vec<FolderInfo>,
    /// Path length of the top of the visible mailbox (the IPM subtree), if found.
    pub top: Option<usize>,
}

/// Reads the folder tree and keeps the chosen folders (by NID; `None` = all).
pub fn select(pst: &Pst, only: Option<&[u32]>) -> Result<Selection> {
    let tree = pst.folder_tree()?;
    let flat = tree.flatten();
    let top = flat
        .iter()
        .find(|f| Some(f.nid) == pst.ipm_subtree || (pst.ipm_subtree.is_none() && f.ipm))
        .map(|f| f.path.len());
    let folders = flat
        .into_iter()
        .filter(|f| only.is_none_or(|s| s.contains(&f.nid.get())))
        .map(FolderInfo::clone_shallow)
        .collect();
    Ok(Selection { folders, top })
}

/// Folder paths as written: under the top of the mailbox (`top` components deep) they start
/// at its children — `Inbox`, `Inbox.sbd/Sub` — and the top's own messages go to a file named
/// after it; other folders keep their full path from the root.
pub fn output_path(f: &FolderInfo, top: Option<usize>) -> Vec<String> {
    match top {
        Some(d) if f.ipm && f.path.len() > d => f.path[d..].to_vec(),
        Some(_) if f.ipm => vec![f.name.clone()],
        _ => f.path.clone(),
    }
}

/// Whether a folder gets an output file: every folder of the visible mailbox (so the tree
/// keeps its shape) but its top; the top and everything else only when it holds items.
pub fn writes_files(f: &FolderInfo, top: Option<usize>) -> bool {
    let is_top = f.ipm && top.is_some_and(|d| f.path.len() == d);
    !f.path.is_empty() && (f.items > 0 || (f.ipm && !is_top))
}

/// Allocates unique, sanitized names per output directory.
#[derive(Default)]
pub(super) struct Layout {
    dirs: HashMap<Vec<String>, NameSet>,
    /// Folder path → its directory: the last folder of that path named so far.
    folders: HashMap<Vec<String>, Vec<String>>,
    /// Each named folder's directory, and which folder a path last named.
    by_id: HashMap<Nid, Vec<String>>,
    named: HashMap<Vec<String>, Nid>,
}

impl Layout {
    /// The sanitized path of a folder, as file-system components (mbox uses `.sbd` parents).
    /// `id`: the folder itself (its node), when `path` is the folder's own and not one of its
    /// parents'. Two sibling folders may have one name: the second gets a name of its own
    /// (they would write one file), and the folders after it in tree order — its own
    /// subfolders — go below it.
    pub(super) fn folder(&mut self, path: &[String], id: Option<Nid>, sbd: bool) -> Vec<String> {
        if let Some(done) = id.and_then(|n| self.by_id.get(&n)) {
            return done.clone();
        }
        if let Some(n) = id
            && self.named.get(path).is_some_and(|&other| other != n)
        {
            self.folders.remove(path);
        }
        let out = self.claim_folder(path, sbd);
        if let Some(n) = id {
            self.by_id.insert(n, out.clone());
            self.named.insert(path.to_vec(), n);
        }
        out
    }

    fn claim_folder(&mut self, path: &[String], sbd: bool) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..path.len() {
            let key = path[..=i].to_vec();
            if let Some(done) = self.folders.get(&key) {
                out = done.clone();
                continue;
            }
            let mut parent = out.clone();
            if sbd && let Some(last) = parent.last_mut() {
                last.push_str(".sbd");
            }
            let name = self.dirs.entry(parent.clone()).or_default().claim(
                &path[i],
                "",
                sbd.then_some(".sbd"),
            );
            parent.push(name);
            self.folders.insert(key, parent.clone());
            out = parent;
        }
        out
    }

    /// A layout holding only the names used in `dir`, taken out of this one (see
    /// [`Layout::put_dir`]): what one folder's files need, movable to another thread.
    pub(super) fn take_dir(&mut self, dir: &[String]) -> Layout {
        let mut out = Layout::default();
        if let Some(set) = self.dirs.remove(dir) {
            out.dirs.insert(dir.to_vec(), set);
        }
        out
    }

    /// Puts back the names of a layout from [`Layout::take_dir`], with those claimed since.
    pub(super) fn put_dir(&mut self, taken: Layout) {
        self.dirs.extend(taken.dirs);
    }

    pub(super) fn file(&mut self, dir: &[String], name: &str, ext: &str) -> Vec<String> {
        let n = self
            .dirs
            .entry(dir.to_vec())
            .or_default()
            .claim(name, ext, None);
        let mut p = dir.to_vec();
        p.push(n);
        p
    }
}
