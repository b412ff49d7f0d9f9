//! The RTF reader every renderer shares: a lexer and an interpreter that owns
//! groups, destinations, the font table, code pages and Unicode escapes, and
//! hands decoded text and the control words it does not consume itself to a
//! [`Sink`].
//!
//! The reader is a single forward pass with an explicit group stack: no
//! recursion, O(1) work per input byte, and groups nested deeper than
//! [`MAX_DEPTH`] are treated as if their braces were absent.
//!
//! (Over 500 lines: the interpreter is one state machine, and its methods share
//! the state of the group, the font table and the pending bytes; split across
//! files, each would need all of it.)
//!
//! Bytes written as `\'hh` (or raw 8-bit text) are decoded in the code page of
//! the current font (`\fcharsetN` / `\cpgN` from the font table), falling back
//! to `\ansicpgN`. Consecutive bytes in the same code page and format are
//! decoded together so that multi-byte (CJK) characters survive.

use std::collections::HashMap;

use encoding_rs::Encoding;

use super::lexer::{Lexer, Token};
use super::{codepage_for_charset, encoding_for_codepage};

/// Groups nested deeper than this are flattened into their parent.
pub const MAX_DEPTH: usize = 1000;

/// Font names longer than this (in bytes) are cut; real ones are under 64.
const MAX_FONT_NAME: usize = 256;

// ---------------------------------------------------------------------------
// Sink

/// Receives what the interpreter reads from the document.
///
/// Text and control words arrive only while the current destination is
/// visible: document text, a destination the sink claimed through
/// [`Sink::destination`], or (when de-encapsulating HTML) `\htmltag`.
pub(super) trait Sink {
    /// Formatting state that every group saves at `{` and restores at `}`.
    /// Text is handed over together with the format in effect when it was
    /// read.
    type Format: Copy + PartialEq + Default;

    /// Decoded text.
    fn text(&mut self, fmt: &Self::Format, s: &str);

    /// A control word the interpreter does not consume (formatting, breaks,
    /// special characters, `\fN`, `\deffN`). Text read before it has already
    /// been delivered.
    fn word(&mut self, fmt: &mut Self::Format, name: &[u8], param: Option<i32>);

    /// Offers a destination the interpreter would otherwise skip (`\*\name`
    /// or a known non-text destination such as `\colortbl`). Returning true
    /// keeps its content flowing to [`Sink::text`] and [`Sink::word`]; the
    /// sink marks the group through `fmt`.
    fn destination(&mut self, _fmt: &mut Self::Format, _name: &[u8]) -> bool {
        false
    }

    /// The name of font `font` from the font table, decoded and trimmed.
    fn font_name(&mut self, _font: i32, _name: &str) {}
}

/// Characters that RTF writes as control words, shared by every renderer.
pub(super) fn special_char(name: &[u8]) -> Option<&'static str> {
    Some(match name {
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
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Interpreter

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Readable rendering of genuine RTF.
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
    /// A destination the sink asked for.
    Claimed,
    /// A destination whose content is never output.
    Skip,
}

/// State saved and restored by `{` and `}`.
#[derive(Debug, Clone, Copy)]
struct Group<F> {
    dest: Dest,
    htmlrtf: bool,
    font: Option<i32>,
    /// `\ucN`: fallback characters that follow each `\uN`.
    uc: u32,
    fmt: F,
}

#[derive(Debug, Clone, Copy, Default)]
struct Font {
    charset: Option<i32>,
    codepage: Option<i32>,
}

pub(super) struct Interpreter<S: Sink> {
    mode: Mode,
    sink: S,
    group: Group<S::Format>,
    stack: Vec<Group<S::Format>>,
    /// `{` seen beyond `MAX_DEPTH` whose `}` has not come yet.
    flattened: usize,
    /// Right after `{`, where `\*` and a destination word may appear.
    group_start: bool,
    /// `\*` seen at the start of this group.
    star: bool,
    fonts: HashMap<i32, Font>,
    /// The font being described inside `\fonttbl`.
    font_entry: Option<i32>,
    /// Undecoded bytes of that font's name.
    font_name: Vec<u8>,
    default_font: Option<i32>,
    ansi_cp: u32,
    ansicpg_seen: bool,
    /// Fallback characters after `\uN` still to be dropped.
    skip_fallback: u32,
    /// Undecoded bytes, all in `pending_enc` and `pending_fmt`.
    pending: Vec<u8>,
    pending_enc: &'static Encoding,
    pending_fmt: S::Format,
    high_surrogate: Option<u16>,
    /// The encoding of the last font asked for: a font table lookup per byte is the
    /// interpreter's hottest path otherwise. Emptied whenever fonts or the code page change.
    enc_cache: Option<(Option<i32>, &'static Encoding)>,
}

impl<S: Sink> Interpreter<S> {
    pub(super) fn new(mode: Mode, sink: S) -> Self {
        Interpreter {
            mode,
            sink,
            group: Group {
                dest: Dest::Normal,
                htmlrtf: false,
                font: None,
                uc: 1,
                fmt: S::Format::default(),
            },
            stack: Vec::new(),
            flattened: 0,
            group_start: false,
            star: false,
            fonts: HashMap::new(),
            font_entry: None,
            font_name: Vec::new(),
            default_font: None,
            ansi_cp: 1252,
            ansicpg_seen: false,
            skip_fallback: 0,
            pending: Vec::new(),
            pending_enc: encoding_rs::WINDOWS_1252,
            pending_fmt: S::Format::default(),
            high_surrogate: None,
            enc_cache: None,
        }
    }

    /// Reads the whole document and returns the sink.
    pub(super) fn run(mut self, rtf: &[u8]) -> S {
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
                Token::Text(bytes) => self.text_run(bytes),
                Token::Hex(b) => self.hex(b),
                Token::Symbol(c) => self.symbol(c),
                Token::Word(name, param) => self.word(name, param),
            }
        }
        self.flush_bytes();
        self.flush_surrogate();
        self.sink
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
        if self.group.dest == Dest::FontTable && !self.font_name.is_empty() {
            // `{\f0 Arial}` without the terminating semicolon.
            self.finish_font_name();
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
            Dest::HtmlTag | Dest::Claimed => true,
            Dest::Normal => self.mode == Mode::Plain || !self.group.htmlrtf,
        }
    }

    /// A run of literal text: what `text` does byte by byte, in one step where it can.
    fn text_run(&mut self, bytes: &[u8]) {
        if self.skip_fallback > 0 || self.group.dest == Dest::FontTable {
            bytes.iter().for_each(|&b| self.text(b));
            return;
        }
        let content = || {
            bytes
                .iter()
                .copied()
                .filter(|b| !matches!(b, b'\r' | b'\n' | 0))
        };
        if content().next().is_none() {
            return;
        }
        self.group_start = false;
        self.star = false;
        if !self.active() {
            return;
        }
        let enc = self.current_encoding();
        if !enc.is_ascii_compatible() {
            content().for_each(|b| self.emit_byte(b, true));
            return;
        }
        self.pend(enc);
        self.pending.extend(content());
    }

    /// Makes `pending` collect bytes of `enc` in the current format, flushing what it held.
    fn pend(&mut self, enc: &'static Encoding) {
        self.flush_surrogate();
        if self.pending_enc != enc || self.pending_fmt != self.group.fmt {
            self.flush_bytes();
            self.pending_enc = enc;
            self.pending_fmt = self.group.fmt;
        }
    }

    fn text(&mut self, b: u8) {
        // Line breaks in RTF source are not content; NULs are padding.
        if matches!(b, b'\r' | b'\n' | 0) {
            return;
        }
        self.group_start = false;
        self.star = false;
        if self.in_fallback() {
            return;
        }
        if self.group.dest == Dest::FontTable {
            if b == b';' {
                self.finish_font_name();
            } else {
                self.font_name_byte(b);
            }
        } else if self.active() {
            self.emit_byte(b, true);
        }
    }

    fn hex(&mut self, b: u8) {
        self.group_start = false;
        self.star = false;
        if self.in_fallback() {
            return;
        }
        if self.group.dest == Dest::FontTable {
            self.font_name_byte(b);
        } else if self.active() {
            self.emit_byte(b, false);
        }
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
            // `\<newline>` is a synonym of `\par`.
            b'\n' => self.forward(b"par", None),
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
            // An ignorable destination: we understand `\htmltag` while
            // extracting HTML, and whatever the sink claims.
            self.group.dest = match (name, self.group.dest) {
                (b"htmltag", Dest::Normal | Dest::HtmlTag) if self.mode == Mode::Html => {
                    Dest::HtmlTag
                }
                _ => self.claim(name),
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
                    self.enc_cache = None;
                }
            }
            b"ansi" => self.set_charset_default(1252),
            b"mac" => self.set_charset_default(10000),
            b"pc" => self.set_charset_default(437),
            b"pca" => self.set_charset_default(850),
            b"deff" => {
                self.default_font = param;
                self.forward(name, param);
            }
            b"f" => {
                self.group.font = param;
                self.forward(name, param);
            }
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
            _ if is_skipped_destination(name) => self.group.dest = self.claim(name),
            // Numbering text is RTF rendering; HTML carries its own lists.
            b"pntext" | b"listtext" if self.mode == Mode::Html => self.group.dest = Dest::Skip,
            _ => self.forward(name, param),
        }
    }

    /// The destination a group starting with `name` gets: the sink's if it
    /// claims it, skipped otherwise.
    fn claim(&mut self, name: &[u8]) -> Dest {
        let visible = matches!(self.group.dest, Dest::Normal | Dest::Claimed) && self.active();
        if visible && self.sink.destination(&mut self.group.fmt, name) {
            Dest::Claimed
        } else {
            Dest::Skip
        }
    }

    /// Hands a control word to the sink, after the text read before it.
    fn forward(&mut self, name: &[u8], param: Option<i32>) {
        if self.active() {
            self.flush_bytes();
            self.flush_surrogate();
            self.sink.word(&mut self.group.fmt, name, param);
        }
    }

    fn set_charset_default(&mut self, cp: u32) {
        if !self.ansicpg_seen {
            self.ansi_cp = cp;
            self.enc_cache = None;
        }
    }

    fn font_table_word(&mut self, name: &[u8], param: Option<i32>) {
        self.enc_cache = None;
        match name {
            b"f" => {
                self.font_entry = param;
                self.font_name.clear();
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

    fn font_name_byte(&mut self, b: u8) {
        if self.font_name.len() < MAX_FONT_NAME {
            self.font_name.push(b);
        }
    }

    /// Decodes the collected font name in the font's own code page.
    fn finish_font_name(&mut self) {
        if let Some(n) = self.font_entry {
            let enc = self.font_encoding(Some(n));
            let (name, _) = enc.decode_without_bom_handling(&self.font_name);
            let name = name.trim();
            if !name.is_empty() {
                self.sink.font_name(n, name);
            }
        }
        self.font_name.clear();
    }

    fn font_encoding(&self, font: Option<i32>) -> &'static Encoding {
        let font = font.and_then(|n| self.fonts.get(&n));
        let cp = font
            .and_then(|f| {
                f.codepage
                    .and_then(|cp| u32::try_from(cp).ok())
                    .or_else(|| f.charset.and_then(codepage_for_charset))
            })
            .unwrap_or(self.ansi_cp);
        encoding_for_codepage(cp)
    }

    fn current_encoding(&mut self) -> &'static Encoding {
        let font = self.group.font.or(self.default_font);
        match self.enc_cache {
            Some((f, enc)) if f == font => enc,
            _ => {
                let enc = self.font_encoding(font);
                self.enc_cache = Some((font, enc));
                enc
            }
        }
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
        self.pend(enc);
        self.pending.push(b);
    }

    fn emit_str(&mut self, s: &str) {
        self.flush_bytes();
        self.flush_surrogate();
        self.sink.text(&self.group.fmt, s);
    }

    fn emit_char(&mut self, c: char) {
        self.sink.text(&self.group.fmt, c.encode_utf8(&mut [0; 4]));
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
                self.emit_char(c);
            }
            0 => self.flush_surrogate(),
            _ => {
                self.flush_surrogate();
                self.emit_char(
                    char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
                );
            }
        }
    }

    fn flush_bytes(&mut self) {
        if !self.pending.is_empty() {
            let (text, _) = self.pending_enc.decode_without_bom_handling(&self.pending);
            self.sink.text(&self.pending_fmt, &text);
            self.pending.clear();
        }
    }

    /// An unpaired high surrogate becomes U+FFFD.
    fn flush_surrogate(&mut self) {
        if self.high_surrogate.take().is_some() {
            self.emit_char(char::REPLACEMENT_CHARACTER);
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
