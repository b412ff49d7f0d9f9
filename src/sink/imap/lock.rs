//! One upload into an account at a time: two runs (or two tabs through the relay) would each
//! read what the server holds before the other appends, and both append it — duplicates.
//! An advisory lock (`flock`) on a file named after the account, in a directory only this
//! user may enter, held for the upload's life and let go by the system however it ends.

use super::{ImapError, Result, Server};
use std::path::PathBuf;

/// Held while an upload into one account runs.
pub struct AccountLock {
    #[cfg(unix)]
    _file: std::fs::File,
}

/// Where the locks live: `$XDG_RUNTIME_DIR/unpst`, else `~/.cache/unpst/locks`; created
/// private (0700), and refused unless it is this user's own directory and private.
#[cfg(unix)]
fn lock_dir() -> Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(|d| PathBuf::from(d).join("unpst"))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/unpst/locks")))
        .ok_or_else(|| {
            ImapError::Config("no XDG_RUNTIME_DIR or HOME for the upload lock".into())
        })?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&base)?;
    let m = std::fs::symlink_metadata(&base)?;
    // SAFETY: getuid has no preconditions and cannot fail.
    let me = unsafe { libc::getuid() };
    if !m.is_dir() || m.uid() != me || m.permissions().mode() & 0o077 != 0 {
        return Err(ImapError::Config(format!(
            "{}: the upload lock directory must be yours and private",
            base.display()
        )));
    }
    Ok(base)
}

/// How long a second upload waits for the account's lock before it is refused.
pub const LET_GO: std::time::Duration = std::time::Duration::from_secs(3);

impl AccountLock {
    /// Takes the account's lock, or says another upload into it is running (still
    /// holding it after [`LET_GO`]).
    pub fn acquire(server: &Server) -> Result<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            use std::os::unix::io::AsRawFd;
            let account = server.display().to_ascii_lowercase();
            let name = format!("{:016x}.lock", crate::util::fnv1a(&[account.as_bytes()]));
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(lock_dir()?.join(name))?;
            // A run that is ending (the page's, cancelled a moment ago, its session still
            // closing) gets a few seconds to let go; one that is running does not.
            let until = std::time::Instant::now() + LET_GO;
            // SAFETY: flock on a descriptor this function owns.
            while unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                if std::time::Instant::now() >= until {
                    return Err(ImapError::Busy(server.display()));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Ok(Self { _file: file })
        }
        #[cfg(not(unix))]
        {
            let _ = server;
            Ok(Self {})
        }
    }
}
