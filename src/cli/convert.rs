//! `unpst convert` of one file: into a directory, a zip, or Thunderbird's Local Folders.

use super::error::CliError;
use super::summary::print_summary;
use super::{open, open_file, progress_line, term};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use unpst::convert::{self, Options, Progress};
use unpst::pst::Pst;
use unpst::sink::background::BackgroundFile;
use unpst::sink::patch::PatchBuffer;
use unpst::sink::{DirTree, ZipTree};
use unpst::source::FileSource;

pub(super) fn run_convert(
    file: &Path,
    output: Option<PathBuf>,
    opts: &Options,
    zip: Option<PathBuf>,
    threads: Option<u8>,
    quiet: bool,
) -> Result<ExitCode, CliError> {
    // By default the folders' mail on as many threads as there are cores, two at most: each
    // adds a reader and writers (≈ 25 MiB), and the disk soon sets the pace.
    let threads = threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
        usize::from,
    );
    let (report, name, start, dest) = convert_file(file, output, zip, opts, quiet, threads)?;
    print_summary(&report, &name, start, &dest);
    // As the README promises: 1 whenever the report lists something lost or worked around.
    Ok(if report.incomplete() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `convert --thunderbird`: the mail under a new top folder of Thunderbird's Local Folders.
pub(super) fn into_thunderbird(
    file: &Path,
    local: &Path,
    recover: bool,
    quiet: bool,
) -> Result<ExitCode, CliError> {
    if !local.is_dir() {
        return Err(CliError::Usage(format!(
            "{}: not a directory; give Thunderbird's Local Folders (in the profile: Mail/Local Folders)",
            local.display()
        )));
    }
    let pst = open(file)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let top = unpst::sink::thunderbird::top_name(&name, &|n| local.join(n).exists());
    let opts = Options {
        recover,
        ..Options::from_formats(&["mbox".to_string()]).map_err(CliError::Usage)?
    };
    let start = Instant::now();
    let mut dir = DirTree::new(local)?;
    let mut sink = unpst::sink::thunderbird::LocalFolders::new(&mut dir, &top)?;
    let show = !quiet && std::io::stderr().is_terminal();
    let mut bar = |p: &Progress| {
        if show {
            eprint!("\r{}", progress_line(p, start.elapsed().as_secs_f64()));
        }
        true
    };
    let report = convert::convert(&pst, &mut sink, &opts, &name, &mut bar)?;
    dir.finish()?;
    if show {
        eprintln!();
    }
    print_summary(&report, &name, start, &local.join(format!("{top}.sbd")));
    println!(
        "Restart Thunderbird: “{}” is then under Local Folders.",
        term::escape(&top)
    );
    Ok(if report.incomplete() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Converts one file into a directory or a zip: its report, its name, when it began, and
/// where it went.
pub(super) fn convert_file(
    file: &Path,
    output: Option<PathBuf>,
    zip: Option<PathBuf>,
    opts: &Options,
    quiet: bool,
    threads: usize,
) -> Result<(unpst::report::Report, String, Instant, PathBuf), CliError> {
    let handle = open_file(file)?;
    let again = || -> unpst::Result<Pst> {
        let src = FileSource::new(handle.try_clone()?)?;
        Pst::open(Box::new(src))
    };
    let pst = again().map_err(|e| CliError::at(file, e))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let show = !quiet && std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut last = Instant::now();
    let mut bar = |p: &Progress| {
        if show && (last.elapsed().as_millis() >= 100 || p.done == p.total) {
            last = Instant::now();
            eprint!("\r{}", progress_line(p, start.elapsed().as_secs_f64()));
            let _ = std::io::stderr().flush();
        }
        true
    };
    let (report, dest) = if let Some(zip_path) = zip {
        // Not followed if it is a link, not opened if it is not a regular file.
        let f =
            unpst::sink::safe_fs::create_file(&zip_path).map_err(|e| CliError::at(&zip_path, e))?;
        // Written on a thread of its own, in pieces of ≥ 256 KiB; the zip's headers are
        // patched in memory where they can be.
        let out = PatchBuffer::new(BackgroundFile::new(f), 256 << 10);
        let mut sink = ZipTree::new(out);
        let report = convert::convert(&pst, &mut sink, opts, &name, &mut bar)?;
        convert::write_report(&mut sink, &report)?;
        // Every byte on disk, or the error that stopped it.
        (sink.finish()?.into_inner())
            .and_then(BackgroundFile::finish)
            .map_err(|e| CliError::at(&zip_path, e))?;
        (report, zip_path)
    } else {
        let out = output.ok_or_else(|| {
            CliError::Usage("give an output directory with -o DIR, or --zip FILE".into())
        })?;
        let mut sink = DirTree::new(&out)?;
        // A second writer for the EML tree: mbox and EML then come from one pass.
        let mut eml = DirTree::new(&out)?;
        let report = if threads > 1 {
            let workers = convert::parallel::Workers {
                count: threads,
                open: &again,
                root: &out,
            };
            convert::convert_parallel(
                &pst,
                &mut sink,
                Some(&mut eml),
                &workers,
                opts,
                &name,
                &mut bar,
            )?
        } else {
            convert::convert_into(&pst, &mut sink, Some(&mut eml), opts, &name, &mut bar)?
        };
        convert::write_report(&mut sink, &report)?;
        sink.finish()?;
        eml.finish()?;
        (report, out)
    };
    if show {
        eprintln!();
    }
    Ok((report, name, start, dest))
}
