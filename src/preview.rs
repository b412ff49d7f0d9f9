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
    pub html: Option<String>,
    pub attachments: Vec<AttachmentView>,
    /// The full header block, as written.
    pub headers: String,
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
            mime_type: a
                .content_type()
                .map(|c| match c.subtype() {
                    Some(s) => format!("{}/{s}", c.ctype()),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into()),
            content_id: a.content_id().map(str::to_string),
            message: a.message().is_some(),
        })
        .collect();
    Ok(Preview {
        subject: m.subject().unwrap_or_default().to_string(),
        from: addresses(m.from()),
        to: addresses(m.to()),
        cc: addresses(m.cc()),
        date: m.date().map(|d| d.to_rfc3339()).unwrap_or_default(),
        text: m.body_text(0).map(|t| t.into_owned()),
        html: (m.html_body_count() > 0)
            .then(|| m.body_html(0).map(|h| h.into_owned()))
            .flatten(),
        attachments,
        headers: String::from_utf8_lossy(bytes.get(..header_end).unwrap_or(bytes)).into_owned(),
    })
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
