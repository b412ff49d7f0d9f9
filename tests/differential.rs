//! Differential test against the published outlook-pst crate (a dev-dependency, never our
//! reader): wherever it opens a file, every folder of the IPM subtree must agree — NIDs,
//! display names (an ANSI file's in its code page), content counts and (Unicode files) the
//! subjects of its contents table.
//! Where it fails and we succeed is listed.

mod common;

use common::outlook::theirs_within;
use std::collections::BTreeMap;
use unpst::pst::Pst;

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
        let other = theirs_within(&path, 20);
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
            .map(|f| (f.nid.get(), f))
            .collect();
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            other.keys().collect::<Vec<_>>(),
            "{name}: IPM sub-folder NIDs"
        );
        for (nid, (n, c, subjects)) in &other {
            let f = ours[nid];
            if let Some(n) = n {
                // outlook-pst reads an 8-bit string as Latin-1, whatever the code page: its
                // bytes, decoded with the file's code page, are the name.
                let n = if pst.is_unicode() {
                    n.clone()
                } else {
                    let bytes: Vec<u8> = n.chars().map(|c| c as u32 as u8).collect();
                    let enc = unpst::codepage::encoding_for_codepage(pst.codepage);
                    enc.decode_without_bom_handling(&bytes).0.into_owned()
                };
                assert_eq!(f.name, n, "{name}: folder {nid:#x} name");
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
