//! Project tasks: `cargo xtask test` runs every check CI runs, installing what a bare
//! machine lacks (python3 for the independent mail parser check).

mod layers;
mod scale;
mod size;

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

/// `apt-get update` then `apt-get install` of `pkgs` (a bare machine has what the tests need
/// installed this way).
fn apt_install(pkgs: &[&str]) -> bool {
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend_from_slice(pkgs);
    run("apt-get", &["update", "-q"]) && run("apt-get", &args)
}

fn ensure_python() -> bool {
    let python = have("python3") || {
        eprintln!("xtask: python3 missing, installing it with apt-get");
        apt_install(&["python3", "python3-pip"])
    };
    // The independent vCard / iCalendar parsers the item tests read our output with.
    let parsers = || {
        Command::new("python3")
            .args(["-c", "import icalendar, vobject"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    python
        && (parsers()
            || run(
                "python3",
                &["-m", "pip", "install", "--quiet", "icalendar", "vobject"],
            )
            || run(
                "python3",
                &[
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--break-system-packages",
                    "icalendar",
                    "vobject",
                ],
            ))
}

/// Runs a test command, echoing its output, and counts what it reports: cargo's "test result:
/// ok. N passed; M failed" lines and the e2e runner's closing "N passed, M failed" line.
fn run_counted(cmd: &mut Command, label: &str) -> (bool, u64, u64) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    eprintln!("xtask: {label}");
    let mut child = match cmd.stdout(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: cannot run {label}: {e}");
            return (false, 0, 0);
        }
    };
    let (mut passed, mut failed) = (0u64, 0u64);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            let summary = line
                .strip_prefix("test result: ")
                .map(|r| r.split(';').collect::<Vec<_>>())
                .or_else(|| {
                    // The e2e runner's own closing line.
                    (line.ends_with(" failed") && line.contains(" passed, ") && !line.contains(';'))
                        .then(|| line.split(',').collect())
                });
            for part in summary.unwrap_or_default() {
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
    let ok = child.wait().is_ok_and(|s| s.success());
    (ok && failed == 0 && passed > 0, passed, failed)
}

/// The corpus directory, when present.
fn corpus() -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(
        std::env::var("UNPST_CORPUS").unwrap_or_else(|_| "../shared/corpus".into()),
    );
    dir.join("oracle")
        .is_dir()
        .then(|| dir.canonicalize().unwrap_or(dir))
}

/// The page in headless Chromium (Debian's, driven by npm playwright-core), against a server
/// on a free loopback port: installs what a bare machine lacks.
fn e2e() -> (bool, u64, u64) {
    let Some(corpus) = corpus() else {
        if std::env::var("UNPST_REQUIRE_CORPUS").as_deref() == Ok("1") {
            eprintln!("xtask: corpus missing and UNPST_REQUIRE_CORPUS=1");
            return (false, 0, 0);
        }
        let why = "browser tests need the corpus (../shared/corpus or $UNPST_CORPUS)";
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
        return (true, 0, 0);
    };
    // The generator, for a file larger than the page reads whole.
    if !run("cargo", &["build", "--release", "-p", "pstgen"]) {
        return (false, 0, 0);
    }
    let (ok1, p1, f1) = match browser_command("e2e.mjs", &corpus) {
        Some((mut cmd, mut relay)) => {
            let r = run_counted(&mut cmd, "browser end-to-end tests (tests/e2e/e2e.mjs)");
            let _ = relay.kill();
            let _ = relay.wait();
            r
        }
        None => (false, 0, 0),
    };
    // The Blob source in a real dedicated worker (wasm-bindgen-test-runner + chromedriver).
    let (ok2, p2, f2) = run_counted(
        Command::new("cargo")
            .args([
                "test",
                "--target",
                "wasm32-unknown-unknown",
                "--test",
                "wasm_blob",
            ])
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            ),
        "cargo test --target wasm32-unknown-unknown --test wasm_blob (in a dedicated worker)",
    );
    (ok1 && ok2, p1 + p2, f1 + f2)
}

/// Chromium, node and playwright-core, installed when missing.
fn e2e_prerequisites() -> bool {
    let browser = ["/usr/bin/chromium", "/usr/bin/chromedriver"];
    if !browser.iter().all(|p| std::path::Path::new(p).exists())
        && !apt_install(&["chromium", "chromium-driver"])
    {
        return false;
    }
    if !have("node") && !apt_install(&["nodejs", "npm"]) {
        return false;
    }
    let e2e_dir = std::path::Path::new("tests/e2e");
    e2e_dir.join("node_modules/playwright-core").is_dir()
        || Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(e2e_dir)
            .status()
            .is_ok_and(|s| s.success())
}

/// Builds the page and the CLI.
fn build_all() -> bool {
    build_wasm() && run("cargo", &["build", "--release", "--bin", "unpst"])
}

/// Starts `unpst relay` on a free loopback port (it serves `www/`); returns it with the
/// address it printed (`http://127.0.0.1:PORT/#relay=TOKEN`).
fn start_relay(extra: &[&str]) -> Option<(std::process::Child, String)> {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new("target/release/unpst")
        .args(["relay", "--port", "0", "--www", "www"])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| eprintln!("xtask: cannot start the relay: {e}"))
        .ok()?;
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take()?);
    out.read_line(&mut line).ok()?;
    // Keep reading (and discarding) what it prints, so it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = line.trim().rsplit(' ').next()?.to_string();
    Some((child, url))
}

/// The node command that runs `script` of tests/e2e against a relay serving the page.
fn browser_command(
    script: &str,
    corpus: &std::path::Path,
) -> Option<(Command, std::process::Child)> {
    let (relay, url) = start_relay(&[])?;
    let base = url.split('#').next().unwrap_or(&url).to_string();
    let bin = std::fs::canonicalize("target/release/unpst").unwrap_or_default();
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .current_dir("tests/e2e")
        .env("UNPST_URL", base)
        .env("UNPST_CORPUS", corpus)
        .env("UNPST_BIN", bin)
        .env(
            "UNPST_GEN",
            std::fs::canonicalize("target/release/unpst-gen").unwrap_or_default(),
        );
    Some((cmd, relay))
}

/// The page in Chromium against the native CLI on the largest corpus files.
fn bench_web() -> bool {
    let Some(corpus) = corpus() else {
        eprintln!("xtask: bench-web needs the corpus");
        return false;
    };
    if !(e2e_prerequisites() && build_all()) {
        return false;
    }
    let Some((mut cmd, mut relay)) = browser_command("bench.mjs", &corpus) else {
        return false;
    };
    let ok = cmd.status().is_ok_and(|s| s.success());
    let _ = relay.kill();
    let _ = relay.wait();
    ok
}

/// Dovecot (and openssl for its test certificates) for the IMAP tests, and readpst and
/// pffexport, the independent readers the generated-PST tests compare with; installed when
/// missing.
fn ensure_dovecot() -> bool {
    let present = |p: &str| std::path::Path::new(p).exists();
    // openssl has no --version; `openssl version` says it is there.
    let openssl = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if present("/usr/sbin/dovecot")
        && openssl
        && present("/usr/bin/readpst")
        && present("/usr/bin/pffexport")
    {
        return true;
    }
    eprintln!("xtask: installing dovecot-imapd, pst-utils and pff-tools with apt-get");
    apt_install(&["dovecot-imapd", "openssl", "pst-utils", "pff-tools"])
}

/// Cyrus IMAP and Courier-IMAP for the upload tests beside Dovecot: their Debian packages
/// conflict with dovecot-imapd, so `tests/servers/fetch.sh` downloads and unpacks them (no
/// install) into target/imap-servers, which the tests find through `UNPST_IMAP_SERVERS`.
fn ensure_other_imap() -> bool {
    let dir = std::env::current_dir()
        .unwrap_or_default()
        .join("target/imap-servers");
    eprintln!("xtask: Cyrus and Courier for the IMAP tests (tests/servers/fetch.sh)");
    let ok = Command::new("bash")
        .arg("tests/servers/fetch.sh")
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    // SAFETY: no other thread runs yet; every test process is started after this.
    unsafe { std::env::set_var("UNPST_IMAP_SERVERS", &dir) };
    // Without them the tests fail (or, with --allow-skips, say they skipped).
    ok || std::env::var("UNPST_REQUIRE_DOVECOT").as_deref() != Ok("1")
}

/// A check's verdict: each finding printed, with how many under `what`.
fn verdict<T: std::fmt::Display>(name: &str, what: &str, found: Result<Vec<T>, String>) -> bool {
    match found {
        Ok(v) if v.is_empty() => true,
        Ok(v) => {
            for x in &v {
                eprintln!("{x}");
            }
            eprintln!("xtask: {} {what}", v.len());
            false
        }
        Err(e) => {
            eprintln!("xtask: {name}: {e}");
            false
        }
    }
}

/// The layer check (layers.txt): prints every use against it.
fn check_layers() -> bool {
    eprintln!("xtask: layer check (layers.txt)");
    let found = layers::check(std::path::Path::new("."));
    verdict("layer check", "uses against layers.txt", found)
}

/// The size check: functions and files over their limits, each printed.
fn check_size() -> bool {
    eprintln!(
        "xtask: size check (functions ≤ {} lines, files ≤ {} or saying why)",
        size::MAX_FN,
        size::MAX_FILE
    );
    let found = size::check(std::path::Path::new("."));
    verdict("size check", "over the size limits", found)
}

/// `cargo xtask test [--allow-skips]`. By default everything is required — the corpus,
/// Dovecot, Cyrus and Courier, Chromium, readpst and pffexport (installed or unpacked here
/// when missing) — and a test that cannot run fails. `--allow-skips` lets such tests skip,
/// and the summary says how many and why.
fn test(args: &[String]) -> bool {
    let allow_skips = args.iter().any(|a| a == "--allow-skips");
    let skip_log = std::env::current_dir()
        .unwrap_or_default()
        .join("target/skipped.log");
    let _ = std::fs::remove_file(&skip_log);
    let log = skip_log.display().to_string();
    let vars: Vec<(&str, &str)> = if allow_skips {
        vec![("UNPST_SKIP_LOG", &log)]
    } else {
        vec![
            ("UNPST_REQUIRE_CORPUS", "1"),
            ("UNPST_REQUIRE_DOVECOT", "1"),
            ("UNPST_REQUIRE_BROWSER", "1"),
        ]
    };
    for (k, v) in vars {
        // SAFETY: no other thread runs yet; every test process is started after this.
        unsafe { std::env::set_var(k, v) };
    }
    let ok = test_all();
    report_skips(&skip_log);
    ok
}

/// What `--allow-skips` let skip: each reason with its count.
fn report_skips(log: &std::path::Path) {
    let Ok(text) = std::fs::read_to_string(log) else {
        return;
    };
    let mut reasons: std::collections::BTreeMap<&str, u32> = Default::default();
    for line in text.lines() {
        *reasons.entry(line).or_default() += 1;
    }
    let n: u32 = reasons.values().sum();
    println!("{n} tests skipped (--allow-skips):");
    for (why, k) in reasons {
        println!("  {k} × {why}");
    }
}

fn test_all() -> bool {
    let checks = check_layers()
        && check_size()
        && ensure_python()
        && ensure_dovecot()
        && ensure_other_imap()
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
        );
    // The page, the CLI and the browser come first: the relay tests drive the page too.
    // The fuzz targets must keep compiling against the library they fuzz.
    if !(checks && e2e_prerequisites() && build_all() && build_fuzz(false)) {
        return false;
    }
    let (unit_ok, p1, f1) = run_counted(
        Command::new("cargo")
            // Every test binary runs even after one fails: the summary counts them all.
            .args(["test", "--workspace", "--all-targets", "--no-fail-fast"]),
        "cargo test --workspace --all-targets --no-fail-fast",
    );
    let (e2e_ok, p2, f2) = e2e();
    println!("{} passed, {} failed", p1 + p2, f1 + f2);
    unit_ok && e2e_ok
}

/// The fuzz targets (fuzz/fuzz_targets).
const FUZZ_TARGETS: &[&str] = &["pst", "rtf", "relay_head", "relay_command", "imap_response"];

/// Builds every fuzz target. With `coverage`, instrumented for libFuzzer (the flags
/// cargo-fuzz passes, which stable rustc takes; no sanitizer: the code under test is safe
/// Rust, and what we look for is panics, hangs and memory growth).
fn build_fuzz(coverage: bool) -> bool {
    let mut cmd = Command::new("cargo");
    cmd.args(["build", "--manifest-path", "fuzz/Cargo.toml", "--bins"]);
    if coverage {
        // An explicit --target keeps RUSTFLAGS off build scripts and proc macros, which are
        // not linked with libFuzzer.
        cmd.args(["--release", "--target", &host_triple()]).env(
            "RUSTFLAGS",
            "--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
             -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
             -Cllvm-args=-sanitizer-coverage-pc-table \
             -Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks",
        );
    }
    eprintln!("xtask: building the fuzz targets");
    cmd.status().is_ok_and(|s| s.success())
}

/// This machine's target triple (`rustc -vV`).
fn host_triple() -> String {
    Command::new("rustc")
        .arg("-vV")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        })
        .unwrap_or_else(|| "x86_64-unknown-linux-gnu".into())
}

/// Seeds for a target, written under fuzz/target (never into the repository).
fn fuzz_seeds(target: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from("fuzz/target/seeds").join(target);
    let _ = std::fs::create_dir_all(&dir);
    let write = |name: &str, bytes: &[u8]| {
        let _ = std::fs::write(dir.join(name), bytes);
    };
    match target {
        "pst" => {
            // The corpus's small files (copied under fuzz/target, never into the repository).
            if let Some(c) = corpus()
                && let Ok(rd) = std::fs::read_dir(&c)
            {
                for e in rd.flatten() {
                    let p = e.path();
                    let small = e.metadata().is_ok_and(|m| m.is_file() && m.len() <= 300_000);
                    if small && p.extension().is_some_and(|x| x == "pst" || x == "ost") {
                        let _ = std::fs::copy(&p, dir.join(e.file_name()));
                    }
                }
            }
        }
        "rtf" => write(
            "plain",
            b"{\\rtf1\\ansi{\\fonttbl\\f0 Arial;}\\f0 Hello \\b world\\b0\\par}",
        ),
        "relay_head" => {
            write("get", b"GET /app.js?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
            write(
                "upgrade",
                b"GET /relay HTTP/1.1\r\nHost: localhost:8080\r\nOrigin: http://localhost:8080\r\n\
                  Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: unpst.ab\r\n\r\n",
            );
        }
        "relay_command" => {
            write(
                "connect",
                br#"{"op":"connect","imap":"imaps://me@example.org","password":"x","under":"Old"}"#,
            );
            write(
                "map",
                br#"{"op":"map","folders":[{"path":["Inbox"],"special":"inbox","items":3}]}"#,
            );
            write("folder", br#"{"op":"folder","index":0}"#);
        }
        "imap_response" => write(
            "session",
            b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN LITERAL+ SPECIAL-USE LIST-EXTENDED NAMESPACE] hi\r\n\
              U1 OK [CAPABILITY IMAP4rev1 NAMESPACE SPECIAL-USE LIST-EXTENDED] in\r\n\
              * LIST (\\Noselect) \"/\" \"\"\r\nU2 OK done\r\n\
              * NAMESPACE ((\"\" \"/\")) NIL NIL\r\nU3 OK done\r\n\
              * LIST (\\HasNoChildren \\Sent) \"/\" {4}\r\nSent\r\n\
              * LIST () \"/\" \"&ZeVnLIqe-\"\r\nU4 OK done\r\n\
              * 1 FETCH (FLAGS (\\Seen) INTERNALDATE \"02-Jan-2018 03:04:05 +0000\" \
              BODY[HEADER.FIELDS (MESSAGE-ID)] {21}\r\nMessage-ID: <a@b>\r\n\r\n)\r\n",
        ),
        _ => {}
    }
    dir
}

/// `cargo xtask fuzz [SECONDS]`: every target for SECONDS (default 60) each, one after the
/// other; what a target finds is left in fuzz/artifacts/<target>/ and fails the run.
fn fuzz(args: &[String]) -> bool {
    let secs: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(60);
    let only: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    if !build_fuzz(true) {
        return false;
    }
    let mut ok = true;
    for target in FUZZ_TARGETS
        .iter()
        .filter(|t| only.is_empty() || only.contains(t))
    {
        let work = std::path::PathBuf::from("fuzz/corpus").join(target);
        let artifacts = std::path::PathBuf::from("fuzz/artifacts").join(target);
        let _ = std::fs::create_dir_all(&work);
        let _ = std::fs::create_dir_all(&artifacts);
        let seeds = fuzz_seeds(target);
        let max_len = if *target == "pst" { "300000" } else { "65536" };
        let ran = run(
            &format!("fuzz/target/{}/release/{target}", host_triple()),
            &[
                work.to_str().unwrap_or_default(),
                seeds.to_str().unwrap_or_default(),
                &format!("-max_total_time={secs}"),
                &format!("-max_len={max_len}"),
                "-timeout=20",
                "-rss_limit_mb=2048",
                "-print_final_stats=1",
                &format!("-artifact_prefix={}/", artifacts.display()),
            ],
        );
        ok &= ran;
    }
    ok
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
    let installed = present || apt_install(&["pst-utils"]);
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

/// Builds the wasm module into www/pkg (installing wasm-bindgen-cli 0.2.130 if missing).
fn build_wasm() -> bool {
    let have_bindgen = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("0.2.130"));
    let have_target = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"));
    (have_target || run("rustup", &["target", "add", "wasm32-unknown-unknown"]))
        && (have_bindgen
            || run(
                "cargo",
                &["install", "wasm-bindgen-cli", "--version", "0.2.130"],
            ))
        && run(
            "cargo",
            &[
                "build",
                "--release",
                "--lib",
                "--target",
                "wasm32-unknown-unknown",
            ],
        )
        && run(
            "wasm-bindgen",
            &[
                "target/wasm32-unknown-unknown/release/unpst.wasm",
                "--target",
                "web",
                "--out-dir",
                "www/pkg",
                "--no-typescript",
            ],
        )
}

/// Builds the page and the CLI, then runs `unpst relay`: it serves the page on 127.0.0.1
/// (port 8080 unless `--port N`) and prints the address to open. Other arguments go to the
/// relay (`--ca-file PEM`, `--allow-plaintext`).
fn serve(args: &[String]) -> bool {
    if !build_all() {
        return false;
    }
    let mut relay_args: Vec<String> = vec!["relay".into(), "--www".into(), "www".into()];
    if !args.iter().any(|a| a == "--port") {
        relay_args.extend(["--port".to_string(), "8080".to_string()]);
    }
    relay_args.extend(args.iter().cloned());
    eprintln!("xtask: the CLI is at target/release/unpst");
    Command::new("target/release/unpst")
        .args(&relay_args)
        .status()
        .is_ok_and(|s| s.success())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().cloned().unwrap_or_default();
    let ok = match task.as_str() {
        "test" => test(&args[1..]),
        "serve" => serve(&args[1..]),
        "bench" => bench(),
        "bench-web" => bench_web(),
        "bench-scale" => scale::bench_scale(),
        // Starts its own Dovecot (installed if missing), like the IMAP tests.
        "bench-imap" => ensure_dovecot() && run("cargo", &["bench", "--bench", "imap"]),
        "fuzz" => fuzz(&args[1..]),
        "layers" => check_layers() && check_size(),
        _ => {
            eprintln!(
                "usage: cargo xtask serve [--port N]   build the page (wasm) and the CLI, serve page + IMAP relay on 127.0.0.1:8080\n\
                 \x20      cargo xtask test [--allow-skips]  run formatting, lints and every test; all of it is\n\
                 \x20                         required (the corpus from ../shared/corpus or $UNPST_CORPUS, Dovecot,\n\
                 \x20                         Chromium, readpst, pffexport) unless --allow-skips, which counts what skipped\n\
                 \x20      cargo xtask bench   time unpst convert against readpst -D -r on every corpus file\n\
                 \x20      cargo xtask bench-web  time the page (wasm in Chromium) against the native CLI\n\
                 \x20      cargo xtask bench-imap IMAP upload: one at a time, LITERAL+, MULTIAPPEND, python imaplib\n\
                 \x20      cargo xtask fuzz [SECONDS [TARGET..]]  every fuzz target for SECONDS (60) each\n\
                 \x20      cargo xtask layers  the layer check (layers.txt) and the size check\n\
                 \x20      cargo xtask bench-scale generated 100 MB-10 GB PSTs: vs readpst, plain read, page, memory"
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
