//! Bounded memory: a generated file whose one attachment is several times larger than the
//! memory a conversion may take converts with the CLI's peak resident memory (the kernel's
//! count, `wait4`) under that limit — to a directory, to a zip and into Dovecot — and the
//! attachment comes back byte-exact from every output: its SHA-1 is the one the generator
//! computed while writing it, the server's copy is read from its maildir.

mod common;

use common::dovecot::{Dovecot, PASSWORD, USER};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The attachment: far beyond the limit, so holding it once (let alone as base64) fails.
const ATTACHMENT: u64 = 200 << 20;
/// The most resident memory a conversion may take (docs/benchmarks.md's goal).
const LIMIT_KIB: i64 = 64 << 10;

/// Runs `cmd` to its end; its exit success, output and peak resident memory in KiB.
#[allow(clippy::zombie_processes)] // wait4 reaps it, with its resource usage
fn run_measured(cmd: &mut Command, log: &Path) -> (bool, String, i64) {
    let out = std::fs::File::create(log).unwrap();
    let child = cmd
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .expect("unpst runs");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, with pointers to the two locals above.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    eprintln!("{cmd:?}: peak {} KiB", usage.ru_maxrss);
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (
        ok,
        std::fs::read_to_string(log).unwrap_or_default(),
        usage.ru_maxrss,
    )
}

/// Length and SHA-1 of the part named `name` in a message (or mbox) read as a stream:
/// its header lines to the blank line, then base64 lines to the next boundary.
fn part_sha1(r: impl Read, name: &str) -> Option<(u64, String)> {
    use base64::Engine;
    let mut lines = BufReader::with_capacity(1 << 16, r).split(b'\n');
    let needle = format!("filename=\"{name}\"");
    lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| String::from_utf8_lossy(l).contains(&needle))?;
    lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.strip_suffix(b"\r").unwrap_or(l).is_empty())?;
    let mut sha = sha1_smol::Sha1::new();
    let mut len = 0u64;
    let mut text = Vec::new();
    for l in lines.map_while(Result::ok) {
        let l = l.strip_suffix(b"\r").unwrap_or(&l);
        if l.starts_with(b"--") || l.is_empty() {
            break;
        }
        text.extend_from_slice(l);
        // Whole quanta only: a line break may fall anywhere in a reader's copy.
        let whole = text.len() / 4 * 4;
        let data = base64::engine::general_purpose::STANDARD
            .decode(&text[..whole])
            .ok()?;
        sha.update(&data);
        len += data.len() as u64;
        text.drain(..whole);
    }
    text.is_empty().then(|| (len, sha.digest().to_string()))
}

/// Files under `dir` larger than the attachment (the outputs holding it).
fn large_files(dir: &Path) -> Vec<PathBuf> {
    common::files_below(dir)
        .into_iter()
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > ATTACHMENT))
        .collect()
}

#[test]
fn a_200_mib_attachment_converts_and_uploads_in_64_mib_byte_exact() {
    let tmp = std::env::temp_dir().join(format!("unpst-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let pst = tmp.join("large.pst");
    let spec = pstgen::Spec {
        seed: 17,
        max_messages: 1,
        folders: 0,
        items: false,
        first_attachment: Some(ATTACHMENT),
        ..pstgen::Spec::default()
    };
    let f = std::fs::File::create(&pst).unwrap();
    let s = pstgen::generate(std::io::BufWriter::new(f), &spec, |_, _| {}).unwrap();
    let want = (ATTACHMENT, s.first_attachment_sha1.clone().unwrap());
    let unpst = env!("CARGO_BIN_EXE_unpst");

    // A directory of mbox and EML files.
    let dir = tmp.join("out");
    let (ok, log, kib) = run_measured(
        Command::new(unpst)
            .arg("convert")
            .arg(&pst)
            .arg("-o")
            .arg(&dir)
            .args(["--format", "mbox,eml", "-q"]),
        &tmp.join("dir.log"),
    );
    assert!(ok, "{log}");
    assert!(kib < LIMIT_KIB, "to a directory: peak {kib} KiB");
    let files = large_files(&dir);
    assert_eq!(files.len(), 2, "one mbox, one EML: {files:?}");
    for f in &files {
        let got = part_sha1(std::fs::File::open(f).unwrap(), "large.bin");
        assert_eq!(got.as_ref(), Some(&want), "{}", f.display());
    }

    // A zip of the same.
    let zip = tmp.join("out.zip");
    let (ok, log, kib) = run_measured(
        Command::new(unpst)
            .arg("convert")
            .arg(&pst)
            .arg("--zip")
            .arg(&zip)
            .args(["--format", "mbox,eml", "-q"]),
        &tmp.join("zip.log"),
    );
    assert!(ok, "{log}");
    assert!(kib < LIMIT_KIB, "to a zip: peak {kib} KiB");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut found = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).unwrap();
        if entry.size() > ATTACHMENT {
            let name = entry.name().unwrap().to_string();
            assert_eq!(
                part_sha1(entry, "large.bin").as_ref(),
                Some(&want),
                "{name}"
            );
            found += 1;
        }
    }
    assert_eq!(found, 2, "one mbox, one EML in the zip");

    // Into a real IMAP server, read back from its own storage.
    if let Some(server) = Dovecot::start('/', "") {
        let (ok, log, kib) = run_measured(
            Command::new(unpst)
                .arg("upload")
                .arg(&pst)
                .args([
                    "--imap",
                    &server.url(USER),
                    "--password-env",
                    "UNPST_TEST_PW",
                ])
                .arg("--ca-file")
                .arg(&server.cert)
                .arg("-q")
                .env("UNPST_TEST_PW", PASSWORD),
            &tmp.join("imap.log"),
        );
        assert!(ok, "{log}\n{}", server.log());
        assert!(kib < LIMIT_KIB, "upload: peak {kib} KiB");
        let stored = large_files(&server.maildir(USER));
        assert_eq!(stored.len(), 1, "{stored:?}");
        let got = part_sha1(std::fs::File::open(&stored[0]).unwrap(), "large.bin");
        assert_eq!(got, Some(want));
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
