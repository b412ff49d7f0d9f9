//! Differential test against the published outlook-pst crate (a dev-dependency, never our
//! reader): wherever it opens a file, every folder of the IPM subtree must agree — NIDs,
//! display names, content counts and (Unicode files) the subjects of its contents table.
//! Where it fails and we succeed is listed.

mod common;

use outlook_pst::ltp::prop_context::PropertyValue;
use outlook_pst::ltp::table_context::TableContext;
use outlook_pst::ndb::node_id::NodeId;
use std::collections::BTreeMap;
use std::rc::Rc;
use unpst::pst::Pst;

/// Per folder NID: display name, content count, and the subjects of its contents table.
type Folders = BTreeMap<u32, (Option<String>, Option<i32>, Vec<String>)>;

fn strip(s: String) -> String {
    unpst::pst::messaging::strip_subject_prefix(&s)
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
fn theirs(path: &std::path::Path) -> Result<Folders, String> {
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
            let name = match vals.get(&0x3001) {
                Some(PropertyValue::Unicode(s)) => Some(s.to_string()),
                _ => None,
            };
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
                    if let Some(PropertyValue::Unicode(s)) = v.get(&0x0037) {
                        subjects.push(strip(s.to_string()));
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

#[test]
fn ipm_folders_counts_and_subjects_agree_with_outlook_pst_where_it_succeeds() {
    let Some(dir) = common::corpus() else { return };
    let mut compared = 0;
    let mut messages = 0;
    let mut only_ours = Vec::new();
    for path in common::corpus_files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let pst = Pst::open_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tree = pst.folder_tree().unwrap();
        // In a thread with a deadline: outlook-pst can deadlock on its own file mutex.
        let p = path.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = std::panic::catch_unwind(move || theirs(&p))
                .unwrap_or_else(|_| Err("panicked".into()));
            let _ = tx.send(r);
        });
        let other = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|_| Err("no answer within 20 s (deadlock)".into()));
        let other = match other {
            Ok(o) => o,
            Err(e) => {
                only_ours.push(format!("{name}: outlook-pst: {e}"));
                continue;
            }
        };
        let top = tree
            .flatten()
            .into_iter()
            .find(|f| Some(f.nid) == pst.ipm_subtree)
            .expect("IPM subtree");
        let ours: BTreeMap<u32, &unpst::pst::FolderInfo> = top
            .flatten()
            .into_iter()
            .skip(1)
            .map(|f| (f.nid, f))
            .collect();
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            other.keys().collect::<Vec<_>>(),
            "{name}: IPM sub-folder NIDs"
        );
        for (nid, (n, c, subjects)) in &other {
            let f = ours[nid];
            if let Some(n) = n {
                assert_eq!(&f.name, n, "{name}: folder {nid:#x} name");
            }
            if let Some(c) = c {
                // PR_CONTENT_COUNT in the hierarchy row = rows of the folder's contents table.
                assert_eq!(f.items as i32, *c, "{name}: {} content count", f.name);
            }
            if pst.is_unicode() {
                let folder = pst.folder(f.nid).unwrap();
                let mut mine: Vec<String> = pst
                    .summaries(&folder, 0, usize::MAX)
                    .unwrap()
                    .into_iter()
                    .map(|m| m.subject)
                    // Rows without a subject cell: outlook-pst yields no value for them.
                    .filter(|s| !s.is_empty())
                    .collect();
                mine.sort();
                assert_eq!(&mine, subjects, "{name}: {} subjects", f.name);
                messages += subjects.len();
            }
        }
        compared += 1;
    }
    eprintln!("outlook-pst failed where unpst succeeded: {only_ours:#?}");
    // Measured: it rejects the OST (wMagicClient "SO"), which we read; it opens every PST.
    assert_eq!(only_ours.len(), 1, "{only_ours:?}");
    assert!(
        only_ours[0].starts_with("aspose-SampleOstFile.ost"),
        "{only_ours:?}"
    );
    assert_eq!(compared, 22);
    eprintln!("compared {compared} files, {messages} contents-table subjects");
    assert_eq!(messages, 118, "subjects compared in Unicode files");
}
