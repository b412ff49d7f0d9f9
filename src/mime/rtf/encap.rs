//! [MS-OXRTFEX] de-encapsulation and plain-text rendering of RTF.
//!
//! Outlook converts HTML and plain-text bodies to RTF but keeps the original
//! inside: `\fromhtml1` or `\fromtext` in the header announces it, HTML that
//! has no RTF equivalent sits in `{\*\htmltag…}` destinations, and RTF that
//! the conversion added is bracketed by `\htmlrtf` … `\htmlrtf0`.
//!
//! One interpreter serves three purposes:
//!
//! * HTML recovery (section 2.2.3.2): `\htmltag` content plus any text that is
//!   not suppressed by `\htmlrtf`.
//! * Plain-text recovery (section 2.2.3.3): all text not suppressed by
//!   `\htmlrtf`, with `\par`/`\line` as CRLF.
//! * Readable text of genuine RTF ([`to_plain_text`]).
//!
//! The reader is a single forward pass with an explicit group stack: no
//! recursion, O(1) work per input byte, and groups nested deeper than
//! [`MAX_DEPTH`] are treated as if their braces were absent.
//!
//! Bytes written as `\'hh` (or raw 8-bit text) are decoded in the code page of
//! the current font (`\fcharsetN` / `\cpgN` from the font table), falling back
//! to `\ansicpgN`. Consecutive bytes are decoded together so that multi-byte
//! (CJK) characters survive.

use std::collections::HashMap;

use encoding_rs::Encoding;

use super::{codepage_for_charset, encoding_for_codepage};

/// Groups nested deeper than this are flattened into their parent.
pub const MAX_DEPTH: usize = 1000;

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
        Kind::Html => Some(Encapsulated::Html(Interpreter::new(Mode::Html).run(rtf))),
        Kind::Text => Some(Encapsulated::Text(Interpreter::new(Mode::Text).run(rtf))),
    }
}

/// Renders the visible text of an RTF document.
///
/// Header tables, `\info`, pictures, field instructions and ignorable `\*`
/// destinations are skipped; `\par`, `\line`, `\row`, `\sect` and `\page`
/// become `\n`, `\tab` and `\cell` become `\t`.
#[must_use]
pub fn to_plain_text(rtf: &[u8]) -> String {
    Interpreter::new(Mode::Plain).run(rtf)
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

// ---------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    /// `\name` with optional numeric parameter. For `\binN` the binary
    /// payload has already been skipped.
    Word(&'a [u8], Option<i32>),
    /// `\X` for a non-letter X; `\<CR>` / `\<LF>` is reported as `b'\n'`.
    Symbol(u8),
    /// `\'hh`.
    Hex(u8),
    /// A run of bytes containing none of `{`, `}`, `\`.
    Text(&'a [u8]),
}

struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(data: &'a [u8]) -> Self {
        Lexer { data, pos: 0 }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.data.get(self.pos.checked_add(ahead)?).copied()
    }

    /// Lexes what follows a backslash. `None` means "nothing to report"
    /// (end of input or a malformed `\'`); the caller just keeps going.
    fn control(&mut self) -> Option<Token<'a>> {
        let c = self.peek(0)?;
        if c.is_ascii_alphabetic() {
            let start = self.pos;
            while self.peek(0).is_some_and(|b| b.is_ascii_alphabetic()) {
                self.pos += 1;
            }
            let name = &self.data[start..self.pos];
            let negative =
                self.peek(0) == Some(b'-') && self.peek(1).is_some_and(|b| b.is_ascii_digit());
            if negative {
                self.pos += 1;
            }
            let mut param = None;
            while let Some(d) = self.peek(0).filter(u8::is_ascii_digit) {
                let value: i32 = param.unwrap_or(0);
                param = Some(value.saturating_mul(10).saturating_add(i32::from(d - b'0')));
                self.pos += 1;
            }
            if negative {
                param = param.map(|p| -p);
            }
            // A single space delimits the control word and is part of it.
            if self.peek(0) == Some(b' ') {
                self.pos += 1;
            }
            if name == b"bin" {
                let skip = usize::try_from(param.unwrap_or(0)).unwrap_or(0);
                self.pos = self.pos.saturating_add(skip).min(self.data.len());
            }
            return Some(Token::Word(name, param));
        }
        self.pos += 1;
        match c {
            b'\'' => {
                let hi = hex_value(self.peek(0)?)?;
                let lo = hex_value(self.peek(1)?)?;
                self.pos += 2;
                Some(Token::Hex((hi << 4) | lo))
            }
            b'\r' | b'\n' => Some(Token::Symbol(b'\n')),
            _ => Some(Token::Symbol(c)),
        }
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let b = self.peek(0)?;
            match b {
                b'{' => {
                    self.pos += 1;
                    return Some(Token::Open);
                }
                b'}' => {
                    self.pos += 1;
                    return Some(Token::Close);
                }
                b'\\' => {
                    self.pos += 1;
                    if let Some(token) = self.control() {
                        return Some(token);
                    }
                }
                _ => {
                    let start = self.pos;
                    let rest = &self.data[start..];
                    let len = rest
                        .iter()
                        .position(|&c| matches!(c, b'{' | b'}' | b'\\'))
                        .unwrap_or(rest.len());
                    self.pos += len;
                    return Some(Token::Text(&rest[..len]));
                }
            }
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Interpreter

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Readable text of genuine RTF.
    Plain,
    /// `\fromhtml1` de-encapsulation.
    Html,
    /// `\fromtext` de-encapsulation.
    Text,
}

/// Where the text of the current group goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    /// Document text.
    Normal,
    /// Inside `\fonttbl`: control words define fonts, text is font names.
    FontTable,
    /// Inside `{\*\htmltag…}` while extracting HTML.
    HtmlTag,
    /// A destination whose content is never output.
    Skip,
}

/// State saved and restored by `{` and `}`.
#[derive(Debug, Clone, Copy)]
struct Group {
    dest: Dest,
    htmlrtf: bool,
    font: Option<i32>,
    /// `\ucN`: fallback characters that follow each `\uN`.
    uc: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Font {
    charset: Option<i32>,
    codepage: Option<i32>,
}

struct Interpreter {
    mode: Mode,
    group: Group,
    stack: Vec<Group>,
    /// `{` seen beyond `MAX_DEPTH` whose `}` has not come yet.
    flattened: usize,
    /// Right after `{`, where `\*` and a destination word may appear.
    group_start: bool,
    /// `\*` seen at the start of this group.
    star: bool,
    fonts: HashMap<i32, Font>,
    /// The font being described inside `\fonttbl`.
    font_entry: Option<i32>,
    default_font: Option<i32>,
    ansi_cp: u32,
    ansicpg_seen: bool,
    /// Fallback characters after `\uN` still to be dropped.
    skip_fallback: u32,
    out: String,
    /// Undecoded bytes, all in `pending_enc`.
    pending: Vec<u8>,
    pending_enc: &'static Encoding,
    high_surrogate: Option<u16>,
}

impl Interpreter {
    fn new(mode: Mode) -> Self {
        Interpreter {
            mode,
            group: Group {
                dest: Dest::Normal,
                htmlrtf: false,
                font: None,
                uc: 1,
            },
            stack: Vec::new(),
            flattened: 0,
            group_start: false,
            star: false,
            fonts: HashMap::new(),
            font_entry: None,
            default_font: None,
            ansi_cp: 1252,
            ansicpg_seen: false,
            skip_fallback: 0,
            out: String::new(),
            pending: Vec::new(),
            pending_enc: encoding_rs::WINDOWS_1252,
            high_surrogate: None,
        }
    }

    fn run(mut self, rtf: &[u8]) -> String {
        let mut started = false;
        for token in Lexer::new(rtf) {
            match token {
                Token::Open => {
                    started = true;
                    self.open();
                }
                // Anything before the document's first `{` is not RTF.
                _ if !started => {}
                Token::Close => {
                    if self.close() {
                        // The document group is closed; trailing bytes (often
                        // NUL padding) are not part of it.
                        break;
                    }
                }
                Token::Text(bytes) => bytes.iter().for_each(|&b| self.text(b)),
                Token::Hex(b) => self.hex(b),
                Token::Symbol(c) => self.symbol(c),
                Token::Word(name, param) => self.word(name, param),
            }
        }
        self.flush_bytes();
        self.flush_surrogate();
        self.out
    }

    fn open(&mut self) {
        self.skip_fallback = 0;
        self.star = false;
        if self.stack.len() < MAX_DEPTH {
            self.stack.push(self.group);
            self.group_start = true;
        } else {
            self.flattened += 1;
            // A flattened group must not turn its parent into a destination.
            self.group_start = false;
        }
    }

    /// Returns true when the outermost group has just closed.
    fn close(&mut self) -> bool {
        self.skip_fallback = 0;
        self.star = false;
        self.group_start = false;
        if self.flattened > 0 {
            self.flattened -= 1;
            return false;
        }
        match self.stack.pop() {
            Some(saved) => {
                self.group = saved;
                self.stack.is_empty()
            }
            None => true,
        }
    }

    /// Consumes one fallback character if a `\uN` is still owed some.
    fn in_fallback(&mut self) -> bool {
        if self.skip_fallback > 0 {
            self.skip_fallback -= 1;
            true
        } else {
            false
        }
    }

    fn active(&self) -> bool {
        match self.group.dest {
            Dest::Skip | Dest::FontTable => false,
            // `\htmlrtf` marks RTF the conversion added; an `\htmltag` group
            // is HTML by definition, so it is kept even inside such a span.
            Dest::HtmlTag => true,
            Dest::Normal => self.mode == Mode::Plain || !self.group.htmlrtf,
        }
    }

    fn text(&mut self, b: u8) {
        // Line breaks in RTF source are not content; NULs are padding.
        if matches!(b, b'\r' | b'\n' | 0) {
            return;
        }
        self.group_start = false;
        self.star = false;
        if self.in_fallback() || !self.active() {
            return;
        }
        self.emit_byte(b, true);
    }

    fn hex(&mut self, b: u8) {
        self.group_start = false;
        self.star = false;
        if self.in_fallback() || !self.active() {
            return;
        }
        self.emit_byte(b, false);
    }

    fn symbol(&mut self, c: u8) {
        if c == b'*' {
            // Only meaningful directly after `{`; keeps `group_start` so the
            // destination word that follows can see it.
            self.star = self.group_start;
            return;
        }
        self.group_start = false;
        self.star = false;
        if self.in_fallback() || !self.active() {
            return;
        }
        match c {
            b'\\' | b'{' | b'}' => self.emit_byte(c, true),
            b'~' => self.emit_str("\u{A0}"),
            b'_' => self.emit_str("\u{2011}"),
            // Optional hyphen: invisible in text, a soft hyphen in HTML.
            b'-' if self.mode == Mode::Html => self.emit_str("\u{AD}"),
            b'\n' => self.newline(),
            _ => {}
        }
    }

    fn word(&mut self, name: &[u8], param: Option<i32>) {
        let starred = self.star && self.group_start;
        self.group_start = false;
        self.star = false;
        if self.in_fallback() {
            return;
        }

        if starred {
            // An ignorable destination: the only one we understand is
            // `\htmltag`, and only while extracting HTML.
            self.group.dest = match (name, self.group.dest) {
                (b"htmltag", Dest::Normal | Dest::HtmlTag) if self.mode == Mode::Html => {
                    Dest::HtmlTag
                }
                _ => Dest::Skip,
            };
            return;
        }

        if self.group.dest == Dest::FontTable {
            self.font_table_word(name, param);
            return;
        }

        match name {
            b"ansicpg" => {
                if let Some(cp) = param.and_then(|p| u32::try_from(p).ok()) {
                    self.ansi_cp = cp;
                    self.ansicpg_seen = true;
                }
            }
            b"ansi" => self.set_charset_default(1252),
            b"mac" => self.set_charset_default(10000),
            b"pc" => self.set_charset_default(437),
            b"pca" => self.set_charset_default(850),
            b"deff" => self.default_font = param,
            b"f" => self.group.font = param,
            b"uc" => self.group.uc = param.map_or(1, |n| n.clamp(0, 255).unsigned_abs()),
            b"u" => {
                if let Some(n) = param {
                    if self.active() {
                        // Parameters are signed 16-bit: negative means +65536.
                        let unit = if n < 0 { n.saturating_add(0x1_0000) } else { n };
                        match u16::try_from(unit) {
                            Ok(unit) => self.emit_unit(unit),
                            Err(_) => self.emit_str("\u{FFFD}"),
                        }
                    }
                    self.skip_fallback = self.group.uc;
                }
            }
            b"htmlrtf" => self.group.htmlrtf = param != Some(0),
            b"fonttbl" => {
                if self.group.dest != Dest::Skip {
                    self.group.dest = Dest::FontTable;
                }
            }
            b"htmltag" if self.mode == Mode::Html => {
                if self.group.dest == Dest::Normal {
                    self.group.dest = Dest::HtmlTag;
                }
            }
            _ if is_skipped_destination(name) => self.group.dest = Dest::Skip,
            // Numbering text is RTF rendering; HTML carries its own lists.
            b"pntext" | b"listtext" if self.mode == Mode::Html => self.group.dest = Dest::Skip,
            _ => {
                if self.active() {
                    self.text_word(name);
                }
            }
        }
    }

    fn set_charset_default(&mut self, cp: u32) {
        if !self.ansicpg_seen {
            self.ansi_cp = cp;
        }
    }

    fn font_table_word(&mut self, name: &[u8], param: Option<i32>) {
        match name {
            b"f" => {
                self.font_entry = param;
                if let Some(n) = param {
                    self.fonts.entry(n).or_default();
                }
            }
            b"fcharset" | b"cpg" => {
                if let Some(font) = self.font_entry.and_then(|n| self.fonts.get_mut(&n)) {
                    if name == b"cpg" {
                        font.codepage = param;
                    } else {
                        font.charset = param;
                    }
                }
            }
            _ if is_skipped_destination(name) => self.group.dest = Dest::Skip,
            _ => {}
        }
    }

    /// Control words that stand for characters.
    fn text_word(&mut self, name: &[u8]) {
        let s = match name {
            b"par" | b"line" | b"sect" | b"page" | b"row" | b"nestrow" => {
                self.newline();
                return;
            }
            b"tab" | b"cell" | b"nestcell" => "\t",
            b"lquote" => "\u{2018}",
            b"rquote" => "\u{2019}",
            b"ldblquote" => "\u{201C}",
            b"rdblquote" => "\u{201D}",
            b"bullet" => "\u{2022}",
            b"endash" => "\u{2013}",
            b"emdash" => "\u{2014}",
            b"enspace" => "\u{2002}",
            b"emspace" => "\u{2003}",
            b"qmspace" => "\u{2005}",
            b"zwj" => "\u{200D}",
            b"zwnj" => "\u{200C}",
            b"ltrmark" => "\u{200E}",
            b"rtlmark" => "\u{200F}",
            _ => return,
        };
        self.emit_str(s);
    }

    fn newline(&mut self) {
        // [MS-OXRTFEX] prescribes CRLF for recovered bodies.
        let nl = if self.mode == Mode::Plain {
            "\n"
        } else {
            "\r\n"
        };
        self.emit_str(nl);
    }

    fn current_encoding(&self) -> &'static Encoding {
        let font = self
            .group
            .font
            .or(self.default_font)
            .and_then(|n| self.fonts.get(&n));
        let cp = font
            .and_then(|f| {
                f.codepage
                    .and_then(|cp| u32::try_from(cp).ok())
                    .or_else(|| f.charset.and_then(codepage_for_charset))
            })
            .unwrap_or(self.ansi_cp);
        encoding_for_codepage(cp)
    }

    /// Queues a byte for decoding. Literal ASCII text bypasses encodings that
    /// are not ASCII-compatible (UTF-16, ISO-2022-JP), where it would
    /// otherwise be garbled.
    fn emit_byte(&mut self, b: u8, literal: bool) {
        let enc = self.current_encoding();
        if literal && b < 0x80 && !enc.is_ascii_compatible() {
            self.emit_str(char::from(b).encode_utf8(&mut [0; 4]));
            return;
        }
        self.flush_surrogate();
        if self.pending_enc != enc {
            self.flush_bytes();
            self.pending_enc = enc;
        }
        self.pending.push(b);
    }

    fn emit_str(&mut self, s: &str) {
        self.flush_bytes();
        self.flush_surrogate();
        self.out.push_str(s);
    }

    /// Emits one UTF-16 code unit from `\uN`, pairing surrogates.
    fn emit_unit(&mut self, unit: u16) {
        self.flush_bytes();
        match unit {
            0xD800..=0xDBFF => {
                self.flush_surrogate();
                self.high_surrogate = Some(unit);
            }
            0xDC00..=0xDFFF => {
                let c = match self.high_surrogate.take() {
                    Some(high) => {
                        let cp = 0x1_0000
                            + ((u32::from(high) - 0xD800) << 10)
                            + (u32::from(unit) - 0xDC00);
                        char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER)
                    }
                    None => char::REPLACEMENT_CHARACTER,
                };
                self.out.push(c);
            }
            0 => self.flush_surrogate(),
            _ => {
                self.flush_surrogate();
                self.out
                    .push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }

    fn flush_bytes(&mut self) {
        if !self.pending.is_empty() {
            let (text, _) = self.pending_enc.decode_without_bom_handling(&self.pending);
            self.out.push_str(&text);
            self.pending.clear();
        }
    }

    /// An unpaired high surrogate becomes U+FFFD.
    fn flush_surrogate(&mut self) {
        if self.high_surrogate.take().is_some() {
            self.out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

/// Destinations whose content is never text of the document.
fn is_skipped_destination(name: &[u8]) -> bool {
    matches!(
        name,
        b"colortbl"
            | b"stylesheet"
            | b"info"
            | b"pict"
            | b"shppict"
            | b"nonshppict"
            | b"objdata"
            | b"objclass"
            | b"objname"
            | b"fldinst"
            | b"datafield"
            | b"header"
            | b"headerl"
            | b"headerr"
            | b"headerf"
            | b"footer"
            | b"footerl"
            | b"footerr"
            | b"footerf"
            | b"footnote"
            | b"annotation"
            | b"atnid"
            | b"atnauthor"
            | b"xe"
            | b"tc"
            | b"txe"
            | b"rxe"
            | b"bkmkstart"
            | b"bkmkend"
            | b"pn"
            | b"pnseclvl"
            | b"listtable"
            | b"listoverridetable"
            | b"revtbl"
            | b"rsidtbl"
            | b"filetbl"
            | b"pgdsctbl"
            | b"latentstyles"
            | b"themedata"
            | b"colorschememapping"
            | b"datastore"
            | b"xmlnstbl"
            | b"mmathPr"
            | b"generator"
            | b"template"
            | b"docvar"
            | b"userprops"
            | b"upr"
            | b"ftnsep"
            | b"ftnsepc"
            | b"ftncn"
            | b"aftnsep"
            | b"aftnsepc"
            | b"aftncn"
            | b"panose"
            | b"falt"
            | b"fontemb"
            | b"fontfile"
            | b"passwordhash"
            | b"wgrffmtfilter"
            | b"mhtmltag"
    )
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
