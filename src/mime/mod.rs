//! MAPI message → RFC 5322 / MIME (MS-OXCMAIL): headers reused from the transport headers or
//! synthesized, bodies (plain, HTML, RTF-recovered), attachments, inline images and embedded
//! messages as `message/rfc822`, recursively.

mod attach;
pub mod body;
pub mod cms;
mod flags;
mod headers;
pub mod rtf;
mod smime;
mod stream;

pub use flags::MailFlags;
pub use headers::{PLACEHOLDER_ADDRESS, normalize_message_id};
pub use stream::{MessageBytes, Part};

use crate::error::{Error, Result};
use crate::pst::Message;
use crate::pst::Pst;
use crate::pst::messaging::props;
use mail_builder::MessageBuilder;
use mail_builder::mime::{BodyPart, MimePart};
use serde::Serialize;

/// Embedded messages nest at most this deep (deeper ones are attached as a note).
pub const MAX_EMBED_DEPTH: usize = 32;

/// What a converted attachment was.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    pub name: String,
    pub size: u64,
    pub mime_type: String,
    pub inline: bool,
    pub embedded: bool,
}

/// One message rendered as RFC 5322 bytes, with what the sinks need to file it.
#[derive(Debug)]
pub struct MimeMessage {
    /// The message; its attachments' data is read from the PST as it is written.
    pub bytes: MessageBytes,
    pub subject: String,
    /// Envelope sender for the mbox From_ line (an address, or `MAILER-DAEMON`).
    pub envelope_from: String,
    /// Delivery (else submit, else creation) time, Unix seconds.
    pub date: Option<i64>,
    pub flags: MailFlags,
    /// The Message-ID header's value without brackets (synthesized ones are stable).
    pub message_id: String,
    pub attachments: Vec<AttachmentInfo>,
    /// Problems that did not stop the conversion (an unreadable attachment, …).
    pub warnings: Vec<String>,
    /// Senders and recipients written with the placeholder address: the file names them
    /// without any address.
    pub placeholders: u32,
}

/// A message's text and HTML bodies (RTF recovered), as the converter reads them.
pub fn body_of(pst: &Pst, msg: &Message) -> body::Body {
    body::read(pst, msg, &mut Vec::new())
}

/// What a property is, for a warning that it could not be read.
fn property_name(id: u16) -> String {
    match id {
        props::BODY => "the text body".into(),
        props::HTML => "the HTML body".into(),
        props::RTF_COMPRESSED => "the RTF body".into(),
        props::TRANSPORT_MESSAGE_HEADERS => "the original headers".into(),
        props::SUBJECT => "the subject".into(),
        _ => format!("property {id:#06x}"),
    }
}

/// What one conversion shares with the embedded messages in it: the boundary counter and
/// the markers of the data left in the file.
struct Ctx {
    counter: u32,
    holes: stream::Holes,
}

/// Converts a message. Unreadable attachments become warnings; an unreadable message is
/// an error.
pub fn convert(pst: &Pst, msg: &Message) -> Result<MimeMessage> {
    // A message whose own text holds a marker (only a file made to could) is built again
    // with new markers.
    for _ in 0..3 {
        let mut ctx = Ctx {
            counter: 0,
            holes: stream::Holes::new(),
        };
        let mut m = convert_at(pst, msg, 0, &mut ctx)?;
        let raw = std::mem::replace(&mut m.bytes, MessageBytes::from(Vec::new())).into_unsplit();
        if let Some(bytes) = ctx.holes.cut(raw) {
            m.bytes = bytes;
            return Ok(m);
        }
    }
    Err(Error::Other(
        "the message contains the markers unpst puts in place of attachment data".into(),
    ))
}

fn convert_at(pst: &Pst, msg: &Message, depth: usize, ctx: &mut Ctx) -> Result<MimeMessage> {
    if depth > MAX_EMBED_DEPTH {
        return Err(Error::Limit(format!(
            "embedded messages nested deeper than {MAX_EMBED_DEPTH}"
        )));
    }
    let mut warnings = Vec::new();
    let recipients = pst.recipients(msg).unwrap_or_else(|e| {
        warnings.push(format!("recipients unreadable: {e}"));
        Vec::new()
    });
    let mut head = headers::build(pst, msg, &recipients);
    let flags = flags::read(pst, msg);
    // Status headers are the mailbox's: an attached message is in no mailbox.
    let extra = if depth == 0 {
        flags.headers()
    } else {
        Vec::new()
    };
    let fields = std::mem::take(&mut head.fields);
    let first_hole = ctx.holes.count();
    let (bytes, attachments) = match smime::detect(pst, msg) {
        Some(s) => smime::message(fields, extra, s, &mut ctx.holes)?,
        None => plain(
            pst,
            msg,
            depth,
            ctx,
            (fields, extra, head.boundary_seed),
            &mut warnings,
        )?,
    };
    let len = (bytes.len() as i64 + ctx.holes.growth(first_hole)).max(0) as u64;
    warnings.extend(
        msg.obj
            .take_unreadable()
            .into_iter()
            .map(|(id, why)| format!("{} unreadable: {why}", property_name(id))),
    );
    Ok(MimeMessage {
        bytes: MessageBytes::unsplit(bytes, len),
        subject: head.subject,
        envelope_from: head.envelope_from,
        date: msg.obj.time(props::MESSAGE_DELIVERY_TIME).or(head.date),
        flags,
        message_id: head.message_id,
        attachments,
        warnings,
        placeholders: head.placeholders,
    })
}

/// Header fields as the builder takes them, and the flag headers after them.
type Fields = Vec<(String, mail_builder::headers::HeaderType<'static>)>;
type Extra = Vec<(&'static str, String)>;

/// A message as MS-OXCMAIL writes it: its header fields, bodies and attachments (with
/// markers for data left in the file); what was attached.
fn plain(
    pst: &Pst,
    msg: &Message,
    depth: usize,
    ctx: &mut Ctx,
    (fields, extra, seed): (Fields, Extra, u64),
    warnings: &mut Vec<String>,
) -> Result<(Vec<u8>, Vec<AttachmentInfo>)> {
    let body = body::read(pst, msg, warnings);
    let first_hole = ctx.holes.count();
    let parts = attach::read(pst, msg, depth, ctx, &body, warnings);
    warnings.extend(parts.warnings);
    let in_memory = parts.infos.iter().map(|a| a.size).sum::<u64>();
    let in_memory = in_memory - ctx.holes.sizes(first_hole).min(in_memory);
    let mut boundary = |kind: &str| {
        ctx.counter += 1;
        format!("----=_unpst_{kind}_{seed:016x}_{depth}_{}", ctx.counter)
    };
    let root = body_tree(
        pst,
        msg,
        depth,
        &body,
        (parts.related, parts.mixed),
        &mut boundary,
    );
    // Sized up front: a growing Vec would double past the message. Base64 takes 4/3 plus
    // line ends; data left in the file takes only its marker.
    // In u64 and capped: on wasm32 a usize product overflows at 31 MB of attachments.
    let estimate = in_memory * 139 / 100
        + body.text.as_ref().map_or(0, |t| t.len() as u64 * 2)
        + body.html.as_ref().map_or(0, |h| h.len() as u64 * 2)
        + 16 * 1024;
    Ok((write(fields, extra, root, estimate)?, parts.infos))
}

/// The message's MIME tree: its bodies as multipart/alternative (the HTML with its inline
/// images as multipart/related; a meeting's text/calendar part), its attachments around
/// them as multipart/mixed.
fn body_tree(
    pst: &Pst,
    msg: &Message,
    depth: usize,
    body: &body::Body,
    (related, mixed): (Vec<MimePart<'static>>, Vec<MimePart<'static>>),
    boundary: &mut dyn FnMut(&str) -> String,
) -> MimePart<'static> {
    // multipart/alternative of the text and HTML bodies …
    let mut alternatives = Vec::new();
    if let Some(t) = &body.text {
        alternatives.push(MimePart::new("text/plain", t.clone()));
    }
    if let Some(h) = &body.html {
        let html = MimePart::new("text/html", h.clone());
        if related.is_empty() {
            alternatives.push(html);
        } else {
            // … with the HTML and its inline images in multipart/related.
            let mut rel = vec![html];
            rel.extend(related);
            alternatives.push(multipart("multipart/related", boundary("rel"), rel));
        }
    }
    // Meeting requests, cancellations and responses carry their event (iMIP, RFC 6047).
    if depth == 0
        && let Some((method, cal)) = crate::items::ical::meeting_part(pst, msg)
    {
        let ct = mail_builder::headers::content_type::ContentType::new("text/calendar")
            .attribute("method", method)
            .attribute("charset", "utf-8");
        alternatives.push(MimePart::new(ct, cal));
    }
    let main = match alternatives.len() {
        0 => MimePart::new("text/plain", String::new()),
        1 => alternatives.remove(0),
        _ => multipart("multipart/alternative", boundary("alt"), alternatives),
    };
    if mixed.is_empty() {
        main
    } else {
        let mut all = vec![main];
        all.extend(mixed);
        multipart("multipart/mixed", boundary("mix"), all)
    }
}

/// The message's bytes: its header fields, then the flag headers, then the body tree;
/// `estimate` sizes the buffer once.
fn write(fields: Fields, extra: Extra, root: MimePart<'static>, estimate: u64) -> Result<Vec<u8>> {
    let mut builder = MessageBuilder::new();
    for (name, value) in fields {
        builder = builder.header(name, value);
    }
    for (name, value) in extra {
        builder = builder.header(name, mail_builder::headers::raw::Raw::new(value));
    }
    let mut bytes = Vec::with_capacity(estimate.min(1 << 30) as usize);
    builder.body(root).write_to(&mut bytes).map_err(Error::Io)?;
    Ok(bytes)
}

fn multipart(ctype: &str, boundary: String, parts: Vec<MimePart<'static>>) -> MimePart<'static> {
    MimePart::new(
        mail_builder::headers::content_type::ContentType::new(ctype.to_string())
            .attribute("boundary", boundary),
        BodyPart::Multipart(parts),
    )
}
