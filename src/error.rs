//! Errors of the whole pipeline: each names what was being read and where.

use std::io;

/// Anything that can go wrong while reading a PST or writing its conversion.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("not a PST/OST file: {0}")]
    NotPst(String),
    #[error("unsupported PST variant: {0}")]
    Unsupported(String),
    #[error("corrupt PST at {at}: {what}")]
    Corrupt { at: String, what: String },
    #[error("node {0:#x} not found in the node B-tree")]
    NodeNotFound(u32),
    #[error("block {0:#x} not found in the block B-tree")]
    BlockNotFound(u64),
    #[error("limit exceeded: {0}")]
    Limit(String),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand for a corruption error at a described place.
/// `at` is formatted only here, so a hot path can pass `format_args!` and pay nothing unless
/// it fails.
pub fn corrupt(at: impl std::fmt::Display, what: impl Into<String>) -> Error {
    Error::Corrupt {
        at: at.to_string(),
        what: what.into(),
    }
}
