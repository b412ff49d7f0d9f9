//! Items that are not mail: contacts and distribution lists → vCard 4.0 ([`vcard`],
//! MS-OXOCNTC → RFC 6350); appointments, tasks and journal entries → iCalendar ([`ical`],
//! MS-OXOCAL / MS-OXOTASK → RFC 5545) with time zones ([`tz`]) and recurrence ([`recur`]).

pub mod ical;
pub mod recur;
pub mod text;
pub mod tz;
pub mod vcard;

use crate::pst::messaging::named::NamedProps;
use crate::pst::{Message, Pst};

/// What a non-mail item becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Contact,
    DistList,
    Appointment,
    Task,
    Journal,
}

impl Kind {
    /// The kind of a message class (`IPM.Contact`, `IPM.Appointment.Foo`, …).
    pub fn of(class: &str) -> Option<Kind> {
        let c = class.trim().to_ascii_lowercase();
        let is = |p: &str| c == p || c.strip_prefix(p).is_some_and(|r| r.starts_with('.'));
        if is("ipm.contact") {
            Some(Kind::Contact)
        } else if is("ipm.distlist") {
            Some(Kind::DistList)
        } else if is("ipm.appointment") {
            Some(Kind::Appointment)
        } else if is("ipm.task") {
            Some(Kind::Task)
        } else if is("ipm.activity") {
            Some(Kind::Journal)
        } else {
            None
        }
    }

    /// vCard or iCalendar.
    pub fn is_vcard(self) -> bool {
        matches!(self, Kind::Contact | Kind::DistList)
    }

    /// `msg`, an item of this kind, as vCard or as iCalendar components (`cal` carries the
    /// time zones a calendar file has defined so far).
    pub fn render(self, pst: &Pst, msg: &Message, cal: &mut ical::CalendarState) -> String {
        match self {
            Kind::Contact => vcard::contact(pst, msg),
            Kind::DistList => vcard::dist_list(pst, msg),
            Kind::Appointment => ical::event(pst, msg, cal),
            Kind::Task => ical::task(pst, msg),
            Kind::Journal => ical::journal(pst, msg),
        }
    }
}

/// Property sets of the named properties read here (GUIDs as stored: first three fields
/// little-endian).
pub const PSETID_ADDRESS: [u8; 16] = guid(0x0006_2004);
pub const PSETID_APPOINTMENT: [u8; 16] = guid(0x0006_2002);
pub const PSETID_TASK: [u8; 16] = guid(0x0006_2003);
pub const PSETID_COMMON: [u8; 16] = guid(0x0006_2008);
pub const PSETID_LOG: [u8; 16] = guid(0x0006_200A);
/// {6ED8DA90-450B-101B-98DA-00AA003F1305}
pub const PSETID_MEETING: [u8; 16] = [
    0x90, 0xDA, 0xD8, 0x6E, 0x0B, 0x45, 0x1B, 0x10, 0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05,
];

/// `{000620xx-0000-0000-C000-000000000046}`.
const fn guid(d1: u32) -> [u8; 16] {
    let b = d1.to_le_bytes();
    [
        b[0], b[1], b[2], b[3], 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ]
}

/// Reads an item's properties, plain and named.
pub struct Props<'a> {
    pub pst: &'a Pst,
    pub msg: &'a Message,
    named: &'a NamedProps,
}

impl<'a> Props<'a> {
    pub fn new(pst: &'a Pst, msg: &'a Message) -> Self {
        Self {
            pst,
            msg,
            named: &pst.named,
        }
    }

    pub fn id(&self, set: [u8; 16], lid: u32) -> Option<u16> {
        self.named.numeric_id(set, lid)
    }

    /// A string, trimmed; empty when absent.
    pub fn s(&self, id: u16) -> String {
        self.msg
            .string(self.pst, id)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    pub fn ns(&self, set: [u8; 16], lid: u32) -> String {
        self.id(set, lid).map(|id| self.s(id)).unwrap_or_default()
    }

    pub fn ntime(&self, set: [u8; 16], lid: u32) -> Option<i64> {
        self.msg.obj.time(self.id(set, lid)?)
    }

    pub fn ni32(&self, set: [u8; 16], lid: u32) -> Option<i32> {
        self.msg.obj.i32(self.id(set, lid)?)
    }

    pub fn nbool(&self, set: [u8; 16], lid: u32) -> Option<bool> {
        self.msg.obj.bool(self.id(set, lid)?)
    }

    pub fn nbytes(&self, set: [u8; 16], lid: u32) -> Option<Vec<u8>> {
        self.msg.obj.bytes(&self.pst.ndb, self.id(set, lid)?).ok()?
    }

    pub fn bytes(&self, id: u16) -> Option<Vec<u8>> {
        self.msg.obj.bytes(&self.pst.ndb, id).ok()?
    }

    /// A PtypFloating64 value.
    pub fn nf64(&self, set: [u8; 16], lid: u32) -> Option<f64> {
        let b = self.nbytes(set, lid)?;
        Some(f64::from_le_bytes(b.get(..8)?.try_into().ok()?))
    }

    /// Categories (the `Keywords` named property).
    pub fn categories(&self) -> Vec<String> {
        self.named
            .string_id(crate::pst::messaging::named::PS_PUBLIC_STRINGS, "Keywords")
            .map(|id| self.msg.obj.strings(&self.pst.ndb, id, self.msg.codepage))
            .unwrap_or_default()
    }
}

/// Escapes a text value for vCard and iCalendar (RFC 6350 §3.4, RFC 5545 §3.3.11).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded at 75 octets without splitting a character (RFC 5545
/// §3.1, RFC 6350 §3.2), ending in CRLF.
pub fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// `YYYYMMDDTHHMMSSZ` for Unix seconds.
pub fn utc_stamp(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// (year, month, day, hour, minute, second) of Unix seconds.
pub fn civil(t: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (y, m, d) = crate::util::civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    (y, m, d, s / 3600, s / 60 % 60, s % 60)
}

/// Unix seconds of a civil date and time (proleptic Gregorian).
pub fn unix(y: i64, m: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + h * 3600 + mi * 60 + s
}

/// Minutes since 1601-01-01 (the recurrence blob's unit) → Unix seconds.
pub fn minutes_1601(m: u32) -> i64 {
    (m as i64 - 194_074_560) * 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_escaping_and_dates() {
        let mut out = String::new();
        line(&mut out, &format!("NOTE:{}", "ä".repeat(50)));
        assert!(out.lines().all(|l| l.len() <= 75), "{out}");
        assert_eq!(
            out.replace("\r\n ", ""),
            format!("NOTE:{}\r\n", "ä".repeat(50))
        );
        assert_eq!(escape("a,b;c\\d\r\ne"), "a\\,b\\;c\\\\d\\ne");
        assert_eq!(unix(2018, 1, 2, 3, 4, 5), 1_514_862_245);
        assert_eq!(utc_stamp(1_514_862_245), "20180102T030405Z");
        // 2018-01-02 00:00 as minutes since 1601.
        assert_eq!(minutes_1601(219_322_080), unix(2018, 1, 2, 0, 0, 0));
        assert_eq!(Kind::of("IPM.Contact"), Some(Kind::Contact));
        assert_eq!(
            Kind::of("IPM.Appointment.Occurrence"),
            Some(Kind::Appointment)
        );
        assert_eq!(Kind::of("IPM.Contacts"), None);
    }
}
