//! A message as a viewer shows it: the headers, the text and HTML bodies and the list of
//! attachments — read back from the very MIME the converter writes, so what is previewed
//! is what is exported.

use crate::error::{Error, Result};
use mail_parser::{MessageParser, MimeHeaders};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub index: usize,
    pub name: String,
    pub size: usize,
    pub mime_type: String,
    /// Set for inline images the HTML refers to as `cid:…`.
    pub content_id: Option<String>,
    /// An attached (embedded) message.
    pub message: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub date: String,
    pub text: Option<String>,
    /// The HTML body with its `cid:` images replaced by `data:` URIs of the message's own
    /// parts, so the sandboxed frame needs no second request, and the rest disarmed.
    pub html: Option<String>,
    pub attachments: Vec<AttachmentView>,
    /// Images and backgrounds the HTML would fetch from elsewhere (remote or relative URLs),
    /// disarmed in `html` (see [`disarm`]): the viewer loads none of them and says so.
    pub blocked_images: usize,
    /// The full header block, as written.
    pub headers: String,
    /// Signed or encrypted (S/MIME), when it is.
    pub security: Option<Security>,
}

/// What S/MIME does to a message, as a viewer tells it.
#[derive(Debug, Clone, Serialize)]
pub struct Security {
    /// "signed" or "encrypted".
    pub kind: &'static str,
    /// The signing certificate's subject: who it names, not whether to trust it.
    pub signer: Option<String>,
}

/// A message's S/MIME parts (RFC 8551 §3.2): a detached signature, or a CMS blob whose
/// `smime-type` says signed or encrypted.
fn security(m: &mail_parser::Message) -> Option<Security> {
    m.parts.iter().find_map(|p| {
        let ct = p.content_type()?;
        let sub = ct.subtype()?.to_ascii_lowercase();
        if !ct.ctype().eq_ignore_ascii_case("application") {
            return None;
        }
        let blob = p.contents();
        match sub.as_str() {
            "pkcs7-signature" | "x-pkcs7-signature" => Some(Security {
                kind: "signed",
                signer: crate::mime::cms::signer(blob),
            }),
            "pkcs7-mime" | "x-pkcs7-mime" => {
                Some(if crate::mime::cms::smime_type(blob) == "signed-data" {
                    Security {
                        kind: "signed",
                        signer: crate::mime::cms::signer(blob),
                    }
                } else {
                    Security {
                        kind: "encrypted",
                        signer: None,
                    }
                })
            }
            _ => None,
        }
    })
}

fn addresses(a: Option<&mail_parser::Address>) -> String {
    a.map(|a| {
        a.iter()
            .map(|x| match (x.name(), x.address()) {
                (Some(n), Some(e)) => format!("{n} <{e}>"),
                (None, Some(e)) => e.to_string(),
                (Some(n), None) => n.to_string(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    })
    .unwrap_or_default()
}

/// Builds the preview of a converted message (or of an embedded message's bytes).
pub fn preview(bytes: &[u8]) -> Result<Preview> {
    let m = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| Error::Other("the converted message does not parse".into()))?;
    let header_end = m.root_part().raw_body_offset() as usize;
    let attachments = m
        .attachments()
        .enumerate()
        .map(|(index, a)| AttachmentView {
            index,
            name: a
                .attachment_name()
                .map(str::to_string)
                .unwrap_or_else(|| format!("attachment-{}", index + 1)),
            size: a.contents().len(),
            mime_type: mime_type(a),
            content_id: a.content_id().map(str::to_string),
            message: a.message().is_some(),
        })
        .collect();
    let (html, blocked_images) = match m.html_body_count() > 0 {
        true => match m.body_html(0) {
            Some(h) => {
                let (html, n) = disarm(&inline_images(&m, h.into_owned()));
                (Some(html), n)
            }
            None => (None, 0),
        },
        false => (None, 0),
    };
    Ok(Preview {
        blocked_images,
        subject: m.subject().unwrap_or_default().to_string(),
        from: addresses(m.from()),
        to: addresses(m.to()),
        cc: addresses(m.cc()),
        date: m.date().map(|d| d.to_rfc3339()).unwrap_or_default(),
        text: m.body_text(0).map(|t| t.into_owned()),
        html,
        attachments,
        headers: String::from_utf8_lossy(bytes.get(..header_end).unwrap_or(bytes)).into_owned(),
        security: security(&m),
    })
}

fn mime_type(a: &mail_parser::MessagePart) -> String {
    a.content_type()
        .map(|c| match c.subtype() {
            Some(s) => format!("{}/{s}", c.ctype()),
            None => c.ctype().to_string(),
        })
        .unwrap_or_else(|| "application/octet-stream".into())
}

/// Replaces `cid:ID` references with the referenced parts as `data:` URIs.
fn inline_images(m: &mail_parser::Message, mut html: String) -> String {
    if !html.contains("cid:") {
        return html;
    }
    for a in m.attachments() {
        let Some(id) = a.content_id() else { continue };
        let reference = format!("cid:{id}");
        if !html.contains(&reference) {
            continue;
        }
        html = html.replace(
            &reference,
            &crate::util::data_uri(&mime_type(a), a.contents()),
        );
    }
    html
}

/// What [`disarm`] puts before a reference that would be fetched: `src=` becomes the inert
/// attribute `unpst-blocked-src=`, CSS `url(` the invalid `unpst-blocked-url(` (its declaration
/// is dropped).
pub const BLOCKED: &str = "unpst-blocked-";

/// Disarms the image sources and backgrounds of `html` that point outside the message
/// (anything but `data:`, `cid:` and `#…`) — `src=`, `srcset=`, `background=` inside tags and
/// CSS `url(…)` — and counts them. The frame's policy would block them anyway, but each
/// blocked request still costs the browser time while it draws the message, and nothing is
/// even attempted this way.
pub fn disarm(html: &str) -> (String, usize) {
    let lower = html.as_bytes();
    let mut at = Vec::new();
    let mut in_tag = false;
    for i in 0..lower.len() {
        match lower[i] {
            b'<' => in_tag = true,
            b'>' => in_tag = false,
            _ => {}
        }
        for key in ["src=", "srcset=", "background=", "url("] {
            let Some(here) = lower.get(i..i + key.len()) else {
                continue;
            };
            if !here.eq_ignore_ascii_case(key.as_bytes()) || (!in_tag && key != "url(") {
                continue;
            }
            // "data-src=" counts too: lazy-loading mail templates keep the real image there.
            let value = html[i + key.len()..]
                .trim_start()
                .trim_start_matches(['"', '\'', ' ']);
            let local = value.is_empty()
                || value
                    .get(..5)
                    .is_some_and(|p| p.eq_ignore_ascii_case("data:"))
                || value
                    .get(..4)
                    .is_some_and(|p| p.eq_ignore_ascii_case("cid:"))
                || value.starts_with(['#', '"', '\'', ')', '>']);
            if !local {
                at.push(i);
            }
        }
    }
    let mut out = String::with_capacity(html.len() + at.len() * BLOCKED.len());
    let mut from = 0;
    for &i in &at {
        out.push_str(&html[from..i]);
        out.push_str(BLOCKED);
        from = i;
    }
    out.push_str(&html[from..]);
    (out, at.len())
}

/// The bytes of attachment `index` (as numbered in [`Preview::attachments`]): the decoded
/// data, or an embedded message's own RFC 5322 bytes.
pub fn attachment(bytes: &[u8], index: usize) -> Result<Vec<u8>> {
    let m = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| Error::Other("the converted message does not parse".into()))?;
    let a = m
        .attachments()
        .nth(index)
        .ok_or_else(|| Error::Other(format!("no attachment {index}")))?;
    Ok(match a.message() {
        Some(inner) => inner.raw_message().to_vec(),
        None => a.contents().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::disarm;

    #[test]
    fn disarms_only_what_would_be_fetched() {
        let html = r#"<img src="https://tracker.example/p.gif"><img SRC='logo.png'>
            <img src="data:image/png;base64,AAAA"><img src="cid:x@y"><td background=http://b/bg.jpg>
            <div style="background:url( 'https://x/y.png' )"></div><div style="background:url(data:,)"></div>
            <img srcset="a.png 1x, b.png 2x"><a href="https://example.com">link</a>
            <p>Text about src=http://x is left alone.</p>"#;
        let (out, n) = disarm(html);
        assert_eq!(n, 5);
        assert_eq!(
            out,
            r#"<img unpst-blocked-src="https://tracker.example/p.gif"><img unpst-blocked-SRC='logo.png'>
            <img src="data:image/png;base64,AAAA"><img src="cid:x@y"><td unpst-blocked-background=http://b/bg.jpg>
            <div style="background:unpst-blocked-url( 'https://x/y.png' )"></div><div style="background:url(data:,)"></div>
            <img unpst-blocked-srcset="a.png 1x, b.png 2x"><a href="https://example.com">link</a>
            <p>Text about src=http://x is left alone.</p>"#
        );
        assert_eq!(disarm("<p>no images</p>"), ("<p>no images</p>".into(), 0));
        // Cut off inside a tag, multi-byte text: no panic, nothing lost.
        assert_eq!(disarm("é<img src=").1, 0);
        assert_eq!(disarm("<img src=x").0, "<img unpst-blocked-src=x");
    }
}
