//! What `unpst convert` prints when it is done: the totals, the accounts and signatures
//! found, recovery, and everything lost or worked around.

use super::term;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// What a conversion did: the totals, the accounts and signatures found, and everything
/// lost or worked around.
pub(super) fn print_summary(
    report: &unpst::report::Report,
    name: &str,
    start: Instant,
    dest: &Path,
) {
    let t = &report.totals;
    out!(
        "{}: {} converted, {} contacts and calendar items, {} deferred, {} skipped, {} with warnings — {} folders, {:.1} MB, {:.2} s → {}",
        term::escape(name),
        t.converted,
        t.cards,
        t.deferred,
        t.skipped,
        t.warnings,
        t.folders,
        t.bytes as f64 / 1e6,
        start.elapsed().as_secs_f64(),
        term::path(dest)
    );
    if report.password_protected {
        out!("  {}", unpst::report::PASSWORD_NOTE);
    }
    if let Some(r) = &report.recovery {
        out!(
            "  recovered: {} deleted or older items (of {} found; {} copies of others left out, {} unreadable) → \"{}\"",
            r.recovered,
            r.candidates,
            r.duplicates,
            r.failed.len(),
            unpst::convert::deleted::FOLDER
        );
    }
    for a in &report.accounts {
        out!(
            "  sent from: {} {} ({} messages)",
            term::escape(&a.address),
            term::escape(&a.name),
            a.sent
        );
    }
    for s in &report.signatures {
        out!(
            "  signature: {} {} — {} uses{}",
            term::escape(&s.account),
            term::escape(&s.name),
            s.uses,
            if s.html { ", HTML" } else { ", plain text" }
        );
    }
    if t.placeholders > 0 {
        out!(
            "  {} messages name someone the file gives no address for: written as {}",
            t.placeholders,
            unpst::mime::PLACEHOLDER_ADDRESS
        );
    }
    for p in &report.problems {
        out!("  file damage: {}", term::escape(p));
    }
    for f in &report.folders {
        for s in &f.skipped {
            out!(
                "  skipped in {}: \"{}\" — {}",
                term::escape(&f.path.join("/")),
                term::escape(&s.subject),
                term::escape(&s.reason)
            );
        }
        if let Some(e) = &f.error {
            out!(
                "  folder {}: {}",
                term::escape(&f.path.join("/")),
                term::escape(e)
            );
        }
    }
}
