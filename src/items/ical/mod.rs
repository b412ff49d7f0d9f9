//! Appointments → VEVENT, tasks → VTODO, journal entries → VJOURNAL (RFC 5545), from the
//! properties of MS-OXOCAL, MS-OXOTASK and MS-OXOJRNL. An appointment keeps its time zone
//! (VTIMEZONE, written once per calendar before the first event that uses it), all-day
//! dates, recurrence with deleted and changed occurrences, organizer and attendees with
//! roles and responses, busy status, privacy, categories and its reminder.

use super::recur::{self, End, Recurrence};
use super::tz::{self, TimeZone};
use super::{
    PSETID_APPOINTMENT as APPT, PSETID_COMMON as COMMON, PSETID_MEETING, Props, civil, escape,
    line, minutes_1601, utc_stamp,
};
use crate::pst::messaging::props;
use crate::pst::{Message, Pst};
use std::collections::HashSet;

mod meeting;
mod todo;

pub use meeting::meeting_part;
use meeting::people;
pub use todo::{journal, task};

/// Opens a calendar file.
pub fn begin() -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//unpst//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    out
}

pub fn end() -> String {
    let mut out = String::new();
    line(&mut out, "END:VCALENDAR");
    out
}

/// `YYYYMMDD`.
fn date(y: i64, m: i64, d: i64) -> String {
    format!("{y:04}{m:02}{d:02}")
}

/// A local time in the blob's unit (minutes since 1601) as `YYYYMMDDTHHMMSS`.
fn local_minutes(m: u32) -> String {
    let (y, mo, d, h, mi, s) = civil(minutes_1601(m));
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}")
}

/// The local date of a "midnight local time, stored in UTC" value without a time zone:
/// the date within 12 hours of it.
fn midnight_date(t: i64) -> String {
    let (y, m, d, ..) = civil(t + 12 * 3600);
    date(y, m, d)
}

/// A stable UID: Outlook's global object id (what other clients use for the same meeting),
/// else one made from the file (its record key) and the item.
fn uid(p: &Props) -> String {
    match p.nbytes(PSETID_MEETING, 0x0003).filter(|b| !b.is_empty()) {
        Some(b) => b.iter().map(|x| format!("{x:02X}")).collect(),
        None => {
            let h = p.pst.item_hash(p.msg.nid, b"");
            format!("{h:016x}.{:x}@unpst.invalid", p.msg.nid)
        }
    }
}

fn stamp(msg: &Message) -> String {
    let t = msg
        .obj
        .time(props::LAST_MODIFICATION_TIME)
        .or_else(|| msg.obj.time(props::CREATION_TIME))
        .unwrap_or(0);
    utc_stamp(t)
}

/// Summary, description, categories, class: shared by all three components.
fn common(p: &Props, out: &mut String) {
    let subject = p.msg.subject(p.pst);
    if !subject.is_empty() {
        line(out, &format!("SUMMARY:{}", escape(&subject)));
    }
    let body = p.s(props::BODY);
    if !body.is_empty() {
        line(out, &format!("DESCRIPTION:{}", escape(&body)));
    }
    let cats = p.categories();
    if !cats.is_empty() {
        let v: Vec<String> = cats.iter().map(|c| escape(c)).collect();
        line(out, &format!("CATEGORIES:{}", v.join(",")));
    }
    match p.msg.obj.i32(0x0036) {
        Some(2) => line(out, "CLASS:PRIVATE"),
        Some(3) => line(out, "CLASS:CONFIDENTIAL"),
        _ => {}
    }
    if let Some(t) = p.msg.obj.time(props::CREATION_TIME) {
        line(out, &format!("CREATED:{}", utc_stamp(t)));
    }
    if let Some(t) = p.msg.obj.time(props::LAST_MODIFICATION_TIME) {
        line(out, &format!("LAST-MODIFIED:{}", utc_stamp(t)));
    }
}

/// How start and end are written.
enum Clock<'a> {
    Zone(&'a TimeZone),
    Utc,
}

impl Clock<'_> {
    fn prop(&self, name: &str, utc: i64) -> String {
        match self {
            Clock::Zone(z) => format!("{name};TZID={}:{}", z.tzid(), z.local_stamp(utc)),
            Clock::Utc => format!("{name}:{}", utc_stamp(utc)),
        }
    }
}

/// What one calendar file has written so far.
#[derive(Default)]
pub struct CalendarState {
    /// TZIDs whose VTIMEZONE is written.
    zones: HashSet<String>,
    /// UIDs used: a second copy of the same meeting (seen in OSTs) gets its own.
    uids: HashSet<String>,
}

/// One appointment: its VEVENT and one per changed occurrence, preceded by its VTIMEZONE
/// when this calendar has not written it yet.
pub fn event(pst: &Pst, msg: &Message, cal: &mut CalendarState) -> String {
    let zones = &mut cal.zones;
    let p = Props::new(pst, msg);
    let start = p.ntime(APPT, 0x820D).or_else(|| msg.obj.time(0x0060));
    let end = p.ntime(APPT, 0x820E).or_else(|| msg.obj.time(0x0061));
    let all_day = p.nbool(APPT, 0x8215).unwrap_or(false);
    let zone = p
        .nbytes(APPT, 0x825E)
        .and_then(|b| tz::from_definition(&b))
        .or_else(|| {
            p.nbytes(APPT, 0x8233)
                .and_then(|b| tz::from_struct(&b, &p.ns(APPT, 0x8234)))
        });
    let rec = p
        .nbool(APPT, 0x8223)
        .unwrap_or(false)
        .then(|| p.nbytes(APPT, 0x8216))
        .flatten()
        .and_then(|b| recur::parse(&b, msg.codepage));

    let mut out = String::new();
    if let Some(z) = &zone
        && !all_day
        && zones.insert(z.tzid())
    {
        z.vtimezone(&mut out);
    }
    let clock = match (&zone, all_day) {
        (Some(z), false) => Clock::Zone(z),
        _ => Clock::Utc,
    };
    let uid = unique_uid(&p, cal);
    line(&mut out, "BEGIN:VEVENT");
    line(&mut out, &format!("UID:{uid}"));
    line(&mut out, &format!("DTSTAMP:{}", stamp(msg)));
    let day_of = |t: i64| match &zone {
        Some(z) => {
            let (y, m, d) = z.local_date(t);
            date(y, m, d)
        }
        None => midnight_date(t),
    };
    if let Some(s) = start {
        if all_day {
            line(&mut out, &format!("DTSTART;VALUE=DATE:{}", day_of(s)));
            if let Some(e) = end.filter(|e| *e > s) {
                line(&mut out, &format!("DTEND;VALUE=DATE:{}", day_of(e)));
            }
        } else {
            line(&mut out, &clock.prop("DTSTART", s));
            if let Some(e) = end.filter(|e| *e >= s) {
                line(&mut out, &clock.prop("DTEND", e));
            }
        }
    }
    if let (Some(r), Some(s)) = (&rec, start) {
        recurrence(&mut out, r, s, all_day, &clock, &zone);
    }
    common(&p, &mut out);
    let location = p.ns(APPT, 0x8208);
    if !location.is_empty() {
        line(&mut out, &format!("LOCATION:{}", escape(&location)));
    }
    busy_and_state(&p, &mut out);
    alarm(&p, &mut out);
    line(&mut out, "END:VEVENT");
    if let Some(r) = &rec {
        for e in &r.exceptions {
            changed(&mut out, &p, &uid, e, r, all_day, &zone, &location);
        }
    }
    out
}

/// The event's UID; a second copy of the same meeting in this calendar gets its own.
fn unique_uid(p: &Props, cal: &mut CalendarState) -> String {
    let mut id = uid(p);
    if !cal.uids.insert(id.clone()) {
        id = format!("{id}-{:x}", p.msg.nid);
        cal.uids.insert(id.clone());
    }
    id
}

/// Free/busy (TRANSP, and Outlook's own busy status), a cancelled meeting, its sequence, and
/// for a meeting its organizer and attendees (MS-OXOCAL PidLidBusyStatus,
/// PidLidAppointmentStateFlags, PidLidAppointmentSequence).
fn busy_and_state(p: &Props, out: &mut String) {
    let busy = p.ni32(APPT, 0x8205).unwrap_or(2);
    line(
        out,
        if busy == 0 {
            "TRANSP:TRANSPARENT"
        } else {
            "TRANSP:OPAQUE"
        },
    );
    let cdo = ["FREE", "TENTATIVE", "BUSY", "OOF", "WORKINGELSEWHERE"];
    if let Some(b) = cdo.get(busy.max(0) as usize) {
        line(out, &format!("X-MICROSOFT-CDO-BUSYSTATUS:{b}"));
    }
    let state = p.ni32(APPT, 0x8217).unwrap_or(0);
    if state & 0x4 != 0 {
        line(out, "STATUS:CANCELLED");
    }
    if let Some(seq) = p.ni32(APPT, 0x8201).filter(|s| *s > 0) {
        line(out, &format!("SEQUENCE:{seq}"));
    }
    if state & 0x1 != 0 {
        people(p, out);
    }
}

/// The reminder, when it is set (PidLidReminderSet, PidLidReminderDelta).
fn alarm(p: &Props, out: &mut String) {
    if p.nbool(COMMON, 0x8503) == Some(true) {
        let delta = p.ni32(COMMON, 0x8501).unwrap_or(15).max(0);
        line(out, "BEGIN:VALARM");
        line(out, "ACTION:DISPLAY");
        line(out, "DESCRIPTION:Reminder");
        line(out, &format!("TRIGGER:-PT{delta}M"));
        line(out, "END:VALARM");
    }
}

/// Local (blob) minutes → the property value in the event's clock.
fn blob_time(name: &str, m: u32, all_day: bool, zone: &Option<TimeZone>) -> String {
    if all_day {
        let (y, mo, d, ..) = civil(minutes_1601(m));
        return format!("{name};VALUE=DATE:{}", date(y, mo, d));
    }
    match zone {
        Some(z) => format!("{name};TZID={}:{}", z.tzid(), local_minutes(m)),
        // No zone: the blob's local times float (as the appointment's author saw them).
        None => format!("{name}:{}", local_minutes(m)),
    }
}

fn recurrence(
    out: &mut String,
    r: &Recurrence,
    start: i64,
    all_day: bool,
    clock: &Clock,
    zone: &Option<TimeZone>,
) {
    let start_month = match clock {
        Clock::Zone(z) => z.local_date(start).1,
        Clock::Utc => civil(minutes_1601(r.start_date)).1,
    };
    // UNTIL: the start of the last occurrence's day, in UTC when DTSTART is zoned.
    let until = match (all_day, clock) {
        (true, _) => {
            let (y, m, d, ..) = civil(minutes_1601(r.end_date));
            date(y, m, d)
        }
        (false, Clock::Zone(z)) => {
            let local = minutes_1601(r.end_date) + r.start_offset as i64 * 60;
            let guess = local - z.offset_at(local) as i64 * 60;
            utc_stamp(local - z.offset_at(guess) as i64 * 60)
        }
        (false, Clock::Utc) => {
            // Without a zone the blob's local time stands for UTC (as DTSTART does).
            utc_stamp(minutes_1601(r.end_date) + r.start_offset as i64 * 60)
        }
    };
    line(out, &format!("RRULE:{}", r.rrule(start_month, &until)));
    let _ = End::Never;
    for d in r.exdates() {
        let at = d + if all_day { 0 } else { r.start_offset };
        let v = match clock {
            Clock::Utc if !all_day => {
                // Zone-less: the occurrence's start as the master's DTSTART writes it.
                format!("EXDATE:{}Z", local_minutes(at))
            }
            _ => blob_time("EXDATE", at, all_day, zone),
        };
        line(out, &v);
    }
}

#[allow(clippy::too_many_arguments)]
fn changed(
    out: &mut String,
    p: &Props,
    uid: &str,
    e: &recur::Exception,
    r: &Recurrence,
    all_day: bool,
    zone: &Option<TimeZone>,
    location: &str,
) {
    let all_day = e.all_day.unwrap_or(all_day);
    let zone = if zone.is_some() { zone } else { &None };
    let fix = |v: String| {
        if zone.is_none() && !all_day && !v.contains(";VALUE=DATE") {
            format!("{v}Z")
        } else {
            v
        }
    };
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:{uid}"));
    line(out, &format!("DTSTAMP:{}", stamp(p.msg)));
    // The original start: its day plus the series' time of day.
    let original = (e.original_start / 1440) * 1440 + if all_day { 0 } else { r.start_offset };
    line(
        out,
        &fix(blob_time("RECURRENCE-ID", original, all_day, zone)),
    );
    line(out, &fix(blob_time("DTSTART", e.start, all_day, zone)));
    line(
        out,
        &fix(blob_time("DTEND", e.end.max(e.start), all_day, zone)),
    );
    let subject = e.subject.clone().unwrap_or_else(|| p.msg.subject(p.pst));
    if !subject.is_empty() {
        line(out, &format!("SUMMARY:{}", escape(&subject)));
    }
    let loc = e.location.clone().unwrap_or_else(|| location.to_string());
    if !loc.is_empty() {
        line(out, &format!("LOCATION:{}", escape(&loc)));
    }
    if let Some(b) = e.busy_status {
        line(
            out,
            if b == 0 {
                "TRANSP:TRANSPARENT"
            } else {
                "TRANSP:OPAQUE"
            },
        );
    }
    line(out, "END:VEVENT");
}
