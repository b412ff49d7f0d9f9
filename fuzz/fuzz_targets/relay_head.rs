//! Fuzzes the relay's request-head parsing (what any local process can send it): any bytes
//! give a request or nothing, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpst::relay::http::parse_head;

fuzz_target!(|data: &[u8]| {
    if let Some(r) = parse_head(data) {
        let _ = r.path();
        let _ = r.header("Host");
        let _ = r.header("Sec-WebSocket-Protocol");
    }
});
