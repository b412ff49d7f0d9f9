//! The published outlook-pst crate as an oracle (a dev-dependency, never our reader): the
//! IPM subtree's folders with names, content counts and contents-table subjects.

use outlook_pst::ltp::prop_context::PropertyValue;
use outlook_pst::ltp::table_context::TableContext;
use outlook_pst::ndb::node_id::NodeId;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Per folder NID: display name, content count, and the subjects of its contents table.
pub type Folders = BTreeMap<u32, (Option<String>, Option<i32>, Vec<String>)>;

fn strip(s: String) -> String {
    unpst::pst::messaging::strip_subject_prefix(&s)
}

/// A string value: Unicode, or 8-bit as outlook-pst decodes it (an ANSI file's).
fn text(v: Option<&PropertyValue>) -> Option<String> {
    match v? {
        PropertyValue::Unicode(s) => Some(s.to_string()),
        PropertyValue::String8(s) => Some(s.to_string()),
        _ => None,
    }
}

/// Rows of a table as (row id, {property id: value}).
type Rows = Vec<(u32, BTreeMap<u16, PropertyValue>)>;

fn rows(table: &Rc<dyn TableContext>) -> Result<Rows, String> {
    let context = table.context();
    let mut out = Vec::new();
    for row in table.rows_matrix() {
        let mut vals = BTreeMap::new();
        for (col, value) in context
            .columns()
            .iter()
            .zip(row.columns(context).map_err(|e| e.to_string())?)
        {
            let Some(value) = value else { continue };
            if let Ok(v) = table.read_column(&value, col.prop_type()) {
                vals.insert(col.prop_id(), v);
            }
        }
        out.push((u32::from(row.id()), vals));
    }
    Ok(out)
}

/// The IPM subtree as outlook-pst sees it (its store-level root hierarchy table deadlocks on
/// its own file mutex, so we start from the IPM subtree folder, as its own example does).
pub fn theirs(path: &std::path::Path) -> Result<Folders, String> {
    let store = outlook_pst::open_store(path).map_err(|e| e.to_string())?;
    let top = store
        .properties()
        .ipm_sub_tree_entry_id()
        .map_err(|e| e.to_string())?;
    let mut out = Folders::new();
    let mut stack = vec![store.open_folder(&top).map_err(|e| e.to_string())?];
    while let Some(folder) = stack.pop() {
        let Some(h) = folder.hierarchy_table() else {
            continue;
        };
        for (id, vals) in rows(h)? {
            let name = text(vals.get(&0x3001));
            let count = match vals.get(&0x3602) {
                Some(PropertyValue::Integer32(n)) => Some(*n),
                _ => None,
            };
            let entry = store
                .properties()
                .make_entry_id(NodeId::from(id))
                .map_err(|e| e.to_string())?;
            let child = store
                .open_folder(&entry)
                .map_err(|e| format!("folder {id:#x}: {e}"))?;
            let mut subjects = Vec::new();
            if let Some(c) = child.contents_table() {
                for (_, v) in rows(c)? {
                    if let Some(s) = text(v.get(&0x0037)) {
                        subjects.push(strip(s));
                    }
                }
            }
            subjects.retain(|s| !s.is_empty());
            subjects.sort();
            out.insert(id, (name, count, subjects));
            if out.len() > 1000 {
                return Err("folder loop".into());
            }
            stack.push(child);
        }
    }
    Ok(out)
}

/// [`theirs`] in a thread with a deadline: outlook-pst can deadlock on its own file mutex.
pub fn theirs_within(path: &std::path::Path, secs: u64) -> Result<Folders, String> {
    let p = path.to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r =
            std::panic::catch_unwind(move || theirs(&p)).unwrap_or_else(|_| Err("panicked".into()));
        let _ = tx.send(r);
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .unwrap_or_else(|_| Err(format!("no answer within {secs} s (deadlock)")))
}

/// Every contents-table row's message class, read by outlook-pst from the folders `nids`
/// (any folder, inside the IPM subtree or not): row id (the message's NID) → class.
pub fn classes(path: &std::path::Path, nids: &[u32]) -> Result<BTreeMap<u32, String>, String> {
    let store = outlook_pst::open_store(path).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for &nid in nids {
        let entry = store
            .properties()
            .make_entry_id(NodeId::from(nid))
            .map_err(|e| e.to_string())?;
        let folder = store
            .open_folder(&entry)
            .map_err(|e| format!("folder {nid:#x}: {e}"))?;
        let Some(c) = folder.contents_table() else {
            continue;
        };
        for (id, v) in rows(c)? {
            match v.get(&0x001A) {
                Some(PropertyValue::Unicode(s)) => out.insert(id, s.to_string()),
                Some(PropertyValue::String8(s)) => out.insert(id, s.to_string()),
                _ => None,
            };
        }
    }
    Ok(out)
}

/// [`classes`] in a thread with a deadline (see [`theirs_within`]).
pub fn classes_within(
    path: &std::path::Path,
    nids: Vec<u32>,
    secs: u64,
) -> Result<BTreeMap<u32, String>, String> {
    let p = path.to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(move || classes(&p, &nids))
            .unwrap_or_else(|_| Err("panicked".into()));
        let _ = tx.send(r);
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .unwrap_or_else(|_| Err(format!("no answer within {secs} s (deadlock)")))
}
