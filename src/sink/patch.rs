//! A `Write + Seek` adapter for outputs where every write call is costly (the browser's
//! Origin Private File System: ≈ 1.5 ms a call in headless Chromium here, whatever its size).
//! A zip writer seeks back after every entry to patch its local header; the newest bytes are
//! kept here, patches that land in them are made in memory, and the output sees few, large
//! positional writes — the same bytes as writing a file directly.

use std::io::{self, Seek, SeekFrom, Write};

/// Something that writes at an offset and knows its size.
pub trait WriteAt {
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()>;
    fn size(&mut self) -> io::Result<u64>;
    /// Writes `data` at `offset` and leaves it empty: an output that keeps what it is given
    /// takes the buffer rather than a copy.
    fn write_vec(&mut self, offset: u64, data: &mut Vec<u8>) -> io::Result<()> {
        self.write_at(offset, data)?;
        data.clear();
        Ok(())
    }
}

pub struct PatchBuffer<W: WriteAt> {
    inner: W,
    pos: u64,
    /// File offset of `pending[0]`.
    base: u64,
    pending: Vec<u8>,
    limit: usize,
}

impl<W: WriteAt> PatchBuffer<W> {
    /// Holds up to `limit` bytes before handing them over.
    pub fn new(inner: W, limit: usize) -> Self {
        Self {
            inner,
            pos: 0,
            base: 0,
            pending: Vec::new(),
            limit,
        }
    }

    fn hand_over(&mut self) -> io::Result<()> {
        let len = self.pending.len() as u64;
        self.inner.write_vec(self.base, &mut self.pending)?;
        self.base += len;
        Ok(())
    }

    /// Hands over what is pending and returns the output.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.hand_over()?;
        Ok(self.inner)
    }
}

impl<W: WriteAt> Write for PatchBuffer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let end = self.base + self.pending.len() as u64;
        if self.pos < self.base || self.pos > end {
            self.hand_over()?;
            if self.pos < self.base {
                // A patch of bytes already handed over (the header of a large entry).
                self.inner.write_at(self.pos, buf)?;
                self.pos += buf.len() as u64;
                return Ok(buf.len());
            }
            self.base = self.pos;
        }
        let off = (self.pos - self.base) as usize;
        let overlap = (self.pending.len() - off).min(buf.len());
        self.pending[off..off + overlap].copy_from_slice(&buf[..overlap]);
        self.pending.extend_from_slice(&buf[overlap..]);
        self.pos += buf.len() as u64;
        if self.pending.len() >= self.limit {
            self.hand_over()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.hand_over()
    }
}

impl<W: WriteAt> Seek for PatchBuffer<W> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(p) => i128::from(p),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
            SeekFrom::End(d) => {
                let size = self
                    .inner
                    .size()?
                    .max(self.base + self.pending.len() as u64);
                i128::from(size) + i128::from(d)
            }
        };
        self.pos = u64::try_from(new).map_err(|_| io::Error::other("seek before start"))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file in memory that counts its write calls.
    #[derive(Default)]
    struct Mem {
        bytes: Vec<u8>,
        calls: usize,
    }

    impl WriteAt for Mem {
        fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
            let end = offset as usize + data.len();
            if self.bytes.len() < end {
                self.bytes.resize(end, 0);
            }
            self.bytes[offset as usize..end].copy_from_slice(data);
            self.calls += 1;
            Ok(())
        }
        fn size(&mut self) -> io::Result<u64> {
            Ok(self.bytes.len() as u64)
        }
    }

    fn zip_of<W: Write + Seek>(w: W) -> io::Result<W> {
        use crate::sink::{TreeSink, ZipTree};
        let mut z = ZipTree::new(w);
        // Small entries (patched in memory) and one larger than the buffer (its header
        // patched after it was handed over), stored and deflated.
        let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for (name, data) in [
            ("Inbox.mbox", &big[..1000]),
            ("a/b.eml", &big[..5000]),
            ("Archive.mbox", &big[..]),
            ("report.json", b"{}".as_slice()),
        ] {
            z.begin(&name.split('/').map(String::from).collect::<Vec<_>>())
                .map_err(io::Error::other)?;
            for piece in data.chunks(7000) {
                z.write(piece).map_err(io::Error::other)?;
            }
            z.end().map_err(io::Error::other)?;
        }
        z.finish().map_err(io::Error::other)
    }

    #[test]
    fn same_bytes_as_a_file_in_few_writes() {
        let direct = zip_of(io::Cursor::new(Vec::new())).unwrap().into_inner();
        let buffered = zip_of(PatchBuffer::new(Mem::default(), 64 << 10)).unwrap();
        let mem = buffered.into_inner().unwrap();
        assert_eq!(mem.bytes, direct);
        assert!(mem.calls < 12, "{} write calls", mem.calls);
    }
}
