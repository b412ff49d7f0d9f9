//! `unpst upload`: a thin wrapper over [`unpst::sink::imap`].

use super::account::{account_url, connect};
use super::error::CliError;
use super::term::{self, escape};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use unpst::sink::imap::{Server, UploadOptions, Uploader};
use unpst::upload::{self, UploadProgress};

/// `unpst upload`'s arguments.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("account").required(true)))]
pub struct Args {
    /// The .pst or .ost file — or several (an Outlook.pst and its yearly archives): uploaded
    /// one after the other into the same account, folders of the same path into the same
    /// mailbox, a message already there (from another file too) not sent again.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// The account: imaps://USER@HOST[:PORT] (TLS) or imap://USER@HOST[:PORT] (STARTTLS).
    /// Write an @ inside the user name as %40.
    #[arg(long, value_name = "URL", group = "account")]
    pub imap: Option<String>,
    /// The account by its address: Gmail, Microsoft 365 / Outlook.com, iCloud, Yahoo,
    /// Fastmail, GMX and WEB.DE are known (their server, and how they take a sign-in); for
    /// another domain mail.DOMAIN is tried, the usual hosting default.
    #[arg(long, value_name = "ADDRESS", group = "account")]
    pub to: Option<String>,
    /// Read the password from this environment variable (else: prompt, or stdin's first line).
    #[arg(long, value_name = "VAR", conflicts_with_all = ["oauth2_token_env", "oauth2_token_cmd"])]
    pub password_env: Option<String>,
    /// Sign in with an OAuth2 access token from this environment variable instead of a
    /// password (Microsoft 365, Gmail: see docs/oauth.md for getting one).
    #[arg(long, value_name = "VAR", conflicts_with = "oauth2_token_cmd")]
    pub oauth2_token_env: Option<String>,
    /// Sign in with an OAuth2 access token this command prints (its first line); run again
    /// once, for a fresh token, if the server refuses the first.
    #[arg(long, value_name = "COMMAND", conflicts_with = "oauth2")]
    pub oauth2_token_cmd: Option<String>,
    /// Sign in through the browser (OAuth2 with PKCE): microsoft (Microsoft 365,
    /// Outlook.com), google (Gmail), or custom (with --oauth2-authorize-url and
    /// --oauth2-token-url). Needs your own --oauth2-client-id; see docs/oauth.md.
    #[arg(long, value_name = "PROVIDER", conflicts_with_all = ["password_env", "oauth2_token_env"])]
    pub oauth2: Option<String>,
    /// The client id of the app you registered with the provider.
    #[arg(long, value_name = "ID", requires = "oauth2")]
    pub oauth2_client_id: Option<String>,
    /// The environment variable holding the client secret (Google's desktop apps have one).
    #[arg(long, value_name = "VAR", requires = "oauth2")]
    pub oauth2_client_secret_env: Option<String>,
    /// A custom provider's authorization endpoint (https).
    #[arg(long, value_name = "URL", requires = "oauth2")]
    pub oauth2_authorize_url: Option<String>,
    /// A custom provider's token endpoint (https).
    #[arg(long, value_name = "URL", requires = "oauth2")]
    pub oauth2_token_url: Option<String>,
    /// The scope to ask for (default: the provider's IMAP scope).
    #[arg(long, value_name = "SCOPE", requires = "oauth2")]
    pub oauth2_scope: Option<String>,
    /// Also upload deleted and older items found in the file's freed space (see `unpst
    /// convert --recover`) into a folder of their own, "Recovered items".
    #[arg(long)]
    pub recover: bool,
    /// Show where each folder would go and how many messages are there; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Only these folders (paths as `unpst inspect` shows them below the top, e.g.
    /// Inbox/Receipts), each with its subfolders; comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub folders: Vec<String>,
    /// Put everything below this folder on the server (e.g. "Old PST").
    #[arg(long, value_name = "FOLDER")]
    pub under: Option<String>,
    /// Trust this CA certificate (PEM) in addition to the public roots.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Allow imap:// without TLS (only sensible for a server on this machine).
    #[arg(long)]
    pub insecure_plaintext: bool,
    /// Messages per APPEND command (MULTIAPPEND); 1 sends them one at a time.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Where to keep the messages the server refuses as too large (an mbox any mail program
    /// imports), so nothing is lost. Default: <PST name>.too-large.mbox in this directory,
    /// made only if there are such messages.
    #[arg(long, value_name = "FILE")]
    pub too_large: Option<PathBuf>,
    /// Also write the upload and verification report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// One file of the upload: the PST, its folders to send, and where its folders' results
/// start in the upload report (`None`: not reached, the upload was cancelled before).
struct File {
    path: PathBuf,
    pst: unpst::pst::Pst,
    planned: Vec<upload::PlannedFolder>,
    first_folder: Option<usize>,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let mut server = Server::parse(&account_url(&args)?, args.insecure_plaintext)?;
    server.ca_file = args.ca_file.clone();
    // Every file is opened first: one that is no PST stops the run before anything is sent.
    let mut files = Vec::new();
    for path in &args.files {
        let pst = super::open(path)?;
        let planned = chosen(&pst, &args.folders)?;
        files.push(File {
            path: path.clone(),
            pst,
            planned,
            first_folder: None,
        });
    }
    let opts = UploadOptions {
        batch: args.batch.max(1),
        under: args.under.clone(),
        ..UploadOptions::default()
    };
    let mut up = connect(&args, &server, opts)?;
    if args.dry_run {
        return dry_run(&server, up, &files);
    }
    // One mbox for all with --too-large, else one beside each PST's name.
    let mut kept = Vec::new();
    if let Some(path) = &args.too_large {
        kept.push(super::oversize::keep(
            &mut up,
            &args.files[0],
            Some(path.clone()),
        ));
    }
    let start = Instant::now();
    let mut conversion = Vec::new();
    let mut cancelled = false;
    for f in files.iter_mut() {
        if cancelled {
            break;
        }
        if args.too_large.is_none() {
            kept.push(super::oversize::keep(&mut up, &f.path, None));
        }
        f.first_folder = Some(up.report.folders.len());
        let (rep, stopped) = upload_file(&args, &mut up, f, start)?;
        conversion.extend(rep);
        cancelled = stopped;
    }
    let report = up.finish(cancelled)?;
    // Each file's folders under its name; a file the upload never reached is not listed.
    let starts: Vec<(&File, usize)> = (files.iter())
        .filter_map(|f| f.first_folder.map(|i| (f, i)))
        .collect();
    for (k, (f, first)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(report.folders.len(), |n| n.1);
        if files.len() > 1 {
            out!("{}:", term::path(&f.path));
        }
        print_folders(&report.folders[(*first).min(end)..end]);
    }
    kept.iter().for_each(|k| k.say());
    summary(&args, &files, &report, &conversion, start)
}

/// Uploads one file's folders (and, with `--recover`, its recovered items); whether the
/// user cancelled.
fn upload_file(
    args: &Args,
    up: &mut Uploader,
    f: &File,
    start: Instant,
) -> Result<(Vec<unpst::report::FolderReport>, bool), CliError> {
    let show = !args.quiet && std::io::stderr().is_terminal();
    let mut last = Instant::now();
    let mut bar = |p: &UploadProgress| {
        if show && (last.elapsed().as_millis() >= 100 || p.done == p.total) {
            last = Instant::now();
            let line = super::progress_line(
                &unpst::convert::Progress {
                    done: p.done,
                    total: p.total,
                    bytes: p.bytes,
                    folder: p.folder.clone(),
                },
                start.elapsed().as_secs_f64(),
            );
            eprint!("\r{line} {} new", p.appended);
            let _ = std::io::stderr().flush();
        }
        true
    };
    let (mut conversion, mut cancelled) = upload::upload_pst(&f.pst, up, &f.planned, &mut bar)?;
    if args.recover && !cancelled {
        let found = unpst::convert::deleted::find(&f.pst)?;
        let (rep, stopped) = upload::upload_recovered(&f.pst, up, &found, &mut bar)?;
        out!(
            "recovered: {} deleted or older items (of {} found; {} copies of others left out, {} unreadable)",
            found.report.recovered,
            found.report.candidates,
            found.report.duplicates,
            found.report.failed.len()
        );
        conversion.push(rep);
        cancelled = stopped;
    }
    if show {
        eprintln!();
    }
    Ok((conversion, cancelled))
}

/// The PST's mail folders to upload: all, or those named with `--folders` and below them.
fn chosen(pst: &unpst::pst::Pst, names: &[String]) -> Result<Vec<upload::PlannedFolder>, CliError> {
    let mut planned = upload::plan(pst, None)?;
    if !names.is_empty() {
        // A folder given selects it and everything below it.
        planned.retain(|f| {
            let p = f.path.join("/");
            names.iter().any(|want| {
                let want = want.trim_matches('/');
                p == want || p.starts_with(&format!("{want}/"))
            })
        });
        if planned.is_empty() {
            return Err(CliError::Usage(format!(
                "no mail folder matches {} (see `unpst inspect`)",
                escape(&format!("{names:?}"))
            )));
        }
    }
    Ok(planned)
}

/// `--dry-run`: where each folder would go and what the server holds; nothing changes.
fn dry_run(server: &Server, mut up: Uploader, files: &[File]) -> Result<ExitCode, CliError> {
    for file in files {
        dry_run_file(server, &mut up, file)?;
    }
    up.finish(true)?;
    Ok(ExitCode::SUCCESS)
}

/// One file's `--dry-run` listing.
fn dry_run_file(server: &Server, up: &mut Uploader, file: &File) -> Result<(), CliError> {
    let (_, preview) = upload::preview(up, &file.planned)?;
    out!(
        "{} → {} (separator \"{}\"); nothing will be changed:",
        term::path(&file.path),
        escape(&server.display()),
        escape(&up.layout.separator.map(String::from).unwrap_or_default())
    );
    for f in &preview {
        let state = if f.exists {
            format!("exists, {} messages", f.count)
        } else {
            "new".to_string()
        };
        out!(
            "  {:<40} → {:<40} {:>6} items  ({state})",
            escape(&f.path.join("/")),
            escape(&f.mailbox),
            f.items
        );
    }
    Ok(())
}

/// Each folder's outcome on the server.
fn print_folders(folders: &[unpst::sink::imap::FolderUpload]) {
    for f in folders {
        let mark = if f.verified { "verified" } else { "INCOMPLETE" };
        out!(
            "  {:<40} → {:<30} {} messages: {} appended, {} already there; server has {} — {mark}",
            escape(&f.path.join("/")),
            escape(&f.mailbox),
            f.messages,
            f.appended,
            f.present,
            f.server_count
        );
        if let Some(note) = &f.note {
            out!("    {}", escape(note));
        }
        for r in &f.rejected {
            out!(
                "    refused: \"{}\" ({} bytes) — {}",
                escape(&r.subject),
                r.size,
                escape(&r.reason)
            );
        }
        if f.missing_count > 0 {
            out!(
                "    missing on the server: {} (e.g. {})",
                f.missing_count,
                escape(&format!("{:?}", f.missing.first()))
            );
        }
        if f.duplicates > 0 {
            out!("    stored twice on the server: {}", f.duplicates);
        }
        if !f.verified && f.missing_count == 0 && f.duplicates == 0 && f.extra_count > 0 {
            out!(
                "    {} messages the PST does not have, in a folder this upload created",
                f.extra_count
            );
        }
    }
}

/// The problems met on the way and the one-line summary; the exit status (1 unless every
/// message is verified on the server and nothing was skipped or damaged); `--report`.
fn summary(
    args: &Args,
    files: &[File],
    report: &unpst::sink::imap::UploadReport,
    conversion: &[unpst::report::FolderReport],
    start: Instant,
) -> Result<ExitCode, CliError> {
    let skipped: u32 = conversion.iter().map(|f| f.skipped.len() as u32).sum();
    for f in conversion {
        for s in &f.skipped {
            out!(
                "  not converted in {}: \"{}\" — {}",
                escape(&f.path.join("/")),
                escape(&s.subject),
                escape(&s.reason)
            );
        }
        if let Some(e) = &f.error {
            out!("  folder {}: {}", escape(&f.path.join("/")), escape(e));
        }
    }
    // Damage to the file found on the way (rebuilt B-tree pages, a truncation).
    let mut damage = Vec::new();
    for f in files {
        for p in f.pst.file_problems() {
            damage.push(if files.len() > 1 {
                format!("{}: {p}", f.path.display())
            } else {
                p
            });
        }
    }
    for p in &damage {
        out!("  file damage: {}", escape(p));
    }
    if let Some(why) = &report.stopped {
        let planned: u64 = (files.iter().flat_map(|f| &f.planned))
            .map(|p| p.items as u64)
            .sum();
        let done = (report.appended + report.present + report.rejected) as u64;
        out!(
            "stopped: the server kept asking to slow down ({}) after every wait — a limit for the day or the hour; about {} messages not sent yet. Run the same command again later: what arrived is skipped.",
            escape(why),
            planned.saturating_sub(done)
        );
    }
    let folder_errors = conversion.iter().any(|f| f.error.is_some());
    out!(
        "{}: {} messages, {} appended, {} already there, {} refused, {} missing, {} not convertible — {:.1} s — {}",
        escape(&report.server),
        report.messages,
        report.appended,
        report.present,
        report.rejected,
        report.missing,
        skipped,
        start.elapsed().as_secs_f64(),
        if report.verified {
            "every message is on the server"
        } else {
            "NOT everything arrived"
        }
    );
    if let Some(path) = &args.report {
        let json = serde_json::json!({ "files": args.files, "upload": report, "conversion": conversion, "problems": damage });
        // Not followed if it is a link, not opened if it is not a regular file.
        unpst::sink::safe_fs::create_file(path)
            .and_then(|mut f| {
                f.write_all(
                    serde_json::to_string_pretty(&json)
                        .unwrap_or_default()
                        .as_bytes(),
                )
            })
            .map_err(|e| CliError::at(path, e))?;
    }
    Ok(
        if report.verified && skipped == 0 && !folder_errors && damage.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}
