//! Fuzzes the relay's session commands (text frames from the page): parsing and the
//! binary message frame's metadata.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpst::relay::session::parse_command;
use unpst::sink::imap::decode_frame;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_command(text);
    }
    let _ = decode_frame(data);
});
