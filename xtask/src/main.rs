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
        && run("cargo", &["test", "--workspace", "--all-targets"])
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let ok = match task.as_str() {
        "test" => test(),
        _ => {
            eprintln!(
                "usage: cargo xtask test    run formatting, lints and every test (the corpus is read from\n\
                 \x20                         ../shared/corpus or $UNPST_CORPUS; UNPST_REQUIRE_CORPUS=1 makes its absence fatal)"
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
