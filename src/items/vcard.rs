//! Contacts and distribution lists → vCard 4.0 (RFC 6350), from the properties of
//! MS-OXOCNTC: names, e-mail addresses (PidLidEmail1–3), phones, postal addresses, company,
//! title, birthday, anniversary, web pages, notes, categories, the contact photo
//! attachment; lists as `KIND:group` with their members (one-off entry ids, and contacts of
//! the same file resolved to their UID).

use super::{Props, escape, line, utc_stamp};
use crate::pst::messaging::Nid;
use crate::pst::{Message, Pst};

// Contact properties (MS-OXPROPS).
const GIVEN: u16 = 0x3A06;
const SURNAME: u16 = 0x3A11;
const MIDDLE: u16 = 0x3A44;
const PREFIX: u16 = 0x3A45;
const GENERATION: u16 = 0x3A05;
const NICKNAME: u16 = 0x3A4F;
const COMPANY: u16 = 0x3A16;
const DEPARTMENT: u16 = 0x3A18;
const TITLE: u16 = 0x3A17;
const BIRTHDAY: u16 = 0x3A42;
const ANNIVERSARY: u16 = 0x3A41;
const GENDER: u16 = 0x3A4D;
const BUSINESS_HOME_PAGE: u16 = 0x3A51;
const PERSONAL_HOME_PAGE: u16 = 0x3A50;
const PROFESSION: u16 = 0x3A46;
const ATTACH_CONTACT_PHOTO: u16 = 0x7FFF;

/// Phones: property, vCard TYPE.
const PHONES: [(u16, &str); 13] = [
    (0x3A1A, "voice"),      // primary
    (0x3A08, "work,voice"), // business
    (0x3A1B, "work,voice"), // business 2
    (0x3A09, "home,voice"), // home
    (0x3A2F, "home,voice"), // home 2
    (0x3A1C, "cell"),       // mobile
    (0x3A1E, "car"),        // car
    (0x3A24, "work,fax"),   // business fax
    (0x3A25, "home,fax"),   // home fax
    (0x3A23, "fax"),        // primary fax
    (0x3A21, "pager"),      // pager
    (0x3A1F, "voice"),      // other
    (0x3A57, "work,voice"), // company main
];

/// Postal addresses: TYPE and (PO box, street, city, state, postal code, country).
const ADDRESSES: [(&str, [u16; 6]); 3] = [
    ("home", [0x3A5E, 0x3A5D, 0x3A59, 0x3A5C, 0x3A5B, 0x3A5A]),
    ("work", [0x3A2B, 0x3A29, 0x3A27, 0x3A28, 0x3A2A, 0x3A26]),
    ("", [0x3A64, 0x3A63, 0x3A5F, 0x3A62, 0x3A61, 0x3A60]),
];

/// A contact's UID: stable across runs and front ends, so a re-import updates rather than
/// duplicates, and unique to this file (its record key is in it): node ids repeat between
/// files.
pub fn uid(pst: &Pst, nid: Nid) -> String {
    let a = pst.item_hash(nid, b"");
    let b = pst.item_hash(nid, b"unpst");
    format!(
        "urn:uuid:{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        b >> 52,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// The e-mail addresses of a contact (PidLidEmail1–3): (address, display name).
pub fn emails(p: &Props) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for base in [0x8080u32, 0x8090, 0x80A0] {
        let display = p.ns(super::PSETID_ADDRESS, base);
        let kind = p.ns(super::PSETID_ADDRESS, base + 2);
        let addr = p.ns(super::PSETID_ADDRESS, base + 3);
        let original = p.ns(super::PSETID_ADDRESS, base + 4);
        // Exchange entries hold an X.500 DN; the original display name often is the SMTP address.
        let smtp = if kind.eq_ignore_ascii_case("EX") || !addr.contains('@') {
            [original.as_str(), display.as_str()]
                .into_iter()
                .find(|s| s.contains('@') && !s.contains(' '))
                .unwrap_or("")
                .trim_matches(['(', ')', '<', '>'])
                .to_string()
        } else {
            addr
        };
        if !smtp.is_empty() && !out.iter().any(|(a, _)| a.eq_ignore_ascii_case(&smtp)) {
            out.push((smtp, display));
        }
    }
    out
}

fn date_only(t: i64) -> String {
    // Birthdays are stored as midnight local time in UTC: the local date is the one within
    // 14 hours of it.
    let (y, m, d, ..) = super::civil(t + 12 * 3600);
    format!("{y:04}{m:02}{d:02}")
}

/// The name to show: the display name, else the name's parts, else the first address, else
/// the item's subject.
fn full_name(p: &Props, given: &str, surname: &str, mails: &[(String, String)]) -> String {
    let mut full = p.s(crate::pst::messaging::props::DISPLAY_NAME);
    if full.is_empty() {
        full = [
            p.s(PREFIX),
            given.to_string(),
            p.s(MIDDLE),
            surname.to_string(),
            p.s(GENERATION),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    }
    if full.is_empty() {
        full = mails
            .first()
            .map(|m| m.0.clone())
            .unwrap_or_else(|| p.msg.subject(p.pst));
    }
    full
}

/// Each distinct phone number, with its kind.
fn phones(out: &mut String, p: &Props) {
    let mut seen_phones: Vec<String> = Vec::new();
    for (id, kind) in PHONES {
        let n = p.s(id);
        if !n.is_empty() && !seen_phones.contains(&n) {
            // As text: numbers in address books are rarely valid tel: URIs (no country code).
            line(
                out,
                &format!("TEL;VALUE=text;TYPE=\"{kind}\":{}", escape(&n)),
            );
            seen_phones.push(n);
        }
    }
}

/// Home, work and other addresses, each with its label (the address as one block).
fn addresses(out: &mut String, p: &Props) {
    for (i, (kind, ids)) in ADDRESSES.iter().enumerate() {
        let mut parts: Vec<String> = ids.iter().map(|&id| p.s(id)).collect();
        // Outlook keeps the business address in named properties too (PidLidWorkAddress*).
        if i == 1 && parts.iter().all(String::is_empty) {
            parts = [0x804Au32, 0x8045, 0x8046, 0x8047, 0x8048, 0x8049]
                .iter()
                .map(|&lid| p.ns(super::PSETID_ADDRESS, lid))
                .collect();
        }
        // The address as one block (PidLidHomeAddress / WorkAddress / OtherAddress).
        let label = p.ns(super::PSETID_ADDRESS, [0x801A, 0x801B, 0x801C][i]);
        if parts.iter().all(String::is_empty) {
            if label.is_empty() {
                continue;
            }
            // Only the block: it goes in the street so that every importer shows it.
            parts[1] = label.clone();
        }
        let mut params = if kind.is_empty() {
            String::new()
        } else {
            format!(";TYPE={kind}")
        };
        if !label.is_empty() {
            let l = label.replace(['"', '\r'], "").replace('\n', "\\n");
            params.push_str(&format!(";LABEL=\"{l}\""));
        }
        let v: Vec<String> = parts.iter().map(|s| escape(s)).collect();
        // ADR: PO box; extended; street; locality; region; postal code; country.
        line(
            out,
            &format!(
                "ADR{params}:{};;{};{};{};{};{}",
                v[0], v[1], v[2], v[3], v[4], v[5]
            ),
        );
    }
}

/// One contact as a vCard.
pub fn contact(pst: &Pst, msg: &Message) -> String {
    let p = Props::new(pst, msg);
    let mut out = String::new();
    line(&mut out, "BEGIN:VCARD");
    line(&mut out, "VERSION:4.0");
    line(&mut out, "PRODID:-//unpst//EN");
    line(&mut out, &format!("UID:{}", uid(pst, msg.nid)));
    let (given, surname) = (p.s(GIVEN), p.s(SURNAME));
    let mails = emails(&p);
    let full = full_name(&p, &given, &surname, &mails);
    line(&mut out, &format!("FN:{}", escape(&full)));
    line(
        &mut out,
        &format!(
            "N:{};{};{};{};{}",
            escape(&surname),
            escape(&given),
            escape(&p.s(MIDDLE)),
            escape(&p.s(PREFIX)),
            escape(&p.s(GENERATION))
        ),
    );
    let nick = p.s(NICKNAME);
    if !nick.is_empty() {
        line(&mut out, &format!("NICKNAME:{}", escape(&nick)));
    }
    for (i, (addr, _)) in mails.iter().enumerate() {
        let pref = if i == 0 { ";PREF=1" } else { "" };
        line(&mut out, &format!("EMAIL{pref}:{}", escape(addr)));
    }
    phones(&mut out, &p);
    addresses(&mut out, &p);
    organization(&mut out, &p);
    personal(&mut out, &p, msg);
    let cats = p.categories();
    if !cats.is_empty() {
        let v: Vec<String> = cats.iter().map(|c| escape(c)).collect();
        line(&mut out, &format!("CATEGORIES:{}", v.join(",")));
    }
    let note = p.s(crate::pst::messaging::props::BODY);
    if !note.is_empty() {
        line(&mut out, &format!("NOTE:{}", escape(&note)));
    }
    if let Some(photo) = photo(pst, msg) {
        line(&mut out, &format!("PHOTO:{photo}"));
    }
    if let Some(t) = msg
        .obj
        .time(crate::pst::messaging::props::LAST_MODIFICATION_TIME)
    {
        line(&mut out, &format!("REV:{}", utc_stamp(t)));
    }
    line(&mut out, "END:VCARD");
    out
}

/// ORG, TITLE and ROLE.
fn organization(out: &mut String, p: &Props) {
    let (company, dept) = (p.s(COMPANY), p.s(DEPARTMENT));
    if !company.is_empty() || !dept.is_empty() {
        let org = if dept.is_empty() {
            escape(&company)
        } else {
            format!("{};{}", escape(&company), escape(&dept))
        };
        line(out, &format!("ORG:{org}"));
    }
    for (id, name) in [(TITLE, "TITLE"), (PROFESSION, "ROLE")] {
        let v = p.s(id);
        if !v.is_empty() {
            line(out, &format!("{name}:{}", escape(&v)));
        }
    }
}

/// BDAY, ANNIVERSARY, GENDER, URL and IMPP.
fn personal(out: &mut String, p: &Props, msg: &Message) {
    if let Some(t) = msg.obj.time(BIRTHDAY) {
        line(out, &format!("BDAY;VALUE=date:{}", date_only(t)));
    }
    if let Some(t) = msg.obj.time(ANNIVERSARY) {
        line(out, &format!("ANNIVERSARY;VALUE=date:{}", date_only(t)));
    }
    match msg.obj.i32(GENDER) {
        Some(1) => line(out, "GENDER:F"),
        Some(2) => line(out, "GENDER:M"),
        _ => {}
    }
    for (id, kind) in [(BUSINESS_HOME_PAGE, "work"), (PERSONAL_HOME_PAGE, "home")] {
        let u = p.s(id);
        if !u.is_empty() {
            line(out, &format!("URL;TYPE={kind}:{}", escape(&u)));
        }
    }
    let im = p.ns(super::PSETID_ADDRESS, 0x8062);
    if !im.is_empty() {
        line(out, &format!("IMPP:{}", escape(&im)));
    }
}

/// The contact picture (the attachment flagged PidTagAttachmentContactPhoto) as a data URI.
fn photo(pst: &Pst, msg: &Message) -> Option<String> {
    let atts = pst.attachments(msg).ok()?;
    let a = atts
        .into_iter()
        .flatten()
        .find(|a| a.obj.bool(ATTACH_CONTACT_PHOTO) == Some(true))?;
    let data = a
        .obj
        .bytes(&pst.ndb, crate::pst::messaging::props::ATTACH_DATA)
        .ok()??;
    if data.is_empty() || data.len() > 4 << 20 {
        return None;
    }
    let mime = match data.get(..4) {
        Some([0x89, b'P', b'N', b'G']) => "image/png",
        Some([b'G', b'I', b'F', _]) => "image/gif",
        _ => "image/jpeg",
    };
    Some(crate::util::data_uri(mime, &data))
}

/// One-off entry id (MS-OXCDATA §2.2.5.1) → (display name, address type, address).
pub fn one_off(b: &[u8]) -> Option<(String, String, String)> {
    const ONE_OFF_UID: [u8; 16] = [
        0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54,
        0x02,
    ];
    if b.get(4..20)? != ONE_OFF_UID {
        return None;
    }
    let flags = u16::from_le_bytes(b.get(22..24)?.try_into().ok()?);
    let rest = b.get(24..)?;
    let mut fields = Vec::new();
    if flags & 0x8000 != 0 {
        // MAPI_UNICODE: three NUL-terminated UTF-16LE strings.
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        for part in units.split(|&u| u == 0).take(3) {
            fields.push(String::from_utf16_lossy(part));
        }
    } else {
        for part in rest.split(|&c| c == 0).take(3) {
            fields.push(crate::codepage::decode(part, 1252));
        }
    }
    let mut it = fields.into_iter();
    Some((it.next()?, it.next()?, it.next()?))
}

/// A distribution list as a `KIND:group` vCard. Members that are contacts of this file
/// (wrapped entry ids) become their UID; one-off members their mailto: address.
pub fn dist_list(pst: &Pst, msg: &Message) -> String {
    let p = Props::new(pst, msg);
    let mut out = String::new();
    line(&mut out, "BEGIN:VCARD");
    line(&mut out, "VERSION:4.0");
    line(&mut out, "PRODID:-//unpst//EN");
    line(&mut out, "KIND:group");
    line(&mut out, &format!("UID:{}", uid(pst, msg.nid)));
    let mut name = p.ns(super::PSETID_ADDRESS, 0x8053);
    if name.is_empty() {
        name = msg.subject(pst);
    }
    line(&mut out, &format!("FN:{}", escape(&name)));
    // Multi-valued binaries: the members' wrapped entry ids, and their one-off entry ids.
    let values = |lid: u32| -> Vec<Vec<u8>> {
        p.nbytes(super::PSETID_ADDRESS, lid)
            .map(|b| {
                crate::pst::ltp::prop::split_mv(&b)
                    .into_iter()
                    .map(<[u8]>::to_vec)
                    .collect()
            })
            .unwrap_or_default()
    };
    let members = values(0x8055);
    let one_offs = values(0x8054);
    for (i, m) in members.iter().enumerate() {
        if let Some((_, _, addr)) = one_off(m).filter(|(_, _, a)| a.contains('@')) {
            line(&mut out, &format!("MEMBER:mailto:{addr}"));
        } else if let Some(nid) = wrapped_nid(m) {
            // A contact of this file: its UID (the group and its members import together).
            line(&mut out, &format!("MEMBER:{}", uid(pst, nid)));
        } else if let Some((_, _, addr)) = one_offs.get(i).and_then(|b| one_off(b)) {
            line(&mut out, &format!("MEMBER:mailto:{addr}"));
        }
    }
    if members.is_empty() {
        for b in &one_offs {
            if let Some((_, _, addr)) = one_off(b) {
                line(&mut out, &format!("MEMBER:mailto:{addr}"));
            }
        }
    }
    let note = p.s(crate::pst::messaging::props::BODY);
    if !note.is_empty() {
        line(&mut out, &format!("NOTE:{}", escape(&note)));
    }
    line(&mut out, "END:VCARD");
    out
}

/// The message NID inside a WrappedEntryId (MS-OXOCNTC §2.2.2.1.2): flags, the wrapped
/// provider UID, a type byte, then a message entry id whose last 4 bytes are the NID.
fn wrapped_nid(b: &[u8]) -> Option<Nid> {
    const WRAPPED_UID: [u8; 16] = [
        0xC0, 0x91, 0xAD, 0xD3, 0x51, 0x9D, 0xCF, 0x11, 0xA4, 0xA9, 0x00, 0xAA, 0x00, 0x47, 0xFA,
        0xA4,
    ];
    if b.get(4..20)? != WRAPPED_UID {
        return None;
    }
    let inner = b.get(21..)?;
    let tail = inner.get(inner.len().checked_sub(4)?..)?;
    Nid::try_from(u32::from_le_bytes(tail.try_into().ok()?)).ok()
}
