//! See tests/security.rs. The command line against its own output folder (planted links,
//! FIFOs), hostile inputs (FIFO, directory, device), hostile names on the terminal and the
//! exit status of damaged files — each through the real binary.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A directory under the system temp dir, unique to this test run, removed when dropped.
struct Tmp(PathBuf);

impl Tmp {
    fn new(label: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "unpst-sec-cli-{label}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the binary with these arguments; a run longer than `secs` is killed and fails the
/// test (a hang must not hang the suite).
fn unpst(args: &[&std::ffi::OsStr], secs: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unpst"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained on threads so that a full pipe cannot stall the child.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("unpst {args:?} still running after {secs} s: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A small generated PST (with nested folders, contacts and a calendar) at `path`.
fn small_pst(path: &Path, names: &[&str]) {
    let spec = pstgen::Spec {
        seed: 12,
        target_bytes: 200 << 10,
        folders: 4.max(names.len()),
        depth: 2,
        per_folder: 3,
        max_attachment: 4 << 10,
        names: names.iter().map(|s| s.to_string()).collect(),
        ..pstgen::Spec::default()
    };
    let f = std::fs::File::create(path).unwrap();
    pstgen::generate(std::io::BufWriter::new(f), &spec, |_, _| {}).unwrap();
}

fn convert(pst: &Path, out: &Path) -> Output {
    unpst(
        &[
            os("convert"),
            pst.as_os_str(),
            os("-o"),
            out.as_os_str(),
            os("--format"),
            os("mbox,eml,vcf,ics,signatures"),
            os("--quiet"),
        ],
        60,
    )
}

/// Every file below `dir`, relative, sorted (links not followed).
fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, v: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, v);
            } else {
                v.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
    assert!(ok, "mkfifo {}", p.display());
}

/// The refusal the CLI must give for a planted link at `at`.
fn assert_refused_link(o: &Output, at: &Path) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{}", text(o));
    assert!(
        err.contains(&format!(
            "{} is a symbolic link; refusing to follow it",
            at.display()
        )),
        "{}",
        text(o)
    );
}

/// A symlink planted anywhere below the output folder — the format folders, a folder level
/// deep in the tree, a single mbox or EML file, report.json — is refused, never followed:
/// the link's target stays untouched (empty folder, or a victim file unchanged).
#[test]
fn planted_symlinks_in_the_output_are_not_followed() {
    use std::os::unix::fs::symlink;
    let t = Tmp::new("links");
    let pst = t.join("in.pst");
    small_pst(&pst, &[]);
    // The layout this file gets, from a clean first run.
    let clean = t.join("clean");
    let o = convert(&pst, &clean);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let files = listing(&clean);
    let sbd = files
        .iter()
        .find_map(|f| {
            let i = f.find(".sbd/")?;
            f.starts_with("mbox/").then(|| f[..i + 4].to_string())
        })
        .expect("a nested mbox folder (NAME.sbd)");
    let eml_folder = files
        .iter()
        .find(|f| f.starts_with("eml/") && f.ends_with(".eml"))
        .map(|f| {
            Path::new(f)
                .parent()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .expect("an EML folder");
    let eml_file = files
        .iter()
        .find(|f| f.starts_with("eml/") && f.ends_with(".eml"))
        .unwrap()
        .clone();
    let mbox_file = files
        .iter()
        .find(|f| f.starts_with("mbox/") && !f.contains(".sbd/"))
        .unwrap()
        .clone();
    let vcf = files
        .iter()
        .find(|f| f.ends_with(".vcf"))
        .expect("a vCard file")
        .clone();

    // Directories: the link points at an empty folder that must stay empty.
    let dir_links = [
        "mbox".to_string(),
        "eml".to_string(),
        sbd,
        eml_folder,
        "contacts".to_string(),
    ];
    for (i, rel) in dir_links.iter().enumerate() {
        let out = t.join(&format!("out-d{i}"));
        let elsewhere = t.join(&format!("elsewhere-d{i}"));
        std::fs::create_dir_all(&elsewhere).unwrap();
        let at = out.join(rel);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        // Relative and absolute targets alike.
        if i % 2 == 0 {
            symlink(&elsewhere, &at).unwrap();
        } else {
            let up = "../".repeat(Path::new(rel).components().count());
            symlink(format!("{up}elsewhere-d{i}"), &at).unwrap();
        }
        assert!(at.join(".").is_dir(), "{rel}: the planted link works");
        let o = convert(&pst, &out);
        assert_refused_link(&o, &at);
        assert_eq!(
            std::fs::read_dir(&elsewhere).unwrap().count(),
            0,
            "{rel}: written through the link"
        );
    }

    // Files: the link points at a victim file that must keep its contents.
    for (i, rel) in [
        "report.json",
        mbox_file.as_str(),
        eml_file.as_str(),
        vcf.as_str(),
    ]
    .iter()
    .enumerate()
    {
        let out = t.join(&format!("out-f{i}"));
        let victim = t.join(&format!("victim-{i}"));
        std::fs::write(&victim, "precious").unwrap();
        let at = out.join(rel);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        symlink(&victim, &at).unwrap();
        let o = convert(&pst, &out);
        assert_refused_link(&o, &at);
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious",
            "{rel}: the link's target was overwritten"
        );
        // A dangling link is not created through either.
        let dangling = t.join(&format!("out-g{i}"));
        let at = dangling.join(rel);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        let target = t.join(&format!("created-{i}"));
        symlink(&target, &at).unwrap();
        let o = convert(&pst, &dangling);
        assert_refused_link(&o, &at);
        assert!(
            !target.exists(),
            "{rel}: a file created through a dangling link"
        );
    }
}

/// A FIFO or a directory where an output file goes is refused at once — no blocking on the
/// FIFO (the run is killed after 10 s), nothing removed.
#[test]
fn non_regular_files_in_the_output_are_refused_without_blocking() {
    let t = Tmp::new("fifo-out");
    let pst = t.join("in.pst");
    small_pst(&pst, &[]);
    let out = t.join("out");
    std::fs::create_dir_all(&out).unwrap();
    mkfifo(&out.join("report.json"));
    let o = unpst(
        &[
            os("convert"),
            pst.as_os_str(),
            os("-o"),
            out.as_os_str(),
            os("--format"),
            os("mbox"),
        ],
        10,
    );
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("report.json is a FIFO, not a regular file"),
        "{}",
        text(&o)
    );
    // A directory where report.json goes: refused, nothing inside touched.
    let out2 = t.join("out2");
    std::fs::create_dir_all(out2.join("report.json")).unwrap();
    std::fs::write(out2.join("report.json/keep"), "x").unwrap();
    let o = convert(&pst, &out2);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("report.json is a directory, not a regular file"),
        "{}",
        text(&o)
    );
    assert_eq!(
        std::fs::read_to_string(out2.join("report.json/keep")).unwrap(),
        "x"
    );
    // A file where a folder goes.
    let out3 = t.join("out3");
    std::fs::create_dir_all(&out3).unwrap();
    std::fs::write(out3.join("mbox"), "a file where a folder goes").unwrap();
    let o = convert(&pst, &out3);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is a regular file, not a directory"),
        "{}",
        text(&o)
    );
}

/// `--zip` onto a link or a FIFO: refused, the link's target untouched, no hang.
#[test]
fn zip_output_link_or_fifo_is_refused() {
    use std::os::unix::fs::symlink;
    let t = Tmp::new("zip");
    let pst = t.join("in.pst");
    small_pst(&pst, &[]);
    let victim = t.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let link = t.join("out.zip");
    symlink(&victim, &link).unwrap();
    let zip = |p: &Path| {
        unpst(
            &[
                os("convert"),
                pst.as_os_str(),
                os("--zip"),
                p.as_os_str(),
                os("--quiet"),
            ],
            10,
        )
    };
    let o = zip(&link);
    assert_refused_link(&o, &link);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let fifo = t.join("fifo.zip");
    mkfifo(&fifo);
    let o = zip(&fifo);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is a FIFO, not a regular file"),
        "{}",
        text(&o)
    );
    // An existing regular zip is overwritten as before.
    let plain = t.join("plain.zip");
    std::fs::write(&plain, "old").unwrap();
    let o = zip(&plain);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(std::fs::read(&plain).unwrap().starts_with(b"PK"));
}

/// `unpst signatures -o DIR` with `DIR/signatures` planted as a link: refused.
#[test]
fn signatures_output_link_is_refused() {
    use std::os::unix::fs::symlink;
    let t = Tmp::new("sigs");
    let from = t.join("from");
    std::fs::create_dir_all(&from).unwrap();
    std::fs::write(from.join("Work.txt"), "Anna Schmidt\nExample Ltd.\n").unwrap();
    let run = |out: &Path| {
        unpst(
            &[
                os("signatures"),
                os("--from"),
                from.as_os_str(),
                os("-o"),
                out.as_os_str(),
            ],
            10,
        )
    };
    let ok = t.join("ok");
    let o = run(&ok);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!listing(&ok).is_empty());
    let out = t.join("out");
    let elsewhere = t.join("elsewhere");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    symlink(&elsewhere, out.join("signatures")).unwrap();
    let o = run(&out);
    assert_refused_link(&o, &out.join("signatures"));
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

/// What keeps working: converting again into the same folder (its own regular files are
/// overwritten, the same files come out), and an output root that is itself a link (the
/// user's choice).
#[test]
fn rerun_into_the_same_folder_and_a_linked_root_still_work() {
    use std::os::unix::fs::symlink;
    let t = Tmp::new("rerun");
    let pst = t.join("in.pst");
    small_pst(&pst, &[]);
    let out = t.join("out");
    let o = convert(&pst, &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let first = listing(&out);
    let report = std::fs::read(out.join("report.json")).unwrap();
    let o = convert(&pst, &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(listing(&out), first);
    assert_eq!(
        std::fs::read(out.join("report.json")).unwrap().len(),
        report.len()
    );
    let real = t.join("real");
    std::fs::create_dir_all(&real).unwrap();
    let root = t.join("root-link");
    symlink(&real, &root).unwrap();
    let o = convert(&pst, &root);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(listing(&real), first);
}

/// A FIFO, a directory or a character device as the input file: every command that reads it
/// stops at once with exit 2 and a one-line reason (a FIFO would block open() for ever).
#[test]
fn non_regular_input_is_refused_at_once() {
    use std::os::unix::fs::symlink;
    let t = Tmp::new("input");
    let fifo = t.join("mail.pst");
    mkfifo(&fifo);
    let fifo_link = t.join("link.pst");
    symlink(&fifo, &fifo_link).unwrap();
    let dir = t.join("folder.pst");
    std::fs::create_dir_all(&dir).unwrap();
    let out = t.join("out");
    let inputs: [(&Path, &str); 4] = [
        (&fifo, "a FIFO"),
        (&fifo_link, "a FIFO"),
        (&dir, "a directory"),
        (Path::new("/dev/null"), "a character device"),
    ];
    for (input, kind) in inputs {
        let i = input.as_os_str();
        let commands: [Vec<&std::ffi::OsStr>; 5] = [
            vec![os("inspect"), i],
            vec![os("inspect"), i, os("--json")],
            vec![os("convert"), i, os("-o"), out.as_os_str()],
            vec![os("signatures"), i, os("-o"), out.as_os_str()],
            // Refused before any connection or password prompt.
            vec![
                os("upload"),
                i,
                os("--imap"),
                os("imaps://me@127.0.0.1:9"),
                os("--dry-run"),
            ],
        ];
        for args in commands {
            let o = unpst(&args, 10);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
            let err = String::from_utf8_lossy(&o.stderr);
            let want = format!("{} is {kind}, not a regular file", input.display());
            assert!(err.contains(&want), "{args:?}: {}", text(&o));
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {}", text(&o));
        }
    }
    assert!(!out.join("report.json").exists());
}

/// Names with ESC, BEL, CR and a right-to-left override — in folder names from the PST and in
/// the file's own name — never reach the terminal raw: `inspect` and `convert` print them
/// escaped, visibly.
#[test]
fn control_and_bidi_characters_are_escaped_on_the_terminal() {
    let t = Tmp::new("term");
    let names = [
        "Evil\x1b]0;pwned\x07Title",
        "Clear\x1b[2J\rOver",
        "Inbox\u{202e}gpj.exe",
        "Del\u{7f}C1\u{9b}Iso\u{2066}",
    ];
    let file = "file\x1b[31m\u{202e}.pst";
    let pst = t.join(file);
    small_pst(&pst, &names);
    let escaped = [
        "Evil\\x1b]0;pwned\\x07Title",
        "Clear\\x1b[2J\\rOver",
        "Inbox\\u{202e}gpj.exe",
        "Del\\x7fC1\\u{9b}Iso\\u{2066}",
    ];
    let raw_bad = |b: &[u8]| -> Option<&'static str> {
        let s = String::from_utf8_lossy(b);
        if b.contains(&0x1b) {
            Some("ESC")
        } else if b.contains(&0x07) {
            Some("BEL")
        } else if b.contains(&b'\r') {
            Some("CR")
        } else if b.contains(&0x7f) {
            Some("DEL")
        } else if s.contains(['\u{202e}', '\u{2066}', '\u{9b}']) {
            Some("bidi or C1")
        } else {
            None
        }
    };
    let o = unpst(&[os("inspect"), pst.as_os_str()], 20);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for stream in [&o.stdout, &o.stderr] {
        assert_eq!(raw_bad(stream), None, "inspect: {}", text(&o));
    }
    let s = String::from_utf8_lossy(&o.stdout);
    for e in escaped {
        assert!(s.contains(e), "inspect lacks {e:?}: {s}");
    }
    assert!(s.contains("file\\x1b[31m\\u{202e}.pst"), "{s}");

    // JSON escapes the C0 controls itself (and is not escaped twice).
    let o = unpst(&[os("inspect"), pst.as_os_str(), os("--json")], 20);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!o.stdout.contains(&0x1b) && !o.stdout.contains(&0x07));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.to_string().contains("Evil\\u001b]0;pwned\\u0007Title"));

    let out = t.join("out\x07dir");
    let o = convert(&pst, &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for stream in [&o.stdout, &o.stderr] {
        assert_eq!(raw_bad(stream), None, "convert: {}", text(&o));
    }
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("file\\x1b[31m\\u{202e}.pst:"), "{s}");
    assert!(s.contains("out\\x07dir"), "{s}");
    // The same names, as a convert error (the output folder refused).
    let blocked = t.join("blocked\x1b[2J");
    std::fs::write(&blocked, "not a folder").unwrap();
    let o = convert(&pst, &blocked);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(raw_bad(&o.stderr), None, "convert error: {}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("blocked\\x1b[2J"),
        "{}",
        text(&o)
    );
}

/// Exit status 1 exactly when report.json lists something lost or worked around — a damaged
/// part of the file (B-tree pages rebuilt by scanning, a truncation), an item skipped or a
/// folder unreadable — and 0 when it lists nothing, as the README promises. The truth comes
/// from report.json's own lists; the hostile corpus files and truncations of a corpus file
/// provide both kinds.
#[test]
fn damaged_files_exit_1_as_the_readme_promises() {
    let Some(dir) = super::common::corpus() else {
        return;
    };
    let t = Tmp::new("exit");
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for h in super::common::hostile_files(&dir) {
        inputs.push((h.name, h.bytes));
    }
    for base in ["tika-testPST.pst", "aspose-Outlook.pst"] {
        let bytes = std::fs::read(dir.join(base)).unwrap();
        inputs.push((base.to_string(), bytes.clone()));
        for k in [3, 6, 9] {
            let cut = bytes.len() * k / 10;
            inputs.push((format!("{base}.cut{k}.pst"), bytes[..cut].to_vec()));
        }
    }
    let (mut damaged, mut clean) = (0, 0);
    for (name, data) in inputs {
        let pst = t.join(&name);
        std::fs::write(&pst, &data).unwrap();
        let out = t.join(&format!("{name}.out"));
        let o = convert(&pst, &out);
        let code = o.status.code();
        if code == Some(2) {
            // Could not be opened at all: no report to compare with.
            assert!(!out.join("report.json").exists(), "{name}: {}", text(&o));
            continue;
        }
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
        let problems = report["problems"].as_array().unwrap().len();
        let folders = report["folders"].as_array().unwrap();
        let skipped: usize = folders
            .iter()
            .map(|f| f["skipped"].as_array().unwrap().len())
            .sum();
        let folder_errors = folders.iter().filter(|f| f.get("error").is_some()).count();
        let lists_damage = problems + skipped + folder_errors > 0;
        eprintln!(
            "{name}: exit {code:?}, {problems} problems, {skipped} skipped, {folder_errors} folder errors"
        );
        assert_eq!(
            code,
            Some(if lists_damage { 1 } else { 0 }),
            "{name}: report lists {problems} problems, {skipped} skipped, {folder_errors} folder errors\n{}",
            text(&o)
        );
        if lists_damage {
            damaged += 1;
            assert!(
                String::from_utf8_lossy(&o.stdout).contains("file damage:")
                    || skipped + folder_errors > 0,
                "{name}: the damage is not in the summary\n{}",
                text(&o)
            );
        } else {
            clean += 1;
        }
        let _ = std::fs::remove_dir_all(&out);
        let _ = std::fs::remove_file(&pst);
    }
    assert!(
        damaged >= 1,
        "no input lists damage: the test proves nothing"
    );
    assert!(clean >= 1, "no clean input: exit 0 is not checked");
}
