//! Appointment time zones (MS-OXOCAL §2.2.1.39 PidLidTimeZoneStruct, §2.2.1.41
//! TZDEFINITION in PidLidAppointmentTimeZoneDefinitionStartDisplay) → a VTIMEZONE
//! (RFC 5545 §3.6.5) and UTC → local time conversion with the same rules.

use super::{civil, line, unix};

/// A yearly transition: in `month`, the `week`-th (5 = last) `weekday` (0 = Sunday), at
/// `hour:minute` local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub month: u16,
    pub weekday: u16,
    pub week: u16,
    pub hour: u16,
    pub minute: u16,
}

/// A Windows time zone: UTC = local + bias (+ the standard or daylight bias), minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    pub name: String,
    pub bias: i32,
    pub standard_bias: i32,
    pub daylight_bias: i32,
    /// `None` when the zone has no daylight saving time.
    pub to_standard: Option<Transition>,
    pub to_daylight: Option<Transition>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn i32_at(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A SYSTEMTIME used as a transition rule (wYear 0: a yearly rule).
fn transition(b: &[u8], at: usize) -> Option<Option<Transition>> {
    let month = u16_at(b, at + 2)?;
    if month == 0 {
        return Some(None);
    }
    let t = Transition {
        month,
        weekday: u16_at(b, at + 4)?,
        week: u16_at(b, at + 6)?,
        hour: u16_at(b, at + 8)?,
        minute: u16_at(b, at + 10)?,
    };
    let valid = (1..=12).contains(&t.month)
        && t.weekday < 7
        && (1..=5).contains(&t.week)
        && t.hour < 24
        && t.minute < 60;
    Some(valid.then_some(t))
}

/// Biases beyond ±16 hours are not time zones.
fn sane(z: TimeZone) -> Option<TimeZone> {
    let ok = |m: i32| m.abs() <= 16 * 60;
    (ok(z.bias) && ok(z.bias + z.standard_bias) && ok(z.bias + z.daylight_bias)).then_some(z)
}

/// PidLidTimeZoneStruct (48 bytes) with a name (PidLidTimeZoneDescription).
pub fn from_struct(b: &[u8], name: &str) -> Option<TimeZone> {
    if b.len() < 48 {
        return None;
    }
    let (to_standard, to_daylight) = (transition(b, 14)?, transition(b, 32)?);
    sane(TimeZone {
        name: name.to_string(),
        bias: i32_at(b, 0)?,
        standard_bias: i32_at(b, 4)?,
        daylight_bias: i32_at(b, 8)?,
        // Both or neither: `a.and(b)` is `b` when `a` is set.
        to_standard: to_daylight.and(to_standard),
        to_daylight: to_standard.and(to_daylight),
    })
}

/// A TZDEFINITION: the rule flagged effective (else the last one), named by its key.
pub fn from_definition(b: &[u8]) -> Option<TimeZone> {
    if *b.first()? != 2 {
        return None;
    }
    let header = u16_at(b, 2)? as usize;
    let cch = u16_at(b, 6)? as usize;
    let key: Vec<u16> = b
        .get(8..8 + 2 * cch)?
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let name = String::from_utf16_lossy(&key);
    let rules_at = 4 + header;
    let count = u16_at(b, rules_at)? as usize;
    let mut chosen = None;
    for i in 0..count.min(1024) {
        let r = rules_at + 2 + 66 * i;
        let Some(rule) = b.get(r..r + 66) else { break };
        let flags = u16_at(rule, 4)?;
        chosen = Some(rule);
        if flags & 0x0002 != 0 {
            break;
        }
    }
    let rule = chosen?;
    let (to_standard, to_daylight) = (transition(rule, 34)?, transition(rule, 50)?);
    sane(TimeZone {
        name,
        bias: i32_at(rule, 22)?,
        standard_bias: i32_at(rule, 26)?,
        daylight_bias: i32_at(rule, 30)?,
        // Both or neither: `a.and(b)` is `b` when `a` is set.
        to_standard: to_daylight.and(to_standard),
        to_daylight: to_standard.and(to_daylight),
    })
}

/// Day of month of the `week`-th `weekday` of a month (week 5 = the last).
pub fn nth_weekday(year: i64, month: i64, weekday: i64, week: i64) -> i64 {
    let first = unix(year, month, 1, 0, 0, 0).div_euclid(86_400);
    // 1970-01-01 was a Thursday (4).
    let first_dow = (first + 4).rem_euclid(7);
    let mut day = 1 + (weekday - first_dow).rem_euclid(7) + 7 * (week.clamp(1, 5) - 1);
    let next_month = if month == 12 {
        unix(year + 1, 1, 1, 0, 0, 0)
    } else {
        unix(year, month + 1, 1, 0, 0, 0)
    };
    let days_in_month = (next_month - unix(year, month, 1, 0, 0, 0)) / 86_400;
    while day > days_in_month {
        day -= 7;
    }
    day
}

impl TimeZone {
    /// The TZID: the zone's name with characters iCalendar parameter values cannot hold
    /// removed.
    pub fn tzid(&self) -> String {
        let n: String = self
            .name
            .chars()
            .filter(|c| !c.is_control() && !"\";:,".contains(*c))
            .collect();
        let n = n.trim().to_string();
        if n.is_empty() {
            format!("UTC{:+03}{:02}", -(self.bias) / 60, (self.bias.abs()) % 60)
        } else {
            n
        }
    }

    /// Local standard and daylight offsets from UTC, minutes.
    fn offsets(&self) -> (i32, i32) {
        (
            -(self.bias + self.standard_bias),
            -(self.bias + self.daylight_bias),
        )
    }

    /// The UTC instant of a transition in `year` (its local time is in the offset before it).
    fn transition_utc(&self, t: &Transition, year: i64, offset_before: i32) -> i64 {
        let day = nth_weekday(year, t.month as i64, t.weekday as i64, t.week as i64);
        unix(year, t.month as i64, day, t.hour as i64, t.minute as i64, 0)
            - offset_before as i64 * 60
    }

    /// Offset from UTC (minutes) in effect at a UTC instant.
    pub fn offset_at(&self, utc: i64) -> i32 {
        let (std, dst) = self.offsets();
        let (Some(to_std), Some(to_dst)) = (self.to_standard, self.to_daylight) else {
            return std;
        };
        let year = civil(utc + std as i64 * 60).0;
        let dst_start = self.transition_utc(&to_dst, year, std);
        let std_start = self.transition_utc(&to_std, year, dst);
        let in_dst = if dst_start < std_start {
            utc >= dst_start && utc < std_start
        } else {
            utc >= dst_start || utc < std_start
        };
        if in_dst { dst } else { std }
    }

    /// `YYYYMMDDTHHMMSS` local time of a UTC instant.
    pub fn local_stamp(&self, utc: i64) -> String {
        let (y, mo, d, h, mi, s) = civil(utc + self.offset_at(utc) as i64 * 60);
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}")
    }

    /// The local date of a UTC instant.
    pub fn local_date(&self, utc: i64) -> (i64, i64, i64) {
        let (y, mo, d, ..) = civil(utc + self.offset_at(utc) as i64 * 60);
        (y, mo, d)
    }

    /// The VTIMEZONE component.
    pub fn vtimezone(&self, out: &mut String) {
        let (std, dst) = self.offsets();
        let fmt = |m: i32| {
            format!(
                "{}{:02}{:02}",
                if m < 0 { '-' } else { '+' },
                m.abs() / 60,
                m.abs() % 60
            )
        };
        line(out, "BEGIN:VTIMEZONE");
        line(out, &format!("TZID:{}", self.tzid()));
        match (self.to_standard, self.to_daylight) {
            (Some(s), Some(d)) => {
                for (kind, t, from, to) in [("STANDARD", s, dst, std), ("DAYLIGHT", d, std, dst)] {
                    let day = nth_weekday(1970, t.month as i64, t.weekday as i64, t.week as i64);
                    let byday = if t.week >= 5 { -1 } else { t.week as i64 };
                    const DAYS: [&str; 7] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
                    line(out, &format!("BEGIN:{kind}"));
                    line(
                        out,
                        &format!(
                            "DTSTART:1970{:02}{day:02}T{:02}{:02}00",
                            t.month, t.hour, t.minute
                        ),
                    );
                    line(out, &format!("TZOFFSETFROM:{}", fmt(from)));
                    line(out, &format!("TZOFFSETTO:{}", fmt(to)));
                    line(
                        out,
                        &format!(
                            "RRULE:FREQ=YEARLY;BYMONTH={};BYDAY={byday}{}",
                            t.month, DAYS[t.weekday as usize]
                        ),
                    );
                    line(out, &format!("END:{kind}"));
                }
            }
            _ => {
                line(out, "BEGIN:STANDARD");
                line(out, "DTSTART:19700101T000000");
                line(out, &format!("TZOFFSETFROM:{}", fmt(std)));
                line(out, &format!("TZOFFSETTO:{}", fmt(std)));
                line(out, "END:STANDARD");
            }
        }
        line(out, "END:VTIMEZONE");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central Europe: bias -60, daylight bias -60, DST from the last Sunday of March 2:00
    /// to the last Sunday of October 3:00.
    pub fn berlin() -> TimeZone {
        TimeZone {
            name: "W. Europe Standard Time".into(),
            bias: -60,
            standard_bias: 0,
            daylight_bias: -60,
            to_standard: Some(Transition {
                month: 10,
                weekday: 0,
                week: 5,
                hour: 3,
                minute: 0,
            }),
            to_daylight: Some(Transition {
                month: 3,
                weekday: 0,
                week: 5,
                hour: 2,
                minute: 0,
            }),
        }
    }

    #[test]
    fn offsets_follow_the_rules() {
        let z = berlin();
        assert_eq!(nth_weekday(2018, 3, 0, 5), 25);
        assert_eq!(nth_weekday(2018, 10, 0, 5), 28);
        assert_eq!(nth_weekday(2018, 1, 1, 1), 1);
        // 2018-03-25 00:59:59Z is still winter time, 01:00Z summer time.
        assert_eq!(z.offset_at(unix(2018, 3, 25, 0, 59, 59)), 60);
        assert_eq!(z.offset_at(unix(2018, 3, 25, 1, 0, 0)), 120);
        assert_eq!(z.offset_at(unix(2018, 10, 28, 0, 59, 59)), 120);
        assert_eq!(z.offset_at(unix(2018, 10, 28, 1, 0, 0)), 60);
        assert_eq!(z.local_stamp(unix(2018, 7, 1, 8, 0, 0)), "20180701T100000");
        let mut out = String::new();
        z.vtimezone(&mut out);
        assert!(
            out.contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"),
            "{out}"
        );
        assert!(
            out.contains("TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"),
            "{out}"
        );
        // The same zone as a 48-byte PidLidTimeZoneStruct.
        let mut b = Vec::new();
        for v in [-60i32, 0, -60] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for st in [[0u16, 10, 0, 5, 3, 0, 0, 0], [0, 3, 0, 5, 2, 0, 0, 0]] {
            b.extend_from_slice(&0u16.to_le_bytes());
            for v in st {
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        assert_eq!(from_struct(&b, "W. Europe Standard Time"), Some(z));
    }
}
