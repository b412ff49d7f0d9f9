//! The RTF lexer (RTF specification 1.9.1, its syntax): groups, control words with their
//! numeric parameter, control symbols, `\'hh` escapes and text runs; nothing is interpreted
//! here.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token<'a> {
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

pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
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
