//! Issue 12's attacks, one test each (and variants): every test here attacks a defence named
//! in docs/security.md and must fail if that defence is removed.
//!
//! - `relay`: the page server and its WebSocket (static files, headers, connection limits);
//! - `imap`: a hostile IMAP server against the client (sizes, counts, deadlines, plaintext,
//!   echoed greetings);
//! - `cli`: the command line (output symlinks, non-regular inputs, terminal escapes, exit
//!   status).

mod common;

#[path = "security/cli.rs"]
mod cli;
#[path = "security/imap.rs"]
mod imap;
#[path = "security/relay.rs"]
mod relay;
