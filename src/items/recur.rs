//! The appointment recurrence blob (MS-OXOCAL §2.2.1.44: RecurrencePattern and
//! AppointmentRecurrencePattern, in PidLidAppointmentRecur) → RRULE, EXDATE and the
//! changed occurrences (RFC 5545 §3.3.10, §3.8.5). All times in the blob are local
//! minutes since 1601-01-01.

/// How often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Every `period` days.
    Daily,
    /// On the weekdays of `days` (bit 0 = Sunday).
    Weekly { days: u32 },
    /// On day `day` of the month (31 = the last day in shorter months).
    Monthly { day: u32 },
    /// On the last day of the month.
    MonthEnd,
    /// The `nth` (5 = last) of the weekdays in `days`.
    MonthNth { days: u32, nth: u32 },
}

/// When the series ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// After the local date `end_date` (minutes since 1601).
    Date,
    Count(u32),
    Never,
}

/// An occurrence that was changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exception {
    /// Local minutes since 1601.
    pub start: u32,
    pub end: u32,
    pub original_start: u32,
    pub subject: Option<String>,
    pub location: Option<String>,
    pub busy_status: Option<u32>,
    pub all_day: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// Yearly series are monthly patterns with a period in months (12, 24, …).
    pub yearly: bool,
    pub pattern: Pattern,
    /// Days for daily (stored in minutes), weeks, or months.
    pub period: u32,
    pub end: End,
    /// First day of the week (0 = Sunday).
    pub first_dow: u32,
    /// Original local start dates (midnight) of deleted occurrences — changed ones included.
    pub deleted: Vec<u32>,
    /// Original local start dates of changed occurrences.
    pub modified: Vec<u32>,
    pub start_date: u32,
    pub end_date: u32,
    /// Minutes after midnight the occurrences start and end.
    pub start_offset: u32,
    pub end_offset: u32,
    pub exceptions: Vec<Exception>,
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn u16(&mut self) -> Option<u16> {
        let v = u16::from_le_bytes(self.b.get(self.at..self.at + 2)?.try_into().ok()?);
        self.at += 2;
        Some(v)
    }
    fn u32(&mut self) -> Option<u32> {
        let v = u32::from_le_bytes(self.b.get(self.at..self.at + 4)?.try_into().ok()?);
        self.at += 4;
        Some(v)
    }
    fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        let v = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(v)
    }
    fn list(&mut self) -> Option<Vec<u32>> {
        let n = self.u32()? as usize;
        if n > self.b.len() / 4 {
            return None;
        }
        (0..n).map(|_| self.u32()).collect()
    }
}

const ARO_SUBJECT: u16 = 0x0001;
const ARO_LOCATION: u16 = 0x0010;

/// Parses the blob; `None` if it is not one (or is damaged).
pub fn parse(b: &[u8], codepage: u32) -> Option<Recurrence> {
    let mut r = Reader { b, at: 0 };
    let mut rec = recurrence_pattern(&mut r)?;
    // The appointment part: times of day and changed occurrences (absent in task blobs).
    let Some(_reader2) = r.u32() else {
        return Some(rec);
    };
    let writer2 = r.u32()?;
    rec.start_offset = r.u32()?;
    rec.end_offset = r.u32()?;
    let n = r.u16()? as usize;
    let mut flags = Vec::new();
    for _ in 0..n {
        let (e, f) = exception_info(&mut r, codepage)?;
        rec.exceptions.push(e);
        flags.push(f);
    }
    // Unicode subjects and locations, when the blob carries them, replace the 8-bit ones;
    // a blob that ends early keeps the 8-bit ones.
    let _ = extended_exceptions(&mut r, writer2, &mut rec.exceptions, &flags);
    Some(rec)
}

/// RecurrencePattern (§2.2.1.44.1): the series without times of day.
fn recurrence_pattern(r: &mut Reader) -> Option<Recurrence> {
    if r.u16()? != 0x3004 {
        return None;
    }
    r.u16()?;
    let freq = r.u16()?;
    let pattern_type = r.u16()?;
    let _calendar = r.u16()?;
    let _first = r.u32()?;
    let period = r.u32()?;
    let _sliding = r.u32()?;
    let pattern = match pattern_type {
        0x0 => Pattern::Daily,
        0x1 => Pattern::Weekly { days: r.u32()? },
        0x2 | 0xA => Pattern::Monthly { day: r.u32()? },
        0x3 | 0xC => {
            r.u32()?;
            Pattern::MonthEnd
        }
        0x4 | 0xB => Pattern::MonthNth {
            days: r.u32()?,
            nth: r.u32()?,
        },
        _ => return None,
    };
    let end_type = r.u32()?;
    let count = r.u32()?;
    let first_dow = r.u32()?;
    let deleted = r.list()?;
    let modified = r.list()?;
    let start_date = r.u32()?;
    let end_date = r.u32()?;
    let end = match end_type {
        0x2021 => End::Date,
        0x2022 => End::Count(count),
        _ => End::Never,
    };
    Some(Recurrence {
        yearly: freq == 0x200D,
        pattern,
        period,
        end,
        first_dow,
        deleted,
        modified,
        start_date,
        end_date,
        start_offset: 0,
        end_offset: 0,
        exceptions: Vec::new(),
    })
}

/// ExceptionInfo (§2.2.1.44.2): one changed occurrence, with its override flags.
fn exception_info(r: &mut Reader, codepage: u32) -> Option<(Exception, u16)> {
    let mut e = Exception {
        start: r.u32()?,
        end: r.u32()?,
        original_start: r.u32()?,
        ..Exception::default()
    };
    let f = r.u16()?;
    let text = |r: &mut Reader| -> Option<String> {
        r.u16()?;
        let len = r.u16()? as usize;
        Some(crate::codepage::decode(r.bytes(len)?, codepage))
    };
    if f & ARO_SUBJECT != 0 {
        e.subject = Some(text(r)?);
    }
    // Meeting type, reminder delta, reminder set: not exported.
    for bit in [0x0002, 0x0004, 0x0008] {
        if f & bit != 0 {
            r.u32()?;
        }
    }
    if f & ARO_LOCATION != 0 {
        e.location = Some(text(r)?);
    }
    if f & 0x0020 != 0 {
        e.busy_status = Some(r.u32()?);
    }
    if f & 0x0040 != 0 {
        r.u32()?; // attachment
    }
    if f & 0x0080 != 0 {
        e.all_day = Some(r.u32()? != 0);
    }
    if f & 0x0100 != 0 {
        r.u32()?; // appointment colour
    }
    Some((e, f))
}

/// The ExtendedException structures (one per ExceptionInfo, after a reserved block): the
/// Unicode subject and location of each exception whose flags say it has them.
fn extended_exceptions(
    r: &mut Reader,
    writer2: u32,
    exceptions: &mut [Exception],
    flags: &[u16],
) -> Option<()> {
    let skip = r.u32()? as usize;
    r.bytes(skip)?;
    let wide = |r: &mut Reader| -> Option<String> {
        let n = r.u16()? as usize;
        let units: Vec<u16> = r
            .bytes(2 * n)?
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    };
    for (e, f) in exceptions.iter_mut().zip(flags) {
        if writer2 >= 0x3009 {
            let size = r.u32()? as usize;
            r.bytes(size)?;
        }
        let ee1 = r.u32()? as usize;
        r.bytes(ee1)?;
        if f & (ARO_SUBJECT | ARO_LOCATION) != 0 {
            r.bytes(12)?;
            if f & ARO_SUBJECT != 0 {
                e.subject = Some(wide(r)?);
            }
            if f & ARO_LOCATION != 0 {
                e.location = Some(wide(r)?);
            }
            let ee2 = r.u32()? as usize;
            r.bytes(ee2)?;
        }
    }
    Some(())
}

const DAYS: [&str; 7] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

fn byday(mask: u32) -> String {
    (0..7)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| DAYS[i])
        .collect::<Vec<_>>()
        .join(",")
}

impl Recurrence {
    /// The RRULE value. `until` is the UNTIL value to use for a series ending on a date
    /// (the caller knows the time zone and whether the event is all-day).
    pub fn rrule(&self, start_month: i64, until: &str) -> String {
        let mut r = match (&self.pattern, self.yearly) {
            (Pattern::Daily, _) => format!("FREQ=DAILY;INTERVAL={}", (self.period / 1440).max(1)),
            (Pattern::Weekly { days }, _) => format!(
                "FREQ=WEEKLY;INTERVAL={};BYDAY={};WKST={}",
                self.period.max(1),
                byday(*days),
                DAYS[(self.first_dow % 7) as usize]
            ),
            (Pattern::Monthly { day }, yearly) => {
                let day = if *day >= 31 {
                    "-1".to_string()
                } else {
                    day.to_string()
                };
                if yearly {
                    format!(
                        "FREQ=YEARLY;INTERVAL={};BYMONTH={start_month};BYMONTHDAY={day}",
                        (self.period / 12).max(1)
                    )
                } else {
                    format!(
                        "FREQ=MONTHLY;INTERVAL={};BYMONTHDAY={day}",
                        self.period.max(1)
                    )
                }
            }
            (Pattern::MonthEnd, yearly) => {
                if yearly {
                    format!(
                        "FREQ=YEARLY;INTERVAL={};BYMONTH={start_month};BYMONTHDAY=-1",
                        (self.period / 12).max(1)
                    )
                } else {
                    format!("FREQ=MONTHLY;INTERVAL={};BYMONTHDAY=-1", self.period.max(1))
                }
            }
            (Pattern::MonthNth { days, nth }, yearly) => {
                let pos = if *nth >= 5 { -1 } else { *nth as i64 };
                let base = if yearly {
                    format!(
                        "FREQ=YEARLY;INTERVAL={};BYMONTH={start_month}",
                        (self.period / 12).max(1)
                    )
                } else {
                    format!("FREQ=MONTHLY;INTERVAL={}", self.period.max(1))
                };
                format!("{base};BYDAY={};BYSETPOS={pos}", byday(*days))
            }
        };
        match self.end {
            End::Count(n) => r.push_str(&format!(";COUNT={n}")),
            End::Date => r.push_str(&format!(";UNTIL={until}")),
            End::Never => {}
        }
        r
    }

    /// Deleted occurrences that were not moved or changed: the EXDATEs (local midnight of
    /// their original day, minutes since 1601).
    pub fn exdates(&self) -> Vec<u32> {
        self.deleted
            .iter()
            .copied()
            .filter(|d| !self.modified.contains(d))
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a blob the way Outlook writes it (MS-OXOCAL §2.2.1.44).
    #[allow(clippy::too_many_arguments)]
    pub fn blob(
        freq: u16,
        ptype: u16,
        period: u32,
        specific: &[u32],
        end: (u32, u32),
        deleted: &[u32],
        modified: &[u32],
        dates: (u32, u32),
        offsets: (u32, u32),
        exceptions: &[(u32, u32, u32, Option<&str>)],
    ) -> Vec<u8> {
        let mut b = Vec::new();
        let p16 = |b: &mut Vec<u8>, v: u16| b.extend_from_slice(&v.to_le_bytes());
        let p32 = |b: &mut Vec<u8>, v: u32| b.extend_from_slice(&v.to_le_bytes());
        p16(&mut b, 0x3004);
        p16(&mut b, 0x3004);
        p16(&mut b, freq);
        p16(&mut b, ptype);
        p16(&mut b, 0);
        p32(&mut b, 0);
        p32(&mut b, period);
        p32(&mut b, 0);
        for v in specific {
            p32(&mut b, *v);
        }
        p32(&mut b, end.0);
        p32(&mut b, end.1);
        p32(&mut b, 1);
        p32(&mut b, deleted.len() as u32);
        for v in deleted {
            p32(&mut b, *v);
        }
        p32(&mut b, modified.len() as u32);
        for v in modified {
            p32(&mut b, *v);
        }
        p32(&mut b, dates.0);
        p32(&mut b, dates.1);
        p32(&mut b, 0x3006);
        p32(&mut b, 0x3009);
        p32(&mut b, offsets.0);
        p32(&mut b, offsets.1);
        p16(&mut b, exceptions.len() as u16);
        for (s, e, o, subj) in exceptions {
            p32(&mut b, *s);
            p32(&mut b, *e);
            p32(&mut b, *o);
            p16(&mut b, if subj.is_some() { ARO_SUBJECT } else { 0 });
            if let Some(t) = subj {
                p16(&mut b, t.len() as u16 + 1);
                p16(&mut b, t.len() as u16);
                b.extend_from_slice(t.as_bytes());
            }
        }
        p32(&mut b, 0);
        for (s, e, o, subj) in exceptions {
            p32(&mut b, 4);
            p32(&mut b, 0);
            p32(&mut b, 0);
            if let Some(t) = subj {
                p32(&mut b, *s);
                p32(&mut b, *e);
                p32(&mut b, *o);
                let wide: Vec<u16> = format!("{t} ✓").encode_utf16().collect();
                p16(&mut b, wide.len() as u16);
                for u in wide {
                    p16(&mut b, u);
                }
                p32(&mut b, 0);
            }
        }
        p32(&mut b, 0);
        b
    }

    /// Minutes since 1601 of a local date.
    pub fn day(y: i64, m: i64, d: i64) -> u32 {
        ((crate::items::unix(y, m, d, 0, 0, 0) / 60) + 194_074_560) as u32
    }

    #[test]
    fn patterns_become_rrules() {
        let never = (0x2023, 10);
        let start = day(2018, 1, 1);
        // Daily, every 2 days, 10 occurrences.
        let r = parse(
            &blob(
                0x200A,
                0,
                2880,
                &[],
                (0x2022, 10),
                &[],
                &[],
                (start, day(2018, 1, 19)),
                (540, 600),
                &[],
            ),
            1252,
        )
        .unwrap();
        assert_eq!(r.rrule(1, ""), "FREQ=DAILY;INTERVAL=2;COUNT=10");
        assert_eq!((r.start_offset, r.end_offset), (540, 600));
        // Weekly on Monday and Wednesday, every week, until a date.
        let r = parse(
            &blob(
                0x200B,
                1,
                1,
                &[0b0001010],
                (0x2021, 0),
                &[],
                &[],
                (start, day(2018, 3, 31)),
                (540, 600),
                &[],
            ),
            1252,
        )
        .unwrap();
        assert_eq!(
            r.rrule(1, "20180331T090000"),
            "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;WKST=MO;UNTIL=20180331T090000"
        );
        // Monthly, the second Tuesday, every 3 months.
        let r = parse(
            &blob(
                0x200C,
                4,
                3,
                &[0b0000100, 2],
                never,
                &[],
                &[],
                (start, 0x5AE9_80DF),
                (0, 60),
                &[],
            ),
            1252,
        )
        .unwrap();
        assert_eq!(
            r.rrule(1, ""),
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=TU;BYSETPOS=2"
        );
        // The last Friday of the month.
        let r = parse(
            &blob(
                0x200C,
                4,
                1,
                &[0b0100000, 5],
                never,
                &[],
                &[],
                (start, 0),
                (0, 60),
                &[],
            ),
            1252,
        )
        .unwrap();
        assert_eq!(
            r.rrule(1, ""),
            "FREQ=MONTHLY;INTERVAL=1;BYDAY=FR;BYSETPOS=-1"
        );
        // Yearly on 14 February; and the 31st as "the last day".
        let r = parse(
            &blob(
                0x200D,
                2,
                12,
                &[14],
                never,
                &[],
                &[],
                (day(2018, 2, 14), 0),
                (0, 1440),
                &[],
            ),
            1252,
        )
        .unwrap();
        assert_eq!(
            r.rrule(2, ""),
            "FREQ=YEARLY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=14"
        );
        let r = parse(
            &blob(
                0x200C,
                2,
                1,
                &[31],
                never,
                &[],
                &[],
                (start, 0),
                (0, 60),
                &[],
            ),
            1252,
        )
        .unwrap();
        assert_eq!(r.rrule(1, ""), "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=-1");
        // Yearly, the first Monday of September (Labour Day style).
        let r = parse(
            &blob(
                0x200D,
                4,
                12,
                &[0b10, 1],
                never,
                &[],
                &[],
                (day(2018, 9, 3), 0),
                (0, 1440),
                &[],
            ),
            1252,
        )
        .unwrap();
        assert_eq!(
            r.rrule(9, ""),
            "FREQ=YEARLY;INTERVAL=1;BYMONTH=9;BYDAY=MO;BYSETPOS=1"
        );
    }

    #[test]
    fn deletions_and_changes() {
        // Weekly on Monday from 2018-01-01 09:00; 8 Jan deleted; 15 Jan moved to 10:00 with
        // a new subject.
        let (d8, d15) = (day(2018, 1, 8), day(2018, 1, 15));
        let b = blob(
            0x200B,
            1,
            1,
            &[0b10],
            (0x2022, 5),
            &[d8, d15],
            &[d15],
            (day(2018, 1, 1), 0),
            (540, 600),
            &[(d15 + 600, d15 + 660, d15 + 540, Some("Moved"))],
        );
        let r = parse(&b, 1252).unwrap();
        assert_eq!(r.exdates(), vec![d8]);
        assert_eq!(r.exceptions.len(), 1);
        let e = &r.exceptions[0];
        assert_eq!(
            (e.start, e.end, e.original_start),
            (d15 + 600, d15 + 660, d15 + 540)
        );
        // The Unicode subject of the extended exception wins over the 8-bit one.
        assert_eq!(e.subject.as_deref(), Some("Moved ✓"));
        // A truncated blob is not a recurrence.
        assert_eq!(parse(&b[..20], 1252), None);
    }
}
