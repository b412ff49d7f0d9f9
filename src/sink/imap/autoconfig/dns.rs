//! Just enough DNS (RFC 1035) to ask for SRV records (RFC 2782): one query over UDP to the
//! system's resolver (the first `nameserver` of /etc/resolv.conf), its answer read within a
//! datagram, names followed through compression pointers a bounded number of times.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// SRV's record type.
const SRV: u16 = 33;

/// One SRV record: priority, weight, port, target.
pub type Record = (u16, u16, u16, String);

/// The system's resolver: the first `nameserver` line of /etc/resolv.conf, port 53.
pub fn resolver() -> Option<SocketAddr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    conf.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .find_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
}

/// `name`'s SRV records as (priority, weight, port, target), asked of `server`; none when
/// it does not answer within `wait` (twice) or has none.
pub fn srv(server: SocketAddr, name: &str, wait: Duration) -> Vec<Record> {
    let Some(query) = query(name) else {
        return Vec::new();
    };
    let bind = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let Ok(sock) = UdpSocket::bind(bind) else {
        return Vec::new();
    };
    if sock.set_read_timeout(Some(wait)).is_err() || sock.connect(server).is_err() {
        return Vec::new();
    }
    // Sent twice at most; datagrams that are not the answer (another id) are passed over
    // until the wait is up.
    for _ in 0..2 {
        if sock.send(&query).is_err() {
            return Vec::new();
        }
        let until = std::time::Instant::now() + wait;
        while std::time::Instant::now() < until {
            let mut buf = [0u8; 4096];
            match sock.recv(&mut buf) {
                Ok(n) => {
                    if let Some(records) = answer(&buf[..n], &query[..2]) {
                        return records;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break;
                }
                Err(_) => return Vec::new(),
            }
        }
    }
    Vec::new()
}

/// A recursive query for `name`'s SRV records; `None` for a name DNS cannot carry.
fn query(name: &str) -> Option<Vec<u8>> {
    let mut id = [0u8; 2];
    getrandom::fill(&mut id).ok()?;
    let mut q = id.to_vec();
    // Recursion desired; one question.
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    if q.len() > 12 + 255 {
        return None;
    }
    q.extend_from_slice(&SRV.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    Some(q)
}

/// The SRV records of an answer to the query with id `id` (none for an error answer);
/// `None` if it is not one.
pub fn answer(m: &[u8], id: &[u8]) -> Option<Vec<Record>> {
    let u16_at = |i: usize| m.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    // Ours, and a response; an error code (no such name, …) is a final "none".
    if m.get(..2)? != id || m.get(2)? & 0x80 == 0 {
        return None;
    }
    if m.get(3)? & 0x0f != 0 {
        return Some(Vec::new());
    }
    let (questions, answers) = (u16_at(4)?, u16_at(6)?);
    let mut at = 12;
    for _ in 0..questions {
        at = name(m, at)?.1 + 4;
    }
    let mut out = Vec::new();
    for _ in 0..answers {
        let (_, end) = name(m, at)?;
        let (kind, len) = (u16_at(end)?, u16_at(end + 8)? as usize);
        let data = end + 10;
        if kind == SRV && len >= 7 {
            let (target, _) = name(m, data + 6)?;
            out.push((u16_at(data)?, u16_at(data + 2)?, u16_at(data + 4)?, target));
        }
        at = data + len;
        m.get(..at)?;
    }
    Some(out)
}

/// The name at `at` (dotted; "." for the root) and where what follows it begins; pointers
/// are followed at most 32 times and the name may not exceed 255 bytes.
fn name(m: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut labels: Vec<String> = Vec::new();
    let mut end = None;
    let (mut jumps, mut total) = (0, 0);
    loop {
        let len = *m.get(at)? as usize;
        match len {
            0 => {
                let next = end.unwrap_or(at + 1);
                let text = if labels.is_empty() {
                    ".".into()
                } else {
                    labels.join(".")
                };
                return Some((text, next));
            }
            l if l & 0xc0 == 0xc0 => {
                jumps += 1;
                if jumps > 32 {
                    return None;
                }
                let to = ((l & 0x3f) << 8) | *m.get(at + 1)? as usize;
                end.get_or_insert(at + 2);
                at = to;
            }
            l if l <= 63 => {
                total += l + 1;
                if total > 255 {
                    return None;
                }
                let label = m.get(at + 1..at + 1 + l)?;
                labels.push(String::from_utf8_lossy(label).into_owned());
                at += 1 + l;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as a resolver gives it: the question, then SRV records whose targets point
    /// back into the message (compression).
    fn reply(q: &[u8], records: &[(u16, u16, u16, &str)]) -> Vec<u8> {
        let mut m = q[..2].to_vec();
        m.extend_from_slice(&[0x81, 0x80, 0, 1]);
        m.extend_from_slice(&(records.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0]);
        m.extend_from_slice(&q[12..]);
        for (p, w, port, target) in records {
            m.extend_from_slice(&[0xc0, 12]);
            m.extend_from_slice(&SRV.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 1, 0]);
            let mut data = Vec::new();
            for v in [p, w, port] {
                data.extend_from_slice(&v.to_be_bytes());
            }
            // "imap" then a pointer to the question's domain (after "_imaps._tcp").
            data.extend_from_slice(&[4]);
            data.extend_from_slice(target.as_bytes());
            data.extend_from_slice(&[0xc0, 12 + 7 + 5]);
            m.extend_from_slice(&(data.len() as u16).to_be_bytes());
            m.extend_from_slice(&data);
        }
        m
    }

    #[test]
    fn srv_records_come_back_from_a_resolver() {
        // A resolver on this machine, answering the one query it gets.
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            let (n, from) = server.recv_from(&mut buf).unwrap();
            let q = buf[..n].to_vec();
            // A stray datagram first (another id), then the answer.
            let mut stray = reply(&q, &[]);
            stray[0] ^= 0xff;
            server.send_to(&stray, from).unwrap();
            server
                .send_to(&reply(&q, &[(10, 5, 993, "imap")]), from)
                .unwrap();
            q
        });
        let got = srv(addr, "_imaps._tcp.bakery.example", Duration::from_secs(5));
        let q = t.join().unwrap();
        assert_eq!(
            &q[12..],
            b"\x06_imaps\x04_tcp\x06bakery\x07example\x00\x00\x21\x00\x01"
        );
        assert_eq!(got, [(10, 5, 993, "imap.bakery.example".to_string())]);
        // Nobody answers: nothing, soon.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let t0 = std::time::Instant::now();
        assert!(
            srv(
                silent.local_addr().unwrap(),
                "_imaps._tcp.x.example",
                Duration::from_millis(100)
            )
            .is_empty()
        );
        assert!(t0.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn hostile_answers_are_refused_without_panics() {
        let q = query("_imaps._tcp.bakery.example").unwrap();
        let good = reply(&q, &[(1, 1, 993, "imap")]);
        // Every truncation, and a pointer loop.
        for n in 0..good.len() {
            let _ = answer(&good[..n], &q[..2]);
        }
        let mut looped = good.clone();
        let i = looped.len() - 2;
        looped[i] = 0xc0;
        looped[i + 1] = i as u8;
        assert!(answer(&looped, &q[..2]).is_none());
        assert!(query(&"a".repeat(64)).is_none());
        assert!(query(&vec!["abc"; 80].join(".")).is_none());
    }
}
