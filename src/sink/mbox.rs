//! mboxrd (RFC 4155 with the qmail mbox(5) `>From ` quoting): a From_ line with the envelope
//! sender and the asctime of the delivery time in UTC, the message with LF line ends, and
//! every `>*From ` line quoted with one more `>`.

/// `Thu Jan  1 00:00:00 1970` for Unix seconds, in UTC.
pub fn asctime(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = crate::util::civil_from_days(days);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        WD[days.rem_euclid(7) as usize],
        crate::util::MONTHS[(m - 1) as usize],
        d,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        y
    )
}

/// One message as an mboxrd entry, ending with the blank separator line.
pub fn entry(envelope_from: &str, date: Option<i64>, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut sink = |b: &[u8]| {
        out.extend_from_slice(b);
        Ok(())
    };
    let _ = Entry::begin(envelope_from, date, &mut sink).and_then(|mut e| {
        e.write(message)?;
        e.finish()
    });
    out
}

/// An mboxrd entry written as its message arrives, in pieces of any size, and passed on in
/// pieces of at most 64 KiB: a message is never copied whole (its attachments may not even
/// be in memory; see [`crate::mime::MessageBytes`]).
pub struct Entry<'o> {
    out: &'o mut dyn FnMut(&[u8]) -> crate::error::Result<()>,
    buf: Vec<u8>,
    /// The line begun and not yet ended.
    line: Vec<u8>,
    /// Line ends (CR, LF) not yet followed by anything else: dropped if the message ends.
    pending: Vec<u8>,
}

impl<'o> Entry<'o> {
    /// Writes the From_ line for `envelope_from` and `date`.
    pub fn begin(
        envelope_from: &str,
        date: Option<i64>,
        out: &'o mut dyn FnMut(&[u8]) -> crate::error::Result<()>,
    ) -> crate::error::Result<Self> {
        let sender: String = envelope_from
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        let sender = if sender.is_empty() {
            "MAILER-DAEMON".to_string()
        } else {
            sender
        };
        let mut buf = Vec::with_capacity(64 * 1024 + 1024);
        buf.extend_from_slice(format!("From {sender} {}\n", asctime(date.unwrap_or(0))).as_bytes());
        Ok(Self {
            out,
            buf,
            line: Vec::new(),
            pending: Vec::new(),
        })
    }

    /// The next bytes of the message.
    pub fn write(&mut self, chunk: &[u8]) -> crate::error::Result<()> {
        // Exactly one blank line follows the message: its own trailing line ends are
        // dropped, so line ends wait until something else follows them.
        let keep = chunk
            .iter()
            .rposition(|b| !matches!(b, b'\r' | b'\n'))
            .map_or(0, |i| i + 1);
        if keep > 0 {
            let pending = std::mem::take(&mut self.pending);
            self.lines(&pending)?;
            self.lines(&chunk[..keep])?;
        }
        self.pending.extend_from_slice(&chunk[keep..]);
        Ok(())
    }

    /// The next piece of the message: base64 lines go without a search for line ends or
    /// `From ` (a sixth of a zip's instructions had gone to that), the rest as
    /// [`write`](Self::write).
    pub fn write_part(&mut self, part: crate::mime::Part<'_>) -> crate::error::Result<()> {
        match part {
            crate::mime::Part::Base64(text) => self.write_base64(text),
            crate::mime::Part::Bytes(b) => self.write(b),
        }
    }

    /// Base64 lines, 78 bytes each with their CRLF, the last one shorter: what [`write`]
    /// makes of them, without looking for line ends. Where the layout breaks, the rest goes
    /// the slow way; the alphabet is the caller's promise ([`crate::mime::Part::Base64`]).
    ///
    /// [`write`]: Self::write
    fn write_base64(&mut self, text: &[u8]) -> crate::error::Result<()> {
        let Some(body) = text.strip_suffix(b"\r\n").filter(|b| !b.is_empty()) else {
            return self.write(text);
        };
        let pending = std::mem::take(&mut self.pending);
        self.lines(&pending)?;
        // A line begun already (after a lone CR) takes the slow way, as would a row that is
        // not 76 characters and CRLF.
        let mut at = 0;
        while self.line.is_empty()
            && let Some((line, [b'\r', b'\n'])) = body
                .get(at..at + 78)
                .and_then(|row| row.split_first_chunk::<76>())
        {
            self.buf.extend_from_slice(line);
            self.buf.push(b'\n');
            at += 78;
            if self.buf.len() >= 64 * 1024 {
                (self.out)(&self.buf)?;
                self.buf.clear();
            }
        }
        self.lines(&body[at..])?;
        self.pending.extend_from_slice(b"\r\n");
        Ok(())
    }

    fn lines(&mut self, mut data: &[u8]) -> crate::error::Result<()> {
        while let Some(i) = memchr::memchr(b'\n', data) {
            if self.line.is_empty() {
                put_line(&mut self.buf, &data[..i]);
            } else {
                self.line.extend_from_slice(&data[..i]);
                put_line(&mut self.buf, &self.line);
                self.line.clear();
            }
            data = &data[i + 1..];
            if self.buf.len() >= 64 * 1024 {
                (self.out)(&self.buf)?;
                self.buf.clear();
            }
        }
        self.line.extend_from_slice(data);
        Ok(())
    }

    /// Ends the message's last line and the entry.
    pub fn finish(mut self) -> crate::error::Result<()> {
        put_line(&mut self.buf, &self.line);
        self.buf.push(b'\n');
        (self.out)(&self.buf)
    }
}

/// One line of the message (without its LF), its CR dropped and `>From ` quoted.
fn put_line(buf: &mut Vec<u8>, line: &[u8]) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let quoted = matches!(line.first(), Some(b'>' | b'F'))
        && line
            .iter()
            .position(|&b| b != b'>')
            .is_some_and(|i| line[i..].starts_with(b"From "));
    if quoted {
        buf.push(b'>');
    }
    buf.extend_from_slice(line);
    buf.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asctime_in_utc() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(1_393_401_002), "Wed Feb 26 07:50:02 2014");
        assert_eq!(asctime(951_782_400), "Tue Feb 29 00:00:00 2000");
    }

    #[test]
    fn mboxrd_quoting() {
        let e = entry(
            "a@b",
            Some(0),
            b"Subject: x\r\n\r\nFrom here\r\n>From there\r\nFromage\r\n",
        );
        assert_eq!(
            String::from_utf8(e).unwrap(),
            "From a@b Thu Jan  1 00:00:00 1970\nSubject: x\n\n>From here\n>>From there\nFromage\n\n"
        );
    }

    /// The old whole-message form: trailing line ends dropped, then every line ended in LF.
    fn whole(message: &[u8]) -> Vec<u8> {
        let mut end = message.len();
        while end > 0 && matches!(message[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        let mut out = b"From x Thu Jan  1 00:00:00 1970\n".to_vec();
        for line in message[..end].split(|&b| b == b'\n') {
            put_line(&mut out, line);
        }
        out.push(b'\n');
        out
    }

    #[test]
    fn pieces_of_any_size_make_the_same_entry() {
        let samples: [&[u8]; 6] = [
            b"",
            b"\r\n\r\n",
            b"a\r\r\n\r\nFrom b\r\n>From c\rd\r\n\r\n",
            b"Subject: x\r\n\r\nline\r\n\r\n\r\nmore\r\r",
            b"no end",
            b"\n\nFrom \n>>From x\n",
        ];
        for m in samples {
            for size in 1..=m.len().max(1) {
                let mut out = Vec::new();
                let mut sink = |b: &[u8]| {
                    out.extend_from_slice(b);
                    Ok(())
                };
                let mut e = Entry::begin("x", Some(0), &mut sink).unwrap();
                for piece in m.chunks(size) {
                    e.write(piece).unwrap();
                }
                e.finish().unwrap();
                assert_eq!(
                    out,
                    whole(m),
                    "{:?} in pieces of {size}",
                    String::from_utf8_lossy(m)
                );
            }
        }
    }

    /// Base64 as RFC 2045 lays it out (76 characters a line, CRLF), from the base64 crate.
    fn base64_lines(data: &[u8]) -> Vec<u8> {
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode(data);
        let mut out = Vec::new();
        for line in text.as_bytes().chunks(76) {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    #[test]
    fn base64_parts_make_the_entry_their_bytes_make() {
        use crate::mime::Part;
        // What comes before a run: line ends whole, split, a lone CR, a line begun.
        let before: [&[u8]; 5] = [b"H: x\r\n\r\n", b"H: x\r\n\r", b"H: x\r", b"H: x", b""];
        let after: [&[u8]; 3] = [b"\r\n--b--\r\n", b"", b"\r\n\r\n"];
        // Runs of no line, part of one, exactly one, lines and a part, > 64 KiB; and one
        // that breaks the layout (a short row first), which must take the slow way.
        let mut runs: Vec<Vec<u8>> = [0usize, 1, 20, 57, 58, 570, 50_000]
            .iter()
            .map(|&n| base64_lines(&(0..n).map(|i| (i * 31 % 251) as u8).collect::<Vec<_>>()))
            .collect();
        runs.push([b"QUJD\r\nFrom x\r\n".as_slice(), &base64_lines(&[7; 120])].concat());
        for b in before {
            for run in &runs {
                for a in after {
                    for pieces in [1, 2] {
                        let mut out = Vec::new();
                        let mut sink = |b: &[u8]| {
                            out.extend_from_slice(b);
                            Ok(())
                        };
                        let mut e = Entry::begin("x", Some(0), &mut sink).unwrap();
                        e.write_part(Part::Bytes(b)).unwrap();
                        // A run in two pieces, split at a line end, as a stream hands it over.
                        let cut = if pieces == 2 {
                            run.len() / 78 / 2 * 78
                        } else {
                            0
                        };
                        e.write_part(Part::Base64(&run[..cut])).unwrap();
                        e.write_part(Part::Base64(&run[cut..])).unwrap();
                        e.write_part(Part::Bytes(a)).unwrap();
                        e.finish().unwrap();
                        let message = [b, run.as_slice(), a].concat();
                        assert!(
                            out == whole(&message),
                            "{:?} + {} bytes of base64 in {pieces} + {:?}",
                            String::from_utf8_lossy(b),
                            run.len(),
                            String::from_utf8_lossy(a)
                        );
                    }
                }
            }
        }
    }
}
