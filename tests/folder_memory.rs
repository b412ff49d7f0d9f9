//! A folder's contents table is read without holding its heap whole. The heap holds the
//! rows' strings and grows with the folder (≈ 15 MB in one of 100k messages, and it is kept
//! while the folder is walked), so holding it would make memory grow with the folder. This
//! test binary counts every allocation it makes.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use unpst::pst::Pst;
use unpst::pst::ndb::NidType;
use unpst::source::FileSource;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as for dealloc, with the caller's new size.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn reading_every_cell_of_a_large_folder_holds_a_few_blocks_of_its_table_heap_not_all() {
    let spec = pstgen::Spec {
        seed: 3,
        target_bytes: 1 << 30,
        max_messages: 2000,
        per_folder: 2000,
        one_folder: true,
        max_attachment: 1 << 10,
        items: false,
        ..pstgen::Spec::default()
    };
    let (path, _) = common::generated("folder-memory", &spec);
    // A cache of four small chunks: the file's bytes held in the cache are not measured.
    let file = FileSource::new(std::fs::File::open(&path).unwrap()).unwrap();
    let pst = Pst::open_with_cache(Box::new(file), 4096, 4).unwrap();
    let tree = pst.folder_tree().unwrap();
    let inbox = tree.flatten().into_iter().max_by_key(|f| f.items).unwrap();
    assert_eq!(inbox.items, 2000);
    // What holding the heap takes: its blocks' sizes, from the node and block B-trees.
    let node = pst
        .ndb
        .find_node(inbox.nid.with_kind(NidType::ContentsTable))
        .unwrap();
    let heap: u64 = pst
        .ndb
        .data_leaves(node.bid_data)
        .unwrap()
        .into_iter()
        .map(|b| pst.ndb.block_len(b).unwrap())
        .sum();
    assert!(heap > 200 << 10, "the table's heap is {heap} bytes");

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let folder = pst.folder(inbox.nid).unwrap();
    let table = folder.contents.as_ref().unwrap();
    let mut cells = 0;
    table
        .for_each_row(&pst.ndb, |row| {
            for c in &table.columns {
                cells += usize::from(table.cell(&pst.ndb, row, c)?.is_some());
            }
            Ok(())
        })
        .unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    drop(folder);
    let _ = std::fs::remove_file(&path);
    assert!(cells > 5 * 2000, "{cells} cells read");
    assert!(
        (peak as u64) < heap / 2,
        "reading the table took {peak} bytes at most; its heap is {heap}"
    );
}
