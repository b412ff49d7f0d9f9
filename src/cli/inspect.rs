//! `unpst inspect`: what a file holds, as text or as the JSON the page shows too.

use super::error::CliError;
use super::{open, term};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use unpst::pst::FolderInfo;

/// `unpst inspect`: the file's format, store and folder tree with counts, and its damage.
pub(super) fn inspect(file: &Path, json: bool, recover: bool) -> Result<ExitCode, CliError> {
    let pst = open(file)?;
    let info = unpst::report::FileInfo::of(&pst, &file.display().to_string())?;
    let recovery = match recover {
        true => Some(unpst::convert::deleted::find(&pst)?.report),
        false => None,
    };
    if json {
        let mut v = serde_json::to_value(&info).map_err(|e| CliError::Other(e.to_string()))?;
        if let Some(r) = &recovery {
            v["recovery"] = serde_json::to_value(r).map_err(|e| CliError::Other(e.to_string()))?;
        }
        let text = serde_json::to_string_pretty(&v).map_err(|e| CliError::Other(e.to_string()))?;
        out!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let (h, tree) = (pst.header(), &info.folders);
    out!("{}", term::path(file));
    out!(
        "  {} {} (wVer {}), encryption: {:?}, store: \"{}\"",
        if h.ost { "OST" } else { "PST" },
        match h.format {
            unpst::pst::Format::Ansi => "ANSI",
            unpst::pst::Format::Unicode => "Unicode",
            unpst::pst::Format::Unicode4k => "Unicode 4K",
        },
        h.version,
        h.encryption,
        term::escape(&pst.display_name)
    );
    if info.password_protected {
        out!("  {}", unpst::report::PASSWORD_NOTE);
    }
    let mut total = 0u64;
    print_tree(tree, 0, false, &mut total);
    out!("  {total} items in all");
    for p in &info.problems {
        out!("  file damage: {}", term::escape(p));
    }
    if let Some(r) = recovery {
        out!(
            "  recoverable: {} deleted or older items (of {} found; {} copies of others, {} unreadable) — convert or upload with --recover",
            r.recovered,
            r.candidates,
            r.duplicates,
            r.failed.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_tree(f: &FolderInfo, depth: usize, parent_ipm: bool, total: &mut u64) {
    *total += f.items as u64;
    let name = if f.path.is_empty() { "(root)" } else { &f.name };
    let mut line = format!("{}{}", "  ".repeat(depth + 1), term::escape(name));
    if f.ipm && !parent_ipm {
        line.push_str("  (top of the mailbox)");
    }
    if f.items > 0 {
        line.push_str(&format!("  [{} items, {} unread]", f.items, f.unread));
    }
    if !f.class.is_empty() {
        line.push_str(&format!("  {}", term::escape(&f.class)));
    }
    if let Some(e) = &f.error {
        line.push_str(&format!("  (error: {})", term::escape(e)));
    }
    out!("{line}");
    for c in &f.children {
        print_tree(c, depth + 1, f.ipm, total);
    }
}
