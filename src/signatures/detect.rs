//! Finding a signature in one sent message: Outlook marks it in HTML bodies with the
//! `_MailAutoSig` bookmark (Word's HTML), Outlook on the web and mobile with a `Signature`
//! div; plain-text mail uses the `-- ` delimiter (RFC 3676 §4.3) or nothing at all, when
//! only the block that ends many messages tells it apart ([`common_suffix`]).

use crate::mime::body::text_of;

/// Where a reply or forward starts in an HTML body: the signature ends before it.
const HTML_ENDS: [&str; 8] = [
    "_mailoriginal",
    "<div style='border:none;border-top:solid",
    "<div style=\"border:none;border-top:solid",
    "id=\"divrplyfwdmsg\"",
    "id=divrplyfwdmsg",
    "<hr",
    "id=\"appendonsend\"",
    "</body",
];

/// ASCII-lowercases without changing byte offsets (non-ASCII bytes stay as they are).
fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// The signature fragment of an HTML body, if the body marks one.
pub fn html_signature(html: &str) -> Option<String> {
    let l = lower(html);
    if let Some(at) = l.find("_mailautosig") {
        // From the paragraph (or div, or table) that holds the bookmark …
        let start = ["<p", "<div", "<table"]
            .iter()
            .filter_map(|t| l[..at].rfind(t))
            .max()
            .unwrap_or(at);
        // … to the reply that follows, or the end of the body.
        let end = HTML_ENDS
            .iter()
            .filter_map(|m| {
                let p = at + l[at..].find(m)?;
                if m.starts_with('<') {
                    return Some(p);
                }
                // A marker inside a tag: cut before that tag, and before the paragraph it
                // opens (`<p class=MsoNormal><a name="_MailOriginal">`).
                let q = at + l[at..p].rfind('<')?;
                match l[at..q].rfind("<p") {
                    Some(pp) if l[at + pp..q].matches('>').count() == 1 => Some(at + pp),
                    _ => Some(q),
                }
            })
            .min()
            .unwrap_or(html.len());
        let frag = trim_empty_paragraphs(&html[start..end]);
        return (!text_of(&frag).is_empty()).then_some(frag);
    }
    // Outlook on the web / mobile: <div id="Signature"> … </div> (x_ once quoted).
    for marker in [
        "id=\"signature\"",
        "id=\"x_signature\"",
        "id=signature",
        "class=\"gmail_signature\"",
    ] {
        if let Some(at) = l.find(marker) {
            let start = l[..at].rfind("<div")?;
            let end = matching_div_end(&l, start)?;
            let frag = html[start..end].to_string();
            return (!text_of(&frag).is_empty()).then_some(frag);
        }
    }
    None
}

/// The end (after `</div>`) of the div opening at `start`.
fn matching_div_end(l: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < l.len() {
        let next_open = l[i..].find("<div").map(|p| i + p);
        let next_close = l[i..].find("</div").map(|p| i + p);
        match (next_open, next_close) {
            (Some(o), Some(c)) if o < c => {
                depth += 1;
                i = o + 4;
            }
            (_, Some(c)) => {
                depth = depth.saturating_sub(1);
                let end = l[c..].find('>').map(|p| c + p + 1)?;
                if depth == 0 {
                    return Some(end);
                }
                i = end;
            }
            _ => return None,
        }
    }
    None
}

/// Word's empty paragraphs (`<p class=MsoNormal><o:p>&nbsp;</o:p></p>`) at the end.
fn trim_empty_paragraphs(frag: &str) -> String {
    let mut f = frag.trim_end().to_string();
    loop {
        let l = lower(&f);
        let Some(p) = l.rfind("<p") else { break };
        if l[p..].trim_end().ends_with("</p>")
            && text_of(&f[p..]).is_empty()
            && !l[p..].contains("<img")
        {
            f.truncate(p);
            f = f.trim_end().to_string();
        } else {
            break;
        }
    }
    f
}

/// The part of a plain-text body the sender wrote: up to the quoted or forwarded message.
pub fn own_part(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let t = line.trim_end();
        let l = t.trim_start().to_ascii_lowercase();
        let quoted = t.starts_with('>')
            || l.starts_with("-----original message-----")
            || l.starts_with("-----ursprüngliche nachricht-----")
            || l.starts_with("________________________________")
            || (l.starts_with("on ") && l.ends_with("wrote:"))
            || (l.starts_with("from:") && out.last().is_some_and(|p| p.trim().is_empty()));
        if quoted {
            break;
        }
        out.push(t.to_string());
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out
}

/// The signature after a `-- ` delimiter line, if the message has one.
pub fn delimited(own: &[String]) -> Option<String> {
    let at = own.iter().rposition(|l| l == "-- " || l == "--")?;
    let sig: Vec<&str> = own[at + 1..].iter().map(String::as_str).take(15).collect();
    let s = sig.join("\n").trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// The trailing block that ends at least `min` of the given messages (each its own part's
/// last lines), longest first: 2–10 lines, or one line of 12 characters or more.
pub fn common_suffix(messages: &[Vec<String>], min: usize) -> Option<(String, usize)> {
    let mut tails: Vec<Vec<&str>> = messages
        .iter()
        .map(|m| {
            m.iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    // The same message sent several times is one message: its whole text is no signature.
    tails.sort();
    tails.dedup();
    for k in (1..=10).rev() {
        let mut counts: std::collections::HashMap<Vec<&str>, usize> = Default::default();
        for t in &tails {
            if t.len() > k {
                *counts.entry(t[t.len() - k..].to_vec()).or_default() += 1;
            }
        }
        let best = counts
            .into_iter()
            .filter(|(s, n)| {
                // Signature blocks are short lines: a repeated paragraph is not one.
                let short = s.iter().all(|l| l.chars().count() <= 100)
                    && s.iter().map(|l| l.len()).sum::<usize>() <= 600;
                *n >= min && short && (k >= 2 || s[0].chars().count() >= 12)
            })
            .max_by_key(|(s, n)| (*n, s.join("\n")));
        if let Some((s, n)) = best {
            return Some((s.join("\n"), n));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Outlook (Word) writes for a reply with the automatic signature.
    const OUTLOOK: &str = "<html><head><style>p.MsoNormal{margin:0cm}</style></head><body lang=DE>\
<div class=WordSection1><p class=MsoNormal>Hallo Anna,<o:p></o:p></p><p class=MsoNormal>passt.<o:p></o:p></p>\
<p class=MsoNormal><o:p>&nbsp;</o:p></p>\
<p class=MsoNormal><a name=\"_MailAutoSig\"><span style='color:#1F3864'>Jana Beispiel<o:p></o:p></span></a></p>\
<p class=MsoNormal><span style='color:#1F3864'>Beispiel &amp; Partner GmbH<o:p></o:p></span></p>\
<p class=MsoNormal><img width=120 height=40 src=\"cid:image001.png@01D0\"><o:p></o:p></p>\
<p class=MsoNormal><o:p>&nbsp;</o:p></p>\
<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal><b>Von:</b> Anna</p></div>\
<p class=MsoNormal>Older text</p></div></body></html>";

    #[test]
    fn outlook_bookmark_marks_the_signature() {
        let s = html_signature(OUTLOOK).unwrap();
        assert!(
            s.starts_with("<p class=MsoNormal><a name=\"_MailAutoSig\">"),
            "{s}"
        );
        assert!(s.contains("cid:image001.png@01D0"));
        assert!(!s.contains("Von:") && !s.contains("passt"), "{s}");
        assert_eq!(text_of(&s), "Jana Beispiel\nBeispiel & Partner GmbH");
        let owa = "<div>Hi</div><div id=\"Signature\"><div><p>Max Muster</p><div>Tel 1</div></div></div><div id=\"divRplyFwdMsg\">x</div>";
        assert_eq!(text_of(&html_signature(owa).unwrap()), "Max Muster\nTel 1");
        assert_eq!(html_signature("<p>no signature here</p>"), None);
    }

    #[test]
    fn plain_text_signatures() {
        let own = own_part(
            "Thanks!\n\n-- \nJana Beispiel\n+49 30 1234\n\n-----Original Message-----\nFrom: x\n",
        );
        assert_eq!(
            delimited(&own).as_deref(),
            Some("Jana Beispiel\n+49 30 1234")
        );
        let m = |body: &str| own_part(body);
        let msgs = vec![
            m("See you.\n\nBest regards\nJana Beispiel\nBeispiel & Partner\n"),
            m("Done, attached.\n\nBest regards\nJana Beispiel\nBeispiel & Partner\n\n> quoted\n"),
            m("No.\n\nBest regards\nJana Beispiel\nBeispiel & Partner"),
            m("Quick one\nJ."),
        ];
        assert_eq!(
            common_suffix(&msgs, 2),
            Some((
                "Best regards\nJana Beispiel\nBeispiel & Partner".to_string(),
                3
            ))
        );
        assert_eq!(common_suffix(&msgs[..1], 2), None);
    }
}
