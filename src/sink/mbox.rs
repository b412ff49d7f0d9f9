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
    let _ = write_entry(envelope_from, date, message, &mut |b| {
        out.extend_from_slice(b);
        Ok(())
    });
    out
}

/// Streams an mboxrd entry to `out` in pieces of at most 64 KiB, so that a message is never
/// copied whole (a message with a large attachment stays one buffer in memory).
pub fn write_entry(
    envelope_from: &str,
    date: Option<i64>,
    message: &[u8],
    out: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
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
    // Exactly one blank line after the message: its own trailing line ends are dropped.
    let mut end = message.len();
    while end > 0 && matches!(message[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let mut rest = &message[..end];
    loop {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
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
        if buf.len() >= 64 * 1024 {
            out(&buf)?;
            buf.clear();
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    buf.push(b'\n');
    out(&buf)
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
}
