//! Aligned LRU chunk cache: bounded memory, few large reads.

use super::ByteSource;
use std::collections::HashMap;
use std::io;

/// Caches aligned chunks of a [`ByteSource`]; at most `capacity` chunks are held.
pub struct ChunkCache<S> {
    src: S,
    chunk: u64,
    capacity: usize,
    chunks: HashMap<u64, (Vec<u8>, u64)>,
    tick: u64,
    /// Number of reads that went to the underlying source (for measurements).
    pub source_reads: u64,
}

impl<S: ByteSource> ChunkCache<S> {
    /// `chunk_size` is rounded up to a power of two (at least 4 KiB); `capacity` ≥ 1.
    pub fn new(src: S, chunk_size: usize, capacity: usize) -> Self {
        let chunk = chunk_size.max(4096).next_power_of_two() as u64;
        Self {
            src,
            chunk,
            capacity: capacity.max(1),
            chunks: HashMap::new(),
            tick: 0,
            source_reads: 0,
        }
    }

    pub fn size(&self) -> u64 {
        self.src.size()
    }

    /// Bytes currently held by the cache.
    pub fn resident_bytes(&self) -> usize {
        self.chunks.values().map(|(c, _)| c.len()).sum()
    }

    fn load(&mut self, index: u64) -> io::Result<()> {
        if self.chunks.contains_key(&index) {
            return Ok(());
        }
        if self.chunks.len() >= self.capacity {
            // Evict the least recently used chunk; capacity is small, a scan is cheap.
            if let Some(&victim) = self
                .chunks
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k)
            {
                self.chunks.remove(&victim);
            }
        }
        let start = index * self.chunk;
        let len = self.chunk.min(self.src.size().saturating_sub(start)) as usize;
        let mut buf = vec![0; len];
        self.src.read_at(start, &mut buf)?;
        self.source_reads += 1;
        self.chunks.insert(index, (buf, 0));
        Ok(())
    }

    /// Fill `buf` from `offset`, through the cache.
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.src.size())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "read of {} bytes at offset {offset} is past the end of the file ({} bytes)",
                        buf.len(),
                        self.src.size()
                    ),
                )
            })?;
        let mut pos = offset;
        while pos < end {
            let index = pos / self.chunk;
            self.load(index)?;
            self.tick += 1;
            let tick = self.tick;
            let (data, t) = self
                .chunks
                .get_mut(&index)
                .ok_or_else(|| io::Error::other("chunk vanished"))?;
            *t = tick;
            let within = (pos - index * self.chunk) as usize;
            let n = ((end - pos) as usize).min(data.len().saturating_sub(within));
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short chunk"));
            }
            let dst = (pos - offset) as usize;
            buf[dst..dst + n].copy_from_slice(&data[within..within + n]);
            pos += n as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::ReadSeekSource;
    use std::io::Cursor;

    #[test]
    fn reads_across_chunks_and_stays_bounded() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let src = ReadSeekSource::new(Cursor::new(data.clone())).unwrap();
        let mut cache = ChunkCache::new(src, 4096, 3);
        for &(off, len) in &[
            (0u64, 10usize),
            (4090, 20),
            (50_000, 9000),
            (99_990, 10),
            (3, 1),
        ] {
            let mut buf = vec![0; len];
            cache.read_at(off, &mut buf).unwrap();
            assert_eq!(buf, data[off as usize..off as usize + len]);
            assert!(cache.resident_bytes() <= 3 * 4096);
        }
        let mut buf = [0u8; 11];
        assert!(cache.read_at(99_990, &mut buf).is_err());
        assert!(cache.read_at(u64::MAX - 2, &mut buf).is_err());
    }

    #[test]
    fn many_small_reads_become_few_source_reads() {
        let data = vec![7u8; 1 << 20];
        let src = ReadSeekSource::new(Cursor::new(data)).unwrap();
        let mut cache = ChunkCache::new(src, 256 * 1024, 4);
        let mut buf = [0u8; 512];
        for i in 0..2048u64 {
            cache.read_at(i * 512, &mut buf).unwrap();
        }
        assert_eq!(cache.source_reads, 4);
    }
}
