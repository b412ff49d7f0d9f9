//! The mail passes: one folder written as an mbox file (mboxrd) or as a directory of EML
//! files, or both at once when the EML tree has a sink of its own.

use super::layout::Layout;
use super::walk::{Items, Outcome, record_mail, record_other, truncate};
use super::{Names, Options, Progress};
use crate::error::Result;
use crate::pst::Pst;
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

/// One folder's mail passes with its output names decided up front, so that they can run on
/// any thread (with a `Pst` and sinks of that thread's own) and name alike wherever they run.
pub(super) struct MailJob {
    /// Where the folder is in the selection.
    pub index: usize,
    pub nid: crate::pst::ndb::Nid,
    /// Its path, for progress.
    pub folder: String,
    /// Whether it gets output files at all ([`super::writes_files`]).
    pub writes: bool,
    mbox_dir: Vec<String>,
    eml_dir: Vec<String>,
    /// The names used in this folder's EML directory, taken out of the conversion's layout
    /// for the time the passes run and put back after ([`MailJob::give_back`]).
    eml_names: Layout,
    pub rep: FolderReport,
}

impl MailJob {
    /// Claims the folder's mbox and EML directory names (when it `writes` and the format is
    /// on); [`MailJob::take_names`] after every job is made.
    pub fn new(
        index: usize,
        nid: crate::pst::ndb::Nid,
        rep: FolderReport,
        out_path: &[String],
        writes: bool,
        opts: &Options,
        names: &mut Names,
    ) -> Self {
        let mbox_dir = if writes && opts.mbox {
            names.mbox.folder(out_path, Some(nid), true)
        } else {
            Vec::new()
        };
        let eml_dir = if writes && opts.eml {
            names.eml.folder(out_path, Some(nid), false)
        } else {
            Vec::new()
        };
        Self {
            index,
            nid,
            folder: rep.path.join("/"),
            writes,
            eml_names: Layout::default(),
            mbox_dir,
            eml_dir,
            rep,
        }
    }

    /// Takes this folder's EML directory names out of the conversion's layout: once every
    /// folder's directory is named (a subfolder's name is claimed in its parent's directory).
    pub fn take_names(&mut self, names: &mut Names) {
        if !self.eml_dir.is_empty() {
            self.eml_names = names.eml.take_dir(&self.eml_dir);
        }
    }

    /// Returns the EML names this job used to the conversion's layout (once done).
    pub fn put_names(&mut self, names: &mut Names) {
        names.eml.put_dir(std::mem::take(&mut self.eml_names));
    }
}

/// The mail passes of one folder: its mbox file, then its EML directory — or both in one
/// pass when the EML tree has a sink of its own (`eml_sink`). False when cancelled.
#[allow(clippy::too_many_arguments)]
pub(super) fn mail_passes<'u, 'p>(
    pst: &'p Pst,
    items: &dyn Fn() -> Box<dyn Items + 'p>,
    job: &mut MailJob,
    sink: &mut dyn TreeSink,
    mut eml_sink: Option<&mut (dyn TreeSink + 'u)>,
    opts: &Options,
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
            job.mbox_dir.clone()
        } else {
            job.eml_dir.clone()
        };
        let tee_dir = if tee && is_mbox {
            job.eml_dir.clone()
        } else {
            Vec::new()
        };
        let mut pass = Pass {
            mbox: is_mbox,
            dir,
            record,
            eml_names: &mut job.eml_names,
            items: opts,
            tee_dir,
        };
        let tee_sink = if tee && is_mbox {
            eml_sink.as_deref_mut()
        } else {
            None
        };
        let rep = &mut job.rep;
        if !folder_pass(pst, items, sink, tee_sink, &mut pass, rep, state, progress)? {
            return Ok(false);
        }
        record = false;
    }
    Ok(true)
}

/// Writes one folder in one format. Returns `false` when the caller cancelled.
#[allow(clippy::too_many_arguments)]
fn folder_pass<'u, 'p>(
    pst: &'p Pst,
    items: &dyn Fn() -> Box<dyn Items + 'p>,
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
    let mut items = items();
    let mut seq = 0u32;
    let mut keep_going = true;
    for (row, outcome) in items.by_ref() {
        state.done += 1;
        // Items no format takes are kept in the EML tree as their properties.
        let eml = !pass.mbox || tee.is_some();
        let outcome = match outcome {
            Outcome::Deferred(class) if eml && crate::items::Kind::of(&class).is_none() => {
                match pst.message(row.nid) {
                    Ok(m) => Outcome::Kept(class, crate::items::text::describe(pst, &m)),
                    Err(_) => Outcome::Deferred(class),
                }
            }
            o => o,
        };
        match outcome {
            Outcome::Mail(mut m) => {
                write_mail(pst, &m, pass, sink, tee.as_deref_mut(), &mut seq)?;
                state.bytes += m.bytes.len();
                if pass.record {
                    m.warnings.extend(m.bytes.take_problems());
                    record_mail(rep, row.nid, &m);
                }
            }
            Outcome::Deferred(class) if pass.items.handles(&class) => {}
            Outcome::Kept(class, text) => {
                match tee.as_deref_mut() {
                    Some(t) if pass.mbox => write_text(t, pass, &mut seq, &row.subject, &text)?,
                    _ if !pass.mbox => write_text(sink, pass, &mut seq, &row.subject, &text)?,
                    _ => {}
                }
                if pass.record {
                    record_other(rep, &row, Outcome::Kept(class, text));
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

/// A text file beside the EML files, numbered in their sequence.
fn write_text(
    out: &mut dyn TreeSink,
    pass: &mut Pass,
    seq: &mut u32,
    subject: &str,
    text: &str,
) -> Result<()> {
    *seq += 1;
    let stem = format!("{:05} {}", *seq, truncate(subject, 80));
    let dir = if pass.mbox { &pass.tee_dir } else { &pass.dir };
    let mut path = vec!["eml".to_string()];
    path.extend(pass.eml_names.file(dir, &stem, ".txt"));
    out.begin(&path)?;
    out.write(text.as_bytes())?;
    out.end()
}

/// A converted message into this pass's file: its mbox entry (and EML file when the pass
/// writes both: from one reading of the message, its attachments read from the PST once),
/// or its EML file.
fn write_mail<'u>(
    pst: &Pst,
    m: &crate::mime::MimeMessage,
    pass: &mut Pass,
    sink: &mut dyn TreeSink,
    tee: Option<&mut (dyn TreeSink + 'u)>,
    seq: &mut u32,
) -> Result<()> {
    let mut eml_path = |dir: &[String], seq: &mut u32| {
        *seq += 1;
        let stem = format!("{:05} {}", *seq, truncate(&m.subject, 80));
        let mut path = vec!["eml".to_string()];
        path.extend(pass.eml_names.file(dir, &stem, ".eml"));
        path
    };
    if !pass.mbox {
        let dir = pass.dir.clone();
        return write_file(pst, sink, &eml_path(&dir, seq), &m.bytes);
    }
    let mut out = |b: &[u8]| sink.write(b);
    let mut entry = mbox::Entry::begin(&m.envelope_from, m.date, &mut out)?;
    match tee {
        Some(t) => {
            let dir = pass.tee_dir.clone();
            t.begin(&eml_path(&dir, seq))?;
            m.bytes.write_parts(pst, &mut |p| {
                entry.write_part(p)?;
                t.write(p.bytes())
            })?;
            t.end()?;
        }
        None => m.bytes.write_parts(pst, &mut |p| entry.write_part(p))?,
    }
    entry.finish()
}
