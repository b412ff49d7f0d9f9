//! The mail passes: one folder written as an mbox file (mboxrd) or as a directory of EML
//! files, or both at once when the EML tree has a sink of its own.

use super::layout::Layout;
use super::walk::{FolderItems, Outcome, record_mail, record_other, truncate};
use super::{Names, Options, Progress};
use crate::error::Result;
use crate::pst::{FolderInfo, Pst};
use crate::report::FolderReport;
use crate::sink::{TreeSink, mbox};

/// One output pass over a folder: the mbox file, or the EML directory.
struct Pass<'a> {
    mbox: bool,
    /// Output directory components under `mbox/` or `eml/`.
    dir: Vec<String>,
    /// The first pass records the folder's report; later ones only write.
    record: bool,
    eml_names: &'a mut Layout,
    /// Which item formats run after (their items are not reported as deferred).
    items: &'a Options,
    /// With a second sink, the mbox pass also writes the EML files, into this directory.
    tee_dir: Vec<String>,
}

/// The mail passes of one folder: its mbox file, then its EML directory — or both in one
/// pass when the EML tree has a sink of its own (`eml_sink`). False when cancelled.
#[allow(clippy::too_many_arguments)]
pub(super) fn mail_passes<'u>(
    pst: &Pst,
    f: &FolderInfo,
    out_path: &[String],
    sink: &mut dyn TreeSink,
    mut eml_sink: Option<&mut (dyn TreeSink + 'u)>,
    opts: &Options,
    names: &mut Names,
    rep: &mut FolderReport,
    state: &mut Progress,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<bool> {
    let tee = opts.mbox && opts.eml && eml_sink.is_some();
    let mut record = true;
    for is_mbox in [true, false] {
        if (is_mbox && !opts.mbox) || (!is_mbox && (!opts.eml || tee)) {
            continue;
        }
        let dir = if is_mbox {
            names.mbox.folder(out_path, true)
        } else {
            names.eml.folder(out_path, false)
        };
        let tee_dir = if tee && is_mbox {
            names.eml.folder(out_path, false)
        } else {
            Vec::new()
        };
        let mut pass = Pass {
            mbox: is_mbox,
            dir,
            record,
            eml_names: &mut names.eml,
            items: opts,
            tee_dir,
        };
        let tee_sink = if tee && is_mbox {
            eml_sink.as_deref_mut()
        } else {
            None
        };
        if !folder_pass(pst, f, sink, tee_sink, &mut pass, rep, state, progress)? {
            return Ok(false);
        }
        record = false;
    }
    Ok(true)
}

/// Writes one folder in one format. Returns `false` when the caller cancelled.
#[allow(clippy::too_many_arguments)]
fn folder_pass<'u>(
    pst: &Pst,
    f: &FolderInfo,
    sink: &mut dyn TreeSink,
    mut tee: Option<&mut (dyn TreeSink + 'u)>,
    pass: &mut Pass,
    rep: &mut FolderReport,
    state: &mut Progress,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<bool> {
    let root = if pass.mbox { "mbox" } else { "eml" };
    let mut file = vec![root.to_string()];
    file.extend(pass.dir.iter().cloned());
    if pass.mbox {
        sink.begin(&file)?;
    }
    let mut items = FolderItems::new(pst, f.nid);
    let mut seq = 0u32;
    let mut keep_going = true;
    for (row, outcome) in items.by_ref() {
        state.done += 1;
        match outcome {
            Outcome::Mail(mut m) => {
                if pass.mbox {
                    let mut out = |b: &[u8]| sink.write(b);
                    let mut entry = mbox::Entry::begin(&m.envelope_from, m.date, &mut out)?;
                    m.bytes.write_to(pst, &mut |b| entry.write(b))?;
                    entry.finish()?;
                    if let Some(t) = tee.as_deref_mut() {
                        seq += 1;
                        let stem = format!("{seq:05} {}", truncate(&m.subject, 80));
                        let mut path = vec!["eml".to_string()];
                        path.extend(pass.eml_names.file(&pass.tee_dir, &stem, ".eml"));
                        write_file(pst, t, &path, &m.bytes)?;
                    }
                } else {
                    seq += 1;
                    let stem = format!("{seq:05} {}", truncate(&m.subject, 80));
                    let mut path = vec![root.to_string()];
                    path.extend(pass.eml_names.file(&pass.dir, &stem, ".eml"));
                    write_file(pst, sink, &path, &m.bytes)?;
                }
                state.bytes += m.bytes.len();
                if pass.record {
                    m.warnings.extend(m.bytes.take_problems());
                    record_mail(rep, row.nid, &m);
                }
            }
            Outcome::Deferred(class) if pass.items.handles(&class) => {}
            // Items no format takes are kept in the EML tree as their properties.
            Outcome::Deferred(class) if crate::items::Kind::of(&class).is_none() => {
                match tee.as_deref_mut() {
                    Some(t) if pass.mbox => keep_as_text(pst, &row, pass, t, &mut seq)?,
                    _ if !pass.mbox => keep_as_text(pst, &row, pass, sink, &mut seq)?,
                    _ => {}
                }
                if pass.record {
                    record_other(rep, &row, Outcome::Deferred(class));
                }
            }
            other if pass.record => record_other(rep, &row, other),
            _ => {}
        }
        if !progress(state) {
            keep_going = false;
            break;
        }
    }
    if pass.record
        && let Some(e) = items.error()
    {
        rep.error.get_or_insert(e);
    }
    if pass.mbox {
        sink.end()?;
    }
    Ok(keep_going)
}

/// One message as a file of its own.
fn write_file(
    pst: &Pst,
    sink: &mut dyn TreeSink,
    path: &[String],
    bytes: &crate::mime::MessageBytes,
) -> Result<()> {
    sink.begin(path)?;
    bytes.write_to(pst, &mut |b| sink.write(b))?;
    sink.end()
}

/// An item no format takes, as a text file of its properties beside the EML files.
fn keep_as_text(
    pst: &Pst,
    row: &crate::pst::messaging::MessageSummary,
    pass: &mut Pass,
    out: &mut dyn TreeSink,
    seq: &mut u32,
) -> Result<()> {
    let Ok(msg) = pst.message(row.nid) else {
        return Ok(());
    };
    *seq += 1;
    let stem = format!("{:05} {}", *seq, truncate(&row.subject, 80));
    let dir = if pass.mbox { &pass.tee_dir } else { &pass.dir };
    let mut path = vec!["eml".to_string()];
    path.extend(pass.eml_names.file(dir, &stem, ".txt"));
    out.begin(&path)?;
    out.write(crate::items::text::describe(pst, &msg).as_bytes())?;
    out.end()
}
