//! The one conversion API that the CLI, the browser module and the relay call: walk the
//! folders, convert each mail item, write mbox and/or EML trees into a [`TreeSink`], and
//! report everything converted, deferred or skipped.
//!
//! By concern: [`layout`] (which folders, under what names), [`walk`] (the one contents-table
//! walker and the per-item report), `mail` (the mbox and EML passes), `cards` (vCard and
//! iCalendar), [`recovery`] (crash hooks for the page).

mod cards;
pub mod deleted;
pub mod layout;
mod mail;
#[cfg(not(target_arch = "wasm32"))]
pub mod parallel;
pub mod recovery;
pub mod walk;

pub use layout::{Selection, output_path, select, writes_files};
pub use recovery::{current_item, enter_item, forget_set_aside, set_aside, simulate_crash_on};
pub use walk::{FolderItems, Outcome, record_mail, record_other};

use crate::error::Result;
use crate::pst::Pst;
use crate::report::{FolderReport, Report, Totals};
use crate::sink::TreeSink;
use layout::Layout;
use mail::MailJob;

/// What to write.
#[derive(Debug, Clone)]
pub struct Options {
    pub mbox: bool,
    pub eml: bool,
    /// Contacts and distribution lists → `contacts/<folder>.vcf`.
    pub vcf: bool,
    /// Appointments, tasks, journal entries → `calendar/<folder>.ics`.
    pub ics: bool,
    /// Signatures found in the sent mail → `signatures/`, and the sending accounts.
    pub signatures: bool,
    /// Convert only these folders (by NID); `None` = all.
    pub folders: Option<Vec<u32>>,
    /// Also look for deleted and older items and write them as "Recovered items".
    pub recover: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            mbox: true,
            eml: false,
            vcf: true,
            ics: true,
            signatures: true,
            folders: None,
            recover: false,
        }
    }
}

impl Options {
    /// The formats named (`mbox`, `eml`, `vcf`, `ics`, `signatures`), as the CLI's
    /// `--format` lists them; an unknown name is refused with the list of known ones.
    pub fn from_formats<S: AsRef<str>>(names: &[S]) -> std::result::Result<Self, String> {
        let mut o = Options {
            mbox: false,
            eml: false,
            vcf: false,
            ics: false,
            signatures: false,
            folders: None,
            recover: false,
        };
        for n in names {
            match n.as_ref().trim().to_ascii_lowercase().as_str() {
                "mbox" => o.mbox = true,
                "eml" => o.eml = true,
                "vcf" => o.vcf = true,
                "ics" => o.ics = true,
                "signatures" => o.signatures = true,
                other => {
                    return Err(format!(
                        "unknown format {other:?} (use any of mbox, eml, vcf, ics, signatures, \
                         comma-separated)"
                    ));
                }
            }
        }
        Ok(o)
    }

    /// Whether an enabled item format takes this message class.
    pub fn handles(&self, class: &str) -> bool {
        crate::items::Kind::of(class)
            .is_some_and(|k| if k.is_vcard() { self.vcf } else { self.ics })
    }
}

/// Where the conversion is, for progress bars.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub bytes: u64,
    pub folder: String,
}

/// Converts the file. `progress` is called after each item; returning `false` cancels.
pub fn convert(
    pst: &Pst,
    sink: &mut dyn TreeSink,
    opts: &Options,
    file_name: &str,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Report> {
    convert_into(pst, sink, None, opts, file_name, progress)
}

/// Like [`convert`]; with a second sink for the EML tree (a directory: files of both trees
/// can be open at once), mbox and EML are written in one pass, each message converted once.
pub fn convert_into(
    pst: &Pst,
    sink: &mut dyn TreeSink,
    eml_sink: Option<&mut dyn TreeSink>,
    opts: &Options,
    file_name: &str,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Report> {
    convert_with(pst, sink, eml_sink, None, opts, file_name, progress)
}

/// Like [`convert_into`] into a directory, the folders' mail passes run on `workers`' threads
/// (each with the file opened again and writers of its own); the rest — names, contacts and
/// calendars, recovery, signatures, the report — on this one, in order. The files written are
/// those [`convert_into`] writes.
#[cfg(not(target_arch = "wasm32"))]
pub fn convert_parallel(
    pst: &Pst,
    sink: &mut dyn TreeSink,
    eml_sink: Option<&mut dyn TreeSink>,
    workers: &parallel::Workers,
    opts: &Options,
    file_name: &str,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Report> {
    convert_with(
        pst,
        sink,
        eml_sink,
        Some(workers),
        opts,
        file_name,
        progress,
    )
}

#[cfg(target_arch = "wasm32")]
mod parallel {
    /// No threads in the page's module.
    pub enum Workers {}
}

fn convert_with(
    pst: &Pst,
    sink: &mut dyn TreeSink,
    mut eml_sink: Option<&mut dyn TreeSink>,
    workers: Option<&parallel::Workers>,
    opts: &Options,
    file_name: &str,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Report> {
    let tee = opts.mbox && opts.eml && eml_sink.is_some();
    let Selection {
        folders: selected,
        top,
    } = select(pst, opts.folders.as_deref())?;
    let passes = opts.mbox as u64 + (opts.eml && !tee) as u64 + (opts.vcf || opts.ics) as u64;
    let mut state = Progress {
        total: selected.iter().map(|f| f.items as u64).sum::<u64>() * passes,
        ..Progress::default()
    };
    let mut totals = Totals::default();
    let mut names = Names::default();
    let mut jobs = plan(&selected, top, opts, &mut names);
    let mut cancelled = false;
    #[cfg_attr(target_arch = "wasm32", allow(unused_mut))] // the threads fill it (native)
    let mut found = Vec::new();
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(w) = workers {
        cancelled = !w.run(&mut jobs, opts, tee, (&mut state, &mut found), progress)?;
        jobs.iter_mut().for_each(|j| j.put_names(&mut names));
    }
    for j in jobs.iter_mut() {
        if cancelled || !j.writes {
            continue;
        }
        if workers.is_none() {
            state.folder = j.folder.clone();
            let nid = j.nid;
            let items = || Box::new(FolderItems::new(pst, nid)) as Box<dyn walk::Items>;
            let tee_sink = eml_sink.as_deref_mut();
            cancelled =
                !mail::mail_passes(pst, &items, j, sink, tee_sink, opts, &mut state, progress)?;
            j.put_names(&mut names);
        }
        if !cancelled && (opts.vcf || opts.ics) {
            let f = &selected[j.index];
            state.folder = j.folder.clone();
            let (cn, en) = (&mut names.cards, opts.eml.then_some(&mut names.eml));
            let (out_path, rep) = (output_path(f, top), &mut j.rep);
            cancelled = !cards::items_pass(
                pst, f, &out_path, sink, opts, cn, en, rep, &mut state, progress,
            )?;
        }
    }
    let mut reports = Vec::with_capacity(jobs.len());
    for j in jobs {
        let rep = j.rep;
        totals.folders += 1;
        totals.items += rep.items;
        totals_add(&mut totals, &rep);
        reports.push(rep);
    }
    let mut recovery = None;
    if opts.recover && !cancelled {
        let done = (&mut reports, &mut totals);
        let (found, stopped) = recovered_pass(
            pst, sink, eml_sink, opts, &mut names, &mut state, progress, done,
        )?;
        (recovery, cancelled) = (Some(found), stopped);
    }
    let mut report = report_of(pst, file_name, reports, totals, cancelled);
    for p in found {
        if !report.problems.contains(&p) {
            report.problems.push(p);
        }
    }
    report.recovery = recovery;
    if opts.signatures && !cancelled {
        signatures_into(pst, sink, &mut report)?;
    }
    Ok(report)
}

/// Every folder's job, its directories named first, in tree order, wherever its passes run.
fn plan(
    selected: &[crate::pst::FolderInfo],
    top: Option<usize>,
    opts: &Options,
    names: &mut Names,
) -> Vec<MailJob> {
    let mut jobs: Vec<MailJob> = selected
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (path, writes) = (output_path(f, top), writes_files(f, top));
            let rep = FolderReport::new(f.path.clone(), f.items, f.error.clone());
            MailJob::new(i, f.nid, rep, &path, writes, opts, names)
        })
        .collect();
    jobs.iter_mut().for_each(|j| j.take_names(names));
    jobs
}

/// Signatures and accounts from the sent mail, whatever folders were chosen.
fn signatures_into(pst: &Pst, sink: &mut dyn TreeSink, report: &mut Report) -> Result<()> {
    let (sigs, accounts) = crate::signatures::from_pst(pst).unwrap_or_default();
    crate::signatures::write(&sigs, sink)?;
    report.accounts = accounts;
    report.signatures = sigs
        .into_iter()
        .map(|s| crate::report::SignatureInfo {
            account: s.account,
            name: s.name,
            html: s.html.is_some(),
            uses: s.uses,
            text: s.text,
        })
        .collect();
    Ok(())
}

/// The "Recovered items" folder: deleted and older items, screened, then written by the mail
/// passes like a folder's ([`deleted`]); its report joins `done` when something came back.
/// Returns what the recovery found, and whether the caller cancelled.
#[allow(clippy::too_many_arguments)]
fn recovered_pass<'u>(
    pst: &Pst,
    sink: &mut dyn TreeSink,
    eml_sink: Option<&mut (dyn TreeSink + 'u)>,
    opts: &Options,
    names: &mut Names,
    state: &mut Progress,
    progress: &mut dyn FnMut(&Progress) -> bool,
    (reports, totals): (&mut Vec<FolderReport>, &mut Totals),
) -> Result<(crate::report::RecoveryReport, bool)> {
    let found = deleted::find(pst)?;
    if found.kept.is_empty() {
        return Ok((found.report, false));
    }
    let kept = &found.kept;
    let tee = opts.mbox && opts.eml && eml_sink.is_some();
    let passes = opts.mbox as u64 + (opts.eml && !tee) as u64 + (opts.vcf || opts.ics) as u64;
    state.total += kept.len() as u64 * passes;
    state.folder = deleted::FOLDER.into();
    let path = vec![deleted::FOLDER.to_string()];
    let rep = FolderReport::new(path.clone(), kept.len() as u32, None);
    let mut job = MailJob::new(0, crate::pst::ndb::Nid::NONE, rep, &path, true, opts, names);
    job.take_names(names);
    let items = || Box::new(found.items(pst)) as Box<dyn walk::Items>;
    let go_on = pst.ndb.reading_freed(&found.rec.freed, || {
        let mut go_on =
            mail::mail_passes(pst, &items, &mut job, sink, eml_sink, opts, state, progress)?;
        job.put_names(names);
        if go_on && (opts.vcf || opts.ics) {
            go_on = cards::pass(
                pst,
                cards::Source::Recovered(kept),
                &path,
                sink,
                opts,
                &mut names.cards,
                opts.eml.then_some(&mut names.eml),
                &mut job.rep,
                state,
                progress,
            )?;
        }
        Ok::<bool, crate::Error>(go_on)
    })?;
    let rep = job.rep;
    totals.folders += 1;
    totals_add(totals, &rep);
    reports.push(rep);
    Ok((found.report, !go_on))
}

/// The name allocators of one conversion, one per output tree.
#[derive(Default)]
struct Names {
    mbox: Layout,
    eml: Layout,
    cards: Layout,
}

/// The report of a conversion: the file's facts and problems, and what each folder gave.
fn report_of(
    pst: &Pst,
    file_name: &str,
    folders: Vec<FolderReport>,
    totals: Totals,
    cancelled: bool,
) -> Report {
    let h = pst.header();
    let name = |v: serde_json::Result<serde_json::Value>| {
        v.ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    Report {
        store: pst.display_name.clone(),
        accounts: Vec::new(),
        signatures: Vec::new(),
        recovery: None,
        file: file_name.to_string(),
        format: name(serde_json::to_value(h.format)),
        encryption: name(serde_json::to_value(h.encryption)),
        ost: h.ost,
        password_protected: pst.password_protected,
        problems: pst.file_problems(),
        folders,
        totals,
        cancelled,
    }
}

fn totals_add(t: &mut Totals, rep: &FolderReport) {
    t.converted += rep.converted;
    t.cards += rep.cards;
    t.bytes += rep.bytes;
    t.attachments += rep.attachments;
    t.embedded += rep.embedded;
    t.placeholders += rep.placeholders;
    t.deferred += rep.deferred.len() as u32;
    t.skipped += rep.skipped.len() as u32;
    t.warnings += rep.warnings.len() as u32;
}

/// Writes the report as `report.json` into the sink.
pub fn write_report(sink: &mut dyn TreeSink, report: &Report) -> Result<()> {
    sink.begin(&["report.json".to_string()])?;
    sink.write(report.to_json().as_bytes())?;
    sink.end()
}
