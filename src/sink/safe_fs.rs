//! Creating output files without following links planted in the output directory.
//!
//! The output root is what the user typed and may itself be a symbolic link; everything below
//! it is checked: each directory level must be a real directory (created when missing), and a
//! file is opened so that a symbolic link, FIFO or device in its place is refused — never
//! followed, blocked on or written through. Only regular files are overwritten.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Why a path in the output was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0} is a symbolic link; refusing to follow it")]
    Symlink(PathBuf),
    #[error("{0} is {1}, not a directory; refusing to write into it")]
    NotDir(PathBuf, &'static str),
    #[error("{0} is {1}, not a regular file; refusing to overwrite it")]
    NotFile(PathBuf, &'static str),
}

impl From<Refused> for io::Error {
    fn from(r: Refused) -> Self {
        io::Error::new(io::ErrorKind::PermissionDenied, r)
    }
}

/// What a file type is, in words (for the refusal messages).
pub fn describe(t: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// Makes sure `root/dirs…` exists as real directories: each missing level is created, an
/// existing one must be a directory and not a link. `root` itself is the user's choice and is
/// only created if missing. Returns the full path.
pub fn create_dirs<S: AsRef<Path>>(root: &Path, dirs: &[S]) -> io::Result<PathBuf> {
    fs::create_dir_all(root).map_err(|e| at(root, e))?;
    let mut p = root.to_path_buf();
    for d in dirs {
        p.push(d);
        match fs::create_dir(&p) {
            Ok(()) => continue,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(at(&p, e)),
        }
        // It was there before us: look at it without following it.
        let t = fs::symlink_metadata(&p).map_err(|e| at(&p, e))?.file_type();
        if t.is_symlink() {
            return Err(Refused::Symlink(p).into());
        }
        if !t.is_dir() {
            return Err(Refused::NotDir(p, describe(t)).into());
        }
    }
    Ok(p)
}

/// Creates or overwrites the file at `path` for writing, refusing a symbolic link in its
/// place (not followed) and anything but a regular file (a FIFO is not blocked on). Only the
/// last component is checked: callers check the directories with [`create_dirs`].
pub fn create_file(path: &Path) -> io::Result<File> {
    let mut o = fs::OpenOptions::new();
    // No truncate here: what was opened is checked first.
    o.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    #[cfg(not(unix))]
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Refused::Symlink(path.to_path_buf()).into());
    }
    let f = match o.open(path) {
        Ok(f) => f,
        Err(e) => {
            // O_NOFOLLOW fails with ELOOP, and a FIFO without reader with ENXIO: say why.
            return Err(match fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => Refused::Symlink(path.to_path_buf()).into(),
                Ok(m) if !m.is_file() => {
                    Refused::NotFile(path.to_path_buf(), describe(m.file_type())).into()
                }
                _ => at(path, e),
            });
        }
    };
    let t = f.metadata().map_err(|e| at(path, e))?.file_type();
    if !t.is_file() {
        return Err(Refused::NotFile(path.to_path_buf(), describe(t)).into());
    }
    // O_NONBLOCK stays set: regular files ignore it.
    f.set_len(0).map_err(|e| at(path, e))?;
    Ok(f)
}

/// Creates `root/parts…` (directories checked, the file opened safely, see above).
pub fn create_in(root: &Path, parts: &[String]) -> io::Result<File> {
    check_parts(parts)?;
    let Some((name, dirs)) = parts.split_last() else {
        return Err(io::Error::other("empty output path"));
    };
    let dir = create_dirs(root, dirs)?;
    create_file(&dir.join(name))
}

/// Names are sanitized upstream; refuses anything that could still escape the root.
pub fn check_parts(parts: &[String]) -> io::Result<()> {
    match parts
        .iter()
        .find(|c| c.is_empty() || *c == "." || *c == ".." || c.contains(['/', '\\']))
    {
        Some(c) => Err(io::Error::other(format!("unsafe path component {c:?}"))),
        None => Ok(()),
    }
}

/// An I/O error that names its path.
fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
