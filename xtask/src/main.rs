//! Project tasks: `cargo xtask test` runs every check CI runs, installing what a bare
//! machine lacks (python3 for the independent mail parser check).

use std::process::{Command, ExitCode};

fn run(cmd: &str, args: &[&str]) -> bool {
    eprintln!("xtask: {cmd} {}", args.join(" "));
    Command::new(cmd)
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or_else(|e| {
            eprintln!("xtask: cannot run {cmd}: {e}");
            false
        })
}

fn have(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ensure_python() -> bool {
    if have("python3") {
        return true;
    }
    eprintln!("xtask: python3 missing, installing it with apt-get");
    run("apt-get", &["update", "-q"])
        && run(
            "apt-get",
            &["install", "-y", "-q", "--no-install-recommends", "python3"],
        )
}

/// Runs `cargo test`, echoing its output, and closes with one summary line over all test
/// binaries ("N passed, N failed"), so a reader of the log sees the whole count last.
fn cargo_test() -> bool {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    eprintln!("xtask: cargo test --workspace --all-targets");
    let mut child = match Command::new("cargo")
        .args(["test", "--workspace", "--all-targets"])
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: cannot run cargo: {e}");
            return false;
        }
    };
    let (mut passed, mut failed) = (0u64, 0u64);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                for part in rest.split(';') {
                    let mut w = part.split_whitespace().rev();
                    let (kind, n) = (w.next(), w.next().and_then(|n| n.parse::<u64>().ok()));
                    match (kind, n) {
                        (Some("passed"), Some(n)) => passed += n,
                        (Some("failed"), Some(n)) => failed += n,
                        _ => {}
                    }
                }
            }
        }
    }
    let ok = child.wait().is_ok_and(|s| s.success());
    println!("{passed} passed, {failed} failed");
    ok && failed == 0 && passed > 0
}

fn test() -> bool {
    ensure_python()
        && run("cargo", &["fmt", "--all", "--", "--check"])
        && run(
            "cargo",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        )
        && cargo_test()
}

/// Best of `n` wall-clock runs of a command, in seconds.
fn time_best(n: usize, cmd: &mut dyn FnMut() -> Command) -> Option<f64> {
    let mut best = f64::MAX;
    for _ in 0..n {
        let t = std::time::Instant::now();
        let out = cmd().output().ok()?;
        if !out.status.success() && out.status.code() != Some(1) {
            return None;
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    Some(best)
}

/// unpst convert (mbox) against readpst -D -r on every corpus file, same machine, same run.
fn bench() -> bool {
    // readpst has no --version; -V prints its version.
    let present = Command::new("readpst").arg("-V").output().is_ok();
    let installed = present
        || (run("apt-get", &["update", "-q"])
            && run(
                "apt-get",
                &[
                    "install",
                    "-y",
                    "-q",
                    "--no-install-recommends",
                    "pst-utils",
                ],
            ));
    if !installed {
        return false;
    }
    if !run("cargo", &["build", "--release", "--bin", "unpst"]) {
        return false;
    }
    let corpus = std::env::var("UNPST_CORPUS").unwrap_or_else(|_| "../shared/corpus".into());
    let mut files: Vec<_> = match std::fs::read_dir(&corpus) {
        Ok(d) => d.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            eprintln!("xtask: corpus {corpus}: {e}");
            return false;
        }
    };
    files.retain(|p| p.extension().is_some_and(|x| x == "pst" || x == "ost"));
    files.sort();
    let tmp = std::env::temp_dir().join(format!("unpst-bench-{}", std::process::id()));
    let (mut sum_u, mut sum_r) = (0.0, 0.0);
    println!(
        "{:<48} {:>10} {:>10} {:>7}",
        "file (best of 5)", "unpst s", "readpst s", "ratio"
    );
    for f in &files {
        let out_u = tmp.join("u");
        let out_r = tmp.join("r");
        let u = time_best(5, &mut || {
            let _ = std::fs::remove_dir_all(&out_u);
            let mut c = Command::new("target/release/unpst");
            c.arg("convert").arg(f).arg("-o").arg(&out_u).arg("-q");
            c
        });
        let r = time_best(5, &mut || {
            let _ = std::fs::remove_dir_all(&out_r);
            let _ = std::fs::create_dir_all(&out_r);
            let mut c = Command::new("readpst");
            c.args(["-q", "-D", "-r", "-o"]).arg(&out_r).arg(f);
            c
        });
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        match (u, r) {
            (Some(u), Some(r)) => {
                sum_u += u;
                sum_r += r;
                println!("{name:<48} {u:>10.4} {r:>10.4} {:>6.2}x", r / u);
            }
            _ => println!("{name:<48} {:>10?} {:>10?}", u, r),
        }
    }
    println!(
        "{:<48} {sum_u:>10.4} {sum_r:>10.4} {:>6.2}x",
        "total",
        sum_r / sum_u
    );
    println!("ratio > 1: unpst is faster (readpst time / unpst time)");
    let _ = std::fs::remove_dir_all(&tmp);
    true
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let ok = match task.as_str() {
        "test" => test(),
        "bench" => bench(),
        _ => {
            eprintln!(
                "usage: cargo xtask test    run formatting, lints and every test (the corpus is read from\n\
                 \x20                         ../shared/corpus or $UNPST_CORPUS; UNPST_REQUIRE_CORPUS=1 makes its absence fatal)\n\
                 \x20      cargo xtask bench   time unpst convert against readpst -D -r on every corpus file"
            );
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
