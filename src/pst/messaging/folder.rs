//! Folders (MS-PST §2.4.4): folder objects, hierarchy tables and contents tables.

use super::object::{Object, string_value};
use super::props;
use super::store::Pst;
use crate::error::{Error, Result};
use crate::pst::ltp::prop::{PT_I32, PropData};
use crate::pst::ltp::{Heap, TableContext};
use crate::pst::ndb::{Nid, NidType};
use serde::Serialize;
use std::collections::HashSet;

/// Deeper folder trees than this are treated as corrupt (Outlook allows far fewer levels).
const MAX_FOLDER_DEPTH: usize = 300;

/// One folder of the hierarchy, with its children.
#[derive(Debug, Clone, Serialize)]
pub struct FolderInfo {
    pub nid: Nid,
    pub name: String,
    /// Names from the root folder down to this one (the root itself has an empty path).
    pub path: Vec<String>,
    /// Rows in its contents table.
    pub items: u32,
    pub unread: u32,
    /// Rows in its associated (hidden) contents table.
    pub associated: u32,
    pub class: String,
    pub search: bool,
    /// Under the IPM subtree (the part of the mailbox the user sees), or the subtree itself.
    pub ipm: bool,
    /// Why the folder or its tables could not be read.
    pub error: Option<String>,
    #[serde(skip)]
    pub has_subfolders: bool,
    pub children: Vec<FolderInfo>,
}

impl FolderInfo {
    /// This folder and all below it, depth first.
    /// This folder's own fields, without its subtree.
    pub fn clone_shallow(&self) -> FolderInfo {
        FolderInfo {
            name: self.name.clone(),
            path: self.path.clone(),
            class: self.class.clone(),
            error: self.error.clone(),
            children: Vec::new(),
            ..*self
        }
    }

    pub fn flatten(&self) -> Vec<&FolderInfo> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(f) = stack.pop() {
            out.push(f);
            for c in f.children.iter().rev() {
                stack.push(c);
            }
        }
        out
    }
}

/// A row of a contents table: what a message list shows, without opening the message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageSummary {
    /// [`Nid::NONE`] when the row names no node of a defined type: opening it fails.
    pub nid: Nid,
    pub subject: String,
    pub sender: String,
    /// The display names of the To recipients (PidTagDisplayTo), as the list shows them.
    pub to: String,
    pub delivery_time: Option<i64>,
    pub flags: u32,
    pub size: u32,
    pub class: String,
    pub has_attachments: bool,
}

/// An open folder: its properties and contents table.
pub struct Folder {
    pub nid: Nid,
    pub obj: Object,
    pub contents: Option<TableContext>,
}

impl Pst {
    fn table(&self, table_nid: Nid) -> Result<TableContext> {
        let e = self.ndb.find_node(table_nid)?;
        let heap = Heap::read(&self.ndb, e.bid_data)?;
        let subnodes = self.ndb.read_subnodes(e.bid_sub)?;
        TableContext::parse(&self.ndb, heap, &subnodes)
    }

    /// Opens a folder and its contents table.
    pub fn folder(&self, folder_nid: Nid) -> Result<Folder> {
        let e = self.ndb.find_node(folder_nid)?;
        let obj = Object::read(&self.ndb, e.bid_data, e.bid_sub)?;
        let contents = if folder_nid.kind() == NidType::NormalFolder {
            match self.table(folder_nid.with_kind(NidType::ContentsTable)) {
                Ok(t) => Some(t),
                Err(Error::NodeNotFound(_)) => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        Ok(Folder {
            nid: folder_nid,
            obj,
            contents,
        })
    }

    /// The raw NIDs of a folder's sub-folders, from its hierarchy table.
    fn child_folders(&self, folder_nid: Nid, has_subfolders: bool) -> Result<Vec<u32>> {
        let t = match self.table(folder_nid.with_kind(NidType::HierarchyTable)) {
            Ok(t) => t,
            Err(Error::NodeNotFound(n)) if has_subfolders => {
                return Err(Error::Other(format!(
                    "the folder says it has sub-folders but its hierarchy table (node {n:#x}) is missing"
                )));
            }
            Err(Error::NodeNotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        t.row_ids(&self.ndb)
    }

    /// The whole folder tree from the root folder. Folders that cannot be read keep their
    /// place with an `error`; cycles and absurd depths are cut.
    pub fn folder_tree(&self) -> Result<FolderInfo> {
        let mut seen = HashSet::new();
        let mut root = self.folder_info(Nid::ROOT_FOLDER, Vec::new(), false)?;
        root.name.clear();
        root.path.clear();
        seen.insert(Nid::ROOT_FOLDER.get());
        // Iterative build: a work list of (path of child indexes, nid).
        let mut work: Vec<Vec<usize>> = vec![Vec::new()];
        while let Some(pos) = work.pop() {
            let node = descend_mut(&mut root, &pos);
            if pos.len() >= MAX_FOLDER_DEPTH {
                node.error = Some("folder tree too deep; sub-folders not read".into());
                continue;
            }
            let kids = match self.child_folders(node.nid, node.has_subfolders) {
                Ok(k) => k,
                Err(e) => {
                    node.error
                        .get_or_insert(format!("hierarchy table unreadable: {e}"));
                    continue;
                }
            };
            let parent_path = node.path.clone();
            let parent_ipm = node.ipm;
            let mut infos = Vec::new();
            for k in kids {
                if !seen.insert(k) {
                    continue;
                }
                let info = Nid::try_from(k)
                    .map_err(|e| Error::Other(e.to_string()))
                    .and_then(|nid| self.folder_info(nid, parent_path.clone(), parent_ipm))
                    .unwrap_or_else(|e| unreadable(k, parent_path.clone(), parent_ipm, e));
                infos.push(info);
            }
            let node = descend_mut(&mut root, &pos);
            let n = infos.len();
            node.children = infos;
            for i in (0..n).rev() {
                let mut p = pos.clone();
                p.push(i);
                work.push(p);
            }
        }
        if !root.flatten().iter().any(|f| f.ipm) {
            mark_ost_ipm_subtree(&mut root);
        }
        Ok(root)
    }

    fn folder_info(
        &self,
        folder_nid: Nid,
        mut path: Vec<String>,
        parent_ipm: bool,
    ) -> Result<FolderInfo> {
        let f = self.folder(folder_nid)?;
        let name = f
            .obj
            .string(&self.ndb, props::DISPLAY_NAME, self.codepage)
            .unwrap_or_default();
        path.push(name.clone());
        let assoc = if folder_nid.kind() == NidType::NormalFolder {
            self.table(folder_nid.with_kind(NidType::AssocContentsTable))
                .map(|t| t.row_count() as u32)
                .unwrap_or(0)
        } else {
            0
        };
        let items = f.contents.as_ref().map_or(0, |t| t.row_count() as u32);
        // PR_CONTENT_COUNT is the folder's own count: fewer rows than that means lost items.
        let declared = f.obj.i32(props::CONTENT_COUNT).unwrap_or(0).max(0) as u32;
        // (Search folders list their hits elsewhere: their count says nothing here.)
        let search = folder_nid.kind() == NidType::SearchFolder;
        let error = (declared > items && !search).then(|| {
            format!(
                "the folder says it holds {declared} items but its contents table has {}",
                if f.contents.is_some() {
                    format!("{items} rows")
                } else {
                    "gone missing".into()
                }
            )
        });
        Ok(FolderInfo {
            nid: folder_nid,
            name,
            path,
            items,
            unread: f.obj.i32(props::CONTENT_UNREAD).unwrap_or(0).max(0) as u32,
            associated: assoc,
            class: f
                .obj
                .string(&self.ndb, props::CONTAINER_CLASS, self.codepage)
                .unwrap_or_default(),
            search,
            ipm: parent_ipm || Some(folder_nid) == self.ipm_subtree,
            error,
            has_subfolders: f.obj.bool(props::SUBFOLDERS).unwrap_or(false),
            children: Vec::new(),
        })
    }

    /// Summaries of `count` messages of a folder's contents table from row `start`.
    pub fn summaries(
        &self,
        folder: &Folder,
        start: usize,
        count: usize,
    ) -> Result<Vec<MessageSummary>> {
        let Some(t) = &folder.contents else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for row in t.rows_in(&self.ndb, start, count)? {
            out.push(self.summary(t, &row)?);
        }
        Ok(out)
    }

    /// Every row's message NID, in table order ([`Nid::NONE`] for a row naming none).
    pub fn message_ids(&self, folder: &Folder) -> Result<Vec<Nid>> {
        let Some(t) = &folder.contents else {
            return Ok(Vec::new());
        };
        Ok(t.row_ids(&self.ndb)?
            .into_iter()
            .map(|raw| Nid::try_from(raw).unwrap_or(Nid::NONE))
            .collect())
    }

    fn summary(&self, t: &TableContext, row: &crate::pst::ltp::tc::Row) -> Result<MessageSummary> {
        let string = |id: u16| -> String {
            match t.cell_by_id(&self.ndb, row, id) {
                Ok(Some((ty, PropData::Bytes(b)))) => {
                    string_value(ty, &b, self.codepage).unwrap_or_default()
                }
                _ => String::new(),
            }
        };
        let int = |id: u16| -> Option<i64> {
            match t.cell_by_id(&self.ndb, row, id) {
                Ok(Some((PT_I32, PropData::Bytes(b)))) if b.len() >= 4 => {
                    Some(i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64)
                }
                Ok(Some((0x0040, PropData::Bytes(b)))) if b.len() >= 8 => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(&b[..8]);
                    Some(i64::from_le_bytes(a))
                }
                _ => None,
            }
        };
        let flags = int(props::MESSAGE_FLAGS).unwrap_or(0) as u32;
        Ok(MessageSummary {
            nid: int(props::ROW_ID)
                .and_then(|raw| Nid::try_from(raw as u32).ok())
                .unwrap_or(Nid::NONE),
            subject: crate::pst::messaging::message::strip_subject_prefix(&string(props::SUBJECT)),
            // Contents tables usually carry the "From" column (sent-representing name).
            sender: Some(string(props::SENT_REPRESENTING_NAME))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| string(props::SENDER_NAME)),
            to: string(props::DISPLAY_TO),
            delivery_time: int(props::MESSAGE_DELIVERY_TIME).and_then(super::filetime_to_unix),
            flags,
            size: int(props::MESSAGE_SIZE).unwrap_or(0) as u32,
            class: string(props::MESSAGE_CLASS),
            has_attachments: flags & 0x10 != 0,
        })
    }
}

/// What the tree shows for a sub-folder that cannot be read (raw NID `k`): its place, and why.
fn unreadable(k: u32, mut path: Vec<String>, ipm: bool, e: Error) -> FolderInfo {
    path.push(format!("folder {k:#x}"));
    FolderInfo {
        nid: Nid::try_from(k).unwrap_or(Nid::NONE),
        name: format!("folder {k:#x}"),
        path,
        items: 0,
        unread: 0,
        associated: 0,
        class: String::new(),
        search: k & 0x1f == NidType::SearchFolder as u32,
        ipm,
        error: Some(format!("folder unreadable: {e}")),
        has_subfolders: false,
        children: Vec::new(),
    }
}

/// OSTs name no IPM subtree in their store: the folder called IPM_SUBTREE under the mailbox
/// root is the top of the mailbox there; it and all below it are marked.
fn mark_ost_ipm_subtree(root: &mut FolderInfo) {
    let mut queue: Vec<&mut FolderInfo> = vec![root];
    let mut found: Option<&mut FolderInfo> = None;
    while let Some(f) = queue.pop() {
        if f.name == "IPM_SUBTREE" && f.path.len() <= 2 {
            found = Some(f);
            break;
        }
        queue.extend(f.children.iter_mut());
    }
    if let Some(top) = found {
        let mut stack = vec![top];
        while let Some(f) = stack.pop() {
            f.ipm = true;
            stack.extend(f.children.iter_mut());
        }
    }
}

fn descend_mut<'a>(root: &'a mut FolderInfo, pos: &[usize]) -> &'a mut FolderInfo {
    let mut node = root;
    for &i in pos {
        node = &mut node.children[i];
    }
    node
}
