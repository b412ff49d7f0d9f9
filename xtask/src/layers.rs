//! The layer check: reads every `crate::…`, `super::…` and `unpst::…` path in `src/` and
//! fails on a use that goes against `layers.txt` — a module using one of its own layer or
//! above it — printing the offending line. Peers on one line may not use each other, so no
//! import circle can cross folders.

use std::collections::BTreeMap;
use std::path::Path;

/// The rules: module → its layer (0 lowest).
pub struct Rules {
    layer: BTreeMap<String, usize>,
}

impl Rules {
    /// Parses `layers.txt`: one layer a line, lowest first; `#` starts a comment.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut layer = BTreeMap::new();
        for (n, line) in text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            for m in line.split_whitespace() {
                if layer.insert(m.to_string(), n).is_some() {
                    return Err(format!("layers.txt names {m} twice"));
                }
            }
        }
        Ok(Self { layer })
    }
}

/// One use against the rules.
#[derive(Debug, PartialEq)]
pub struct Violation {
    pub file: String,
    pub line: usize,
    pub from: String,
    pub to: String,
    pub text: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {} uses {} (not below it in layers.txt): {}",
            self.file, self.line, self.from, self.to, self.text
        )
    }
}

/// The module a file belongs to (`src/items/ical.rs` → `items`; the binary's `main.rs` and
/// `cli/` → `cli`), and its module path below the crate root.
fn module_of(rel: &str) -> (String, Vec<String>) {
    let parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
    let mut path: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
    if path.last().is_some_and(|l| l == "mod") {
        path.pop();
    }
    let top = match parts[0] {
        "main" => "cli".to_string(),
        t => t.to_string(),
    };
    (top, path)
}

/// The top-level modules a line names through `crate::`, `unpst::` or `super::` paths.
fn targets(line: &str, path: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let ident = |i: usize| -> String {
        line[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut i = 0;
    while i < b.len() {
        if !line.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &line[i..];
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        let start = if !boundary {
            None
        } else if let Some(r) = rest.strip_prefix("crate::") {
            Some((line.len() - r.len(), 0))
        } else if let Some(r) = rest.strip_prefix("unpst::") {
            Some((line.len() - r.len(), 0))
        } else if rest.starts_with("super::") {
            // Each `super::` climbs one module; what follows names a module at that depth.
            let mut j = i;
            let mut up = 0;
            while line[j..].starts_with("super::") {
                j += "super::".len();
                up += 1;
            }
            // Only paths that climb to the crate root leave the file's top module.
            (up >= path.len()).then_some((j, 0))
        } else {
            None
        };
        let Some((at, _)) = start else {
            i += 1;
            continue;
        };
        if line[at..].starts_with('{') {
            // `crate::{a::x, b}`: each first segment at the group's top level.
            let mut depth = 0;
            let mut seg_start = true;
            for (k, c) in line[at..].char_indices() {
                match c {
                    '{' => {
                        depth += 1;
                        seg_start = depth == 1;
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => seg_start = true,
                    c if seg_start && depth == 1 && (c.is_ascii_alphabetic() || c == '_') => {
                        out.push(ident(at + k));
                        seg_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let id = ident(at);
            if !id.is_empty() {
                out.push(id);
            }
        }
        i = at;
    }
    out
}

/// Checks one file's text.
pub fn check_file(rules: &Rules, rel: &str, text: &str) -> Vec<Violation> {
    let (from, path) = module_of(rel);
    let Some(&mine) = rules.layer.get(&from) else {
        return vec![Violation {
            file: rel.into(),
            line: 0,
            from: from.clone(),
            to: from,
            text: "module missing from layers.txt".into(),
        }];
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for to in targets(line, &path) {
            if to == from || to == "self" {
                continue;
            }
            // Unknown names (`crate::Result`, re-exports at the root) are the root's.
            let Some(&theirs) = rules.layer.get(&to) else {
                continue;
            };
            if theirs >= mine {
                out.push(Violation {
                    file: rel.into(),
                    line: n + 1,
                    from: from.clone(),
                    to,
                    text: code.trim().to_string(),
                });
            }
        }
    }
    out
}

/// Checks every `.rs` file under `src`.
pub fn check(root: &Path) -> Result<Vec<Violation>, String> {
    let rules_path = root.join("layers.txt");
    let rules = Rules::parse(
        &std::fs::read_to_string(&rules_path)
            .map_err(|e| format!("{}: {e}", rules_path.display()))?,
    )?;
    let src = root.join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(&src)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "lib.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        out.extend(check_file(&rules, &rel, &text));
    }
    Ok(out)
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::parse("# low\nerror\npst\nitems mime # peers\nconvert\ncli\n").unwrap()
    }

    #[test]
    fn allowed_uses_pass() {
        let text = "use crate::pst::Pst;\nuse crate::{error::Error, pst};\nlet x = super::ical::f();\n// crate::convert in a comment\n";
        assert!(check_file(&rules(), "items/vcard.rs", text).is_empty());
        assert!(check_file(&rules(), "main.rs", "use unpst::convert;").is_empty());
    }

    #[test]
    fn an_upward_or_peer_use_fails_with_its_line() {
        let text = "use crate::pst::Pst;\nuse crate::{error, convert::Options};\n";
        let v = check_file(&rules(), "items/vcard.rs", text);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!((v[0].line, v[0].to.as_str()), (2, "convert"));
        // Peers on one line may not use each other: that is how circles are kept out.
        let v = check_file(
            &rules(),
            "mime/mod.rs",
            "fn f() { crate::items::ical::x() }",
        );
        assert_eq!(v[0].to, "items");
        // `super::` from a folder's mod.rs reaches the crate root.
        let v = check_file(&rules(), "pst/mod.rs", "use super::convert::Options;");
        assert_eq!(v[0].to, "convert");
        assert!(check_file(&rules(), "pst/ndb/mod.rs", "use super::Pst;").is_empty());
    }

    #[test]
    fn a_module_not_in_the_rules_fails() {
        let v = check_file(&rules(), "newthing.rs", "");
        assert_eq!(v[0].text, "module missing from layers.txt");
    }
}
