//! The meeting side of an appointment: ORGANIZER and ATTENDEEs (RFC 5545 §3.8.4) from its
//! sender and recipient table, and the text/calendar part a meeting message carries (RFC 6047
//! iMIP: REQUEST, CANCEL, REPLY).

use super::{CalendarState, begin, end, event};
use crate::items::{PSETID_APPOINTMENT as APPT, Props, line};
use crate::pst::messaging::{RecipientKind, best_address, props};
use crate::pst::{Message, Pst};

/// A calendar address parameter value.
pub(super) fn cn(name: &str) -> String {
    let n: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect();
    format!("\"{n}\"")
}

/// ORGANIZER and ATTENDEEs of a meeting.
pub(super) fn people(p: &Props, out: &mut String) {
    let s = |id: u16| p.s(id);
    let mut org_name = s(props::SENT_REPRESENTING_NAME);
    let mut org_email = best_address(
        &s(props::SENT_REPRESENTING_SMTP),
        &s(props::SENT_REPRESENTING_ADDRTYPE),
        &s(props::SENT_REPRESENTING_EMAIL),
    );
    if org_email.is_empty() {
        org_name = s(props::SENDER_NAME);
        org_email = best_address(
            &s(props::SENDER_SMTP),
            &s(props::SENDER_ADDRTYPE),
            &s(props::SENDER_EMAIL),
        );
    }
    if !org_email.is_empty() {
        line(
            out,
            &format!("ORGANIZER;CN={}:mailto:{org_email}", cn(&org_name)),
        );
    }
    let Ok(recipients) = p.pst.recipients(p.msg) else {
        return;
    };
    for r in recipients {
        if r.email.is_empty() || r.email.eq_ignore_ascii_case(&org_email) {
            continue;
        }
        let (role, cutype) = match r.kind {
            RecipientKind::Cc => ("OPT-PARTICIPANT", "INDIVIDUAL"),
            RecipientKind::Bcc => ("NON-PARTICIPANT", "RESOURCE"),
            _ => ("REQ-PARTICIPANT", "INDIVIDUAL"),
        };
        let partstat = match r.track_status {
            2 => "TENTATIVE",
            3 => "ACCEPTED",
            4 => "DECLINED",
            _ => "NEEDS-ACTION",
        };
        line(
            out,
            &format!(
                "ATTENDEE;CN={};ROLE={role};CUTYPE={cutype};PARTSTAT={partstat}:mailto:{}",
                cn(&r.name),
                r.email
            ),
        );
    }
}

/// The text/calendar part a meeting message carries (RFC 6047 iMIP): `(method, calendar)`
/// for requests, cancellations and responses; `None` for other messages.
pub fn meeting_part(pst: &Pst, msg: &Message) -> Option<(&'static str, String)> {
    let class = msg.class(pst).to_ascii_lowercase();
    let rest = class.strip_prefix("ipm.schedule.meeting.")?;
    let (method, partstat) = if rest.starts_with("request") {
        ("REQUEST", None)
    } else if rest.starts_with("canceled") {
        ("CANCEL", None)
    } else if rest.starts_with("resp.pos") {
        ("REPLY", Some("ACCEPTED"))
    } else if rest.starts_with("resp.neg") {
        ("REPLY", Some("DECLINED"))
    } else if rest.starts_with("resp.tent") {
        ("REPLY", Some("TENTATIVE"))
    } else {
        return None;
    };
    let p = Props::new(pst, msg);
    // Without a start there is no event to describe.
    p.ntime(APPT, 0x820D).or_else(|| msg.obj.time(0x0060))?;
    let mut out = begin();
    out.push_str(&{
        let mut m = String::new();
        line(&mut m, &format!("METHOD:{method}"));
        m
    });
    let mut event_text = event(pst, msg, &mut CalendarState::default());
    if let Some(stat) = partstat {
        // A reply names its sender as the attendee who answered.
        let s = |id: u16| p.s(id);
        let who = best_address(
            &s(props::SENDER_SMTP),
            &s(props::SENDER_ADDRTYPE),
            &s(props::SENDER_EMAIL),
        );
        if !who.is_empty() {
            let mut a = String::new();
            line(
                &mut a,
                &format!(
                    "ATTENDEE;CN={};PARTSTAT={stat}:mailto:{who}",
                    cn(&s(props::SENDER_NAME))
                ),
            );
            if let Some(at) = event_text.find("END:VEVENT") {
                event_text.insert_str(at, &a);
            }
        }
    }
    if method == "CANCEL"
        && let Some(at) = event_text.find("END:VEVENT")
        && !event_text[..at].contains("STATUS:CANCELLED")
    {
        event_text.insert_str(at, "STATUS:CANCELLED\r\n");
    }
    out.push_str(&event_text);
    out.push_str(&end());
    Some((method, out))
}
