//! Genuine RTF rendered as a self-contained HTML document.
//!
//! A message written in RTF mode carries no HTML to recover, so its body is
//! rendered from the RTF itself: paragraphs and alignment, bold, italic,
//! underline, strike-through, super/subscript, colours from `\colortbl`,
//! font sizes and families, hyperlink fields and simple tables.
//!
//! Text is decoded by the reader shared with [`super::encap`], so characters
//! come out exactly as in [`super::to_plain_text`]. Formatting is applied
//! lazily: a `<span style="…">` is opened when text is written in a style that
//! differs from the open one, so runs that merely repeat their formatting in
//! new groups do not produce new tags. Pictures, objects, headers, footers and
//! other non-text destinations are left out.
//!
//! (Over 500 lines: one sink, whose methods all share the open span, paragraph,
//! field and table state.)

use std::collections::HashMap;
use std::fmt::{Display, Write as _};
use std::mem;

use super::reader::{Interpreter, Mode, Sink, special_char};

/// `\field`s beyond this many render as their result text, without links.
const MAX_FIELDS: usize = 10_000;
/// Field instructions are cut after this many bytes; a URL fits many times.
const MAX_INSTRUCTION: usize = 8192;
/// Colour table entries beyond this are ignored (indices are 16-bit anyway).
const MAX_COLORS: usize = 1 << 16;
/// `\fsN` above this (Word's maximum, 1638 pt) is ignored.
const MAX_HALF_POINTS: u16 = 3276;
/// RTF's default font size, in half-points.
const DEFAULT_HALF_POINTS: u16 = 24;
/// Font names are cut to this many characters (Windows allows 31).
const MAX_FONT_NAME: usize = 64;
/// Once the output is this many times larger than the input (plus
/// [`BUDGET_FLOOR`]), no new `<span>` or `<a>` is opened: reopening styles
/// or long links around every character would otherwise let a small
/// document expand a hundredfold.
const BUDGET_FACTOR: usize = 8;
const BUDGET_FLOOR: usize = 64 << 10;

// RTF paragraphs carry no spacing of their own here: margin 0 keeps Word's single spacing.
const HEAD: &str =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>p{margin:0}</style></head><body>\n";
const TAIL: &str = "</body></html>\n";
/// A tab that stays visible: HTML would collapse a bare tab into a space.
const TAB: &str = "<span style=\"white-space:pre\">\t</span>";
/// URL schemes a hyperlink field may point to.
const LINK_SCHEMES: [&str; 4] = ["http://", "https://", "mailto:", "ftp://"];

/// Renders a genuine RTF document as an HTML document for a `text/html`
/// body part.
///
/// Produces `<!DOCTYPE html><html><head><meta charset="utf-8"><style>…</style></head><body>`,
/// one `<p>` per paragraph (`<p>&nbsp;</p>` for an empty one, with
/// `text-align` for `\qc`, `\qr`, `\qj`), `<br>` for `\line`, `<span
/// style="…">` for character formatting, `<a href>` for `HYPERLINK` fields to
/// http, https, mailto and ftp URLs, and `<table>` rows for `\cell` / `\row`.
/// Encapsulated HTML or text is rendered as its RTF appearance; use
/// [`super::deencapsulate`] first to recover the original.
#[must_use]
pub fn to_html(rtf: &[u8]) -> String {
    let sink = HtmlSink {
        budget: rtf
            .len()
            .saturating_mul(BUDGET_FACTOR)
            .saturating_add(BUDGET_FLOOR),
        ..HtmlSink::default()
    };
    Interpreter::new(Mode::Plain, sink).run(rtf).finish()
}

/// Which part of the document a group's text belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Part {
    /// Visible text.
    #[default]
    Body,
    /// `\colortbl`: `\redN\greenN\blueN;` entries.
    ColorTable,
    /// `\fldinst` of the enclosing field.
    FieldInstruction,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Align {
    #[default]
    Left,
    Center,
    Right,
    Justify,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Vertical {
    #[default]
    Baseline,
    Super,
    Sub,
}

/// Character formatting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Chars {
    bold: bool,
    italic: bool,
    underline: bool,
    strike: bool,
    /// `\v`: hidden text.
    hidden: bool,
    vertical: Vertical,
    /// `\cfN`: colour table index.
    fg: Option<u16>,
    /// `\cbN` / `\highlightN`: colour table index.
    bg: Option<u16>,
    /// `\fsN`, in half-points.
    size: Option<u16>,
    /// `\fN`.
    font: Option<i32>,
}

/// What each group saves and restores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Format {
    part: Part,
    align: Align,
    /// `\intbl`: paragraphs belong to a table cell.
    in_table: bool,
    chars: Chars,
    /// The `\field` this group is part of (index into `HtmlSink::fields`).
    field: Option<usize>,
    /// The hyperlink field whose result this group shows.
    link: Option<usize>,
}

#[derive(Debug, Default)]
struct Field {
    instruction: String,
    /// Set once the result starts; the instruction is dropped then.
    resolved: bool,
    href: Option<String>,
}

#[derive(Debug, Default)]
struct HtmlSink {
    /// Finished blocks.
    body: String,
    /// Inline HTML of the paragraph being read.
    para: String,
    /// Alignment and table membership of the text in `para`.
    para_align: Align,
    para_in_table: bool,
    /// Declarations of the open `<span>`; empty when none is open.
    span: String,
    /// Scratch buffer for the declarations wanted next.
    want: String,
    /// The field whose `<a>` is open.
    link: Option<usize>,
    /// A plain space written now would be displayed (HTML collapses spaces
    /// at line starts and after other spaces).
    space_shows: bool,
    /// Finished paragraphs of the table cell being read.
    cell: String,
    /// Finished cells of the table row being read.
    row: String,
    table_open: bool,
    colors: Vec<Option<[u8; 3]>>,
    /// The colour table entry being read.
    color: Option<[u8; 3]>,
    /// Sanitized font names by number.
    fonts: HashMap<i32, String>,
    default_font: Option<i32>,
    fields: Vec<Field>,
    /// Output size beyond which formatting is dropped.
    budget: usize,
}

impl Sink for HtmlSink {
    type Format = Format;

    fn text(&mut self, fmt: &Format, s: &str) {
        match fmt.part {
            Part::Body => {
                if self.open_inline(fmt) {
                    self.push_text(s);
                }
            }
            Part::ColorTable => {
                for _ in s.matches(';') {
                    if self.colors.len() < MAX_COLORS {
                        self.colors.push(self.color);
                    }
                    self.color = None;
                }
            }
            Part::FieldInstruction => {
                if let Some(field) = fmt.field.and_then(|i| self.fields.get_mut(i))
                    && !field.resolved
                {
                    for c in s.chars() {
                        if field.instruction.len() >= MAX_INSTRUCTION {
                            break;
                        }
                        field.instruction.push(c);
                    }
                }
            }
        }
    }

    fn word(&mut self, fmt: &mut Format, name: &[u8], param: Option<i32>) {
        match fmt.part {
            Part::Body => self.body_word(fmt, name, param),
            Part::ColorTable => {
                let component = match name {
                    b"red" => 0,
                    b"green" => 1,
                    b"blue" => 2,
                    _ => return,
                };
                let value = u8::try_from(param.unwrap_or(0).clamp(0, 255)).unwrap_or(0);
                self.color.get_or_insert([0; 3])[component] = value;
            }
            Part::FieldInstruction => {}
        }
    }

    fn destination(&mut self, fmt: &mut Format, name: &[u8]) -> bool {
        if fmt.part != Part::Body {
            return false;
        }
        match name {
            b"colortbl" => {
                fmt.part = Part::ColorTable;
                self.colors.clear();
                self.color = None;
                true
            }
            b"fldinst" if fmt.field.is_some() => {
                fmt.part = Part::FieldInstruction;
                true
            }
            _ => false,
        }
    }

    fn font_name(&mut self, font: i32, name: &str) {
        let clean: String = name
            .trim_start_matches('@')
            .chars()
            .filter(|&c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .take(MAX_FONT_NAME)
            .collect();
        let clean = clean.trim();
        if !clean.is_empty() {
            self.fonts.entry(font).or_insert_with(|| clean.to_owned());
        }
    }
}

impl HtmlSink {
    fn body_word(&mut self, fmt: &mut Format, name: &[u8], param: Option<i32>) {
        let on = param != Some(0);
        let chars = &mut fmt.chars;
        match name {
            b"par" | b"sect" | b"page" | b"column" => self.end_paragraph(fmt),
            b"line" | b"nestrow" => {
                if self.open_inline(fmt) {
                    self.para.push_str("<br>");
                    self.space_shows = false;
                }
            }
            b"tab" | b"nestcell" => {
                if self.open_inline(fmt) {
                    self.para.push_str(TAB);
                    self.space_shows = true;
                }
            }
            b"cell" => self.end_cell(),
            b"row" => self.end_row(),
            b"pard" => {
                fmt.align = Align::Left;
                fmt.in_table = false;
            }
            b"intbl" => fmt.in_table = on,
            b"ql" => fmt.align = Align::Left,
            b"qc" => fmt.align = Align::Center,
            b"qr" => fmt.align = Align::Right,
            b"qj" | b"qd" => fmt.align = Align::Justify,
            b"plain" => *chars = Chars::default(),
            b"b" => chars.bold = on,
            b"i" => chars.italic = on,
            b"strike" | b"striked" => chars.strike = on,
            b"v" => chars.hidden = on,
            b"ul" | b"uld" | b"uldash" | b"uldashd" | b"uldashdd" | b"uldb" | b"ulhwave"
            | b"ulldash" | b"ulth" | b"ulthd" | b"ulthdash" | b"ulthdashd" | b"ulthdashdd"
            | b"ulthldash" | b"ululdbwave" | b"ulw" | b"ulwave" => chars.underline = on,
            b"ulnone" => chars.underline = false,
            b"super" => chars.vertical = Vertical::Super,
            b"sub" => chars.vertical = Vertical::Sub,
            b"nosupersub" => chars.vertical = Vertical::Baseline,
            b"cf" => chars.fg = color_index(param),
            b"cb" | b"highlight" => chars.bg = color_index(param),
            b"fs" => {
                chars.size = param
                    .and_then(|p| u16::try_from(p).ok())
                    .filter(|&p| p > 0 && p <= MAX_HALF_POINTS);
            }
            b"f" => chars.font = param,
            b"deff" => self.default_font = param,
            b"field" => {
                fmt.field = (self.fields.len() < MAX_FIELDS).then(|| {
                    self.fields.push(Field::default());
                    self.fields.len() - 1
                });
            }
            b"fldrslt" => {
                if let Some(field) = fmt.field.and_then(|i| self.fields.get_mut(i)) {
                    if !field.resolved {
                        field.href = hyperlink_target(&mem::take(&mut field.instruction));
                        field.resolved = true;
                    }
                    if field.href.is_some() {
                        fmt.link = fmt.field;
                    }
                }
            }
            _ => {
                if let Some(s) = special_char(name)
                    && self.open_inline(fmt)
                {
                    self.push_text(s);
                }
            }
        }
    }

    /// Makes the open `<a>` and `<span>` match `fmt` before its content is
    /// written to the paragraph. Returns false for hidden text.
    fn open_inline(&mut self, fmt: &Format) -> bool {
        if fmt.chars.hidden {
            return false;
        }
        let plain = self.written() > self.budget;
        let link = if plain { None } else { fmt.link };
        if link != self.link {
            self.close_inline();
            let field = link.and_then(|i| self.fields.get(i));
            if let Some(href) = field.and_then(|f| f.href.as_deref()) {
                self.para.push_str("<a href=\"");
                href.chars().for_each(|c| push_escaped(&mut self.para, c));
                self.para.push_str("\">");
                self.link = link;
            }
        }
        let mut want = mem::take(&mut self.want);
        want.clear();
        if !plain {
            self.declarations(&fmt.chars, &mut want);
        }
        if want != self.span {
            if !self.span.is_empty() {
                self.para.push_str("</span>");
            }
            mem::swap(&mut self.span, &mut want);
            if !self.span.is_empty() {
                let _ = write!(self.para, "<span style=\"{}\">", self.span);
            }
        }
        self.want = want;
        self.para_align = fmt.align;
        self.para_in_table = fmt.in_table;
        true
    }

    /// Bytes of HTML produced so far.
    fn written(&self) -> usize {
        self.body.len() + self.para.len() + self.cell.len() + self.row.len()
    }

    fn close_inline(&mut self) {
        if !self.span.is_empty() {
            self.para.push_str("</span>");
            self.span.clear();
        }
        if self.link.take().is_some() {
            self.para.push_str("</a>");
        }
    }

    /// CSS declarations for `chars`, empty for the default appearance.
    fn declarations(&self, chars: &Chars, out: &mut String) {
        let font = chars.font.filter(|&f| Some(f) != self.default_font);
        if let Some(name) = font.and_then(|f| self.fonts.get(&f)) {
            declare(out, "font-family", format_args!("'{name}'"));
        }
        match (chars.vertical, chars.size) {
            (Vertical::Super | Vertical::Sub, _) => {
                let align = if chars.vertical == Vertical::Super {
                    "super"
                } else {
                    "sub"
                };
                declare(out, "vertical-align", align);
                declare(out, "font-size", "smaller");
            }
            (Vertical::Baseline, Some(half)) if half != DEFAULT_HALF_POINTS => {
                let half_pt = if half % 2 == 0 { "" } else { ".5" };
                declare(out, "font-size", format_args!("{}{half_pt}pt", half / 2));
            }
            (Vertical::Baseline, _) => {}
        }
        if let Some([r, g, b]) = self.color(chars.fg) {
            declare(out, "color", format_args!("#{r:02x}{g:02x}{b:02x}"));
        }
        if let Some([r, g, b]) = self.color(chars.bg) {
            declare(
                out,
                "background-color",
                format_args!("#{r:02x}{g:02x}{b:02x}"),
            );
        }
        if chars.bold {
            declare(out, "font-weight", "bold");
        }
        if chars.italic {
            declare(out, "font-style", "italic");
        }
        let decoration = match (chars.underline, chars.strike) {
            (true, true) => "underline line-through",
            (true, false) => "underline",
            (false, true) => "line-through",
            (false, false) => "",
        };
        if !decoration.is_empty() {
            declare(out, "text-decoration", decoration);
        }
    }

    fn color(&self, index: Option<u16>) -> Option<[u8; 3]> {
        *self.colors.get(usize::from(index?))?
    }

    /// Appends escaped text to the paragraph, keeping runs of spaces.
    fn push_text(&mut self, s: &str) {
        // Copy plain runs whole; only spaces and characters HTML needs escaped go one by one.
        let special = |c: char| {
            matches!(c, ' ' | '&' | '<' | '>' | '"' | '\u{A0}') || (c.is_control() && c != '\t')
        };
        let mut rest = s;
        while let Some(i) = rest.find(special) {
            let (run, tail) = rest.split_at(i);
            if !run.is_empty() {
                self.para.push_str(run);
                self.space_shows = true;
            }
            let Some(c) = tail.chars().next() else { break };
            if c == ' ' && !self.space_shows {
                self.para.push_str("&nbsp;");
            } else {
                push_escaped(&mut self.para, c);
            }
            self.space_shows = c != ' ';
            rest = &tail[c.len_utf8()..];
        }
        if !rest.is_empty() {
            self.para.push_str(rest);
            self.space_shows = true;
        }
    }

    /// `\par`: the paragraph goes to the body, or to the table cell.
    fn end_paragraph(&mut self, fmt: &Format) {
        if fmt.in_table {
            self.close_inline();
            self.cell.push_str(&self.para);
            self.cell.push_str("<br>");
            self.para.clear();
            self.space_shows = false;
        } else {
            self.paragraph(fmt.align);
        }
    }

    fn paragraph(&mut self, align: Align) {
        self.close_inline();
        self.close_table();
        self.body.push_str(match align {
            Align::Left => "<p>",
            Align::Center => "<p style=\"text-align:center\">",
            Align::Right => "<p style=\"text-align:right\">",
            Align::Justify => "<p style=\"text-align:justify\">",
        });
        if self.para.is_empty() {
            self.body.push_str("&nbsp;");
        } else {
            self.body.push_str(&self.para);
        }
        self.body.push_str("</p>\n");
        self.para.clear();
        self.space_shows = false;
    }

    /// `\cell`: the cell's paragraphs become a `<td>`.
    fn end_cell(&mut self) {
        self.close_inline();
        self.row.push_str("<td>");
        self.row.push_str(&self.cell);
        self.row.push_str(&self.para);
        self.row.push_str("</td>");
        self.cell.clear();
        self.para.clear();
        self.space_shows = false;
    }

    /// `\row`: text after the last `\cell` is a cell of its own.
    fn end_row(&mut self) {
        if !self.para.is_empty() {
            self.end_cell();
        }
        self.flush_row();
    }

    /// Writes the cells read so far as a table row.
    fn flush_row(&mut self) {
        if !self.cell.is_empty() {
            self.row.push_str("<td>");
            self.row.push_str(&self.cell);
            self.row.push_str("</td>");
            self.cell.clear();
        }
        if self.row.is_empty() {
            return;
        }
        if !self.table_open {
            self.body.push_str("<table>\n");
            self.table_open = true;
        }
        self.body.push_str("<tr>");
        self.body.push_str(&self.row);
        self.body.push_str("</tr>\n");
        self.row.clear();
    }

    fn close_table(&mut self) {
        self.flush_row();
        if self.table_open {
            self.body.push_str("</table>\n");
            self.table_open = false;
        }
    }

    fn finish(mut self) -> String {
        self.close_inline();
        if !self.para.is_empty() {
            if self.para_in_table {
                self.end_row();
            } else {
                self.paragraph(self.para_align);
            }
        }
        self.close_table();
        let mut html = String::with_capacity(HEAD.len() + self.body.len() + TAIL.len());
        html.push_str(HEAD);
        html.push_str(&self.body);
        html.push_str(TAIL);
        html
    }
}

fn color_index(param: Option<i32>) -> Option<u16> {
    u16::try_from(param.unwrap_or(0)).ok()
}

/// Appends `property:value` to a `style` attribute's declarations.
fn declare(out: &mut String, property: &str, value: impl Display) {
    if !out.is_empty() {
        out.push(';');
    }
    let _ = write!(out, "{property}:{value}");
}

/// Appends `c` escaped for HTML text and double-quoted attribute values.
/// Control characters other than tab have no place in HTML and are dropped.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\u{A0}' => out.push_str("&nbsp;"),
        c if c.is_control() && c != '\t' => {}
        c => out.push(c),
    }
}

/// The URL of a `HYPERLINK "url" …` field instruction, if it uses one of
/// [`LINK_SCHEMES`]. Bookmark links (`HYPERLINK \l "name"`) have none.
fn hyperlink_target(instruction: &str) -> Option<String> {
    let mut words = instruction.trim_start().splitn(2, char::is_whitespace);
    if !words.next()?.eq_ignore_ascii_case("HYPERLINK") {
        return None;
    }
    let rest = words.next()?.trim_start();
    let url = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split_whitespace().next()?,
    };
    let url = url.trim();
    let allowed = LINK_SCHEMES.iter().any(|scheme| {
        url.len() > scheme.len()
            && url
                .get(..scheme.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme))
    });
    allowed.then(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::rtf::to_plain_text;

    /// The part between `<body>` and `</body>`.
    fn body(rtf: &[u8]) -> String {
        let html = to_html(rtf);
        assert!(html.starts_with(HEAD), "{html}");
        assert!(html.ends_with(TAIL), "{html}");
        html[HEAD.len()..html.len() - TAIL.len()].to_owned()
    }

    #[test]
    fn document_with_formatting() {
        let rtf = br#"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman\fcharset0 Times New Roman;}{\f1\fswiss\fcharset0 Arial;}}
{\colortbl;\red255\green0\blue0;\red0\green0\blue255;}
{\stylesheet{\s0 Normal;}}{\info{\title Secret}}{\*\generator Test 1.0;}
\pard\plain\fs24 Hello {\b bold} {\i italic} {\ul under}{\ulnone  plain} {\cf1 red}.\par
Second <line> & "quotes"\line next\tab x\par
\par
\pard\qc {\f1\fs28 Centered}\par
\pard Caf\'e9 \u8364? 5 {\field{\*\fldinst HYPERLINK "https://example.com/?a=1&b=2"}{\fldrslt {\cf2\ul here}}}{\pict\wmetafile8 0123456789abcdef}\par
}"#;
        assert_eq!(
            body(rtf),
            "<p>Hello <span style=\"font-weight:bold\">bold</span> \
             <span style=\"font-style:italic\">italic</span> \
             <span style=\"text-decoration:underline\">under</span> plain \
             <span style=\"color:#ff0000\">red</span>.</p>\n\
             <p>Second &lt;line&gt; &amp; &quot;quotes&quot;<br>next\
             <span style=\"white-space:pre\">\t</span>x</p>\n\
             <p>&nbsp;</p>\n\
             <p style=\"text-align:center\">\
             <span style=\"font-family:'Arial';font-size:14pt\">Centered</span></p>\n\
             <p>Caf\u{e9} \u{20ac} 5 <a href=\"https://example.com/?a=1&amp;b=2\">\
             <span style=\"color:#0000ff;text-decoration:underline\">here</span></a></p>\n"
        );
        let html = to_html(rtf);
        for absent in ["0123456789", "Secret", "Test 1.0", "Normal", "Times"] {
            assert!(!html.contains(absent), "{absent} in {html}");
        }
    }

    #[test]
    fn nesting_and_plain() {
        // Formatting closes at group ends, only changes open a new span.
        assert_eq!(
            body(br"{\rtf1 {\b a{\i b}c}d{\b e}{\b f}\b g\plain h}"),
            "<p><span style=\"font-weight:bold\">a</span>\
             <span style=\"font-weight:bold;font-style:italic\">b</span>\
             <span style=\"font-weight:bold\">c</span>d\
             <span style=\"font-weight:bold\">efg</span>h</p>\n"
        );
        // \b0, \i0, \ul0, \strike, super/subscript, sizes, highlight.
        assert_eq!(
            body(
                br"{\rtf1{\colortbl;\red1\green2\blue3;}\b\i\ul\strike x\b0\i0\ul0\strike0 y{\super 2}{\sub n}\nosupersub{\fs21 s}{\highlight1 h}{\cb1\cf0\cf99 c}}"
            ),
            "<p><span style=\"font-weight:bold;font-style:italic;\
             text-decoration:underline line-through\">x</span>y\
             <span style=\"vertical-align:super;font-size:smaller\">2</span>\
             <span style=\"vertical-align:sub;font-size:smaller\">n</span>\
             <span style=\"font-size:10.5pt\">s</span>\
             <span style=\"background-color:#010203\">hc</span></p>\n"
        );
        // Hidden text is not shown.
        assert_eq!(body(br"{\rtf1 a{\v secret}b}"), "<p>ab</p>\n");
    }

    #[test]
    fn alignment_and_breaks() {
        assert_eq!(
            body(br"{\rtf1\qr right\par\pard\qj just\par\pard left\sect page\page\par}"),
            "<p style=\"text-align:right\">right</p>\n\
             <p style=\"text-align:justify\">just</p>\n\
             <p>left</p>\n<p>page</p>\n<p>&nbsp;</p>\n"
        );
        // Runs of spaces survive, a leading space too.
        assert_eq!(
            body(br"{\rtf1  a  b\~c\line  d}"),
            "<p>&nbsp;a &nbsp;b&nbsp;c<br>&nbsp;d</p>\n"
        );
        assert_eq!(body(br"{\rtf1}"), "");
        assert_eq!(body(b""), "");
    }

    #[test]
    fn hyperlinks() {
        let link = |inst: &str| {
            let rtf = format!(r"{{\rtf1{{\field{{\*\fldinst {inst}}}{{\fldrslt text}}}}}}");
            body(rtf.as_bytes())
        };
        assert_eq!(
            link(r#"HYPERLINK "mailto:a@b.example" \o "tip""#),
            "<p><a href=\"mailto:a@b.example\">text</a></p>\n"
        );
        assert_eq!(
            link("hyperlink FTP://files.example/x"),
            "<p><a href=\"FTP://files.example/x\">text</a></p>\n"
        );
        for refused in [
            r#"HYPERLINK "javascript:alert(1)""#,
            r#"HYPERLINK "file:///c:/x""#,
            r#"HYPERLINK \l "_Toc1""#,
            r#"HYPERLINK "http://""#,
            "HYPERLINK",
            "PAGE",
        ] {
            assert_eq!(link(refused), "<p>text</p>\n", "{refused}");
        }
        // Word's layout: nested groups in the instruction, a \datafield, the
        // result in its own formatting, text continuing after the field.
        let rtf = br#"{\rtf1 see {\field{\*\fldinst {\rtlch HYPERLINK "http://x.example/a b" }{{\*\datafield 00d0c9ea}}}{\fldrslt {\ul\cf0 x}}} now}"#;
        assert_eq!(
            body(rtf),
            "<p>see <a href=\"http://x.example/a b\">\
             <span style=\"text-decoration:underline\">x</span></a> now</p>\n"
        );
        // Links close at the paragraph end and reopen after it.
        let rtf = br#"{\rtf1{\field{\*\fldinst HYPERLINK "https://e.example"}{\fldrslt a\par b}}}"#;
        assert_eq!(
            body(rtf),
            "<p><a href=\"https://e.example\">a</a></p>\n\
             <p><a href=\"https://e.example\">b</a></p>\n"
        );
    }

    #[test]
    fn tables() {
        let rtf = br"{\rtf1 before\par
\trowd\cellx1000\cellx2000\pard\intbl a\cell b\par c\cell\row
\trowd\cellx1000\cellx2000\pard\intbl d\cell e&f\cell\row
\pard after\par}";
        assert_eq!(
            body(rtf),
            "<p>before</p>\n<table>\n<tr><td>a</td><td>b<br>c</td></tr>\n\
             <tr><td>d</td><td>e&amp;f</td></tr>\n</table>\n<p>after</p>\n"
        );
        // Cells without \row or \intbl still keep their text.
        assert_eq!(
            body(br"{\rtf1 a\cell b\cell}"),
            "<table>\n<tr><td>a</td><td>b</td></tr>\n</table>\n"
        );
        assert_eq!(
            body(br"{\rtf1\intbl a\par b}"),
            "<table>\n<tr><td>a<br>b</td></tr>\n</table>\n"
        );
    }

    #[test]
    fn characters_decode_like_plain_text() {
        let rtf = br"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}{\f5\fcharset128 MS Mincho;}{\f6\fcharset204 @Cyr<'x>;}}
{\f5 \'82\'a0}\'e9\u-10179?\u-8694?{\f6\'e0}\lquote q\rquote\emdash\bullet}";
        assert_eq!(
            body(rtf),
            "<p><span style=\"font-family:'MS Mincho'\">\u{3042}</span>\u{e9}\u{1F60A}\
             <span style=\"font-family:'Cyrx'\">\u{430}</span>\
             \u{2018}q\u{2019}\u{2014}\u{2022}</p>\n"
        );
        assert_eq!(
            to_plain_text(rtf),
            "\u{3042}\u{e9}\u{1F60A}\u{430}\u{2018}q\u{2019}\u{2014}\u{2022}"
        );
        // The default font gets no font-family.
        assert_eq!(
            body(br"{\rtf1\deff1{\fonttbl{\f1 Arial;}}{\f1 x}}"),
            "<p>x</p>\n"
        );
    }

    #[test]
    fn encapsulated_html_renders_its_rtf() {
        let rtf = br"{\rtf1\ansi\fromhtml1 {\*\htmltag64 <p>}\htmlrtf {\b\htmlrtf0 Hi\htmlrtf\par}\htmlrtf0 {\*\htmltag72 </p>}}";
        assert_eq!(
            body(rtf),
            "<p><span style=\"font-weight:bold\">Hi</span></p>\n"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        const N: usize = 100_000;
        let mut rtf = b"{\\rtf1 ".to_vec();
        rtf.extend(std::iter::repeat_n(b'{', N));
        rtf.extend_from_slice(b"\\b x");
        rtf.extend(std::iter::repeat_n(b'}', N));
        rtf.extend_from_slice(b"y}");
        let html = body(&rtf);
        assert!(html.contains('x') && html.ends_with("y</p>\n"), "{html}");
        let open = vec![b'{'; N];
        assert_eq!(body(&open), "");
        let mut fields = b"{\\rtf1 ".to_vec();
        for _ in 0..N {
            fields.extend_from_slice(b"{\\field{\\*\\fldinst HYPERLINK \"http://a\"}{\\fldrslt ");
        }
        let _ = to_html(&fields);
    }

    #[test]
    fn output_stays_proportional() {
        // Every character in a new paragraph inside a long link, or in a
        // font with a long name: formatting stops once the budget is spent.
        let mut rtf = format!(
            r#"{{\rtf1{{\fonttbl{{\f1 {};}}}}{{\field{{\*\fldinst HYPERLINK "http://{}"}}{{\fldrslt "#,
            "N".repeat(300),
            "u".repeat(8000)
        )
        .into_bytes();
        for _ in 0..100_000 {
            rtf.extend_from_slice(b"x\\par\\f1 y\\f2 ");
        }
        let html = to_html(&rtf);
        assert!(
            html.len() < rtf.len() * 10,
            "{} -> {}",
            rtf.len(),
            html.len()
        );
        assert!(html.contains(&format!("font-family:'{}'", "N".repeat(MAX_FONT_NAME))));
        assert!(html.ends_with("<p>yx</p>\n<p>y</p>\n</body></html>\n"));
    }

    #[test]
    fn garbage_never_panics() {
        let cases: &[&[u8]] = &[
            b"",
            b"}",
            b"{",
            b"\\",
            b"{\\'",
            b"{\\u-99999999999}",
            b"{\\colortbl\\red99999999999;\\green-5;;}",
            b"{\\cf99999999999 x\\cf-1 y\\fs-4 z\\fs99999 w\\highlight70000 v}",
            b"{\\field}",
            b"{\\fldrslt x}",
            b"{\\field{\\fldinst HYPERLINK \"}{\\fldrslt x}}",
            b"{\\field{\\*\\fldinst HYPERLINK \"http://\xff\xfe\"}{\\fldrslt x}}",
            b"{\\row\\cell\\row\\nestcell\\nestrow\\intbl\\par\\intbl0}",
            b"{\\fonttbl{\\f1\\fcharset128 \\'82;}}",
        ];
        for case in cases {
            let _ = to_html(case);
        }
        const ALPHABET: &[u8] = b"{}\\\\\\'*abcfhilnpqrstuvxy0123456789- ?;\"\r\n\x82\xa0\xff";
        const WORDS: &[&[u8]] = &[
            b"\\par ",
            b"\\cell ",
            b"\\row ",
            b"\\field",
            b"{\\*\\fldinst HYPERLINK \"http://a\"}",
            b"\\fldrslt ",
            b"\\b ",
            b"\\cf1 ",
            b"{\\colortbl;\\red9;}",
            b"\\intbl ",
            b"\\plain ",
            b"\\line ",
            b"\\pard ",
            b"\\qc ",
        ];
        let mut state = 0x9e37_79b9u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            state >> 16
        };
        for _ in 0..500 {
            let len = (next() % 400) as usize;
            let mut doc = b"{\\rtf1\\ansi{\\fonttbl{\\f1\\fcharset128 x;}}".to_vec();
            for _ in 0..len {
                let r = next();
                match r % 8 {
                    0 => doc.push(r as u8),
                    1 => doc.extend_from_slice(WORDS[(r as usize / 8) % WORDS.len()]),
                    _ => doc.push(ALPHABET[(r as usize / 8) % ALPHABET.len()]),
                }
            }
            let html = to_html(&doc);
            assert!(html.starts_with(HEAD) && html.ends_with(TAIL));
        }
    }
}
