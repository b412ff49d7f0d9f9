//! Fuzzes the whole reader and converter: open any bytes as a PST, walk the folders and
//! convert everything to mbox and EML in memory, deleted items recovered too. Errors are
//! fine; panics and hangs are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use unpst::convert::{Options, convert};
use unpst::pst::Pst;
use unpst::sink::MemTree;
use unpst::source::ReadSeekSource;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = ReadSeekSource::new(Cursor::new(data.to_vec())) else { return };
    let Ok(pst) = Pst::open(Box::new(src)) else { return };
    let mut sink = MemTree::default();
    // Everything the file holds: mail, contacts, calendars, signatures, and what its freed
    // space still holds (recovery scans every page and block trailer of the input).
    let opts = Options { eml: true, recover: true, ..Options::default() };
    let _ = convert(&pst, &mut sink, &opts, "fuzz", &mut |_| true);
});
