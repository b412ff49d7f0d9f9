//! Fuzzes the IMAP client against a scripted server: the bytes are everything the server
//! says; the client signs in (password or OAuth2 token) and reads the folder layout, then
//! reads on, tokenizing each response. Errors are fine; panics, hangs and unbounded memory
//! are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unpst::sink::imap::client::Conn;
use unpst::sink::imap::layout::read_layout;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the sign-in: a password, or an OAuth2 token (the SASL exchange
    // with its error challenge).
    let (pick, script) = data.split_first().unwrap_or((&0, &[]));
    let mut c = Conn::scripted(script.to_vec());
    let _ = if pick % 2 == 0 {
        c.login("user", "password")
    } else {
        c.login_oauth2("user", "token")
    };
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
