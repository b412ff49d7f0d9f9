//! Fuzzes the IMAP client against a scripted server: the bytes are everything the server
//! says; the client logs in and reads the folder layout, then reads on, tokenizing each
//! response. Errors are fine; panics, hangs and unbounded memory are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpst::sink::imap::client::Conn;
use unpst::sink::imap::layout::read_layout;

fuzz_target!(|data: &[u8]| {
    let mut c = Conn::scripted(data.to_vec());
    let _ = c.login("user", "password");
    let _ = read_layout(&mut c);
    for _ in 0..64 {
        match c.read_response() {
            Ok(r) => {
                let _ = r.tokens();
                let _ = r.code();
                let _ = r.text();
            }
            Err(_) => break,
        }
    }
});
