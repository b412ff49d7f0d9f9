//! Tasks → VTODO (MS-OXOTASK) and journal entries → VJOURNAL (MS-OXOJRNL).

use super::{common, midnight_date, stamp, uid};
use crate::items::{PSETID_LOG, PSETID_TASK as TASK, Props, line, utc_stamp};
use crate::pst::{Message, Pst};

/// A task as a VTODO.
pub fn task(pst: &Pst, msg: &Message) -> String {
    let p = Props::new(pst, msg);
    let mut out = String::new();
    line(&mut out, "BEGIN:VTODO");
    line(&mut out, &format!("UID:{}", uid(&p)));
    line(&mut out, &format!("DTSTAMP:{}", stamp(msg)));
    common(&p, &mut out);
    if let Some(t) = p.ntime(TASK, 0x8104) {
        line(
            &mut out,
            &format!("DTSTART;VALUE=DATE:{}", midnight_date(t)),
        );
    }
    if let Some(t) = p.ntime(TASK, 0x8105) {
        line(&mut out, &format!("DUE;VALUE=DATE:{}", midnight_date(t)));
    }
    if let Some(t) = p.ntime(TASK, 0x810F) {
        line(&mut out, &format!("COMPLETED:{}", utc_stamp(t)));
    }
    let status = match p.ni32(TASK, 0x8101).unwrap_or(0) {
        1 => "IN-PROCESS",
        2 => "COMPLETED",
        _ => "NEEDS-ACTION",
    };
    line(&mut out, &format!("STATUS:{status}"));
    if let Some(f) = p.nf64(TASK, 0x8102).filter(|f| f.is_finite()) {
        line(
            &mut out,
            &format!(
                "PERCENT-COMPLETE:{}",
                (f * 100.0).round().clamp(0.0, 100.0) as u32
            ),
        );
    }
    let priority = match msg.obj.i32(0x0017) {
        Some(0) => 9,
        Some(2) => 1,
        _ => 5,
    };
    line(&mut out, &format!("PRIORITY:{priority}"));
    line(&mut out, "END:VTODO");
    out
}

/// A journal entry as a VJOURNAL.
pub fn journal(pst: &Pst, msg: &Message) -> String {
    let p = Props::new(pst, msg);
    let mut out = String::new();
    line(&mut out, "BEGIN:VJOURNAL");
    line(&mut out, &format!("UID:{}", uid(&p)));
    line(&mut out, &format!("DTSTAMP:{}", stamp(msg)));
    if let Some(t) = p.ntime(PSETID_LOG, 0x8706) {
        line(&mut out, &format!("DTSTART:{}", utc_stamp(t)));
    }
    common(&p, &mut out);
    line(&mut out, "END:VJOURNAL");
    out
}
