//! Safe file and folder names: nothing a PST holds may escape the output directory or
//! break on Windows, macOS or Linux.

use std::collections::HashSet;

/// Longest name we write, in bytes (common file systems allow 255).
pub const MAX_NAME_BYTES: usize = 180;

fn is_bidi_or_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// One path component made safe: forbidden characters become `_`, trailing dots and spaces
/// go, reserved device names get a `_` prefix, long names are cut at a character boundary.
pub fn sanitize(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() || is_bidi_or_invisible(c) => '_',
            c => c,
        })
        .collect();
    if s.len() > MAX_NAME_BYTES {
        let mut cut = MAX_NAME_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    let s = s
        .trim_start_matches(' ')
        .trim_end_matches(['.', ' '])
        .to_string();
    if s.is_empty() {
        return "_".to_string();
    }
    let stem = s
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved { format!("_{s}") } else { s }
}

/// Names already used in one directory, compared case-insensitively.
#[derive(Default)]
pub struct NameSet {
    used: HashSet<String>,
}

impl NameSet {
    /// Claims a sanitized, unique variant of `name` (`name (2)`, `name (3)`, … on a clash);
    /// `ext` is appended after the de-duplication suffix. `also` names a sibling that must be
    /// free too (the `.sbd` directory of an mbox file).
    pub fn claim(&mut self, name: &str, ext: &str, also: Option<&str>) -> String {
        let base = sanitize(name);
        for i in 1.. {
            let candidate = if i == 1 {
                format!("{base}{ext}")
            } else {
                format!("{base} ({i}){ext}")
            };
            let key = candidate.to_lowercase();
            let extra = also.map(|a| format!("{key}{a}"));
            if !self.used.contains(&key) && extra.as_ref().is_none_or(|e| !self.used.contains(e)) {
                self.used.insert(key);
                if let Some(e) = extra {
                    self.used.insert(e);
                }
                return candidate;
            }
        }
        unreachable!("an unbounded counter always finds a free name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_tamed() {
        assert_eq!(sanitize("a/b\\c:d*e?f\"g<h>i|j"), "a_b_c_d_e_f_g_h_i_j");
        assert_eq!(sanitize(".."), "_");
        assert_eq!(sanitize("."), "_");
        assert_eq!(sanitize("  Inbox. . "), "Inbox");
        assert_eq!(sanitize("CON"), "_CON");
        assert_eq!(sanitize("com1.txt"), "_com1.txt");
        assert_eq!(sanitize("COM10"), "COM10");
        assert_eq!(sanitize("a\u{202E}b\u{0007}c"), "a_b_c");
        assert_eq!(sanitize(""), "_");
        let long = "é".repeat(200);
        let s = sanitize(&long);
        assert!(s.len() <= MAX_NAME_BYTES && s.chars().all(|c| c == 'é'));
    }

    #[test]
    fn clashes_are_numbered_case_insensitively() {
        let mut n = NameSet::default();
        assert_eq!(n.claim("Inbox", "", Some(".sbd")), "Inbox");
        assert_eq!(n.claim("INBOX", "", Some(".sbd")), "INBOX (2)");
        assert_eq!(n.claim("inbox.sbd", "", None), "inbox.sbd (2)");
        assert_eq!(n.claim("a", ".eml", None), "a.eml");
        assert_eq!(n.claim("A", ".eml", None), "A (2).eml");
    }
}
