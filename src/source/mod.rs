//! Byte sources: random access over a file or any `Read + Seek` (the browser's `Blob` is the
//! page's, in `crate::wasm::blob`).
//!
//! PST access is many small reads (512-byte B-tree pages, 64-byte-aligned blocks);
//! [`ChunkCache`] turns them into few large aligned reads with a bounded LRU.

mod cache;

pub use cache::ChunkCache;

use std::io::{self, Read, Seek, SeekFrom};

/// Random-access bytes of known size.
pub trait ByteSource {
    /// Total size in bytes.
    fn size(&self) -> u64;
    /// Fill `buf` from `offset`; a short source is an `UnexpectedEof` error.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Whether [`ByteSource::prefetch`] does anything: working out what comes next costs
    /// B-tree lookups and sub-node reads, spent only for a source that uses it.
    fn wants_prefetch(&self) -> bool {
        false
    }
    /// These aligned ranges (`starts`, each `len` bytes) will be read soon, in this order: a
    /// source whose reads are slow may fetch them ahead, in parallel with the caller's work.
    fn prefetch(&mut self, _starts: &[u64], _len: usize) {}
}

/// A [`ByteSource`] over any `Read + Seek` (a `File`, a `Cursor<Vec<u8>>`, …).
pub struct ReadSeekSource<R> {
    inner: R,
    size: u64,
}

impl<R: Read + Seek> ReadSeekSource<R> {
    pub fn new(mut inner: R) -> io::Result<Self> {
        let size = inner.seek(SeekFrom::End(0))?;
        Ok(Self { inner, size })
    }
}

impl<R: Read + Seek> ByteSource for ReadSeekSource<R> {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.inner.seek(SeekFrom::Start(offset))?;
        self.inner.read_exact(buf)
    }
}

/// A [`ByteSource`] over a file on disk: one positioned read (`pread`) per call, no seek.
pub struct FileSource {
    file: std::fs::File,
    size: u64,
}

impl FileSource {
    pub fn new(file: std::fs::File) -> io::Result<Self> {
        // `metadata().len()` is 0 for a block device; seeking to the end tells its size.
        let size = (&file).seek(SeekFrom::End(0))?;
        Ok(Self { file, size })
    }
}

impl ByteSource for FileSource {
    fn size(&self) -> u64 {
        self.size
    }

    #[cfg(unix)]
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }

    #[cfg(not(unix))]
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(offset))?;
        self.file.read_exact(buf)
    }
}

impl ByteSource for Box<dyn ByteSource> {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        (**self).read_at(offset, buf)
    }
    fn wants_prefetch(&self) -> bool {
        (**self).wants_prefetch()
    }
    fn prefetch(&mut self, starts: &[u64], len: usize) {
        (**self).prefetch(starts, len)
    }
}
