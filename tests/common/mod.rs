//! Shared test helpers: finding the corpus (read in place, never copied).

#![allow(dead_code)]

pub mod dovecot;
pub mod oauth;
pub mod outlook;
pub mod servers;

use std::path::PathBuf;

/// Every file below `dir` (not following into anything but directories).
pub fn files_below(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The "Password checksum" libpff's pffinfo reads in a file: `0x…`, `N/A` (0 or all ones),
/// or `None` when the store has none at all.
pub fn pffinfo_password(path: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("pffinfo")
        .arg(path)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Password checksum:"))
        .map(|s| s.trim().to_string())
}

/// Says loudly that a test did not run, and why; under `cargo xtask test --allow-skips` the
/// reason also goes to `$UNPST_SKIP_LOG`, whose lines the summary counts. (Without
/// `--allow-skips`, `cargo xtask test` requires everything, and the test fails instead.)
pub fn skipped(why: &str) {
    eprintln!("\n!!! SKIPPED: {why} !!!\n");
    if let Some(log) = std::env::var_os("UNPST_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(log)
        {
            let _ = writeln!(f, "{why}");
        }
    }
}

/// The corpus directory, or `None` (with a loud notice) when it is absent. With
/// `UNPST_REQUIRE_CORPUS=1` (CI) a missing corpus fails the test instead.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("UNPST_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.join("oracle").is_dir() {
        return Some(dir);
    }
    if std::env::var("UNPST_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!(
            "corpus not found at {} and UNPST_REQUIRE_CORPUS=1",
            dir.display()
        );
    }
    skipped(&format!(
        "corpus not found at {} (set UNPST_CORPUS); corpus tests did not run",
        dir.display()
    ));
    None
}

/// Every corpus PST/OST, sorted.
pub fn corpus_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pst" || x == "ost"))
        .collect();
    v.sort();
    v
}

pub fn oracle(dir: &std::path::Path, file: &str, suffix: &str) -> serde_json::Value {
    let p = dir.join("oracle").join(format!("{file}{suffix}"));
    serde_json::from_slice(&std::fs::read(&p).expect("oracle file")).expect("oracle json")
}

/// A hostile file of the corpus: `hostile/NAME.pst.json` names a base file and byte patches
/// (written there by `make-hostile`, made here in memory).
pub struct Hostile {
    pub name: String,
    /// The intact file it was made from.
    pub base: Vec<u8>,
    pub bytes: Vec<u8>,
}

/// Every hostile file of the corpus, by name.
pub fn hostile_files(dir: &std::path::Path) -> Vec<Hostile> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(dir.join("hostile"))
        .expect("corpus hostile/ readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".pst.json"))
        .collect();
    specs.sort();
    specs
        .iter()
        .map(|spec| {
            let rec: serde_json::Value =
                serde_json::from_slice(&std::fs::read(spec).expect("spec")).expect("spec json");
            let base =
                std::fs::read(dir.join(rec["base"].as_str().expect("base"))).expect("base file");
            let mut bytes = base.clone();
            for p in rec["patches"].as_array().expect("patches") {
                let off = p[0].as_u64().expect("offset") as usize;
                let hex = p[1].as_str().expect("hex");
                for (i, b) in (0..hex.len()).step_by(2).enumerate() {
                    bytes[off + i] = u8::from_str_radix(&hex[b..b + 2], 16).expect("hex byte");
                }
            }
            Hostile {
                name: rec["name"].as_str().expect("name").to_string(),
                base,
                bytes,
            }
        })
        .collect()
}

/// The Message-IDs of the mail `unpst upload` would send from `file` whose converted size is
/// over `limit` bytes, sorted: what a server with that size limit refuses.
pub fn messages_over(file: &std::path::Path, limit: u64) -> Vec<String> {
    use unpst::convert::{FolderItems, Outcome};
    let pst = unpst::pst::Pst::open_path(file).unwrap();
    let mut big = Vec::new();
    for f in unpst::upload::plan(&pst, None).unwrap() {
        for (_, o) in FolderItems::new(&pst, f.nid) {
            if let Outcome::Mail(m) = o
                && m.bytes.len() > limit
            {
                big.push(m.message_id.clone());
            }
        }
    }
    big.sort();
    big
}

/// What independent parsers (Python's vobject and icalendar, tests/check_items.py) read in
/// each vCard / iCalendar file of `files` (tree path, bytes), by tree path; fails the test if
/// either refuses one. `tag` keeps concurrent tests' scratch folders apart.
pub fn check_items<'a>(
    files: impl IntoIterator<Item = (&'a String, &'a Vec<u8>)>,
    tag: &str,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    let dir = std::env::temp_dir().join(format!("unpst-items-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut paths = Vec::new();
    for (path, bytes) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        paths.push((path.clone(), p));
    }
    let out = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/check_items.py"))
        .args(paths.iter().map(|(_, p)| p))
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "vobject / icalendar refused the output: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: std::collections::BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap();
    paths
        .into_iter()
        .map(|(name, p)| (name, v[p.to_str().unwrap()].clone()))
        .collect()
}

/// A generated PST (`pstgen`) in the temp folder, named after the test (`name`) and this
/// process — tests of one binary run side by side — and what was written into it.
pub fn generated(name: &str, spec: &pstgen::Spec) -> (PathBuf, pstgen::Summary) {
    let path = std::env::temp_dir().join(format!("unpst-{name}-{}.pst", std::process::id()));
    let f = std::fs::File::create(&path).unwrap();
    let s = pstgen::generate(std::io::BufWriter::new(f), spec, |_, _| {}).unwrap();
    (path, s)
}

/// An Outlook.pst and its archive, generated as `{name}-archive` and `{name}-current`: one
/// seed, so the archive's 20 messages are the first of the current file's 45 — a message
/// both hold, and the larger file is what a move of both must leave on a server.
pub fn archive_and_current(name: &str) -> [(PathBuf, pstgen::Summary); 2] {
    let generate = |which: &str, messages: u64| {
        let spec = pstgen::Spec {
            seed: 11,
            target_bytes: 1 << 30,
            max_messages: messages,
            folders: 6,
            depth: 2,
            max_attachment: 16 << 10,
            items: false,
            ..pstgen::Spec::default()
        };
        generated(&format!("{name}-{which}"), &spec)
    };
    [generate("archive", 20), generate("current", 45)]
}
