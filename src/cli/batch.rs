//! `unpst convert A.pst B.pst … -o DIR`: many mailboxes in one run (IT staff moving a
//! department), each into DIR/<its file name>/, as many at a time as there are cores (two
//! at most: each conversion already writes on a thread of its own), with one summary. A file
//! that cannot be opened is reported and the others go on.

use super::error::CliError;
use super::term;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use unpst::convert::Options;

/// How one file went.
enum Outcome {
    Converted { incomplete: bool },
    Failed(String),
}

/// Each file's folder below `out`: its file name, numbered when two files share one.
fn destinations(files: &[PathBuf], out: &Path) -> Vec<PathBuf> {
    let mut taken = std::collections::HashSet::new();
    files
        .iter()
        .map(|f| {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into());
            let mut candidate = name.clone();
            let mut n = 2;
            while !taken.insert(candidate.to_lowercase()) {
                candidate = format!("{name} ({n})");
                n += 1;
            }
            out.join(candidate)
        })
        .collect()
}

pub fn run(
    files: &[PathBuf],
    output: Option<PathBuf>,
    opts: &Options,
    threads: Option<u8>,
) -> Result<ExitCode, CliError> {
    // Files already run side by side: one thread each unless told otherwise.
    let threads = threads.map_or(1, usize::from);
    let out = output.ok_or_else(|| {
        CliError::Usage("with several files, give an output directory with -o DIR".into())
    })?;
    let jobs: Vec<(PathBuf, PathBuf)> = files
        .iter()
        .cloned()
        .zip(destinations(files, &out))
        .collect();
    let next = Mutex::new(jobs.iter().enumerate());
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 2)
        .min(jobs.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let job = next.lock().ok().and_then(|mut it| it.next());
                    let Some((i, (file, dest))) = job else { break };
                    let outcome = convert_one(file, dest, opts, threads);
                    if let Ok(mut r) = results.lock() {
                        r.push((i, outcome));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let (mut ok, mut incomplete, mut failed) = (0, 0, 0);
    for (i, outcome) in &results {
        match outcome {
            Outcome::Converted { incomplete: false } => ok += 1,
            Outcome::Converted { incomplete: true } => incomplete += 1,
            Outcome::Failed(why) => {
                failed += 1;
                let mut e = std::io::stderr().lock();
                let _ = writeln!(
                    e,
                    "unpst: {}: {}",
                    term::path(&jobs[*i].0),
                    term::escape(why)
                );
            }
        }
    }
    out!(
        "{} files: {ok} converted whole, {incomplete} with items or folders lost or worked around \
         (see each summary and report.json), {failed} could not be opened → {}",
        jobs.len(),
        term::path(&out)
    );
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else if incomplete > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Keeps one file's summary lines together when two files end at once.
static PRINT: Mutex<()> = Mutex::new(());

/// One file of the batch, its summary printed when it is done.
fn convert_one(file: &Path, dest: &Path, opts: &Options, threads: usize) -> Outcome {
    match super::convert::convert_file(file, Some(dest.to_path_buf()), None, opts, true, threads) {
        Ok((report, name, start, dest)) => {
            let _whole = PRINT.lock();
            super::print_summary(&report, &name, start, &dest);
            Outcome::Converted {
                incomplete: report.incomplete(),
            }
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}
