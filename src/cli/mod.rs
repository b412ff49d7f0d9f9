//! Command-line interface: thin wrappers over [`unpst::convert`] and the reader.

use clap::{Parser, Subcommand};

/// Prints a line to stdout; a closed pipe (`unpst inspect … | head`) is not an error.
macro_rules! out {
    ($($arg:tt)*) => {{
        let mut o = std::io::stdout().lock();
        if writeln!(o, $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}
use std::io::Write;
mod account;
mod batch;
mod convert;
mod error;
mod inspect;
mod oauth;
mod oversize;
mod summary;
mod term;
mod upload;
use error::CliError;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use summary::print_summary;
use unpst::convert::{Options, Progress};
use unpst::pst::Pst;
use unpst::sink::DirTree;

/// Get your mail out of Outlook PST and OST files — privately, on your own machine.
///
/// unpst reads the file itself (no Outlook needed) and writes standard formats any mail
/// program imports: one mbox file per folder (Thunderbird layout) and/or one .eml file per
/// message, with a report of everything converted or skipped.
#[derive(Parser)]
#[command(
    name = "unpst",
    version,
    about,
    long_about,
    after_long_help = "Examples:\n  \
    unpst inspect Outlook.pst\n  \
    unpst convert Outlook.pst -o mail                  # mail/mbox/Inbox, mail/mbox/Inbox.sbd/…\n  \
    unpst convert Outlook.pst -o mail --format mbox,eml\n  \
    unpst convert Outlook.pst --zip mail.zip\n  \
    unpst convert Outlook.pst --thunderbird ~/.thunderbird/PROFILE/Mail/\"Local Folders\"\n  \
    unpst convert *.pst -o mail                        # mail/Alice.pst/…, mail/Bob.pst/…\n  \
    unpst upload Outlook.pst --imap imaps://me%40example.org@imap.example.org\n\n\
Exit status: 0 all converted; 1 converted, but some items, folders or parts of the file were\n\
unreadable (listed in the summary and report.json); 2 the file (or, of several, one of them)\n\
could not be opened."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what a PST/OST holds: format, encryption, folder tree with item and unread counts.
    Inspect {
        /// The .pst or .ost file.
        file: PathBuf,
        /// Print machine-readable JSON instead of a tree.
        #[arg(long)]
        json: bool,
        /// Also count the deleted and older items `convert --recover` would bring back
        /// (reads the whole file).
        #[arg(long)]
        recover: bool,
    },
    /// Convert every folder to mbox (one file per folder) and/or EML (one file per message).
    ///
    /// Output layout: DIR/mbox/Inbox, DIR/mbox/Inbox.sbd/Sub (Thunderbird / ImportExportTools),
    /// DIR/eml/Inbox/00001 Subject.eml, DIR/contacts/Contacts.vcf (vCard 4.0),
    /// DIR/calendar/Calendar.ics (iCalendar), DIR/signatures/<account>/Signature 1.html (and
    /// .txt, and thunderbird-user.js), and DIR/report.json listing what was converted or
    /// skipped and why, and the accounts the sent mail went out from.
    ///
    /// Several files (`unpst convert *.pst -o DIR`): each goes to DIR/<its file name>/, two at
    /// a time, with one summary; a file that cannot be opened is reported and the others go
    /// on.
    Convert {
        /// The .pst or .ost file(s).
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Output directory (created if missing).
        #[arg(
            short,
            long,
            required_unless_present_any = ["zip", "thunderbird"],
            conflicts_with_all = ["zip", "thunderbird"]
        )]
        output: Option<PathBuf>,
        /// Formats to write, comma-separated: mbox, eml (mail), vcf (contacts and lists),
        /// ics (appointments, tasks, journal), signatures (found in the sent mail).
        #[arg(long, default_value = "mbox,vcf,ics,signatures", value_delimiter = ',')]
        format: Vec<String>,
        /// Write everything into this zip file instead of a directory.
        #[arg(long, conflicts_with = "thunderbird")]
        zip: Option<PathBuf>,
        /// Put the mail straight into Thunderbird: give its profile's "Local Folders"
        /// directory (…/Mail/Local Folders). The folders go under a new top folder named
        /// after the PST (nothing there is changed), which Thunderbird shows after a restart.
        /// Mail only: contacts, calendars and signatures need -o or --zip.
        #[arg(long, value_name = "LOCAL_FOLDERS")]
        thunderbird: Option<PathBuf>,
        /// Also recover deleted and older items that no folder lists any more (read from the
        /// file's freed space, each checked as a whole message) into a separate top-level
        /// folder "Recovered items", each marked with an X-Unpst-Recovered header. Reads the
        /// whole file once more.
        #[arg(long)]
        recover: bool,
        /// Convert this many folders at once into a directory (each on a thread of its own,
        /// reading the file itself). Default: the number of cores, at most 2; 1 converts
        /// folder after folder. The files written are the same either way.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=16))]
        threads: Option<u8>,
        /// No progress bar.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Upload the mail folders into an IMAP account, keeping folders, flags and dates.
    ///
    /// Resumable: Message-IDs already in a folder are skipped, so running it again after an
    /// interruption adds only what is missing. Afterwards every folder is verified (count and
    /// Message-IDs on the server against the PST) and the result printed.
    ///
    /// Inbox goes to INBOX; Sent Items, Deleted Items, Junk E-mail and Drafts (also by their
    /// localized names) go to the server's own Sent / Trash / Junk / Drafts folders.
    #[command(after_long_help = "Examples:\n  \
    unpst upload Outlook.pst --imap imaps://me%40example.org@imap.example.org --dry-run\n  \
    MAILPW=… unpst upload Outlook.pst --imap imaps://me@imap.example.org --password-env MAILPW\n  \
    unpst upload Outlook.pst --imap imaps://me@host --under \"Old PST\" --folders Inbox,\"Sent Items\"")]
    Upload(Box<upload::Args>),
    /// Export the e-mail signatures: found in the PST's sent mail, and/or read from an
    /// Outlook signatures folder (%APPDATA%\\Microsoft\\Signatures, copied from the old PC).
    ///
    /// Writes OUTDIR/signatures/<account or name>/<name>.html (images inlined) and .txt, and
    /// OUTDIR/signatures/thunderbird-user.js with the preference lines for Thunderbird.
    Signatures {
        /// The .pst or .ost file (optional with --from).
        file: Option<PathBuf>,
        /// An Outlook signatures folder (<name>.htm with <name>_files, <name>.txt).
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
        /// Output directory.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Serve the page on this machine and let it upload to IMAP through this program.
    ///
    /// Browsers cannot speak IMAP; the page converts the PST itself and hands the messages to
    /// the relay over a WebSocket on the same origin. The relay listens on loopback only and
    /// prints an address with a secret token (in the part after #, which never leaves the
    /// browser): only a page opened from that address can use it.
    Relay {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Loopback address to bind (127.0.0.1 or ::1); anything else is refused.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// The page's directory (www/ with the built pkg/); default: ./www if present.
        #[arg(long, value_name = "DIR")]
        www: Option<PathBuf>,
        /// Trust this CA certificate (PEM) for IMAP servers, in addition to the public roots.
        #[arg(long, value_name = "PEM")]
        ca_file: Option<PathBuf>,
        /// Let the page use imap:// without TLS (only for a server on this machine).
        #[arg(long)]
        allow_plaintext: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Inspect {
            file,
            json,
            recover,
        } => inspect::inspect(&file, json, recover),
        Command::Convert {
            files,
            output,
            format,
            zip,
            thunderbird,
            recover,
            threads,
            quiet,
        } => match Options::from_formats(&format).map_err(CliError::Usage) {
            Err(e) => Err(e),
            Ok(opts) => {
                let opts = Options { recover, ..opts };
                match files.as_slice() {
                    [file] if thunderbird.is_some() => {
                        let local = thunderbird.unwrap_or_default();
                        convert::into_thunderbird(file, &local, recover, quiet)
                    }
                    _ if thunderbird.is_some() => Err(CliError::Usage(
                        "--thunderbird takes one file at a time".into(),
                    )),
                    [file] => convert::run_convert(file, output, &opts, zip, threads, quiet),
                    _ if zip.is_some() => Err(CliError::Usage(
                        "--zip takes one file; for several, give an output directory with -o DIR"
                            .into(),
                    )),
                    _ => batch::run(&files, output, &opts, threads),
                }
            }
        },
        Command::Upload(args) => upload::run(*args),
        Command::Signatures { file, from, output } => signatures(file, from, output),
        Command::Relay {
            port,
            bind,
            www,
            ca_file,
            allow_plaintext,
        } => relay(port, bind, www, ca_file, allow_plaintext),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("unpst: {}", term::escape(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

fn signatures(
    file: Option<PathBuf>,
    from: Option<PathBuf>,
    output: PathBuf,
) -> Result<ExitCode, CliError> {
    if file.is_none() && from.is_none() {
        return Err(CliError::Usage(
            "give a PST file, a signatures folder with --from DIR, or both".into(),
        ));
    }
    let mut sigs = Vec::new();
    if let Some(f) = &file {
        let pst = open(f)?;
        let (found, accounts) = unpst::signatures::from_pst(&pst)?;
        for a in &accounts {
            out!(
                "sent from: {} {} ({} messages)",
                term::escape(&a.address),
                term::escape(&a.name),
                a.sent
            );
        }
        sigs.extend(found);
    }
    if let Some(dir) = &from {
        sigs.extend(unpst::signatures::from_folder(dir).map_err(|e| CliError::at(dir, e))?);
    }
    let mut sink = DirTree::new(&output)?;
    unpst::signatures::write(&sigs, &mut sink)?;
    sink.finish()?;
    for s in &sigs {
        out!(
            "signature: {}{} — {}{}",
            if s.account.is_empty() {
                String::new()
            } else {
                format!("{} ", term::escape(&s.account))
            },
            term::escape(&s.name),
            if s.html.is_some() {
                "HTML"
            } else {
                "plain text"
            },
            if s.uses > 0 {
                format!(", {} uses", s.uses)
            } else {
                String::new()
            }
        );
    }
    if sigs.is_empty() {
        out!("no signature found");
    } else {
        out!("→ {}", term::path(&output.join("signatures")));
    }
    Ok(ExitCode::SUCCESS)
}

fn relay(
    port: u16,
    bind: std::net::IpAddr,
    www: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    allow_plaintext: bool,
) -> Result<ExitCode, CliError> {
    let www = www.or_else(|| {
        let here = PathBuf::from("www");
        here.join("index.html").is_file().then_some(here)
    });
    let r = unpst::relay::Relay::bind(unpst::relay::Config {
        bind,
        port,
        www: www.clone(),
        ca_file,
        allow_plaintext,
        limits: Default::default(),
    })?;
    // Not `out!`: a closed stdout must not stop a running relay.
    let mut o = std::io::stdout();
    let _ = writeln!(o, "unpst relay: open {}", r.url());
    if www.is_none() {
        let _ = writeln!(
            o,
            "  (no page here: start it with --www DIR; the WebSocket still works)"
        );
    }
    if !r.missing.is_empty() {
        // The page's module is built by `cargo xtask serve`; without it the page cannot run.
        let _ = writeln!(
            o,
            "  (not built yet, so not served: {}; `cargo xtask serve` builds them)",
            r.missing.join(", ")
        );
    }
    let _ = writeln!(
        o,
        "  only this address (with its token) can upload; Ctrl-C stops the relay"
    );
    let _ = o.flush();
    r.serve();
    Ok(ExitCode::SUCCESS)
}

/// Opens the input. Anything but a regular file or a block device is refused at once: a FIFO
/// or a terminal would block the open or the first read, a directory or /dev/null has no PST.
pub(crate) fn open(file: &Path) -> Result<Pst, CliError> {
    let f = open_file(file)?;
    let src = unpst::source::FileSource::new(f).map_err(|e| CliError::at(file, e))?;
    Pst::open(Box::new(src)).map_err(|e| CliError::at(file, e))
}

/// The input's file handle, checked as [`open`] says.
pub(crate) fn open_file(file: &Path) -> Result<std::fs::File, CliError> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    // Opening a FIFO for reading waits for a writer unless it is non-blocking.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NONBLOCK);
    let f = o.open(file).map_err(|e| CliError::at(file, e))?;
    let t = f.metadata().map_err(|e| CliError::at(file, e))?.file_type();
    #[cfg(unix)]
    let block = std::os::unix::fs::FileTypeExt::is_block_device(&t);
    #[cfg(not(unix))]
    let block = false;
    if !t.is_file() && !block {
        return Err(CliError::NotAFile {
            path: file.to_path_buf(),
            kind: unpst::sink::safe_fs::describe(t),
        });
    }
    // Regular files and block devices ignore O_NONBLOCK.
    Ok(f)
}

pub(crate) fn progress_line(p: &Progress, secs: f64) -> String {
    let frac = if p.total == 0 {
        1.0
    } else {
        p.done as f64 / p.total as f64
    };
    let width = 30;
    let filled = (frac * width as f64).round() as usize;
    let rate = if secs > 0.0 {
        p.done as f64 / secs
    } else {
        0.0
    };
    let eta = if rate > 0.0 {
        (p.total.saturating_sub(p.done)) as f64 / rate
    } else {
        0.0
    };
    let folder: String = term::escape(&p.folder)
        .chars()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!(
        "[{}{}] {}/{} {:.1} MB {:.0}/s ETA {}:{:02} {:<30}",
        "#".repeat(filled.min(width)),
        "-".repeat(width - filled.min(width)),
        p.done,
        p.total,
        p.bytes as f64 / 1e6,
        rate,
        eta as u64 / 60,
        eta as u64 % 60,
        folder
    )
}

#[cfg(test)]
mod tests {
    /// The progress bar shows folder names from the file: escaped like everything else.
    #[test]
    fn progress_line_escapes_the_folder_name() {
        let p = unpst::convert::Progress {
            done: 1,
            total: 2,
            bytes: 0,
            folder: "In\x1b[2Jbox\u{202e}".into(),
        };
        let line = super::progress_line(&p, 1.0);
        assert!(!line.contains(['\x1b', '\u{202e}']), "{line}");
        assert!(line.contains("In\\x1b[2Jbox\\u{202e}"), "{line}");
    }
}
