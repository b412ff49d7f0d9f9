//! `unpst upload --too-large FILE`: the messages a server refuses as too large go to a local
//! mbox instead of nowhere, written as they are refused (read from the PST again, not held).

use std::cell::Cell;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use unpst::sink::imap::{ImapError, Uploader, write_refused};

/// Where the refused messages went, and how many.
pub(super) struct Kept {
    path: PathBuf,
    count: Rc<Cell<u32>>,
}

impl Kept {
    /// Says where they are, if there are any.
    pub(super) fn say(&self) {
        let n = self.count.get();
        if n > 0 {
            out!(
                "{n} messages too large for the server: saved to {} (import it into your mail program)",
                super::term::path(&self.path)
            );
        }
    }
}

/// Has `up` hand each message it refuses for size to an mbox at `path` (default:
/// `<PST name>.too-large.mbox` here), made when the first arrives.
pub(super) fn keep(up: &mut Uploader, pst: &Path, path: Option<PathBuf>) -> Kept {
    let path = path.unwrap_or_else(|| {
        let name = pst.file_name().map(|n| n.to_string_lossy().into_owned());
        PathBuf::from(format!(
            "{}.too-large.mbox",
            name.unwrap_or_else(|| "unpst".into())
        ))
    });
    let count = Rc::new(Cell::new(0));
    let (to, counted) = (path.clone(), count.clone());
    let mut file: Option<BufWriter<std::fs::File>> = None;
    up.keep_oversize(Box::new(move |item, lit| {
        if file.is_none() {
            // Not followed if it is a link; only a regular file is written over.
            let f = unpst::sink::safe_fs::create_file(&to)?;
            f.set_len(0)?;
            file = Some(BufWriter::new(f));
        }
        let Some(f) = file.as_mut() else {
            return Ok(());
        };
        write_refused(item, lit, &mut |b: &[u8]| {
            f.write_all(b).map_err(unpst::Error::Io)
        })?;
        f.flush().map_err(ImapError::Io)?;
        counted.set(counted.get() + 1);
        Ok(())
    }));
    Kept { path, count }
}
