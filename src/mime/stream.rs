//! A rendered message whose attachment data stays in the PST until a sink writes it: base64
//! (RFC 2045 §6.8, 76-character lines) encoded from the blocks as they are read, so that no
//! message is ever held whole, however large its attachments (MS-PST §2.2.2.8.3.2 data
//! trees, read one block at a time).

use crate::error::{Error, Result};
use crate::pst::Pst;
use crate::pst::ndb::Bid;
use std::cell::RefCell;
use std::hash::{BuildHasher, Hasher};

/// Input bytes per base64 line: 57 bytes make the 76 characters RFC 2045 allows.
const LINE_IN: usize = 57;
/// Input bytes encoded per piece handed to a sink (a whole number of lines, ≈ 64 KiB out).
const PIECE_IN: usize = LINE_IN * 840;

/// Blocks of a streamed value announced ahead of the one being read (≈ 2 MiB of 8 KiB blocks:
/// a quarter of the page's read-ahead slots).
const STREAM_AHEAD: usize = 256;

/// Bytes a base64 body of `n` input bytes takes: 76-character lines, each ending in CRLF
/// (the last too), nothing for nothing — as mail-builder writes it.
pub fn base64_len(n: u64) -> u64 {
    let chars = n.div_ceil(3) * 4;
    chars + chars.div_ceil(76) * 2
}

/// An attachment's data left in the file: its blocks, each with the length it reads to.
#[derive(Debug, Clone)]
pub struct Stream {
    blocks: Vec<(Bid, u64)>,
    size: u64,
    /// The attachment, for a warning if its blocks cannot be read after all.
    what: String,
    /// Written as it is (a MIME entity kept whole), not as base64.
    verbatim: bool,
}

impl Stream {
    /// The blocks of a value, checked against the block B-tree (every one exists and lies
    /// inside the file) without reading them.
    pub fn of(pst: &Pst, ids: &[Bid], what: String) -> Result<Self> {
        let mut blocks = Vec::with_capacity(ids.len());
        let mut size = 0u64;
        for &b in ids {
            let n = pst.ndb.block_len(b)?;
            size += n;
            blocks.push((b, n));
        }
        Ok(Self {
            blocks,
            size,
            what,
            verbatim: false,
        })
    }

    /// The same data, to be written as it is.
    pub fn verbatim(self) -> Self {
        Self {
            verbatim: true,
            ..self
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes it takes once written.
    fn written_len(&self) -> u64 {
        if self.verbatim {
            self.size
        } else {
            base64_len(self.size)
        }
    }

    /// The data's first bytes (to tell its type), from its first block.
    pub fn head(&self, pst: &Pst) -> Vec<u8> {
        match self.blocks.first() {
            Some(&(b, _)) => pst.ndb.read_block(b).unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Writes the data, as base64 unless verbatim. A block that cannot be read now is written
    /// as zeros of its length — the message's size was announced already — and `problems`
    /// says so.
    fn write(
        &self,
        pst: &Pst,
        problems: &RefCell<Vec<String>>,
        out: &mut dyn FnMut(Part<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut pending: Vec<u8> = Vec::with_capacity(PIECE_IN + 64 * 1024);
        let mut text = Vec::with_capacity(base64_len(PIECE_IN as u64) as usize);
        for (i, &(bid, len)) in self.blocks.iter().enumerate() {
            // A large attachment outruns the message read-ahead (≤ 48 chunks a message): its
            // next blocks are announced as it is written, half a window at a time.
            if i % (STREAM_AHEAD / 2) == 0 && self.blocks.len() > 1 {
                let next: Vec<Bid> = self.blocks[i..]
                    .iter()
                    .take(STREAM_AHEAD)
                    .map(|b| b.0)
                    .collect();
                pst.ndb.hint_blocks(&next);
            }
            let mut data = match pst.ndb.read_block(bid) {
                Ok(d) => d,
                Err(e) => {
                    problems.borrow_mut().push(format!(
                        "{}: data unreadable, zeros written: {e}",
                        self.what
                    ));
                    Vec::new()
                }
            };
            // A block must read to the length announced; anything else is corrected to it.
            data.resize(len as usize, 0);
            if self.verbatim {
                out(Part::Bytes(&data))?;
                continue;
            }
            pending.extend_from_slice(&data);
            if pending.len() >= PIECE_IN {
                let whole = pending.len() / PIECE_IN * PIECE_IN;
                encode_lines(&pending[..whole], &mut text);
                out(Part::Base64(&text))?;
                pending.drain(..whole);
            }
        }
        encode_lines(&pending, &mut text);
        out(Part::Base64(&text))
    }
}

/// A piece of a message as it is written.
#[derive(Debug, Clone, Copy)]
pub enum Part<'a> {
    /// Bytes of any kind.
    Bytes(&'a [u8]),
    /// Whole base64 lines: 76 characters of the base64 alphabet and CRLF each, the last
    /// line of a run shorter (RFC 2045 §6.8). None holds a space or `>`, so none can be a
    /// `From ` line an mbox must quote: it can pass them without looking.
    Base64(&'a [u8]),
}

impl<'a> Part<'a> {
    pub fn bytes(self) -> &'a [u8] {
        match self {
            Part::Bytes(b) | Part::Base64(b) => b,
        }
    }
}

/// Base64 of `data` into `text` (cleared first): full lines of 76 characters and CRLF.
/// Whole lines go six bytes at a time (read as one big-endian word) through a table of
/// character pairs (one lookup per 12 bits), eight characters stored at once: calling the
/// `base64` crate once a line was 12 % of a conversion's time. The last, short line is its.
fn encode_lines(data: &[u8], text: &mut Vec<u8>) {
    use base64::Engine;
    text.clear();
    text.reserve(data.len().div_ceil(LINE_IN) * 78);
    let mut lines = data.chunks_exact(LINE_IN);
    for chunk in &mut lines {
        let mut line = [0u8; 78];
        // Bytes 0..54 in nine words of six (each read as eight: the ninth ends at byte 56,
        // still in the line), then the last three.
        for (out, at) in line[..72].chunks_exact_mut(8).zip((0..54).step_by(6)) {
            let n = chunk[at..]
                .first_chunk::<8>()
                .map_or(0, |w| u64::from_be_bytes(*w) >> 16);
            let four = u64::from(PAIRS[(n >> 36) as usize & 0xfff])
                | u64::from(PAIRS[(n >> 24) as usize & 0xfff]) << 16
                | u64::from(PAIRS[(n >> 12) as usize & 0xfff]) << 32
                | u64::from(PAIRS[n as usize & 0xfff]) << 48;
            out.copy_from_slice(&four.to_le_bytes());
        }
        let n = (chunk[54] as usize) << 16 | (chunk[55] as usize) << 8 | chunk[56] as usize;
        line[72..74].copy_from_slice(&PAIRS[n >> 12].to_le_bytes());
        line[74..76].copy_from_slice(&PAIRS[n & 0xfff].to_le_bytes());
        line[76..].copy_from_slice(b"\r\n");
        text.extend_from_slice(&line);
    }
    let rest = lines.remainder();
    if !rest.is_empty() {
        let mut line = [0u8; 76];
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(rest, &mut line)
            .unwrap_or(0);
        text.extend_from_slice(&line[..n]);
        text.extend_from_slice(b"\r\n");
    }
}

/// The two base64 characters of every 12-bit value, as they lie in memory (little-endian).
static PAIRS: [u16; 4096] = {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = u16::from_le_bytes([ALPHABET[i >> 6], ALPHABET[i & 63]]);
        i += 1;
    }
    t
};

/// An attachment's bytes: a value small enough for its property context in memory, the
/// rest left in the file's blocks until written.
pub enum Data {
    Bytes(Vec<u8>),
    Stream(Stream),
}

impl Data {
    pub fn of(pst: &Pst, v: crate::pst::messaging::ValueBlocks, what: String) -> Result<Self> {
        match v {
            crate::pst::messaging::ValueBlocks::Inline(b) => Ok(Data::Bytes(b)),
            crate::pst::messaging::ValueBlocks::Blocks(ids) => {
                Ok(Data::Stream(Stream::of(pst, &ids, what)?))
            }
        }
    }

    pub fn size(&self) -> u64 {
        match self {
            Data::Bytes(b) => b.len() as u64,
            Data::Stream(s) => s.size(),
        }
    }

    /// The data's first bytes (at least its first block's), to tell what it is.
    pub fn head(&self, pst: &Pst) -> std::borrow::Cow<'_, [u8]> {
        match self {
            Data::Bytes(b) => std::borrow::Cow::Borrowed(b),
            Data::Stream(s) => std::borrow::Cow::Owned(s.head(pst)),
        }
    }
}

enum Piece {
    Bytes(Vec<u8>),
    Data(Stream),
}

/// A message's bytes: in memory, with the data of its attachments read from the PST as
/// they are written. Its length is known before a byte is written (an IMAP literal).
pub struct MessageBytes {
    pieces: Vec<Piece>,
    len: u64,
    /// What could not be read while writing (see [`Stream`]); taken by the caller.
    problems: RefCell<Vec<String>>,
}

impl std::fmt::Debug for MessageBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MessageBytes({} bytes, {} pieces)",
            self.len,
            self.pieces.len()
        )
    }
}

impl From<Vec<u8>> for MessageBytes {
    fn from(b: Vec<u8>) -> Self {
        Self {
            len: b.len() as u64,
            pieces: vec![Piece::Bytes(b)],
            problems: RefCell::default(),
        }
    }
}

impl MessageBytes {
    /// Bytes with markers (see [`Holes`]) not yet split; `len` is what they expand to.
    pub(super) fn unsplit(bytes: Vec<u8>, len: u64) -> Self {
        Self {
            len,
            pieces: vec![Piece::Bytes(bytes)],
            problems: RefCell::default(),
        }
    }

    /// The first piece's bytes: for a message not yet split, all of it with its markers.
    pub(super) fn into_unsplit(self) -> Vec<u8> {
        match self.pieces.into_iter().next() {
            Some(Piece::Bytes(b)) => b,
            _ => Vec::new(),
        }
    }

    /// Puts header fields (or any bytes) in front of the message.
    pub fn prepend(&mut self, head: &[u8]) {
        match self.pieces.first_mut() {
            Some(Piece::Bytes(b)) => {
                b.splice(0..0, head.iter().copied());
            }
            _ => self.pieces.insert(0, Piece::Bytes(head.to_vec())),
        }
        self.len += head.len() as u64;
    }

    /// How many bytes [`write_to`](Self::write_to) writes.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether some of it is still in the PST.
    pub fn is_streamed(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Data(_)))
    }

    /// Writes the message to `out`, in pieces: those in memory as they are, the attachment
    /// data read from `pst` and encoded on the way, about 64 KiB at a time.
    pub fn write_to(&self, pst: &Pst, out: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        self.write_parts(pst, &mut |p| out(p.bytes()))
    }

    /// [`write_to`](Self::write_to), each piece told as base64 lines or other bytes.
    pub fn write_parts(
        &self,
        pst: &Pst,
        out: &mut dyn FnMut(Part<'_>) -> Result<()>,
    ) -> Result<()> {
        for p in &self.pieces {
            match p {
                Piece::Bytes(b) => out(Part::Bytes(b))?,
                Piece::Data(s) => s.write(pst, &self.problems, out)?,
            }
        }
        Ok(())
    }

    /// The whole message in one buffer (a preview, a frame for the relay): at most `limit`
    /// bytes, else an error.
    pub fn to_vec(&self, pst: &Pst, limit: u64) -> Result<Vec<u8>> {
        if self.len > limit {
            return Err(Error::Limit(format!(
                "message of {} bytes is over {limit} in memory",
                self.len
            )));
        }
        let mut v = Vec::with_capacity(self.len as usize);
        self.write_to(pst, &mut |b| {
            v.extend_from_slice(b);
            Ok(())
        })?;
        Ok(v)
    }

    /// Problems met while writing (blocks unreadable then), once each.
    pub fn take_problems(&self) -> Vec<String> {
        let mut p = self.problems.take();
        p.dedup();
        p
    }
}

/// Markers for the data parts of a message being built: the builder writes a marker where
/// a part's base64 goes, [`Holes::cut`] cuts the output there. A marker holds a random
/// number, so a message's own text cannot forge one; if it holds one anyway, the cut
/// fails and the caller builds the message again with a new number.
pub struct Holes {
    nonce: u64,
    streams: Vec<Stream>,
}

/// `{unpst-data:` + 16 hex digits + `:` + 8 hex digits + `}`.
const MARK_LEN: usize = 12 + 16 + 1 + 8 + 1;

impl Holes {
    pub fn new() -> Self {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        // Process-wide random keys on most targets; the counter makes each call differ.
        static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        h.write_u64(CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        Self {
            nonce: h.finish(),
            streams: Vec::new(),
        }
    }

    fn mark(&self, i: usize) -> String {
        format!("{{unpst-data:{:016x}:{i:08x}}}", self.nonce)
    }

    /// Takes a stream; returns the marker to put in its place.
    pub fn add(&mut self, s: Stream) -> Vec<u8> {
        self.streams.push(s);
        self.mark(self.streams.len() - 1).into_bytes()
    }

    /// How many streams were added so far.
    pub fn count(&self) -> usize {
        self.streams.len()
    }

    /// Data bytes of the streams from `from` on.
    pub fn sizes(&self, from: usize) -> u64 {
        self.streams[from..].iter().map(|s| s.size).sum()
    }

    /// Bytes the streams from `from` on add to a message once expanded, beyond their markers.
    pub fn growth(&self, from: usize) -> i64 {
        self.streams[from..]
            .iter()
            .map(|s| s.written_len() as i64 - MARK_LEN as i64)
            .sum()
    }

    /// Cuts `bytes` at its markers, which must appear once each, in order; `None` when not.
    pub fn cut(self, bytes: Vec<u8>) -> Option<MessageBytes> {
        let prefix = format!("{{unpst-data:{:016x}:", self.nonce);
        let finder = memchr::memmem::Finder::new(prefix.as_bytes());
        let mut pieces = Vec::with_capacity(self.streams.len() * 2 + 1);
        let mut len = 0u64;
        let mut rest = &bytes[..];
        let mut streams = self.streams.into_iter().enumerate();
        while let Some(at) = finder.find(rest) {
            let (i, s) = streams.next()?;
            let mark = format!("{prefix}{i:08x}}}");
            if !rest[at..].starts_with(mark.as_bytes()) {
                return None;
            }
            len += at as u64 + s.written_len();
            pieces.push(Piece::Bytes(rest[..at].to_vec()));
            pieces.push(Piece::Data(s));
            rest = &rest[at + MARK_LEN..];
        }
        if streams.next().is_some() {
            return None;
        }
        len += rest.len() as u64;
        pieces.push(Piece::Bytes(rest.to_vec()));
        Some(MessageBytes {
            pieces,
            len,
            problems: RefCell::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn base64_lines_as_mail_builder_writes_them() {
        for n in [0usize, 1, 2, 3, 56, 57, 58, 114, 1000, PIECE_IN + 5] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7) as u8).collect();
            let mut ours = Vec::new();
            encode_lines(&data, &mut ours);
            let theirs = mail_builder::MessageBuilder::new()
                .body(mail_builder::mime::MimePart::new(
                    "application/octet-stream",
                    mail_builder::mime::BodyPart::Binary(data.clone().into()),
                ))
                .write_to_vec()
                .unwrap();
            assert!(theirs.ends_with(&ours), "{n} bytes");
            assert_eq!(ours.len() as u64, base64_len(n as u64));
            let plain: Vec<u8> = ours
                .iter()
                .copied()
                .filter(|c| !b"\r\n".contains(c))
                .collect();
            assert_eq!(
                base64::engine::general_purpose::STANDARD
                    .decode(plain)
                    .unwrap(),
                data
            );
        }
    }

    #[test]
    fn base64_lines_of_every_twelve_bit_value_decode_to_their_bytes() {
        // Every 12-bit value in both halves of a group: 4096 groups, then each shifted.
        let mut data = Vec::new();
        for v in 0..4096u32 {
            let n = v << 12 | (4095 - v);
            data.extend_from_slice(&n.to_be_bytes()[1..]);
        }
        let mut ours = Vec::new();
        encode_lines(&data, &mut ours);
        let lines: Vec<&[u8]> = ours.split(|&c| c == b'\n').collect();
        assert!(
            lines[..lines.len() - 2]
                .iter()
                .all(|l| l.len() == 77 && l[76] == b'\r')
        );
        let plain: Vec<u8> = ours
            .iter()
            .copied()
            .filter(|c| !b"\r\n".contains(c))
            .collect();
        let theirs = base64::engine::general_purpose::STANDARD.encode(&data);
        assert_eq!(plain, theirs.as_bytes());
    }

    fn stream(size: u64) -> Stream {
        Stream {
            blocks: Vec::new(),
            size,
            what: String::new(),
            verbatim: false,
        }
    }

    #[test]
    fn cut_finds_each_marker_once_in_order() {
        let mut h = Holes::new();
        let a = h.add(stream(3));
        let b = h.add(stream(60));
        let msg = [b"head\r\n".to_vec(), a, b"mid".to_vec(), b, b"end".to_vec()].concat();
        let m = h.cut(msg).unwrap();
        assert_eq!(m.pieces.len(), 5);
        assert_eq!(m.len(), 6 + 6 + 3 + 84 + 3);
    }

    #[test]
    fn a_forged_or_repeated_marker_fails_the_cut() {
        // The message's own text holding a marker (as a hostile file might, could it guess
        // the number) must not move data into it.
        let mut h = Holes::new();
        let a = h.add(stream(3));
        let twice = [a.clone(), b" ".to_vec(), a.clone()].concat();
        assert!(h.cut(twice).is_none());
        let mut h = Holes::new();
        let a = h.add(stream(3));
        let b = h.add(stream(3));
        assert!(h.cut([b.clone(), a.clone()].concat()).is_none());
        let mut h = Holes::new();
        let _ = h.add(stream(3));
        assert!(h.cut(b"no marker".to_vec()).is_none());
    }
}
