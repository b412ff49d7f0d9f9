//! The size check: no function in `src/` over [`MAX_FN`] lines, and no file in `src/` or
//! `www/` over [`MAX_FILE`] lines (tests aside) unless it says why at its top, in a line
//! starting `(Over 500 lines:`. Functions are found by their `fn` line and the closing
//! brace at the same indentation (rustfmt's layout).

use std::path::Path;

pub const MAX_FN: usize = 85;
pub const MAX_FILE: usize = 500;

/// What a file breaks: `(line, what)`.
pub fn check_text(text: &str, rust: bool) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    // Tests live at the end of a file, after `#[cfg(test)]`: not counted.
    let end = lines
        .iter()
        .position(|l| l.trim() == "#[cfg(test)]")
        .unwrap_or(lines.len());
    let mut out = Vec::new();
    let says_why = lines
        .iter()
        .take(40)
        .any(|l| l.contains("(Over 500 lines:"));
    if end > MAX_FILE && !says_why {
        out.push((1, format!("{end} lines, and no `(Over 500 lines: …)` why")));
    }
    if !rust {
        return out;
    }
    for (i, line) in lines[..end].iter().enumerate() {
        let t = line.trim_start();
        let header = t
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ")
            .trim_start_matches("pub ")
            .trim_start_matches("const ")
            .trim_start_matches("async ")
            .trim_start_matches("unsafe ");
        if !header.starts_with("fn ") || line.trim_end().ends_with("{}") || line.ends_with(';') {
            continue;
        }
        let indent = &line[..line.len() - t.len()];
        let close = format!("{indent}}}");
        if let Some(n) = lines[i + 1..end].iter().position(|l| *l == close) {
            let len = n + 2;
            if len > MAX_FN {
                let name: String = header[3..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push((
                    i + 1,
                    format!("fn {name} is {len} lines (at most {MAX_FN})"),
                ));
            }
        }
    }
    out
}

/// Every file of `src/` (Rust) and `www/` (the page's own scripts) against the limits.
pub fn check(root: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("src")];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let p = e.map_err(|e| e.to_string())?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs")
                && p.file_name().is_some_and(|n| n != "tests.rs")
            {
                files.push(p);
            }
        }
    }
    let www = root.join("www");
    if let Ok(rd) = std::fs::read_dir(&www) {
        files.extend(
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "js")),
        );
    }
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let rust = f.extension().is_some_and(|x| x == "rs");
        for (line, what) in check_text(&text, rust) {
            out.push(format!("{}:{line}: {what}", f.display()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(lines: usize) -> String {
        let body: String = (0..lines - 2)
            .map(|i| format!("    let x{i} = {i};\n"))
            .collect();
        format!("pub fn long() {{\n{body}}}\n")
    }

    #[test]
    fn a_long_function_or_file_is_found_and_a_said_why_is_accepted() {
        assert!(check_text(&function(MAX_FN), true).is_empty());
        let v = check_text(&function(MAX_FN + 1), true);
        assert_eq!(
            v,
            vec![(
                1,
                format!("fn long is {} lines (at most {MAX_FN})", MAX_FN + 1)
            )]
        );
        // Tests do not count; one-line functions and declarations are no bodies.
        let tests = format!("#[cfg(test)]\n{}", function(200));
        assert!(check_text(&tests, true).is_empty());
        assert!(check_text("fn f() {}\nfn g();\n", true).is_empty());
        let big: String = (0..MAX_FILE + 1).map(|_| "x\n").collect();
        assert_eq!(check_text(&big, false).len(), 1);
        let why = format!("//! (Over 500 lines: one state machine.)\n{big}");
        assert!(check_text(&why, false).is_empty());
    }
}
