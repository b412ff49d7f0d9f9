//! Message bodies (MS-OXCMAIL §2.2.3.2.1): plain text, HTML in its code page, and RTF
//! (MS-OXRTFCP decompression, MS-OXRTFEX de-encapsulation to HTML or text; a genuine RTF
//! document is kept as an attachment beside a plain-text rendering).

use super::rtf;
use crate::pst::messaging::props;
use crate::pst::{Message, Pst};

/// Compressed RTF bodies larger than this once decompressed are not recovered.
const MAX_RTF: usize = 64 << 20;

#[derive(Debug, Default)]
pub struct Body {
    pub text: Option<String>,
    pub html: Option<String>,
    /// A genuine RTF document, kept as `body.rtf`.
    pub rtf_document: Option<Vec<u8>>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|t| !t.trim_matches(['\0', ' ', '\r', '\n']).is_empty())
}

pub fn read(pst: &Pst, msg: &Message, warnings: &mut Vec<String>) -> Body {
    let mut body = Body {
        text: non_empty(msg.string(pst, props::BODY)),
        ..Body::default()
    };
    if let Ok(Some(html)) = msg.obj.bytes(&pst.ndb, props::HTML) {
        let cp = msg
            .obj
            .i32(props::INTERNET_CPID)
            .map(|c| c as u32)
            .unwrap_or(msg.codepage);
        let s = match msg.obj.ptype(props::HTML) {
            Some(0x001F) => crate::pst::ltp::prop::utf16le(&html),
            _ if cp == 1200 => crate::pst::ltp::prop::utf16le(&html),
            _ => crate::codepage::decode(&html, cp),
        };
        body.html = non_empty(Some(s));
    }
    if body.html.is_none() {
        match msg.obj.bytes(&pst.ndb, props::RTF_COMPRESSED) {
            Ok(Some(compressed)) => match rtf::decompress(&compressed, MAX_RTF) {
                Ok(doc) => match rtf::deencapsulate(&doc) {
                    Some(rtf::Encapsulated::Html(h)) => body.html = non_empty(Some(h)),
                    Some(rtf::Encapsulated::Text(t)) => {
                        if body.text.is_none() {
                            body.text = non_empty(Some(t));
                        }
                    }
                    None => {
                        // Genuine RTF: an HTML rendering and plain text for every client,
                        // and the document itself for those that show RTF.
                        body.html = non_empty(Some(rtf::to_html(&doc)));
                        if body.text.is_none() {
                            body.text = non_empty(Some(rtf::to_plain_text(&doc)));
                        }
                        body.rtf_document = Some(doc);
                    }
                },
                Err(e) => warnings.push(format!("RTF body not recovered: {e}")),
            },
            Ok(None) => {}
            Err(e) => warnings.push(format!("RTF body unreadable: {e}")),
        }
    }
    body
}
