//! File trees written one file at a time: a directory on disk or a streamed zip archive.

use super::safe_fs;
use crate::error::{Error, Result};
use std::fs;
use std::io::{BufWriter, Seek, Write};
use std::path::PathBuf;

/// Receives files in sequence: `begin`, any number of `write`s, `end`. Path components are
/// already sanitized (see [`super::names`]).
pub trait TreeSink {
    fn begin(&mut self, path: &[String]) -> Result<()>;
    fn write(&mut self, bytes: &[u8]) -> Result<()>;
    fn end(&mut self) -> Result<()>;
}

/// Files under a root directory. The writing happens on a thread of its own (native
/// builds), so that converting the next message overlaps with the kernel copying the last
/// one to disk; at most a few MiB are in flight. Nothing below the root is followed if it is
/// a link, and only regular files are overwritten (see [`safe_fs`]).
pub struct DirTree {
    #[cfg(target_arch = "wasm32")]
    root: PathBuf,
    #[cfg(not(target_arch = "wasm32"))]
    writer: Option<writer::Writer>,
    /// Bytes of the current file not yet handed to the writer: they go in pieces of
    /// [`writer::PIECE`]. Handing over each `write` (a header, a line) had cost a thread wake-up
    /// apiece: 85k context switches for a 1 GB file.
    #[cfg(not(target_arch = "wasm32"))]
    staged: Vec<u8>,
    #[cfg(target_arch = "wasm32")]
    current: Option<BufWriter<fs::File>>,
}

#[cfg(not(target_arch = "wasm32"))]
mod writer {
    use super::*;
    use std::sync::mpsc::{SyncSender, sync_channel};
    use std::thread::JoinHandle;

    pub enum Cmd {
        /// Path components below the root.
        Begin(Vec<String>),
        Write(Vec<u8>),
        End,
    }

    pub struct Writer {
        tx: Option<SyncSender<Cmd>>,
        thread: Option<JoinHandle<std::io::Result<()>>>,
    }

    /// Pieces handed to the writer are at most this big; 2 of them may wait (each writer
    /// then holds ≤ 1 MiB with the one staged and the one being written: a conversion has
    /// up to four).
    pub const PIECE: usize = 256 << 10;

    impl Writer {
        pub fn new(root: PathBuf) -> Self {
            let (tx, rx) = sync_channel::<Cmd>(2);
            let thread = std::thread::spawn(move || -> std::io::Result<()> {
                let mut current: Option<BufWriter<fs::File>> = None;
                for cmd in rx {
                    match cmd {
                        Cmd::Begin(p) => {
                            if let Some(mut f) = current.take() {
                                f.flush()?;
                            }
                            let f = safe_fs::create_in(&root, &p)?;
                            current = Some(BufWriter::with_capacity(256 * 1024, f));
                        }
                        Cmd::Write(b) => match &mut current {
                            Some(f) => f.write_all(&b)?,
                            None => return Err(std::io::Error::other("write outside a file")),
                        },
                        Cmd::End => {
                            if let Some(mut f) = current.take() {
                                f.flush()?;
                            }
                        }
                    }
                }
                if let Some(mut f) = current.take() {
                    f.flush()?;
                }
                Ok(())
            });
            Self {
                tx: Some(tx),
                thread: Some(thread),
            }
        }

        /// Sends a command; if the writer stopped, its error.
        pub fn send(&mut self, cmd: Cmd) -> Result<()> {
            let failed = match &self.tx {
                Some(tx) => tx.send(cmd).is_err(),
                None => true,
            };
            if failed {
                return Err(self
                    .join()
                    .err()
                    .unwrap_or_else(|| Error::Other("writer stopped".into())));
            }
            Ok(())
        }

        /// Waits for everything to be written.
        pub fn join(&mut self) -> Result<()> {
            self.tx.take();
            match self.thread.take().map(|t| t.join()) {
                Some(Ok(r)) => Ok(r?),
                Some(Err(_)) => Err(Error::Other("the writer thread failed".into())),
                None => Ok(()),
            }
        }
    }
}

impl DirTree {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        safe_fs::create_dirs::<&str>(&root, &[])?;
        Ok(Self {
            #[cfg(not(target_arch = "wasm32"))]
            writer: Some(writer::Writer::new(root)),
            #[cfg(not(target_arch = "wasm32"))]
            staged: Vec::new(),
            #[cfg(target_arch = "wasm32")]
            root,
            #[cfg(target_arch = "wasm32")]
            current: None,
        })
    }

    /// Waits until every file is on disk; the first write error, if any.
    pub fn finish(mut self) -> Result<()> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.hand_over()?;
            if let Some(mut w) = self.writer.take() {
                w.join()?;
            }
        }
        #[cfg(target_arch = "wasm32")]
        self.end()?;
        Ok(())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Drop for DirTree {
    fn drop(&mut self) {
        let _ = self.hand_over();
        if let Some(mut w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl TreeSink for DirTree {
    fn begin(&mut self, path: &[String]) -> Result<()> {
        // Checked here too, so that a bad name fails this call rather than a later one.
        safe_fs::check_parts(path)?;
        self.hand_over()?;
        self.writer_mut()?.send(writer::Cmd::Begin(path.to_vec()))
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        if self.staged.len() + bytes.len() > writer::PIECE {
            self.hand_over()?;
        }
        if bytes.len() < writer::PIECE {
            self.staged.extend_from_slice(bytes);
            return Ok(());
        }
        for piece in bytes.chunks(writer::PIECE) {
            self.writer_mut()?
                .send(writer::Cmd::Write(piece.to_vec()))?;
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.hand_over()?;
        self.writer_mut()?.send(writer::Cmd::End)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl DirTree {
    /// Hands the staged bytes to the writer.
    fn hand_over(&mut self) -> Result<()> {
        if self.staged.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.staged, Vec::with_capacity(writer::PIECE));
        self.writer_mut()?.send(writer::Cmd::Write(piece))
    }

    fn writer_mut(&mut self) -> Result<&mut writer::Writer> {
        self.writer
            .as_mut()
            .ok_or_else(|| Error::Other("the directory tree is finished".into()))
    }
}

#[cfg(target_arch = "wasm32")]
impl TreeSink for DirTree {
    fn begin(&mut self, path: &[String]) -> Result<()> {
        self.end()?;
        self.current = Some(BufWriter::new(safe_fs::create_in(&self.root, path)?));
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match &mut self.current {
            Some(f) => Ok(f.write_all(bytes)?),
            None => Err(Error::Other("write outside a file".into())),
        }
    }

    fn end(&mut self) -> Result<()> {
        if let Some(mut f) = self.current.take() {
            f.flush()?;
        }
        Ok(())
    }
}

/// A zip archive written entry by entry (deflated), never held whole in memory.
pub struct ZipTree<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
}

impl<W: Write + Seek> ZipTree<W> {
    pub fn new(w: W) -> Self {
        Self {
            zip: zip::ZipWriter::new(w),
        }
    }

    /// Finishes the archive (writes the central directory).
    pub fn finish(self) -> Result<W> {
        self.zip
            .finish()
            .map_err(|e| Error::Other(format!("zip: {e}")))
    }
}

impl<W: Write + Seek> TreeSink for ZipTree<W> {
    fn begin(&mut self, path: &[String]) -> Result<()> {
        let method = if path.first().is_some_and(|p| p == "mbox") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .compression_level((method == zip::CompressionMethod::Deflated).then_some(1))
            .large_file(true)
            // A fixed timestamp keeps archives reproducible.
            .last_modified_time(zip::DateTime::default());
        self.zip
            .start_file(path.join("/"), opts)
            .map_err(|e| Error::Other(format!("zip: {e}")))
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        Ok(self.zip.write_all(bytes)?)
    }

    fn end(&mut self) -> Result<()> {
        // The next entry (or `finish`) closes this one.
        Ok(())
    }
}

/// Files held in memory (tests, previews): path joined with `/` → bytes.
#[derive(Default)]
pub struct MemTree {
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
    current: Option<String>,
}

impl TreeSink for MemTree {
    fn begin(&mut self, path: &[String]) -> Result<()> {
        let p = path.join("/");
        self.files.insert(p.clone(), Vec::new());
        self.current = Some(p);
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let cur = self
            .current
            .as_ref()
            .ok_or_else(|| Error::Other("write outside a file".into()))?;
        if let Some(f) = self.files.get_mut(cur) {
            f.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.current = None;
        Ok(())
    }
}
