//! MAPI → IMAP: a message's flags and categories as the flags and keywords a mailbox
//! keeps (RFC 3501 §2.3.2; `$Forwarded` as RFC 5788 registers it), its delivery time as an
//! INTERNALDATE.

use crate::mime::MailFlags;

/// IMAP flags for a message, limited to what the mailbox keeps: \Seen, \Answered,
/// \Flagged, \Draft, $Forwarded, and categories as keywords (atoms: spaces and specials
/// become `_`, non-ASCII goes as modified UTF-7).
pub fn imap_flags(f: &MailFlags, permanent: &[String]) -> Vec<String> {
    let any_keyword = permanent.iter().any(|p| p == "\\*");
    let keeps = |flag: &str| any_keyword || permanent.iter().any(|p| p.eq_ignore_ascii_case(flag));
    let mut out = Vec::new();
    for (on, flag) in [
        (f.read, "\\Seen"),
        (f.answered, "\\Answered"),
        (f.flagged, "\\Flagged"),
        (f.draft, "\\Draft"),
        (f.forwarded, "$Forwarded"),
    ] {
        if on && (flag.starts_with('\\') && permanent.is_empty() || keeps(flag)) {
            out.push(flag.to_string());
        }
    }
    for c in &f.categories {
        let k = keyword(c);
        if !k.is_empty() && keeps(&k) && !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// A category as an IMAP keyword atom.
pub fn keyword(category: &str) -> String {
    super::utf7::encode(category.trim())
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !"(){%*\"\\]".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// INTERNALDATE (`02-Jan-2018 03:04:05 +0000`) for Unix seconds, if the year fits.
pub fn internal_date(t: i64) -> Option<String> {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = crate::util::civil_from_days(days);
    if !(1970..=9999).contains(&y) {
        return None;
    }
    Some(format!(
        "{d:02}-{}-{y} {:02}:{:02}:{:02} +0000",
        crate::util::MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_dates() {
        let f = MailFlags {
            read: true,
            forwarded: true,
            categories: vec!["Rot Kategorie".into(), "Geschäft".into()],
            ..MailFlags::default()
        };
        let all = vec!["\\Seen".to_string(), "\\*".to_string()];
        assert_eq!(
            imap_flags(&f, &all),
            ["\\Seen", "$Forwarded", "Rot_Kategorie", "Gesch&AOQ-ft"]
        );
        assert_eq!(imap_flags(&f, &["\\Seen".to_string()]), ["\\Seen"]);
        assert_eq!(
            internal_date(1514858645).as_deref(),
            Some("02-Jan-2018 02:04:05 +0000")
        );
        assert_eq!(internal_date(-1), None);
    }
}
