//! S/MIME messages (MS-OXOSMIME §2.1.3.1, §2.1.3.2): Outlook keeps a clear-signed message's
//! whole `multipart/signed` entity, and an opaque-signed or encrypted message's CMS blob, as
//! the message's one attachment. They are written back as they arrived (RFC 8551 §3.5, §3.3)
//! — under the message's own header fields — so a signature still verifies and the owner of
//! the key can still decrypt.

use super::stream::{Data, Holes};
use super::{AttachmentInfo, Extra, Fields, write};
use crate::error::Result;
use crate::pst::messaging::AttachmentContent;
use crate::pst::{Message, Pst};
use mail_builder::headers::content_type::ContentType;
use mail_builder::mime::{BodyPart, MimePart};

/// What an S/MIME message holds.
pub enum Smime {
    /// The `multipart/signed` entity, its header fields first; whether they name a
    /// MIME-Version of their own.
    Signed(Data, bool),
    /// The CMS blob and its `smime-type` (RFC 8551 §3.2.2).
    Opaque(Data, &'static str),
}

/// The S/MIME content of a message of class `IPM.Note.SMIME*`, if it has it as Outlook
/// stores it; otherwise (or when it cannot be read) the message converts as any other.
pub fn detect(pst: &Pst, msg: &Message) -> Option<Smime> {
    if !msg
        .class(pst)
        .to_ascii_lowercase()
        .starts_with("ipm.note.smime")
    {
        return None;
    }
    for att in pst.attachments(msg).ok()?.into_iter().flatten() {
        let mime = att.mime_type.trim().to_ascii_lowercase();
        let p7m = att.filename.to_ascii_lowercase().ends_with(".p7m");
        let signed = mime == "multipart/signed";
        if !signed
            && !p7m
            && !matches!(
                mime.as_str(),
                "application/pkcs7-mime" | "application/x-pkcs7-mime"
            )
        {
            continue;
        }
        let Ok(AttachmentContent::Data(v)) = att.content(pst) else {
            continue;
        };
        let data = Data::of(pst, v, format!("S/MIME content ({})", att.filename)).ok()?;
        let head = data.head(pst);
        if signed || head.first().is_some_and(u8::is_ascii_alphabetic) {
            // The entity's header fields end at its first blank line.
            let text =
                String::from_utf8_lossy(&head[..head.len().min(16 * 1024)]).to_ascii_lowercase();
            let fields = text.split("\n\n").next().unwrap_or("");
            let fields = fields.split("\r\n\r\n").next().unwrap_or("");
            if fields.contains("multipart/signed") {
                let version = fields.lines().any(|l| l.starts_with("mime-version:"));
                drop(head);
                return Some(Smime::Signed(data, version));
            }
            continue;
        }
        let kind = super::cms::smime_type(&head);
        drop(head);
        return Some(Smime::Opaque(data, kind));
    }
    None
}

/// The message: its header fields and flags, then the signed entity as it is (its header
/// fields continue the message's), or the CMS blob as its one `application/pkcs7-mime`
/// part; what it lists as attached.
pub(super) fn message(
    fields: Fields,
    extra: Extra,
    s: Smime,
    holes: &mut Holes,
) -> Result<(Vec<u8>, Vec<AttachmentInfo>)> {
    match s {
        Smime::Signed(data, own_version) => {
            let none = MimePart::raw(BodyPart::Binary(Vec::new().into()));
            let mut bytes = write(fields, extra, none, 16 * 1024)?;
            // One MIME-Version: the entity's, when it has one.
            if own_version && bytes.ends_with(MIME_VERSION) {
                bytes.truncate(bytes.len() - MIME_VERSION.len());
            }
            match data {
                Data::Bytes(b) => bytes.extend_from_slice(&b),
                Data::Stream(st) => bytes.extend_from_slice(&holes.add(st.verbatim())),
            }
            Ok((bytes, Vec::new()))
        }
        Smime::Opaque(data, kind) => {
            let info = AttachmentInfo {
                name: "smime.p7m".into(),
                size: data.size(),
                mime_type: "application/pkcs7-mime".into(),
                inline: false,
                embedded: false,
            };
            let ct = ContentType::new("application/pkcs7-mime")
                .attribute("smime-type", kind)
                .attribute("name", "smime.p7m");
            let (root, estimate) = match data {
                Data::Bytes(b) => {
                    let n = b.len() as u64 * 139 / 100;
                    let part =
                        MimePart::new(ct, BodyPart::Binary(b.into())).attachment("smime.p7m");
                    (part, n)
                }
                Data::Stream(st) => (
                    MimePart::new(ct, BodyPart::Binary(holes.add(st).into()))
                        .attachment("smime.p7m")
                        .transfer_encoding("base64"),
                    0,
                ),
            };
            Ok((
                write(fields, extra, root, estimate + 16 * 1024)?,
                vec![info],
            ))
        }
    }
}

const MIME_VERSION: &[u8] = b"MIME-Version: 1.0\r\n";
