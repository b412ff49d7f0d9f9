//! The one conversion API that the CLI, the browser module and the relay call: walk the
//! folders, convert each mail item, write mbox and/or EML trees into a [`TreeSink`], and
//! report everything converted, deferred or skipped.

use crate::error::Result;
use crate::mime;
use crate::pst::messaging::MessageSummary;
use crate::pst::{FolderInfo, Pst};
use crate::report::{Deferred, FolderReport, Report, Skipped, Totals, Warning};
use crate::sink::names::NameSet;
use crate::sink::{TreeSink, mbox};
use std::collections::HashMap;

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
        }
    }
}

impl Options {
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

/// The folders to convert, in tree order, and how deep the top of the mailbox sits.
pub struct Selection {
    /// Each without its children (the tree order is kept).
    pub folders: Vec<FolderInfo>,
    /// Path length of the top of the visible mailbox (the IPM subtree), if found.
    pub top: Option<usize>,
}

/// Reads the folder tree and keeps the chosen folders (by NID; `None` = all).
pub fn select(pst: &Pst, only: Option<&[u32]>) -> Result<Selection> {
    let tree = pst.folder_tree()?;
    let flat = tree.flatten();
    let top = flat
        .iter()
        .find(|f| Some(f.nid) == pst.ipm_subtree || (pst.ipm_subtree.is_none() && f.ipm))
        .map(|f| f.path.len());
    let folders = flat
        .into_iter()
        .filter(|f| only.is_none_or(|s| s.contains(&f.nid)))
        .map(FolderInfo::clone_shallow)
        .collect();
    Ok(Selection { folders, top })
}

/// Folder paths as written: under the top of the mailbox (`top` components deep) they start
/// at its children — `Inbox`, `Inbox.sbd/Sub` — and the top's own messages go to a file named
/// after it; other folders keep their full path from the root.
pub fn output_path(f: &FolderInfo, top: Option<usize>) -> Vec<String> {
    match top {
        Some(d) if f.ipm && f.path.len() > d => f.path[d..].to_vec(),
        Some(_) if f.ipm => vec![f.name.clone()],
        _ => f.path.clone(),
    }
}

/// Whether a folder gets an output file: every folder of the visible mailbox (so the tree
/// keeps its shape) but its top; the top and everything else only when it holds items.
pub fn writes_files(f: &FolderInfo, top: Option<usize>) -> bool {
    let is_top = f.ipm && top.is_some_and(|d| f.path.len() == d);
    !f.path.is_empty() && (f.items > 0 || (f.ipm && !is_top))
}

/// Allocates unique, sanitized names per output directory.
#[derive(Default)]
struct Layout {
    dirs: HashMap<Vec<String>, NameSet>,
    folders: HashMap<Vec<String>, Vec<String>>,
}

impl Layout {
    /// The sanitized path of a folder, as file-system components (mbox uses `.sbd` parents).
    fn folder(&mut self, path: &[String], sbd: bool) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..path.len() {
            let key = path[..=i].to_vec();
            if let Some(done) = self.folders.get(&key) {
                out = done.clone();
                continue;
            }
            let mut parent = out.clone();
            if sbd && let Some(last) = parent.last_mut() {
                last.push_str(".sbd");
            }
            let name = self.dirs.entry(parent.clone()).or_default().claim(
                &path[i],
                "",
                sbd.then_some(".sbd"),
            );
            parent.push(name);
            self.folders.insert(key, parent.clone());
            out = parent;
        }
        out
    }

    fn file(&mut self, dir: &[String], name: &str, ext: &str) -> Vec<String> {
        let n = self
            .dirs
            .entry(dir.to_vec())
            .or_default()
            .claim(name, ext, None);
        let mut p = dir.to_vec();
        p.push(n);
        p
    }
}

/// Contents-table rows are read this many at a time (bounded memory for huge folders).
const PAGE: usize = 512;
/// How many messages ahead the source is told which blocks will be read (see
/// `ByteSource::prefetch`).
const LOOK_AHEAD: usize = 16;

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
    mut eml_sink: Option<&mut dyn TreeSink>,
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
    let mut reports: Vec<FolderReport> = Vec::new();
    let mut cancelled = false;
    let mut mbox_names = Layout::default();
    let mut eml_names = Layout::default();
    let mut card_names = Layout::default();

    for f in selected.iter() {
        let mut rep = FolderReport::new(f.path.clone(), f.items, f.error.clone());
        totals.folders += 1;
        totals.items += f.items;
        let out_path = output_path(f, top);
        if !cancelled && writes_files(f, top) {
            state.folder = f.path.join("/");
            let mut record = true;
            for is_mbox in [true, false] {
                if (is_mbox && !opts.mbox) || (!is_mbox && (!opts.eml || tee)) {
                    continue;
                }
                let dir = if is_mbox {
                    mbox_names.folder(&out_path, true)
                } else {
                    eml_names.folder(&out_path, false)
                };
                let tee_dir = if tee && is_mbox {
                    eml_names.folder(&out_path, false)
                } else {
                    Vec::new()
                };
                let mut pass = Pass {
                    mbox: is_mbox,
                    dir,
                    record,
                    eml_names: &mut eml_names,
                    items: opts,
                    tee_dir,
                };
                let tee_sink = if tee && is_mbox {
                    eml_sink.as_deref_mut()
                } else {
                    None
                };
                cancelled = !folder_pass(
                    pst, f, sink, tee_sink, &mut pass, &mut rep, &mut state, progress,
                )?;
                record = false;
                if cancelled {
                    break;
                }
            }
            if !cancelled && (opts.vcf || opts.ics) {
                cancelled = !items_pass(
                    pst,
                    f,
                    &out_path,
                    sink,
                    opts,
                    &mut card_names,
                    opts.eml.then_some(&mut eml_names),
                    &mut rep,
                    &mut state,
                    progress,
                )?;
            }
        }
        totals_add(&mut totals, &rep);
        reports.push(rep);
    }
    // Signatures and accounts come from the sent mail, whatever folders were chosen.
    let (sigs, accounts) = if opts.signatures && !cancelled {
        let (sigs, accounts) = crate::signatures::from_pst(pst).unwrap_or_default();
        crate::signatures::write(&sigs, sink)?;
        (sigs, accounts)
    } else {
        (Vec::new(), Vec::new())
    };
    let h = pst.header();
    Ok(Report {
        store: pst.display_name.clone(),
        accounts,
        signatures: sigs
            .into_iter()
            .map(|s| crate::report::SignatureInfo {
                account: s.account,
                name: s.name,
                html: s.html.is_some(),
                uses: s.uses,
                text: s.text,
            })
            .collect(),
        file: file_name.to_string(),
        format: serde_json::to_value(h.format)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        encryption: serde_json::to_value(h.encryption)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        ost: h.ost,
        problems: pst
            .problems
            .iter()
            .chain(pst.ndb.problems.borrow().iter())
            .cloned()
            .collect(),
        folders: reports,
        totals,
        cancelled,
    })
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
            Outcome::Mail(m) => {
                if pass.mbox {
                    mbox::write_entry(&m.envelope_from, m.date, &m.bytes, &mut |b| {
                        sink.write(b).map_err(std::io::Error::other)
                    })?;
                    if let Some(t) = tee.as_deref_mut() {
                        seq += 1;
                        let stem = format!("{seq:05} {}", truncate(&m.subject, 80));
                        let mut path = vec!["eml".to_string()];
                        path.extend(pass.eml_names.file(&pass.tee_dir, &stem, ".eml"));
                        t.begin(&path)?;
                        t.write(&m.bytes)?;
                        t.end()?;
                    }
                } else {
                    seq += 1;
                    let stem = format!("{seq:05} {}", truncate(&m.subject, 80));
                    let mut path = vec![root.to_string()];
                    path.extend(pass.eml_names.file(&pass.dir, &stem, ".eml"));
                    sink.begin(&path)?;
                    sink.write(&m.bytes)?;
                    sink.end()?;
                }
                state.bytes += m.bytes.len() as u64;
                if pass.record {
                    record_mail(rep, row.nid, &m);
                }
            }
            Outcome::Deferred(class) if pass.items.handles(&class) => {}
            other if pass.record => record_other(rep, &row, other),
            _ => {}
        }
        if !progress(state) {
            keep_going = false;
            break;
        }
    }
    if pass.record
        && let Some(e) = items.error.take()
    {
        rep.error.get_or_insert(e);
    }
    if pass.mbox {
        sink.end()?;
    }
    Ok(keep_going)
}

/// What became of one contents-table row.
pub enum Outcome {
    Mail(Box<mime::MimeMessage>),
    /// Not mail: kept for the contacts / calendar formats (the message class).
    Deferred(String),
    /// Unreadable or unconvertible (the reason).
    Skipped(String),
}

/// The items of one folder, converted one at a time: contents-table rows are read a page
/// at a time, so memory stays bounded however large the folder. Every consumer — the
/// mbox and EML passes, IMAP upload, the page — walks folders with this.
pub struct FolderItems<'a> {
    pst: &'a Pst,
    folder: Option<crate::pst::messaging::Folder>,
    rows_total: usize,
    start: usize,
    /// One past the last row to read.
    end: usize,
    page: std::collections::VecDeque<MessageSummary>,
    /// The first problem reading the folder or its table (its rows are then missing).
    pub error: Option<String>,
}

impl<'a> FolderItems<'a> {
    pub fn new(pst: &'a Pst, nid: u32) -> Self {
        let (folder, error) = match pst.folder(nid) {
            Ok(fo) => (Some(fo), None),
            Err(e) => (None, Some(format!("folder unreadable: {e}"))),
        };
        let rows_total = folder
            .as_ref()
            .and_then(|fo| fo.contents.as_ref())
            .map_or(0, |t| t.row_count());
        Self {
            pst,
            folder,
            rows_total,
            start: 0,
            end: rows_total,
            page: Default::default(),
            error,
        }
    }
}

impl FolderItems<'_> {
    /// Only rows `start..start + count`, without reading the others (the page converts a
    /// folder a few rows per call; an unreadable row block never shifts the window).
    pub fn rows(mut self, start: usize, count: usize) -> Self {
        self.start = start;
        self.end = start.saturating_add(count).min(self.rows_total);
        self
    }
}

impl Iterator for FolderItems<'_> {
    type Item = (MessageSummary, Outcome);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.page.pop_front() {
                // A slow source reads ahead, in two steps: the blocks of the message
                // LOOK_AHEAD rows on, and what the one half as far points at (its blocks
                // are read by now).
                if let Some(next) = self.page.get(LOOK_AHEAD - 1) {
                    self.pst.ndb.hint_nodes(&[next.nid]);
                }
                if let Some(next) = self.page.get(LOOK_AHEAD / 2 - 1) {
                    self.pst.ndb.hint_children(next.nid);
                }
                let outcome = convert_one(self.pst, &row);
                return Some((row, outcome));
            }
            let fo = self.folder.as_ref()?;
            if self.start >= self.end {
                return None;
            }
            let start = self.start;
            let n = PAGE.min(self.end - start);
            self.start += n;
            match self.pst.summaries(fo, start, n) {
                Ok(rows) => {
                    let nids: Vec<u32> = rows.iter().map(|r| r.nid).collect();
                    self.pst.ndb.hint_nodes(&nids[..nids.len().min(LOOK_AHEAD)]);
                    for &nid in nids.iter().take(LOOK_AHEAD / 2) {
                        self.pst.ndb.hint_children(nid);
                    }
                    self.page = rows.into();
                }
                Err(e) => {
                    // One unreadable block of the row matrix: report its rows, go on.
                    self.error.get_or_insert(format!(
                        "contents table rows {start}..{} unreadable: {e}",
                        start + n
                    ));
                }
            }
        }
    }
}

/// Writes a folder's contacts to `contacts/<folder>.vcf` and its appointments, tasks and
/// journal entries to `calendar/<folder>.ics`: one file each, only when there are such
/// items. Returns `false` when the caller cancelled.
#[allow(clippy::too_many_arguments)]
fn items_pass(
    pst: &Pst,
    f: &FolderInfo,
    out_path: &[String],
    sink: &mut dyn TreeSink,
    opts: &Options,
    names: &mut Layout,
    mut eml_names: Option<&mut Layout>,
    rep: &mut FolderReport,
    state: &mut Progress,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<bool> {
    use crate::items::{Kind, ical, vcard};
    let card = |msg: &crate::pst::Message, kind: Kind| {
        if kind == Kind::DistList {
            vcard::dist_list(pst, msg)
        } else {
            vcard::contact(pst, msg)
        }
    };
    let Ok(folder) = pst.folder(f.nid) else {
        // Already reported by the mail passes (or, alone, unreadable either way).
        state.done += f.items as u64;
        return Ok(true);
    };
    let rows_total = folder.contents.as_ref().map_or(0, |t| t.row_count());
    for cards in [true, false] {
        if (cards && !opts.vcf) || (!cards && !opts.ics) {
            continue;
        }
        let (root, ext) = if cards {
            ("contacts", ".vcf")
        } else {
            ("calendar", ".ics")
        };
        let mut open = false;
        let mut cal = ical::CalendarState::default();
        // Cards also go one per file into the EML tree, after the folder's .vcf.
        let mut singles: Vec<(u32, String, Kind)> = Vec::new();
        let mut start = 0;
        let mut cancelled = false;
        'rows: while start < rows_total {
            let rows = pst.summaries(&folder, start, PAGE).unwrap_or_default();
            start += PAGE;
            for row in rows {
                // Progress counts each row once: in the last sub-pass that runs.
                if cards != opts.ics {
                    state.done += 1;
                }
                let Some(kind) = Kind::of(&row.class).filter(|k| k.is_vcard() == cards) else {
                    continue;
                };
                if let Some(reason) = enter_item(row.nid) {
                    rep.skipped.push(Skipped {
                        id: row.nid,
                        subject: row.subject.clone(),
                        reason,
                    });
                    continue;
                }
                let text = match pst.message(row.nid) {
                    Ok(msg) => match kind {
                        Kind::Contact | Kind::DistList => card(&msg, kind),
                        Kind::Appointment => ical::event(pst, &msg, &mut cal),
                        Kind::Task => ical::task(pst, &msg),
                        Kind::Journal => ical::journal(pst, &msg),
                    },
                    Err(e) => {
                        rep.skipped.push(Skipped {
                            id: row.nid,
                            subject: row.subject.clone(),
                            reason: format!("item unreadable: {e}"),
                        });
                        continue;
                    }
                };
                if !open {
                    let parent = &out_path[..out_path.len().saturating_sub(1)];
                    let dir = if parent.is_empty() {
                        Vec::new()
                    } else {
                        names.folder(parent, false)
                    };
                    let leaf = out_path.last().map_or("items", String::as_str);
                    let mut path = vec![root.to_string()];
                    path.extend(names.file(&dir, leaf, ext));
                    sink.begin(&path)?;
                    if !cards {
                        sink.write(ical::begin().as_bytes())?;
                    }
                    open = true;
                }
                sink.write(text.as_bytes())?;
                if cards && eml_names.is_some() {
                    singles.push((row.nid, row.subject.clone(), kind));
                }
                rep.cards += 1;
                state.bytes += text.len() as u64;
                if !progress(state) {
                    cancelled = true;
                    break 'rows;
                }
            }
        }
        if open {
            if !cards {
                sink.write(ical::end().as_bytes())?;
            }
            sink.end()?;
        }
        if cancelled {
            return Ok(false);
        }
        if let Some(eml) = eml_names.as_deref_mut().filter(|_| !singles.is_empty()) {
            let dir = eml.folder(out_path, false);
            for (i, (nid, name, kind)) in singles.into_iter().enumerate() {
                let Ok(msg) = pst.message(nid) else { continue };
                let stem = format!("{:05} {}", i + 1, truncate(&name, 80));
                let mut path = vec!["eml".to_string()];
                path.extend(eml.file(&dir, &stem, ".vcf"));
                sink.begin(&path)?;
                sink.write(card(&msg, kind).as_bytes())?;
                sink.end()?;
            }
        }
    }
    Ok(progress(state))
}

/// Counts a converted message into its folder's report.
pub fn record_mail(rep: &mut FolderReport, id: u32, m: &mime::MimeMessage) {
    rep.converted += 1;
    rep.bytes += m.bytes.len() as u64;
    rep.attachments += m.attachments.len() as u32;
    rep.embedded += m.attachments.iter().filter(|a| a.embedded).count() as u32;
    rep.warnings.extend(m.warnings.iter().map(|w| Warning {
        id,
        subject: m.subject.clone(),
        warning: w.clone(),
    }));
}

/// Records a deferred or skipped item into its folder's report.
pub fn record_other(rep: &mut FolderReport, row: &MessageSummary, outcome: Outcome) {
    match outcome {
        Outcome::Deferred(class) => rep.deferred.push(Deferred { id: row.nid, class }),
        Outcome::Skipped(reason) => rep.skipped.push(Skipped {
            id: row.nid,
            subject: row.subject.clone(),
            reason,
        }),
        Outcome::Mail(m) => record_mail(rep, row.nid, &m),
    }
}

// Crash recovery for front ends that cannot catch a panic (in wasm a panic kills the module):
// the item being converted is remembered, so that after a crash the front end can start again
// with that item set aside, reported as skipped with the reason.
thread_local! {
    static CURRENT_ITEM: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static SET_ASIDE: std::cell::RefCell<HashMap<u32, String>> = Default::default();
    static CRASH_ON: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// The item (NID) the converter was working on last.
pub fn current_item() -> u32 {
    CURRENT_ITEM.with(|c| c.get())
}

/// Items to skip from now on in this thread, with the reason the report gives.
pub fn set_aside(nid: u32, reason: String) {
    SET_ASIDE.with(|m| m.borrow_mut().insert(nid, reason));
}

/// Makes converting `nid` panic: lets tests exercise the front ends' crash recovery.
pub fn simulate_crash_on(nid: u32) {
    CRASH_ON.with(|c| c.set(nid));
}

/// Marks `nid` as the item in work; `Some(reason)` when it was set aside. Front ends that
/// convert one item outside [`convert`] (the page's preview) call it too.
pub fn enter_item(nid: u32) -> Option<String> {
    CURRENT_ITEM.with(|c| c.set(nid));
    if let Some(reason) = SET_ASIDE.with(|m| m.borrow().get(&nid).cloned()) {
        return Some(reason);
    }
    if CRASH_ON.with(|c| c.get()) == nid && nid != 0 {
        panic!("simulated crash on item {nid}");
    }
    None
}

/// Converts one contents-table row's message, deferring what is not mail.
fn convert_one(pst: &Pst, row: &MessageSummary) -> Outcome {
    if let Some(reason) = enter_item(row.nid) {
        return Outcome::Skipped(reason);
    }
    // The row names the class: items for later formats are not even opened.
    if !row.class.is_empty() && !crate::pst::messaging::well_known::is_mail_class(&row.class) {
        return Outcome::Deferred(row.class.clone());
    }
    let msg = match pst.message(row.nid) {
        Ok(m) => m,
        Err(e) => return Outcome::Skipped(format!("message unreadable: {e}")),
    };
    let class = msg.class(pst);
    if !crate::pst::messaging::well_known::is_mail_class(&class) {
        return Outcome::Deferred(class);
    }
    match mime::convert(pst, &msg) {
        Ok(m) => Outcome::Mail(Box::new(m)),
        Err(e) => Outcome::Skipped(e.to_string()),
    }
}

fn totals_add(t: &mut Totals, rep: &FolderReport) {
    t.converted += rep.converted;
    t.cards += rep.cards;
    t.bytes += rep.bytes;
    t.attachments += rep.attachments;
    t.embedded += rep.embedded;
    t.deferred += rep.deferred.len() as u32;
    t.skipped += rep.skipped.len() as u32;
    t.warnings += rep.warnings.len() as u32;
}

fn truncate(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.is_empty() {
        return "(no subject)".into();
    }
    s.chars().take(max).collect()
}

/// Writes the report as `report.json` into the sink.
pub fn write_report(sink: &mut dyn TreeSink, report: &Report) -> Result<()> {
    sink.begin(&["report.json".to_string()])?;
    sink.write(report.to_json().as_bytes())?;
    sink.end()
}
