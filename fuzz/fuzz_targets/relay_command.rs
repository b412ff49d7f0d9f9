//! Fuzzes what the relay reads from outside: the session commands (text frames from the
//! page), the binary message frame's metadata, and what a domain answers a settings lookup
//! (an autoconfig file, a DNS answer).
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpst::relay::session::parse_command;
use unpst::sink::imap::{autoconfig, decode_frame};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_command(text);
        let _ = autoconfig::parse(text, "someone@example.org");
    }
    let _ = decode_frame(data);
    let _ = autoconfig::dns::answer(data, data.get(..2).unwrap_or_default());
});
