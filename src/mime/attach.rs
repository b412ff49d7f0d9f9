//! Attachments (MS-OXCMAIL §2.2.3.3): by-value data with RFC 2231 names and MIME types,
//! inline images referenced from the HTML (multipart/related), embedded messages as
//! message/rfc822.

use super::body::Body;
use super::stream::{Data, Holes};
use super::{AttachmentInfo, Ctx, convert_at};
use crate::pst::messaging::{Attachment, AttachmentContent, attachment::METHOD_EMBEDDED};
use crate::pst::{Message, Pst};
use mail_builder::mime::{BodyPart, MimePart};
use std::collections::HashSet;

#[derive(Default)]
pub struct Parts {
    pub related: Vec<MimePart<'static>>,
    pub mixed: Vec<MimePart<'static>>,
    pub infos: Vec<AttachmentInfo>,
    pub warnings: Vec<String>,
    /// Names given so far (lower case): each is given once.
    names: HashSet<String>,
}

/// File extensions and their MIME types; the first extension of a type is the one a file
/// of that type is given.
const TYPES: [(&str, &str); 28] = [
    ("txt", "text/plain"),
    ("log", "text/plain"),
    ("csv", "text/plain"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("rtf", "application/rtf"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("bmp", "image/bmp"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("svg", "image/svg+xml"),
    ("zip", "application/zip"),
    ("doc", "application/msword"),
    ("xls", "application/vnd.ms-excel"),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("eml", "message/rfc822"),
    ("ics", "text/calendar"),
    ("vcf", "text/vcard"),
    ("mp3", "audio/mpeg"),
    ("wav", "audio/wav"),
    ("mp4", "video/mp4"),
];

/// A file name's extension, if it has one (`report.pdf`, not `ATT51928` or `.profile`).
fn extension(name: &str) -> Option<&str> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty()
        && (1..=5).contains(&ext.len())
        && ext.chars().all(|c| c.is_ascii_alphanumeric()))
    .then_some(ext)
}

/// A MIME type from a file name's extension.
pub fn guess_type(name: &str) -> &'static str {
    let ext = extension(name).unwrap_or_default().to_ascii_lowercase();
    TYPES
        .iter()
        .find(|(e, _)| *e == ext)
        .map_or("application/octet-stream", |(_, t)| t)
}

/// The type of data that says nothing of itself, from its first bytes (the formats attached
/// most without a name: pictures and documents).
fn sniff(data: &[u8]) -> &'static str {
    const MAGIC: [(&[u8], &str); 6] = [
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"BM", "image/bmp"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| data.starts_with(m))
        .map_or("application/octet-stream", |(_, t)| t)
}

/// `name` made unique among `taken` (case-insensitively: "save all" on Windows and macOS),
/// with an extension from `mime` when it has none: six OLE pictures all called "Picture
/// (Device Independent Bitmap)" become "….bin", "… (2).bin", … instead of overwriting
/// each other.
fn unique_name(taken: &mut HashSet<String>, name: &str, mime: &str) -> String {
    let (stem, ext) = match extension(name) {
        Some(e) => (&name[..name.len() - e.len() - 1], e.to_string()),
        None => {
            let ext = TYPES
                .iter()
                .find(|(_, t)| *t == mime)
                .map_or("bin", |(e, _)| e);
            (name, ext.to_string())
        }
    };
    let mut out = format!("{stem}.{ext}");
    let mut n = 2;
    while !taken.insert(out.to_lowercase()) {
        out = format!("{stem} ({n}).{ext}");
        n += 1;
    }
    out
}

/// An attachment's bytes as a base64 part, whatever its type. Text types too: 7bit and
/// quoted-printable are line-based, so a reader converting line endings — every mbox reader
/// does — or the CRLF a boundary takes from the last line would change their bytes
/// (aspose-Outlook's `text file.txt` lost 2 of its 29 bytes that way).
fn binary_part(mime: String, data: Vec<u8>) -> MimePart<'static> {
    if !mime.starts_with("text/") {
        // mail-builder writes other types as base64 itself.
        return MimePart::new(mime, BodyPart::Binary(data.into()));
    }
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut lines = Vec::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    for line in encoded.as_bytes().chunks(76) {
        lines.extend_from_slice(line);
        lines.extend_from_slice(b"\r\n");
    }
    MimePart::new(mime, BodyPart::Binary(lines.into())).transfer_encoding("base64")
}

fn valid_mime(t: &str) -> bool {
    let t = t.trim();
    t.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && t.bytes()
                .all(|c| c.is_ascii_graphic() && !b"\"()<>@,;:\\[]?=".contains(&c) || c == b'/')
    })
}

impl Parts {
    /// An embedded message, converted (to any depth) and attached as `message/rfc822`.
    fn push_embedded(
        &mut self,
        pst: &Pst,
        att: &Attachment,
        n: usize,
        m: &Message,
        depth: usize,
        ctx: &mut Ctx,
    ) {
        match convert_at(pst, m, depth + 1, ctx) {
            Ok(inner) => {
                let name = if att.filename.is_empty() {
                    format!(
                        "{}.eml",
                        if inner.subject.is_empty() {
                            "message"
                        } else {
                            &inner.subject
                        }
                    )
                } else if att.filename.to_ascii_lowercase().ends_with(".eml") {
                    att.filename.clone()
                } else {
                    format!("{}.eml", att.filename)
                };
                let name = unique_name(&mut self.names, &name, "message/rfc822");
                // Its data parts are markers still, in the outer message's `holes`.
                let size = inner.bytes.len();
                let bytes = inner.bytes.into_unsplit();
                let seven_bit = bytes.is_ascii();
                self.warnings.extend(
                    inner
                        .warnings
                        .iter()
                        .map(|w| format!("embedded message {n}: {w}")),
                );
                self.infos.push(AttachmentInfo {
                    name: name.clone(),
                    size,
                    mime_type: "message/rfc822".into(),
                    inline: false,
                    embedded: true,
                });
                self.mixed.push(
                    MimePart::new("message/rfc822", BodyPart::Binary(bytes.into()))
                        .transfer_encoding(if seven_bit { "7bit" } else { "8bit" })
                        .attachment(name),
                );
            }
            Err(e) => self
                .warnings
                .push(format!("embedded message {n} not converted: {e}")),
        }
    }

    /// An attachment's bytes as a part: inline (related) when the HTML body points at its
    /// Content-ID, else attached, under its name and type (guessed when it has none). Data
    /// in blocks stays in the file: a marker from `holes` takes its place.
    fn push_data(
        &mut self,
        pst: &Pst,
        (att, n): (&Attachment, usize),
        data: Data,
        html: &str,
        holes: &mut Holes,
    ) {
        let name = if att.filename.is_empty() {
            format!("attachment-{n}")
        } else {
            att.filename.clone()
        };
        let mut mime = if valid_mime(&att.mime_type) {
            att.mime_type.trim().to_ascii_lowercase()
        } else {
            guess_type(&name).to_string()
        };
        if mime == "application/octet-stream" && extension(&name).is_none() {
            mime = sniff(&data.head(pst)).to_string();
        }
        let name = unique_name(&mut self.names, &name, &mime);
        // A Content-ID is an msg-id: anything else in it could break the part's headers.
        let cid: String = att
            .content_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .chars()
            .filter(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\\'))
            .collect();
        let inline = !cid.is_empty() && html.contains(&format!("cid:{cid}"));
        self.infos.push(AttachmentInfo {
            name: name.clone(),
            size: data.size(),
            mime_type: mime.clone(),
            inline,
            embedded: att.method == METHOD_EMBEDDED,
        });
        let text = mime.starts_with("text/");
        // mail-builder writes the encoding header of a binary part last: a marked part
        // names it in the same place, so both come out byte for byte alike.
        let (part, encoding_last) = match data {
            Data::Bytes(b) => (binary_part(mime, b), false),
            Data::Stream(s) if text => (
                MimePart::new(mime, BodyPart::Binary(holes.add(s).into()))
                    .transfer_encoding("base64"),
                false,
            ),
            Data::Stream(s) => (
                MimePart::new(mime, BodyPart::Binary(holes.add(s).into())),
                true,
            ),
        };
        let part = if inline {
            part.cid(cid).header(
                "Content-Disposition",
                mail_builder::headers::content_type::ContentType::new("inline")
                    .attribute("filename", name),
            )
        } else if !cid.is_empty() {
            part.attachment(name).cid(cid)
        } else {
            part.attachment(name)
        };
        let part = if encoding_last {
            part.transfer_encoding("base64")
        } else {
            part
        };
        if inline {
            self.related.push(part);
        } else {
            self.mixed.push(part);
        }
    }
}

/// A message's attachments as MIME parts (and the RTF body, when it was kept as a file),
/// with what each was; what could not be read is a warning, never a lost message.
pub fn read(
    pst: &Pst,
    msg: &Message,
    depth: usize,
    ctx: &mut Ctx,
    body: &Body,
    warnings: &mut Vec<String>,
) -> Parts {
    let mut parts = Parts::default();
    if let Some(doc) = &body.rtf_document {
        parts.names.insert("body.rtf".into());
        parts.infos.push(AttachmentInfo {
            name: "body.rtf".into(),
            size: doc.len() as u64,
            mime_type: "application/rtf".into(),
            inline: false,
            embedded: false,
        });
        parts.mixed.push(
            MimePart::new("application/rtf", BodyPart::Binary(doc.clone().into()))
                .attachment("body.rtf"),
        );
    }
    let list = match pst.attachments(msg) {
        Ok(l) => l,
        Err(e) => {
            warnings.push(format!("attachment table unreadable: {e}"));
            return parts;
        }
    };
    let html = body.html.as_deref().unwrap_or("");
    for (i, att) in list.into_iter().enumerate() {
        let n = i + 1;
        let att = match att {
            Ok(a) => a,
            Err(e) => {
                parts
                    .warnings
                    .push(format!("attachment {n} unreadable: {e}"));
                continue;
            }
        };
        let content = match att.content(pst) {
            Ok(c) => c,
            Err(e) => {
                parts
                    .warnings
                    .push(format!("attachment {n} ({}) unreadable: {e}", att.filename));
                continue;
            }
        };
        match content {
            AttachmentContent::Embedded(m) => parts.push_embedded(pst, &att, n, &m, depth, ctx),
            AttachmentContent::Data(v) => {
                match Data::of(pst, v, format!("attachment {n} ({})", att.filename)) {
                    Ok(data) => parts.push_data(pst, (&att, n), data, html, &mut ctx.holes),
                    Err(e) => parts.warnings.push(format!(
                        "attachment {n} ({}) data unreadable: {e}",
                        att.filename
                    )),
                }
            }
            AttachmentContent::None => parts
                .warnings
                .push(format!("attachment {n} ({}) holds no data", att.filename)),
        }
        for (id, why) in att.obj.take_unreadable() {
            parts.warnings.push(format!(
                "attachment {n}: property {id:#06x} unreadable: {why}"
            ));
        }
    }
    parts
}
