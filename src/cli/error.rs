//! What stops a command, as a type: each variant a reason the user can act on. `main`
//! prints it (escaped for the terminal) and exits with status 2.

use super::term;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments do not make a command.
    #[error("{0}")]
    Usage(String),
    /// A file or folder named on the command line cannot be used.
    #[error("{}: {reason}", term::path(path))]
    Path { path: PathBuf, reason: String },
    /// The input is a FIFO, a directory, a device: refused before anything blocks on it.
    #[error("{} is {kind}, not a regular file", term::path(path))]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error(transparent)]
    Pst(#[from] unpst::Error),
    #[error(transparent)]
    Imap(#[from] unpst::sink::imap::ImapError),
    #[error(transparent)]
    Relay(#[from] unpst::relay::RelayError),
    /// Anything else that stopped the command (reading a password, …).
    #[error("{0}")]
    Other(String),
}

impl CliError {
    /// `path` cannot be used, because of `why`.
    pub fn at(path: &Path, why: impl std::fmt::Display) -> Self {
        CliError::Path {
            path: path.to_path_buf(),
            reason: why.to_string(),
        }
    }
}
