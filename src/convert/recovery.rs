//! Crash recovery hooks for front ends that cannot catch a panic (in wasm a panic kills the
//! module): which item is in work, which ones are set aside, and a test hook that crashes on
//! purpose.

use crate::pst::messaging::Nid;
use std::collections::HashMap;

// Crash recovery for front ends that cannot catch a panic (in wasm a panic kills the module):
// the item being converted is remembered, so that after a crash the front end can start again
// with that item set aside, reported as skipped with the reason.
thread_local! {
    static CURRENT_ITEM: std::cell::Cell<Option<Nid>> = const { std::cell::Cell::new(None) };
    static SET_ASIDE: std::cell::RefCell<HashMap<Nid, String>> = Default::default();
    static CRASH_ON: std::cell::Cell<Option<Nid>> = const { std::cell::Cell::new(None) };
}

/// The item the converter was working on last.
pub fn current_item() -> Option<Nid> {
    CURRENT_ITEM.with(|c| c.get())
}

/// Items to skip from now on in this thread, with the reason the report gives.
pub fn set_aside(nid: Nid, reason: String) {
    SET_ASIDE.with(|m| m.borrow_mut().insert(nid, reason));
}

/// Forgets the items set aside and the test hook: they were another file's (a node id means
/// nothing across files, and the same numbers recur in every PST).
pub fn forget_set_aside() {
    SET_ASIDE.with(|m| m.borrow_mut().clear());
    CRASH_ON.with(|c| c.set(None));
}

/// Makes converting `nid` panic: lets tests exercise the front ends' crash recovery.
pub fn simulate_crash_on(nid: Nid) {
    CRASH_ON.with(|c| c.set(Some(nid)));
}

/// Marks `nid` as the item in work; `Some(reason)` when it was set aside. Front ends that
/// convert one item outside [`convert`] (the page's preview) call it too.
pub fn enter_item(nid: Nid) -> Option<String> {
    CURRENT_ITEM.with(|c| c.set(Some(nid)));
    if let Some(reason) = SET_ASIDE.with(|m| m.borrow().get(&nid).cloned()) {
        return Some(reason);
    }
    if CRASH_ON.with(|c| c.get()) == Some(nid) {
        panic!("simulated crash on item {}", nid.get());
    }
    None
}
