//! Text from the data (folder names, subjects, file names) made safe to print on a terminal.

use std::borrow::Cow;

/// Characters a terminal would act on or that reorder what is shown: C0 and C1 controls
/// (ESC starts escape sequences, CR rewrites the line, BEL rings), DEL, the Unicode bidi
/// embeddings, overrides, isolates and marks, and the line and paragraph separators.
fn dangerous(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `s` with every dangerous character written visibly (`\x1b`, `\u{202e}`); borrowed when
/// there is none. Not for JSON output, which escapes controls itself.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !dangerous(c) => out.push(c),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// A path, escaped for printing.
pub fn path(p: &std::path::Path) -> String {
    escape(&p.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_controls_and_bidi_only() {
        assert_eq!(escape("Inbox ✉ 受信"), "Inbox ✉ 受信");
        assert!(matches!(escape("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            escape("a\x1b[31mb\x07c\rd\u{202e}e\u{7f}f\u{9b}g\u{2066}"),
            "a\\x1b[31mb\\x07c\\rd\\u{202e}e\\x7ff\\u{9b}g\\u{2066}"
        );
    }
}
