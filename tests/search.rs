//! Full-text body search (the page's search box searches bodies as this index grows).

mod common;

use unpst::pst::Pst;
use unpst::search::BodyIndex;

fn subjects(pst: &Pst, nids: &[unpst::pst::messaging::Nid]) -> Vec<String> {
    nids.iter()
        .map(|&n| {
            let m = pst.message(n).unwrap();
            // Stored subjects may start with the \x01 + prefix-length marker.
            let s = m
                .string(pst, unpst::pst::messaging::props::SUBJECT)
                .unwrap_or_default();
            s.trim_start_matches(|c: char| c < ' ').to_string()
        })
        .collect()
}

#[test]
fn finds_words_only_the_body_has() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let pst = Pst::open_path(corpus.join("tika-testPST.pst")).unwrap();
    let tree = pst.folder_tree().unwrap();
    let mut index = BodyIndex::new(&tree, usize::MAX);
    // Small steps: the result must not depend on how the work was cut.
    while !index.step(&pst, 2).complete {}
    let state = index.state();
    assert_eq!((state.indexed, state.total, state.limited), (7, 7, false));
    // Words in exactly one body and in no subject, sender or recipient (Python's email
    // module on the exported .eml files agrees); case does not matter.
    assert_eq!(
        subjects(&pst, &index.find("CHMLZXBlock", 10)),
        ["[jira] [Commented] (TIKA-1250) Process loops infintely processing a CHM file"]
    );
    assert_eq!(
        subjects(&pst, &index.find("verifyerror", 10)),
        ["Re: init tokenizer fails: \"Bad type in putfield/putstatic\""]
    );
    assert!(index.find("no such word anywhere", 10).is_empty());
    assert!(index.find("   ", 10).is_empty());
}

#[test]
fn the_memory_budget_stops_indexing_and_says_so() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let pst = Pst::open_path(corpus.join("pst2john-2003-no-encryption-quickquick.pst")).unwrap();
    let tree = pst.folder_tree().unwrap();
    let mut all = BodyIndex::new(&tree, usize::MAX);
    while !all.step(&pst, 7).complete {}
    assert_eq!((all.state().indexed, all.state().total), (20, 20));
    let budget = all.bytes / 3;
    let mut small = BodyIndex::new(&tree, budget);
    while !small.step(&pst, 7).complete {}
    let s = small.state();
    assert!(s.limited && s.complete);
    assert!(s.indexed > 0 && s.indexed < 20, "{s:?}");
    assert!(small.bytes <= budget);
}
