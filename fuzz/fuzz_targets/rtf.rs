//! Fuzzes the RTF path: LZFu decompression (MS-OXRTFCP), de-encapsulation (MS-OXRTFEX) and
//! plain-text and HTML rendering, on both the raw input and its decompression.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpst::mime::rtf;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = rtf::decompress(data, 1 << 20) {
        let _ = rtf::deencapsulate(&doc);
        let _ = rtf::to_plain_text(&doc);
        let _ = rtf::to_html(&doc);
    }
    let _ = rtf::deencapsulate(data);
    let _ = rtf::to_plain_text(data);
    let _ = rtf::to_html(data);
});
