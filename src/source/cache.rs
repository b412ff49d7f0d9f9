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
    /// Chunks hinted to the source and not loaded since (bounded: forgotten in bulk).
    announced: std::collections::HashSet<u64>,
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
            announced: Default::default(),
            source_reads: 0,
        }
    }

    pub fn size(&self) -> u64 {
        self.src.size()
    }

    /// Whether the source reads ahead (see [`ByteSource::wants_prefetch`]).
    pub fn wants_hints(&self) -> bool {
        self.src.wants_prefetch()
    }

    /// Passes on which chunks the reads at `offsets` will need, in order, leaving out those
    /// already held (see [`ByteSource::prefetch`]).
    pub fn hint(&mut self, offsets: &[u64]) {
        self.hint_at_most(offsets, usize::MAX);
    }

    /// [`ChunkCache::hint`] for at most `max` chunks not held yet.
    pub fn hint_at_most(&mut self, offsets: &[u64], max: usize) {
        let mut starts: Vec<u64> = Vec::new();
        for &o in offsets {
            let index = o / self.chunk;
            if starts.len() < max
                && !self.chunks.contains_key(&index)
                && !starts.contains(&(index * self.chunk))
            {
                starts.push(index * self.chunk);
            }
        }
        if starts.is_empty() {
            return;
        }
        if self.announced.len() > 4 * self.capacity {
            self.announced.clear();
        }
        self.announced.extend(starts.iter().map(|s| s / self.chunk));
        self.src.prefetch(&starts, self.chunk as usize);
    }

    /// Whether the byte at `offset` is held.
    pub fn holds(&self, offset: u64) -> bool {
        self.chunks.contains_key(&(offset / self.chunk))
    }

    /// Loads the chunks holding `offsets` that were hinted before and are not held yet (the
    /// source has them read ahead, or soon will), so that later reads there are served from
    /// memory. Others are left alone: reading them here would only wait for the file.
    pub fn pull(&mut self, offsets: &[u64]) -> io::Result<()> {
        for &o in offsets {
            let index = o / self.chunk;
            if self.announced.contains(&index) {
                self.load(index)?;
                self.tick += 1;
                if let Some((_, t)) = self.chunks.get_mut(&index) {
                    *t = self.tick;
                }
            }
        }
        Ok(())
    }

    /// Bytes currently held by the cache.
    pub fn resident_bytes(&self) -> usize {
        self.chunks.values().map(|(c, _)| c.len()).sum()
    }

    fn load(&mut self, index: u64) -> io::Result<()> {
        if self.chunks.contains_key(&index) {
            return Ok(());
        }
        // The least recently used chunk's buffer is reused: zeroing a fresh one cost as much
        // as reading into it (perf: memset ≈ 6 % of a conversion).
        let mut buf = Vec::new();
        if self.chunks.len() >= self.capacity {
            // Evict the least recently used chunk; capacity is small, a scan is cheap.
            if let Some(&victim) = self
                .chunks
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k)
            {
                buf = self
                    .chunks
                    .remove(&victim)
                    .map(|(b, _)| b)
                    .unwrap_or_default();
            }
        }
        self.announced.remove(&index);
        let start = index * self.chunk;
        let len = self.chunk.min(self.src.size().saturating_sub(start)) as usize;
        buf.resize(len, 0);
        self.src.read_at(start, &mut buf)?;
        self.source_reads += 1;
        self.chunks.insert(index, (buf, 0));
        Ok(())
    }

    /// Fill `buf` from `offset`, through the cache.
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut dst = 0;
        self.pieces(offset, buf.len(), |piece| {
            buf[dst..dst + piece.len()].copy_from_slice(piece);
            dst += piece.len();
        })
    }

    /// `len` bytes from `offset`, through the cache, in a new buffer: filled as it grows,
    /// where a zeroed buffer to read into cost as much again (memset, 6 % of a zip's
    /// instructions).
    pub fn read_vec(&mut self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        // Checked first: a corrupt length must not reserve memory.
        self.end(offset, len)?;
        let mut out = Vec::with_capacity(len);
        self.pieces(offset, len, |piece| out.extend_from_slice(piece))?;
        Ok(out)
    }

    /// Where a read of `len` bytes at `offset` ends; past the file's end is an error.
    fn end(&self, offset: u64, len: usize) -> io::Result<u64> {
        offset
            .checked_add(len as u64)
            .filter(|&e| e <= self.src.size())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "read of {len} bytes at offset {offset} is past the end of the file ({} bytes)",
                        self.src.size()
                    ),
                )
            })
    }

    /// Hands the `len` bytes from `offset` to `put`, a chunk's part at a time, in order.
    fn pieces(&mut self, offset: u64, len: usize, mut put: impl FnMut(&[u8])) -> io::Result<()> {
        let end = self.end(offset, len)?;
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
            put(&data[within..within + n]);
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

    /// Records what it is told to fetch ahead.
    struct Told(Vec<(Vec<u64>, usize)>, u64);
    impl ByteSource for Told {
        fn size(&self) -> u64 {
            self.1
        }
        fn read_at(&mut self, _: u64, buf: &mut [u8]) -> io::Result<()> {
            buf.fill(0);
            Ok(())
        }
        fn wants_prefetch(&self) -> bool {
            true
        }
        fn prefetch(&mut self, starts: &[u64], len: usize) {
            self.0.push((starts.to_vec(), len));
        }
    }

    #[test]
    fn hints_name_each_missing_chunk_once_in_order() {
        let mut cache = ChunkCache::new(Told(Vec::new(), 1 << 20), 4096, 8);
        cache.read_at(8192, &mut [0; 16]).unwrap();
        // 8192..12287 is held; 13000 and 13100 share a chunk; order is kept.
        cache.hint(&[20_000, 8200, 13_000, 13_100, 12_000, 0]);
        cache.hint(&[8192]);
        assert_eq!(cache.src.0, vec![(vec![16_384, 12_288, 0], 4096)]);
    }

    #[test]
    fn pulls_only_what_was_hinted() {
        let mut cache = ChunkCache::new(Told(Vec::new(), 1 << 20), 4096, 8);
        cache.hint_at_most(&[0, 4096, 8192, 12_288], 2);
        assert_eq!(cache.src.0, vec![(vec![0, 4096], 4096)]);
        // 8192 was not hinted (over the limit): pulling it would only wait for the source.
        cache.pull(&[4096, 8192, 100]).unwrap();
        assert!(cache.holds(0) && cache.holds(4100) && !cache.holds(8192));
        assert_eq!(cache.source_reads, 2);
        // Loaded once: a second pull reads nothing.
        cache.pull(&[0, 4096]).unwrap();
        assert_eq!(cache.source_reads, 2);
    }

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
    fn read_vec_is_read_at_and_refuses_a_length_past_the_end_before_reserving_it() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let src = ReadSeekSource::new(Cursor::new(data.clone())).unwrap();
        let mut cache = ChunkCache::new(src, 4096, 3);
        for &(off, len) in &[(0u64, 0usize), (4090, 20), (50_000, 9000), (99_990, 10)] {
            let got = cache.read_vec(off, len).unwrap();
            assert_eq!(got, data[off as usize..off as usize + len]);
        }
        // Reserved before the check, this length would abort the process (capacity overflow).
        let err = cache.read_vec(10, usize::MAX / 2).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(cache.read_vec(99_990, 11).is_err());
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
