//! `cargo xtask bench-scale`: issue 17's benchmark on generated files of 100 MB to 10 GB —
//! unpst against readpst and against the I/O floor, peak memory (a 2 GiB attachment, a folder
//! of 100k messages), the page against the CLI — ending with every goal, its figure from this
//! run and whether it is met.

use super::{apt_install, build_all, e2e_prerequisites, ensure_dovecot, have, run, start_relay};
use std::process::Command;

/// Issue 17's goals, each with this run's figure: printed together at the end.
#[derive(Default)]
struct Goals(Vec<(String, String, bool, String)>);

impl Goals {
    /// `goal`, the `figure` measured, whether it is `met`, and the command that measures it.
    fn add(&mut self, goal: &str, figure: String, met: bool, command: &str) {
        self.0
            .push((goal.to_string(), figure, met, command.to_string()));
    }

    fn print(&self) {
        println!("\nissue 17's goals, measured in this run:");
        for (goal, figure, met, command) in &self.0 {
            let verdict = if *met { "met" } else { "NOT met" };
            println!("  {goal}: {figure} — {verdict}\n      ({command})");
        }
    }
}

/// `unpst convert FILE -o OUT --format FORMAT -q`, timed (see [`timed`]).
fn convert_timed(
    unpst: &str,
    file: &std::path::Path,
    out: &std::path::Path,
    format: &str,
) -> Option<(f64, u64)> {
    convert_timed_with(unpst, file, out, format, &[])
}

/// [`convert_timed`] with more arguments (`--threads 1`).
fn convert_timed_with(
    unpst: &str,
    file: &std::path::Path,
    out: &std::path::Path,
    format: &str,
    more: &[&str],
) -> Option<(f64, u64)> {
    use std::ffi::OsStr;
    let mut args = vec![
        OsStr::new("convert"),
        file.as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--format"),
        OsStr::new(format),
        OsStr::new("-q"),
    ];
    args.extend(more.iter().map(OsStr::new));
    timed(unpst, &args)
}

/// Runs a command, returning (seconds, peak RSS in KiB) from GNU time. The disk is caught
/// up first (`sync`): a run before leaves up to gigabytes to write back, which had landed in
/// the next one (seconds at 99 % iowait).
fn timed(cmd: &str, args: &[&std::ffi::OsStr]) -> Option<(f64, u64)> {
    let _ = Command::new("sync").status();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M", cmd])
        .args(args)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "xtask: {cmd} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last()?;
    let mut it = last.split_whitespace();
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// `readpst -q -D LAYOUT -o OUT FILE` timed, into a fresh `out` (readpst needs it to exist).
fn readpst_timed(
    file: &std::path::Path,
    out: &std::path::Path,
    layout: &str,
) -> Option<(f64, u64)> {
    use std::ffi::OsStr;
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::create_dir_all(out);
    timed(
        "readpst",
        &[
            OsStr::new("-q"),
            OsStr::new("-D"),
            OsStr::new(layout),
            OsStr::new("-o"),
            out.as_os_str(),
            file.as_os_str(),
        ],
    )
}

/// Bytes of the files below `dir`.
fn tree_bytes(dir: &std::path::Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_bytes(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// Issue 17's figures for one layout and the I/O floor, on the 1 GB and 5 GB files: unpst
/// `--format mbox` against `readpst -D -r` (the same layout), and against reading the input
/// once plus writing as many bytes as unpst wrote (`cat`, then `dd` of that size; the page
/// cache warm, as for both programs).
fn one_layout_and_floor(dir: &std::path::Path, unpst: &str, goals: &mut Goals) {
    use std::ffi::OsStr;
    let out = dir.join("out");
    let scratch = dir.join("floor.bin");
    println!(
        "\n{:<6} {:>9} {:>10} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "file",
        "mbox s",
        "readpst-r",
        "vs rp",
        "out MiB",
        "read s",
        "write s",
        "vs floor",
        "1 thread",
        "vs rp"
    );
    for name in ["1g", "5g"] {
        let f = dir.join(format!("{name}.pst"));
        // Read first: every program then finds the file in the page cache.
        let read = timed("cat", &[f.as_os_str()]).map(|t| t.0);
        let _ = std::fs::remove_dir_all(&out);
        let Some((u, _)) = convert_timed(unpst, &f, &out, "mbox") else {
            continue;
        };
        let bytes = tree_bytes(&out);
        let r = readpst_timed(&f, &out, "-r");
        let _ = std::fs::remove_dir_all(&out);
        let of = format!("of={}", scratch.display());
        let count = format!("count={}", bytes.div_ceil(1 << 20));
        let write = timed(
            "dd",
            &[
                OsStr::new("if=/dev/zero"),
                OsStr::new(&of),
                OsStr::new("bs=1M"),
                OsStr::new(&count),
            ],
        )
        .map(|t| t.0);
        let _ = std::fs::remove_file(&scratch);
        let one = convert_timed_with(unpst, &f, &out, "mbox", &["--threads", "1"]);
        let _ = std::fs::remove_dir_all(&out);
        if let (Some((r, _)), Some(read), Some(write), Some((one, _))) = (r, read, write, one) {
            println!(
                "{name:<6} {u:>9.2} {r:>10.2} {:>7.2}x {:>9.0} {read:>9.2} {write:>9.2} {:>8.2}x {one:>9.2} {:>7.2}x",
                r / u,
                bytes as f64 / 1048576.0,
                u / (read + write),
                r / one
            );
            goals.add(
                &format!("{name}.pst, one layout (mbox) >= 3x readpst -D -r"),
                format!("{:.2}x ({u:.2} s against {r:.2} s)", r / u),
                r / u >= 3.0,
                &format!("time unpst convert {name}.pst -o DIR --format mbox; time readpst -D -r -o DIR {name}.pst"),
            );
            goals.add(
                &format!("{name}.pst, mbox within 2x the I/O floor"),
                format!(
                    "{:.2}x ({u:.2} s against cat {read:.2} s + dd of {:.0} MiB {write:.2} s)",
                    u / (read + write),
                    bytes as f64 / 1048576.0
                ),
                u / (read + write) <= 2.0,
                "cat FILE > /dev/null; dd if=/dev/zero of=X bs=1M count=(the MiB unpst wrote)",
            );
        }
    }
    println!(
        "(vs rp: readpst -D -r time / unpst --format mbox time, goal >= 3; vs floor: unpst time / (read s + write s), goal <= 2; 1 thread: unpst --threads 1, and readpst / it)"
    );
}

/// Generates (once) the files the benchmark reads, into `dir`.
fn generate(dir: &std::path::Path) -> bool {
    // (name, arguments): about 11 messages per MB, 400 per folder at most; one message with a
    // 2 GiB attachment (memory must not follow it); one folder of 100k messages (nor must it
    // follow a folder's rows: its contents table's heap alone is ≈ 15 MB).
    let files: [(&str, &[&str]); 6] = [
        (
            "100m",
            &["--size", "100M", "--seed", "5", "--folders", "40"],
        ),
        ("1g", &["--size", "1G", "--seed", "6", "--folders", "60"]),
        ("5g", &["--size", "5G", "--seed", "7", "--folders", "200"]),
        ("10g", &["--size", "10G", "--seed", "8", "--folders", "300"]),
        (
            "2g-attachment",
            &[
                "--first-attachment",
                "2G",
                "--messages",
                "1",
                "--folders",
                "0",
                "--no-items",
            ],
        ),
        (
            "100k",
            &[
                "--messages",
                "100000",
                "--per-folder",
                "100000",
                "--one-folder",
                "--max-attachment",
                "16K",
                "--size",
                "20G",
                "--seed",
                "11",
            ],
        ),
    ];
    files.iter().all(|(name, args)| {
        let path = dir.join(format!("{name}.pst"));
        path.exists()
            || Command::new("target/release/unpst-gen")
                .arg(&path)
                .args(*args)
                .status()
                .is_ok_and(|s| s.success())
    })
}

/// mbox and EML in one run against readpst's two runs (`-r`, then `-e`), and against `cat`.
fn both_layouts(dir: &std::path::Path, unpst: &str, goals: &mut Goals) {
    let out = dir.join("out");
    println!(
        "\n{:<6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "file", "read s", "unpst s", "RSS MiB", "readpst-r", "readpst-e", "vs rp", "vs read"
    );
    for name in ["100m", "1g"] {
        let f = dir.join(format!("{name}.pst"));
        let read = timed("cat", &[f.as_os_str()])
            .map(|t| t.0)
            .unwrap_or(f64::NAN);
        let _ = std::fs::remove_dir_all(&out);
        let u = convert_timed(unpst, &f, &out, "mbox,eml");
        let r = readpst_timed(&f, &out, "-r");
        let e = readpst_timed(&f, &out, "-e");
        let _ = std::fs::remove_dir_all(&out);
        if let (Some(u), Some(r), Some(e)) = (u, r, e) {
            let mib = u.1 as f64 / 1024.0;
            println!(
                "{name:<6} {read:>9.2} {:>9.2} {mib:>9.0} {:>9.2} {:>9.2} {:>7.2}x {:>7.2}x",
                u.0,
                r.0,
                e.0,
                (r.0 + e.0) / u.0,
                u.0 / read
            );
            goals.add(
                &format!("{name}.pst, mbox and EML >= 3x readpst's two runs"),
                format!("{:.2}x ({:.2} s against {:.2} s + {:.2} s)", (r.0 + e.0) / u.0, u.0, r.0, e.0),
                (r.0 + e.0) / u.0 >= 3.0,
                &format!("time unpst convert {name}.pst -o DIR --format mbox,eml; time readpst -D -r …; time readpst -D -e …"),
            );
            memory_goal(
                goals,
                &format!("{name}.pst, mbox and EML"),
                mib,
                "/usr/bin/time -f %M unpst convert FILE -o DIR --format mbox,eml",
            );
        }
    }
    println!(
        "(vs rp: readpst -D -r plus readpst -D -e time / unpst mbox+eml time; vs read: unpst time / cat time, warm cache)"
    );
}

/// The goal of at most 64 MiB of native memory, for one run that peaked at `mib`.
fn memory_goal(goals: &mut Goals, what: &str, mib: f64, command: &str) {
    goals.add(
        &format!("{what}: peak memory <= 64 MiB"),
        format!("{mib:.0} MiB"),
        mib <= 64.0,
        command,
    );
}

/// The tree of the 10 GB file, and peak memory on the 5 GB file, one 2 GiB attachment and
/// one folder of 100k messages.
fn memory(dir: &std::path::Path, unpst: &str, goals: &mut Goals) {
    use std::ffi::OsStr;
    let out = dir.join("out");
    let big = dir.join("10g.pst");
    for pass in ["first", "again"] {
        if let Some((t, rss)) = timed(
            unpst,
            &[OsStr::new("inspect"), big.as_os_str(), OsStr::new("--json")],
        ) {
            println!(
                "native tree of 10g.pst ({pass}): {t:.2} s, {:.0} MiB RSS",
                rss as f64 / 1024.0
            );
        }
    }
    let runs = [
        ("5g.pst", "mbox", "5g.pst (mbox)"),
        (
            "2g-attachment.pst",
            "mbox,eml",
            "one 2 GiB attachment (mbox and EML)",
        ),
        ("100k.pst", "mbox", "one folder of 100k messages (mbox)"),
    ];
    for (file, format, what) in runs {
        let _ = std::fs::remove_dir_all(&out);
        if let Some((t, rss)) = convert_timed(unpst, &dir.join(file), &out, format) {
            let mib = rss as f64 / 1024.0;
            println!("native convert of {what}: {t:.1} s, peak RSS {mib:.0} MiB");
            let command =
                format!("/usr/bin/time -f %M unpst convert {file} -o DIR --format {format}");
            memory_goal(goals, what, mib, &command);
        }
    }
    let folder = dir.join("100k.pst");
    if let Some((tree, tree_rss)) = timed(unpst, &[OsStr::new("inspect"), folder.as_os_str()]) {
        println!(
            "one folder of 100k messages: tree {tree:.2} s, {:.0} MiB RSS",
            tree_rss as f64 / 1024.0
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// The first number after `key` in `text`.
fn number_after(text: &str, key: &str) -> Option<f64> {
    let rest = &text[text.find(key)? + key.len()..];
    let num: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    num.parse().ok()
}

/// The page in headless Chromium (tests/e2e/bench_scale.mjs) against the CLI, and its memory
/// on the 5 GB file; its figures join the goals.
fn page(dir: &std::path::Path, unpst: &str, goals: &mut Goals) -> bool {
    let Some((relay_url, mut relay)) = start_relay(&[]).map(|(c, u)| (u, c)) else {
        return false;
    };
    let base = relay_url
        .split('#')
        .next()
        .unwrap_or(&relay_url)
        .to_string();
    let abs = |n: &str| std::fs::canonicalize(dir.join(n)).unwrap_or_default();
    let scale = Command::new("node")
        .arg("bench_scale.mjs")
        .current_dir("tests/e2e")
        .env("UNPST_URL", &base)
        .env("UNPST_BIN", unpst)
        .env("TREE_FILE", abs("10g.pst"))
        .env("CONV_FILE", abs("1g.pst"))
        .env("MEM_FILE", abs("5g.pst"))
        .output();
    let reads = Command::new("node")
        .arg("bench_reads.mjs")
        .current_dir("tests/e2e")
        .env("UNPST_URL", &base)
        .env("FILE", abs("1g.pst"))
        .status()
        .is_ok_and(|s| s.success());
    let _ = relay.kill();
    let _ = relay.wait();
    let Ok(scale) = scale else {
        return false;
    };
    let text = String::from_utf8_lossy(&scale.stdout).to_string();
    print!("{text}");
    let command =
        "UNPST_URL=… UNPST_BIN=… CONV_FILE=1g.pst MEM_FILE=5g.pst node tests/e2e/bench_scale.mjs";
    for (line, what) in [
        ("page convert:", "1g.pst to a zip, converting at once"),
        (
            "page convert with the working copy complete:",
            "1g.pst to a zip, its working copy complete",
        ),
        ("page into a folder:", "1g.pst into a picked folder"),
    ] {
        if let Some(l) = text.lines().find(|l| l.starts_with(line))
            && let Some(x) = number_after(l, "native/page speed")
        {
            // Page and CLI times in ms, medians of the rounds; the zip's CLI time is on the
            // first line.
            let cli_ms = |l: &str| {
                l.find("native CLI")
                    .and_then(|i| number_after(&l[i..], ")"))
            };
            let cli = cli_ms(l).or_else(|| {
                let first = text.lines().find(|l| l.starts_with("page convert:"))?;
                cli_ms(first)
            });
            let s = |v: Option<f64>| v.map_or("?".into(), |v| format!("{:.1}", v / 1e3));
            goals.add(
                &format!("page >= 0.5x the CLI, {what}"),
                format!(
                    "{x:.2}x ({} s against the CLI's {} s, medians)",
                    s(number_after(l, line)),
                    s(cli)
                ),
                x >= 0.5,
                command,
            );
        }
    }
    let five_line = text
        .lines()
        .find(|l| l.starts_with("page converts "))
        .unwrap_or_default();
    if let Some(mib) = number_after(five_line, "wasm linear memory") {
        goals.add(
            "page converts 5g.pst in <= 128 MiB of wasm memory",
            format!("{mib:.0} MiB"),
            mib <= 128.0,
            command,
        );
    }
    // The 5 GB file in the page, against the CLI's zip of it.
    let five = dir.join("5g.pst");
    let zip = dir.join("5g.zip");
    let cli = timed(
        unpst,
        &[
            std::ffi::OsStr::new("convert"),
            five.as_os_str(),
            std::ffi::OsStr::new("--zip"),
            zip.as_os_str(),
            std::ffi::OsStr::new("-q"),
        ],
    );
    let _ = std::fs::remove_file(&zip);
    let copied_line = text
        .lines()
        .find(|l| l.starts_with("page converts the same with the working copy complete"))
        .unwrap_or_default();
    for (line, what) in [
        (five_line, "5g.pst to a zip, converting at once"),
        (copied_line, "5g.pst to a zip, its working copy complete"),
    ] {
        if let (Some(page_ms), Some((cli_s, _))) = (number_after(line, "conversion"), cli) {
            let x = cli_s * 1000.0 / page_ms;
            goals.add(
                &format!("page >= 0.5x the CLI, {what}"),
                format!(
                    "{x:.2}x ({:.1} s against unpst convert --zip {cli_s:.1} s)",
                    page_ms / 1000.0
                ),
                x >= 0.5,
                command,
            );
        }
    }
    scale.status.success() && reads
}

/// Generated files of 100 MB to 10 GB: unpst against readpst, against a plain read, the
/// page against the CLI, the tree of a 10 GB file, peak memory; then every goal of issue 17
/// with this run's figure.
pub(crate) fn bench_scale() -> bool {
    let built = ensure_dovecot()
        && e2e_prerequisites()
        && build_all()
        && run("cargo", &["build", "--release", "-p", "pstgen"]);
    if !built || !have("/usr/bin/time") && !apt_install(&["time"]) {
        return false;
    }
    let dir = std::path::PathBuf::from("target/bench-scale");
    let _ = std::fs::create_dir_all(&dir);
    if !generate(&dir) {
        return false;
    }
    let unpst = std::fs::canonicalize("target/release/unpst").unwrap_or_default();
    let unpst = unpst.to_string_lossy().to_string();
    let mut goals = Goals::default();
    both_layouts(&dir, &unpst, &mut goals);
    one_layout_and_floor(&dir, &unpst, &mut goals);
    memory(&dir, &unpst, &mut goals);
    let ok = page(&dir, &unpst, &mut goals);
    goals.print();
    ok
}
