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
        body.html = non_empty(Some(declare_utf8(&s)));
    }
    if body.html.is_none() {
        // Unreadable: reported with the message's other unreadable values.
        if let Ok(Some(compressed)) = msg.obj.bytes(&pst.ndb, props::RTF_COMPRESSED) {
            match rtf::decompress(&compressed, MAX_RTF) {
                Ok(doc) => match rtf::deencapsulate(&doc) {
                    Some(rtf::Encapsulated::Html(h)) => {
                        body.html = non_empty(Some(declare_utf8(&h)))
                    }
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
            }
        }
    }
    body
}

/// The HTML is re-encoded as UTF-8: rewrite the charset its `<meta>` tags declare (only in
/// the head), so that a viewer that trusts the document over the MIME header agrees.
pub fn declare_utf8(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut head_end = lower.find("<body").unwrap_or(lower.len()).min(64 * 1024);
    while !lower.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(rel) = lower[from..head_end].find("<meta") {
        let tag_start = from + rel;
        let tag_end = lower[tag_start..head_end]
            .find('>')
            .map_or(head_end, |e| tag_start + e);
        if let Some(c) = lower[tag_start..tag_end].find("charset=") {
            let value_start = tag_start + c + "charset=".len();
            // The value may be quoted on its own (<meta charset="x">) or end the content.
            let skip = lower[value_start..tag_end]
                .bytes()
                .take_while(|b| *b == b'"' || *b == b'\'')
                .count();
            let v = value_start + skip;
            let v_end = lower[v..tag_end]
                .find(['"', '\'', ';', ' ', '/', '>'])
                .map_or(tag_end, |e| v + e);
            out.push_str(&html[copied..v]);
            out.push_str("utf-8");
            copied = v_end;
        }
        from = tag_end.max(tag_start + 1);
        if from >= head_end {
            break;
        }
    }
    out.push_str(&html[copied..]);
    out
}

/// The visible text of an HTML fragment: tags dropped, block ends and `<br>` as line
/// breaks, the common entities decoded, blank runs collapsed.
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[lt + 1..lt + gt]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if matches!(
            name.as_str(),
            "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3"
        ) {
            out.push('\n');
        }
        rest = &rest[lt + gt + 1..];
        // Skip the content of style and script elements.
        if (name == "style" || name == "script")
            && !tag.starts_with('/')
            && let Some(end) = rest.to_ascii_lowercase().find(&format!("</{name}"))
        {
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&#160;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        // Last, so that "&amp;lt;" stays "&lt;".
        .replace("&amp;", "&")
        .replace('\u{a0}', " ");
    let lines: Vec<String> = decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::declare_utf8;

    #[test]
    fn meta_charsets_become_utf8_in_the_head_only() {
        assert_eq!(
            declare_utf8(
                "<html><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-2022-jp\"></HEAD><body>charset=x <meta charset=y></body>"
            ),
            "<html><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=utf-8\"></HEAD><body>charset=x <meta charset=y></body>"
        );
        assert_eq!(
            declare_utf8("<meta charset='windows-1252'><p>é"),
            "<meta charset='utf-8'><p>é"
        );
        assert_eq!(declare_utf8("<p>no head</p>"), "<p>no head</p>");
        assert_eq!(declare_utf8("<meta charset="), "<meta charset=utf-8");
        assert_eq!(declare_utf8("<meta"), "<meta");
        // A 64 KiB head limit that falls inside a character.
        let long = format!("<meta charset=x>{}", "é".repeat(40_000));
        assert!(declare_utf8(&long).starts_with("<meta charset=utf-8>"));
    }
}
