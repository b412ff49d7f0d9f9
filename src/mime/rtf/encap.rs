//! [MS-OXRTFEX] de-encapsulation and plain-text rendering of RTF.
//!
//! Outlook converts HTML and plain-text bodies to RTF but keeps the original
//! inside: `\fromhtml1` or `\fromtext` in the header announces it, HTML that
//! has no RTF equivalent sits in `{\*\htmltag…}` destinations, and RTF that
//! the conversion added is bracketed by `\htmlrtf` … `\htmlrtf0`.
//!
//! The reader shared with [`super::html`] serves three purposes here, all
//! written to a plain string:
//!
//! * HTML recovery (section 2.2.3.2): `\htmltag` content plus any text that is
//!   not suppressed by `\htmlrtf`.
//! * Plain-text recovery (section 2.2.3.3): all text not suppressed by
//!   `\htmlrtf`, with `\par`/`\line` as CRLF.
//! * Readable text of genuine RTF ([`to_plain_text`]).

use super::lexer::{Lexer, Token};
use super::reader::{Interpreter, Mode, Sink, special_char};

pub use super::reader::MAX_DEPTH;

/// [MS-OXRTFEX] section 2.2.3.1 looks for `\fromhtml`/`\fromtext` among the
/// first 10 tokens (group starts and control words).
const HEADER_TOKENS: usize = 10;

/// The original body recovered from an encapsulating RTF document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encapsulated {
    /// The document was produced from HTML (`\fromhtml1`).
    Html(String),
    /// The document was produced from plain text (`\fromtext`); line breaks
    /// are CRLF.
    Text(String),
}

/// Recovers the HTML or plain text an encapsulating RTF writer stored in
/// `rtf`, or `None` when the document is genuine RTF.
#[must_use]
pub fn deencapsulate(rtf: &[u8]) -> Option<Encapsulated> {
    match detect(rtf)? {
        Kind::Html => Some(Encapsulated::Html(render(Mode::Html, rtf))),
        Kind::Text => Some(Encapsulated::Text(render(Mode::Text, rtf))),
    }
}

/// Renders the visible text of an RTF document.
///
/// Header tables, `\info`, pictures, field instructions and ignorable `\*`
/// destinations are skipped; `\par`, `\line`, `\row`, `\sect` and `\page`
/// become `\n`, `\tab` and `\cell` become `\t`.
#[must_use]
pub fn to_plain_text(rtf: &[u8]) -> String {
    render(Mode::Plain, rtf)
}

fn render(mode: Mode, rtf: &[u8]) -> String {
    // [MS-OXRTFEX] prescribes CRLF for recovered bodies.
    let newline = if mode == Mode::Plain { "\n" } else { "\r\n" };
    let sink = TextSink {
        out: String::new(),
        newline,
    };
    Interpreter::new(mode, sink).run(rtf).out
}

/// Writes text as is; breaks become `newline` or a tab.
struct TextSink {
    out: String,
    newline: &'static str,
}

impl Sink for TextSink {
    type Format = ();

    fn text(&mut self, _fmt: &(), s: &str) {
        self.out.push_str(s);
    }

    fn word(&mut self, _fmt: &mut (), name: &[u8], _param: Option<i32>) {
        let s = match name {
            b"par" | b"line" | b"sect" | b"page" | b"row" | b"nestrow" => self.newline,
            b"tab" | b"cell" | b"nestcell" => "\t",
            _ => match special_char(name) {
                Some(s) => s,
                None => return,
            },
        };
        self.out.push_str(s);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Html,
    Text,
}

fn detect(rtf: &[u8]) -> Option<Kind> {
    let mut seen = 0;
    for token in Lexer::new(rtf) {
        match token {
            Token::Word(b"fromhtml", param) if param != Some(0) => return Some(Kind::Html),
            Token::Word(b"fromtext", _) => return Some(Kind::Text),
            // Visible text means the header is over.
            Token::Text(text) if text.iter().any(|b| !b.is_ascii_whitespace()) => return None,
            Token::Text(_) => continue,
            _ => {}
        }
        seen += 1;
        if seen >= HEADER_TOKENS {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(rtf: &[u8]) -> String {
        match deencapsulate(rtf) {
            Some(Encapsulated::Html(h)) => h,
            other => panic!("expected HTML, got {other:?}"),
        }
    }

    #[test]
    fn html_deencapsulation() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\fromhtml1 \deff0{\fonttbl
{\f0\fswiss\fcharset0 Arial;}
{\f1\fmodern\fcharset128 MS Gothic;}}
{\colortbl\red0\green0\blue0;}
{\*\htmltag64}
\uc1\pard\plain\deftab360 \f0\fs24
{\*\htmltag19 <html>}
{\*\htmltag34 <head><style>p \{margin:0\}</style>}
{\*\htmltag50 <body>}
{\*\htmltag64 <p>}\htmlrtf {\htmlrtf0 Caf\'e9 \'a0\htmlrtf rtf-only\b\htmlrtf0 {\*\htmltag84 &amp;}\htmlrtf &\htmlrtf0  tab\tab end}\htmlrtf\par\htmlrtf0
{\*\htmltag72 </p>\par}
{\*\htmltag64 <p>}{\htmlrtf \f1 \htmlrtf0 \'82\'a0}{\*\htmltag84 \u12354?}{\*\htmltag72 </p>}
{\*\htmltag58 </body>}{\*\htmltag27 </html>}}";
        assert_eq!(
            html(rtf),
            "<html><head><style>p {margin:0}</style><body><p>Caf\u{e9} \u{a0}&amp; tab\tend</p>\r\n\
             <p>\u{3042}\u{3042}</p></body></html>"
        );
    }

    #[test]
    fn htmltag_escapes_and_whitespace_controls() {
        let rtf =
            br"{\rtf1\ansi\fromhtml1 {\*\htmltag0 <pre>\\x\tab y\par z\lquote q\rquote </pre>}}";
        assert_eq!(html(rtf), "<pre>\\x\ty\r\nz\u{2018}q\u{2019}</pre>");
    }

    #[test]
    fn cp932_from_font_charset() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\fromhtml1{\fonttbl{\f0 Arial;}{\f5\fcharset128 MS Mincho;}}{\f5 \'82\'a0\'82\'a2}}";
        assert_eq!(html(rtf), "\u{3042}\u{3044}");
        // The same bytes in the default code page stay single-byte.
        let rtf = br"{\rtf1\ansi\ansicpg1252\fromhtml1{\fonttbl{\f0 Arial;}}\'e9}";
        assert_eq!(html(rtf), "\u{e9}");
        // Default font via \deff, codepage via \cpg.
        let rtf = br"{\rtf1\ansi\fromhtml1\deff3{\fonttbl{\f3\cpg936 SimSun;}}\'c4\'e3}";
        assert_eq!(html(rtf), "\u{4f60}");
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(html(br"{\rtf1\fromhtml1 \u12354?}"), "\u{3042}");
        // Surrogate pair for U+1F60A, each half with a fallback character.
        assert_eq!(html(br"{\rtf1\fromhtml1 \u-10179?\u-8694?}"), "\u{1F60A}");
        // \uc2 drops two fallback bytes, \uc0 none.
        assert_eq!(
            html(br"{\rtf1\fromhtml1\uc2 \u12354\'82\'a0 done{\uc0\u8364 x}}"),
            "\u{3042} done\u{20AC}x"
        );
        // Lone surrogates become U+FFFD.
        assert_eq!(
            html(br"{\rtf1\fromhtml1 \u-10179?x\u-8694?}"),
            "\u{FFFD}x\u{FFFD}"
        );
    }

    #[test]
    fn ansicpg_default() {
        assert_eq!(
            html(br"{\rtf1\ansi\ansicpg1251\fromhtml1 \'e0\'e1}"),
            "\u{430}\u{431}"
        );
    }

    #[test]
    fn fromtext_and_genuine() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\fromtext \deff0{\fonttbl{\f0\fswiss Arial;}}\pard\plain Hello\par world\tab!\line}";
        assert_eq!(
            deencapsulate(rtf),
            Some(Encapsulated::Text("Hello\r\nworld\t!\r\n".into()))
        );
        assert_eq!(
            deencapsulate(br"{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}hello}"),
            None
        );
        // \fromhtml0 and a marker after the first 10 tokens do not count.
        assert_eq!(deencapsulate(br"{\rtf1\fromhtml0 x}"), None);
        assert_eq!(
            deencapsulate(br"{\rtf1\a\b\c\d\e\f\g\h\i\j\fromhtml1 x}"),
            None
        );
        assert_eq!(deencapsulate(br"{\rtf1 text\fromhtml1 x}"), None);
        assert_eq!(deencapsulate(b""), None);
    }

    #[test]
    fn plain_text_of_genuine_rtf() {
        let rtf = br#"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman\fcharset0 Times;}{\f1\fnil\fcharset128 MS Mincho;}}
{\colortbl;\red255\green0\blue0;}
{\stylesheet{\s0 Normal;}}
{\info{\title Secret title}{\author Someone}}
{\*\generator Riched20 10.0;}
\pard Hello, {\b world}!\par
Caf\'e9\tab\u8364?\~x\-y\emdash z\par
{\f1 \'82\'a0}{\pict\wmetafile8 0102abcdef}\line
{\field{\*\fldinst HYPERLINK "http://x"}{\fldrslt link}}\par
\{braces\} and \\backslash\bin3 {}\ done\par
}trailing garbage"#;
        assert_eq!(
            to_plain_text(rtf),
            "Hello, world!\nCaf\u{e9}\t\u{20AC}\u{a0}xy\u{2014}z\n\u{3042}\nlink\n{braces} and \\backslash done\n"
        );
    }

    #[test]
    fn plain_text_of_encapsulated_html_shows_rtf_rendering() {
        let rtf = br"{\rtf1\ansi\fromhtml1 {\*\htmltag64 <p>}\htmlrtf {\b\htmlrtf0 Hi\htmlrtf\par}\htmlrtf0}";
        assert_eq!(to_plain_text(rtf), "Hi\n");
        assert_eq!(html(rtf), "<p>Hi");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        const N: usize = 100_000;
        let mut rtf = b"{\\rtf1\\fromhtml1 ".to_vec();
        rtf.extend(std::iter::repeat_n(b'{', N));
        rtf.extend_from_slice(b"x");
        rtf.extend(std::iter::repeat_n(b'}', N));
        rtf.extend_from_slice(b"y}z");
        assert_eq!(html(&rtf), "xy");
        assert_eq!(to_plain_text(&rtf), "xy");
        // Unbalanced: only opening braces.
        let open = vec![b'{'; N];
        assert_eq!(to_plain_text(&open), "");
        assert_eq!(deencapsulate(&open), None);
    }

    #[test]
    fn malformed_input_never_panics() {
        let cases: &[&[u8]] = &[
            b"",
            b"}",
            b"{",
            b"\\",
            b"{\\",
            b"{\\'",
            b"{\\'4",
            b"{\\'zz}",
            b"{\\u",
            b"{\\u-",
            b"{\\u99999999999999999999?}",
            b"{\\u-99999999999}",
            b"{\\uc99999999999\\u65 abc}",
            b"{\\bin99999999999 abc}",
            b"{\\bin-5 abc}",
            b"{\\*",
            b"{\\*}",
            b"{\\fonttbl{\\f",
            b"{\\fonttbl\\fcharset128}",
            b"{\\rtf1\\fromhtml1{\\*\\htmltag\\'",
        ];
        for case in cases {
            let _ = to_plain_text(case);
            let _ = deencapsulate(case);
        }
    }

    #[test]
    fn random_input_never_panics() {
        const ALPHABET: &[u8] = b"{}\\\\\\'*abcfhlmnprtuxy0123456789- ?\r\n\x82\xa0\xff";
        let mut state = 0x1234_5678u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            state >> 16
        };
        for round in 0..500 {
            let len = (next() % 600) as usize;
            let mut doc: Vec<u8> = if round % 2 == 0 {
                b"{\\rtf1\\ansi\\fromhtml1 {\\fonttbl{\\f1\\fcharset128 x;}}".to_vec()
            } else {
                Vec::new()
            };
            for _ in 0..len {
                let r = next();
                doc.push(if r % 4 == 0 {
                    r as u8
                } else {
                    ALPHABET[(r as usize / 4) % ALPHABET.len()]
                });
            }
            let _ = to_plain_text(&doc);
            let _ = deencapsulate(&doc);
        }
    }

    #[test]
    fn large_input_is_linear() {
        // Long runs of escapes and groups finish quickly and decode fully.
        let mut rtf = br"{\rtf1\ansi\ansicpg932\fromhtml1 ".to_vec();
        for _ in 0..50_000 {
            rtf.extend_from_slice(br"{\'82\'a0}\u12354?");
        }
        rtf.push(b'}');
        let out = html(&rtf);
        assert_eq!(out.chars().count(), 100_000);
        assert!(out.chars().all(|c| c == '\u{3042}'));
    }
}
