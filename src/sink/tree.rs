//! File trees written one file at a time: a directory on disk or a streamed zip archive.

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

/// Files under a root directory.
pub struct DirTree {
    root: PathBuf,
    current: Option<BufWriter<fs::File>>,
}

impl DirTree {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        Ok(Self {
            root,
            current: None,
        })
    }

    fn path(&self, parts: &[String]) -> Result<PathBuf> {
        let mut p = self.root.clone();
        for c in parts {
            // Names are sanitized upstream; refuse anything that could still escape.
            if c.is_empty() || c == "." || c == ".." || c.contains(['/', '\\']) {
                return Err(Error::Other(format!("unsafe path component {c:?}")));
            }
            p.push(c);
        }
        Ok(p)
    }
}

impl TreeSink for DirTree {
    fn begin(&mut self, path: &[String]) -> Result<()> {
        self.end()?;
        let p = self.path(path)?;
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)?;
        }
        self.current = Some(BufWriter::new(fs::File::create(p)?));
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
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
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
