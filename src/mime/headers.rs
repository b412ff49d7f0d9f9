//! Message headers (MS-OXCMAIL §2.2.3): the original transport headers minus their MIME
//! headers when the message has them, else synthesized From / Sender / To / Cc / Bcc /
//! Subject / Date / Message-ID / In-Reply-To / References. Every message gets From and Date.

use crate::pst::messaging::RecipientKind;
use crate::pst::messaging::people::as_address;
use crate::pst::messaging::props;
use crate::pst::{Message, Pst, Recipient};
use mail_builder::headers::HeaderType;
use mail_builder::headers::address::Address;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;

/// Address used for someone the message names without any address the file knows (unsent
/// drafts that name nobody, Outlook's own welcome message); the report counts them.
pub const PLACEHOLDER_ADDRESS: &str = "unknown@unknown.invalid";

pub struct Head {
    pub fields: Vec<(String, HeaderType<'static>)>,
    pub subject: String,
    pub envelope_from: String,
    pub date: Option<i64>,
    /// Stable per message: boundaries and synthesized ids derive from it.
    pub boundary_seed: u64,
    /// The Message-ID as written, without angle brackets: the key IMAP upload dedupes on.
    pub message_id: String,
    /// Addresses written as [`PLACEHOLDER_ADDRESS`] (From, To, Cc, Bcc).
    pub placeholders: u32,
}

/// An SMTP address for someone the message names by `name` and a stored `address` that is
/// not one: a name or address that is itself an address, else the address the same person
/// has elsewhere in the file (the book is only built when it comes to that).
fn find_address(pst: &Pst, name: &str, address: &str) -> Option<String> {
    as_address(address)
        .or_else(|| as_address(name))
        .or_else(|| pst.address_book().resolve(name, address))
}

/// Splits raw header text (PR_TRANSPORT_MESSAGE_HEADERS) into (name as written, unfolded
/// value) pairs, using mail-parser to find the fields.
pub fn split_headers(raw: &str) -> Vec<(String, String)> {
    let Some(msg) = mail_parser::MessageParser::new().parse_headers(raw.as_bytes()) else {
        return Vec::new();
    };
    msg.headers()
        .iter()
        .filter_map(|h| {
            let field = raw.get(h.offset_field as usize..h.offset_start as usize)?;
            let name = field.split(':').next()?.trim();
            let value = raw.get(h.offset_start as usize..h.offset_end as usize)?;
            let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
            // Unfold: drop the line breaks of continuation lines, keep one space.
            let unfolded = value
                .split(['\r', '\n'])
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            valid.then(|| (name.to_string(), unfolded))
        })
        .collect()
}

fn is_dropped(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("content-")
        || n == "mime-version"
        || n == "status"
        || n == "x-status"
        || n == "x-keywords"
        || n.starts_with("x-mozilla-status")
}

/// Canonical spelling for the headers mail-builder checks by exact name.
fn canonical(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "date" => "Date".into(),
        "message-id" => "Message-ID".into(),
        "from" => "From".into(),
        _ => name.to_string(),
    }
}

fn clean(s: &str) -> String {
    s.replace(['\r', '\n'], " ").trim().to_string()
}

fn address(name: &str, email: &str) -> Address<'static> {
    let name = clean(name);
    let email = clean(email);
    if name.is_empty() || name == email {
        Address::new_address(None::<String>, email)
    } else {
        Address::new_address(Some(name), email)
    }
}

/// Header fields in the order they are written.
type Fields = Vec<(String, HeaderType<'static>)>;

fn have(fields: &Fields, name: &str) -> bool {
    fields.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
}

/// The fields of the transport headers the message arrived with, kept as they were — but for
/// those a conversion must not carry over ([`is_dropped`]) and an empty From, Date or
/// Message-ID (seen in webmail exports), which are made anew.
fn from_transport(raw: &str) -> Fields {
    let mut fields = Fields::new();
    for (name, value) in split_headers(raw) {
        let essential =
            ["from", "date", "message-id"].contains(&name.to_ascii_lowercase().as_str());
        // A Message-ID with nothing between its brackets could not key an upload either.
        let empty = value.is_empty()
            || name.eq_ignore_ascii_case("message-id") && normalize_message_id(&value).is_empty();
        if !(is_dropped(&name) || essential && empty) {
            fields.push((canonical(&name), Raw::new(value).into()));
        }
    }
    fields
}

/// From (and Sender, when someone sent on behalf of another) from the message's properties,
/// where the transport headers had none (`from_email` already looked for in the file). An
/// unsent message that names nobody is from the store's owner when the file says who that
/// is; else it keeps the name (the store's, when it has none) at the placeholder address.
/// Returns whether the placeholder was written.
fn add_from(
    fields: &mut Fields,
    pst: &Pst,
    (from_name, from_email): (&str, &str),
    (sender_name, sender_email): (&str, &str),
    rep_email: &str,
) -> bool {
    let owner = || {
        from_name
            .is_empty()
            .then(|| pst.address_book().owner.clone())
            .flatten()
    };
    let (n, e) = if !from_email.is_empty() {
        (from_name.to_string(), from_email.to_string())
    } else if let Some((name, email)) = owner() {
        (name, email)
    } else if from_name.is_empty() {
        (pst.display_name.clone(), PLACEHOLDER_ADDRESS.to_string())
    } else {
        (from_name.to_string(), PLACEHOLDER_ADDRESS.to_string())
    };
    fields.push(("From".into(), address(&n, &e).into()));
    if !have(fields, "Sender")
        && !sender_email.is_empty()
        && !rep_email.is_empty()
        && !sender_email.eq_ignore_ascii_case(rep_email)
    {
        fields.push(("Sender".into(), address(sender_name, sender_email).into()));
    }
    e == PLACEHOLDER_ADDRESS
}

/// To, Cc and Bcc from the recipient table, where the transport headers had none; returns
/// how many recipients got the placeholder address.
fn add_recipients(fields: &mut Fields, pst: &Pst, recipients: &[Recipient]) -> u32 {
    let mut placeholders = 0;
    for (kind, header) in [
        (RecipientKind::To, "To"),
        (RecipientKind::Cc, "Cc"),
        (RecipientKind::Bcc, "Bcc"),
    ] {
        if have(fields, header) {
            continue;
        }
        let list: Vec<Address<'static>> = recipients
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| {
                // An "SMTP" address without a domain is none either.
                let email = match as_address(&r.email) {
                    Some(e) => e,
                    None => find_address(pst, &r.name, &r.address).unwrap_or_else(|| {
                        placeholders += 1;
                        PLACEHOLDER_ADDRESS.to_string()
                    }),
                };
                address(&r.name, &email)
            })
            .collect();
        if !list.is_empty() {
            fields.push((header.into(), Address::new_list(list).into()));
        }
    }
    placeholders
}

/// The message's header: the transport headers it arrived with where it has them, the rest
/// made from its properties (MS-OXCMAIL §2.2.3), and what the sinks need to file it.
pub fn build(pst: &Pst, msg: &Message, recipients: &[Recipient]) -> Head {
    let s = |id: u16| msg.string(pst, id).unwrap_or_default();
    let subject = msg.subject(pst);
    let sender_name = s(props::SENDER_NAME);
    let sender_email = sender_address(pst, msg, SENDER);
    let rep_name = s(props::SENT_REPRESENTING_NAME);
    let rep_email = sender_address(pst, msg, REPRESENTING);

    let date = msg
        .obj
        .time(props::CLIENT_SUBMIT_TIME)
        .or_else(|| msg.obj.time(props::MESSAGE_DELIVERY_TIME))
        .or_else(|| msg.obj.time(props::CREATION_TIME))
        .or_else(|| msg.obj.time(props::LAST_MODIFICATION_TIME));
    let msgid = clean(&s(props::INTERNET_MESSAGE_ID));
    let seed = crate::util::fnv1a(&[
        &msg.nid.get().to_le_bytes(),
        subject.as_bytes(),
        sender_email.as_bytes(),
        &date.unwrap_or(0).to_le_bytes(),
        msgid.as_bytes(),
    ]);
    let mut fields = from_transport(&s(props::TRANSPORT_MESSAGE_HEADERS));
    // Where the headers name no sender and the properties no SMTP address, the file may
    // know it (an Exchange sender's DN, a name that is an address). After the seed: ids
    // made from it stay what earlier versions made, so a rerun upload finds them.
    let needed = !have(&fields, "From");
    let resolve = |name: &str, email: String, dn: u16| match email.is_empty() && needed {
        true => find_address(pst, name, &s(dn)).unwrap_or_default(),
        false => email,
    };
    let sender_email = resolve(&sender_name, sender_email, props::SENDER_EMAIL);
    let rep_email = resolve(&rep_name, rep_email, props::SENT_REPRESENTING_EMAIL);

    let (from_name, from_email) = if !rep_email.is_empty() || !rep_name.is_empty() {
        (rep_name.clone(), rep_email.clone())
    } else {
        (sender_name.clone(), sender_email.clone())
    };
    let envelope_from = [&from_email, &sender_email]
        .into_iter()
        .find(|e| e.contains('@'))
        .cloned()
        .unwrap_or_else(|| "MAILER-DAEMON".to_string());

    let mut placeholders = 0;
    if needed {
        let from = (from_name.as_str(), from_email.as_str());
        let sender = (sender_name.as_str(), sender_email.as_str());
        placeholders += u32::from(add_from(&mut fields, pst, from, sender, &rep_email));
    }
    placeholders += add_recipients(&mut fields, pst, recipients);
    if !have(&fields, "Subject") {
        fields.push(("Subject".into(), Text::new(clean(&subject)).into()));
    }
    if !have(&fields, "Date") {
        fields.push(("Date".into(), Date::new(date.unwrap_or(0)).into()));
    }
    if !have(&fields, "Message-ID") {
        let id = msgid.trim_start_matches('<').trim_end_matches('>').trim();
        let id = if id.contains('@') && !id.contains([' ', '<', '>']) {
            id.to_string()
        } else {
            format!("{seed:016x}.{:x}@unpst.invalid", msg.nid)
        };
        fields.push(("Message-ID".into(), Raw::new(format!("<{id}>")).into()));
    }
    add_threading(&mut fields, pst, msg);
    Head {
        message_id: written_message_id(&fields),
        placeholders,
        fields,
        subject,
        envelope_from,
        date,
        boundary_seed: seed,
    }
}

/// In-Reply-To and References from the message's properties, where the headers had none.
fn add_threading(fields: &mut Fields, pst: &Pst, msg: &Message) {
    for (id, name) in [
        (props::IN_REPLY_TO, "In-Reply-To"),
        (props::INTERNET_REFERENCES, "References"),
    ] {
        let v = clean(&msg.string(pst, id).unwrap_or_default());
        if !v.is_empty() && !have(fields, name) {
            fields.push((name.into(), Raw::new(v).into()));
        }
    }
}

/// The Message-ID as written, without brackets.
fn written_message_id(fields: &Fields) -> String {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Message-ID"))
        .and_then(|(_, v)| match v {
            HeaderType::Raw(r) => Some(normalize_message_id(&r.raw)),
            _ => None,
        })
        .unwrap_or_default()
}

/// A Message-ID as compared: the first `<…>` token (or the trimmed value), without brackets.
pub fn normalize_message_id(v: &str) -> String {
    let v = v.trim();
    match (v.find('<'), v.find('>')) {
        (Some(a), Some(b)) if a < b => v[a + 1..b].trim().to_string(),
        _ => v.trim_matches(['<', '>']).trim().to_string(),
    }
}

/// The SMTP, address-type and address properties of the sender and of whom it represents.
const SENDER: [u16; 3] = [
    props::SENDER_SMTP,
    props::SENDER_ADDRTYPE,
    props::SENDER_EMAIL,
];
const REPRESENTING: [u16; 3] = [
    props::SENT_REPRESENTING_SMTP,
    props::SENT_REPRESENTING_ADDRTYPE,
    props::SENT_REPRESENTING_EMAIL,
];

/// A sender's SMTP address: the SMTP property, else the address if its type is SMTP.
fn sender_address(pst: &Pst, msg: &Message, [smtp, addrtype, email]: [u16; 3]) -> String {
    let s = |id: u16| msg.string(pst, id).unwrap_or_default();
    crate::pst::messaging::best_address(&s(smtp), &s(addrtype), &s(email))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_unfolds() {
        let h = split_headers(
            "Received: from a\r\n\tby b\r\nSubject: x: y\r\nbad line\r\n\r\nbody: no\r\n",
        );
        assert_eq!(
            h,
            vec![
                ("Received".to_string(), "from a by b".to_string()),
                ("Subject".to_string(), "x: y".to_string())
            ]
        );
    }
}
