//! Outputs: a tree of files written one at a time — a directory or a streamed zip — plus
//! the mboxrd and EML layouts and safe file names.

#[cfg(not(target_arch = "wasm32"))]
pub mod background;
pub mod imap;
pub mod mbox;
pub mod names;
pub mod patch;
pub mod safe_fs;
pub mod thunderbird;
mod tree;

pub use tree::{DirTree, MemTree, TreeSink, ZipTree};
