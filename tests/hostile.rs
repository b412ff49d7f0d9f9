//! Hostile input: the corrupt corpus files and truncations of every corpus file must give an
//! error or a partial conversion that names what it lost — never a panic, hang or overflow.

mod common;

use std::io::Cursor;
use std::sync::mpsc;
use std::time::Duration;
use unpst::convert::{Options, convert};
use unpst::pst::Pst;
use unpst::report::Report;
use unpst::sink::MemTree;

/// A source that asks for read-ahead hints, as the page's does: the hostile bytes then go
/// through the hint paths too (the conversion's, and the rows read ahead on screen).
struct Hinted(unpst::source::ReadSeekSource<Cursor<Vec<u8>>>);

impl unpst::source::ByteSource for Hinted {
    fn size(&self) -> u64 {
        self.0.size()
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.0.read_at(offset, buf)
    }
    fn wants_prefetch(&self) -> bool {
        true
    }
}

/// Opens and converts bytes in a worker thread; a hang fails the test instead of blocking.
/// Before converting, each folder's first rows are read ahead as the page does on screen.
fn run(bytes: Vec<u8>, label: String) -> Result<Report, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = (|| {
            let pst = Pst::open(Box::new(Hinted(
                unpst::source::ReadSeekSource::new(Cursor::new(bytes))
                    .map_err(|e| e.to_string())?,
            )))
            .map_err(|e| e.to_string())?;
            if let Ok(tree) = pst.folder_tree() {
                for f in tree.flatten() {
                    let Ok(folder) = pst.folder(f.nid) else {
                        continue;
                    };
                    let rows = pst.summaries(&folder, 0, 40).unwrap_or_default();
                    let nids: Vec<_> = rows.iter().map(|r| r.nid).collect();
                    for step in 0..unpst::pst::ndb::READ_AHEAD_STEPS {
                        pst.ndb.read_ahead(&nids, step);
                    }
                }
            }
            let mut sink = MemTree::default();
            let opts = Options {
                mbox: true,
                eml: true,
                vcf: true,
                ics: true,
                signatures: true,
                folders: None,
            };
            convert(&pst, &mut sink, &opts, "x", &mut |_| true).map_err(|e| e.to_string())
        })();
        let _ = tx.send(r);
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(r) => r,
        Err(_) => panic!("{label}: no result within 60 s (hang or panic in the worker)"),
    }
}

/// Nothing is lost silently: fewer conversions than the intact file must be explained.
fn assert_accounted(label: &str, full: &Report, r: &Result<Report, String>) {
    match r {
        Err(e) => assert!(!e.is_empty(), "{label}: empty error"),
        Ok(rep) => {
            let explained = rep.problems.len() as u32
                + rep.totals.skipped
                + rep.totals.warnings
                + rep.folders.iter().filter(|f| f.error.is_some()).count() as u32;
            if rep.totals.converted < full.totals.converted || rep.totals.items < full.totals.items
            {
                assert!(
                    explained > 0,
                    "{label}: {} of {} converted and {} of {} items listed, with nothing reported",
                    rep.totals.converted,
                    full.totals.converted,
                    rep.totals.items,
                    full.totals.items
                );
            }
        }
    }
}

#[test]
fn hostile_files_error_or_convert_partially() {
    let Some(dir) = common::corpus() else { return };
    let files = common::hostile_files(&dir);
    assert_eq!(files.len(), 12);
    for h in files {
        let full = run(h.base, "intact".into()).expect("intact base converts");
        let label = h.name;
        let r = run(h.bytes, label.clone());
        eprintln!(
            "{label}: {}",
            match &r {
                Ok(rep) => format!(
                    "partial: {} converted of {}, {} skipped, {} folder errors",
                    rep.totals.converted,
                    full.totals.converted,
                    rep.totals.skipped,
                    rep.folders.iter().filter(|f| f.error.is_some()).count()
                ),
                Err(e) => format!("error: {e}"),
            }
        );
        assert_accounted(&label, &full, &r);
        // Measured: B-tree recovery brings every message back but one, whose block holds
        // garbage (it is listed as skipped).
        let converted = r.as_ref().map(|rep| rep.totals.converted).unwrap_or(0);
        let want = match label.as_str() {
            "tika-testPST-block-crcfixed.128.pst" => full.totals.converted - 1,
            _ => full.totals.converted,
        };
        assert_eq!(converted, want, "{label}: messages recovered");
    }
}

#[test]
fn truncations_of_every_file_error_or_convert_partially() {
    let Some(dir) = common::corpus() else { return };
    for path in common::corpus_files(&dir) {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let full = run(bytes.clone(), name.clone()).expect("intact file converts");
        for k in 1..=10 {
            let cut = bytes.len() * k / 11;
            let label = format!("{name} cut at {cut}");
            let r = run(bytes[..cut].to_vec(), label.clone());
            assert_accounted(&label, &full, &r);
        }
    }
}
