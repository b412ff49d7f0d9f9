//! The one conversion API that the CLI, the browser module and the relay call: walk the
//! folders, convert each mail item, write mbox and/or EML trees into a [`TreeSink`], and
//! report everything converted, deferred or skipped.

use crate::error::Result;
use crate::mime;
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
    /// Convert only these folders (by NID); `None` = all.
    pub folders: Option<Vec<u32>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            mbox: true,
            eml: false,
            folders: None,
        }
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

/// Message classes that are mail (notes and their kinds, meeting requests and responses,
/// reports, posts, recalls, sharing invitations). Anything else — contacts, appointments,
/// tasks, notes, journal entries, distribution lists — is deferred to its own format.
const MAIL_CLASSES: [&str; 9] = [
    "ipm.note",
    "ipm.schedule.meeting",
    "ipm.post",
    "ipm.report",
    "report",
    "ipm.outlook.recall",
    "ipm.recall",
    "ipm.sharing",
    "ipm.notification",
];

/// Whether a message class converts to MIME (an empty class is treated as a note).
pub fn is_mail_class(class: &str) -> bool {
    let c = class.trim().to_ascii_lowercase();
    c.is_empty()
        || c == "ipm"
        || MAIL_CLASSES
            .iter()
            .any(|p| c == *p || c.strip_prefix(p).is_some_and(|rest| rest.starts_with('.')))
}

/// Folder paths as written: under the top of the mailbox they start at its children (the
/// top's own messages go to a file named after it); other folders keep their full path.
fn output_path(f: &FolderInfo, ipm_depth: Option<usize>) -> Vec<String> {
    match ipm_depth {
        Some(d) if f.ipm && f.path.len() > d => f.path[d..].to_vec(),
        _ => f.path.clone(),
    }
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

/// Converts the file. `progress` is called after each item; returning `false` cancels.
pub fn convert(
    pst: &Pst,
    sink: &mut dyn TreeSink,
    opts: &Options,
    file_name: &str,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Report> {
    let tree = pst.folder_tree()?;
    let flat = tree.flatten();
    let ipm_depth = flat
        .iter()
        .find(|f| Some(f.nid) == pst.ipm_subtree || (pst.ipm_subtree.is_none() && f.ipm))
        .map(|f| f.path.len() - 1);
    let selected: Vec<&FolderInfo> = flat
        .into_iter()
        .filter(|f| opts.folders.as_ref().is_none_or(|s| s.contains(&f.nid)))
        .collect();
    let mut state = Progress {
        total: selected.iter().map(|f| f.items as u64).sum::<u64>()
            * (opts.mbox as u64 + opts.eml as u64).max(1),
        ..Progress::default()
    };
    let mut totals = Totals::default();
    let mut reports: Vec<FolderReport> = Vec::new();
    let mut cancelled = false;
    let mut layout_mbox = Layout::default();
    let mut layout_eml = Layout::default();

    for f in &selected {
        let mut rep = FolderReport {
            path: f.path.clone(),
            items: f.items,
            converted: 0,
            deferred: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            error: f.error.clone(),
        };
        totals.folders += 1;
        totals.items += f.items;
        let out_path = output_path(f, ipm_depth);
        let ids = if f.items == 0 {
            Vec::new()
        } else {
            match pst.folder(f.nid).and_then(|fo| pst.message_ids(&fo)) {
                Ok(ids) => ids,
                Err(e) => {
                    rep.error = Some(format!("contents table unreadable: {e}"));
                    Vec::new()
                }
            }
        };
        if ids.len() < f.items as usize && rep.error.is_none() {
            rep.error = Some(format!(
                "contents table lists {} items but only {} rows were readable",
                f.items,
                ids.len()
            ));
        }
        let out_path = if out_path.is_empty() {
            vec![pst.display_name.clone()]
        } else {
            out_path
        };
        state.folder = f.path.join("/");
        let formats: Vec<bool> = [opts.mbox.then_some(true), opts.eml.then_some(false)]
            .into_iter()
            .flatten()
            .collect();
        for (pass, &is_mbox) in formats.iter().enumerate() {
            let first = pass == 0;
            let dir = if is_mbox {
                let mut p = vec!["mbox".to_string()];
                p.extend(layout_mbox.folder(&out_path, true));
                p
            } else {
                let mut p = vec!["eml".to_string()];
                p.extend(layout_eml.folder(&out_path, false));
                p
            };
            if is_mbox {
                sink.begin(&dir)?;
            }
            let mut seq = 0u32;
            for &id in &ids {
                let msg = match pst.message(id) {
                    Ok(m) => m,
                    Err(e) => {
                        if first {
                            rep.skipped.push(Skipped {
                                id,
                                subject: String::new(),
                                reason: format!("message unreadable: {e}"),
                            });
                        }
                        continue;
                    }
                };
                let class = msg.class(pst);
                if !is_mail_class(&class) {
                    if first {
                        rep.deferred.push(Deferred { id, class });
                    }
                    continue;
                }
                match mime::convert(pst, &msg) {
                    Ok(m) => {
                        if is_mbox {
                            sink.write(&mbox::entry(&m.envelope_from, m.date, &m.bytes))?;
                        } else {
                            seq += 1;
                            let stem = format!("{seq:05} {}", truncate(&m.subject, 80));
                            let path = layout_eml.file(&dir[1..], &stem, ".eml");
                            let mut full = vec!["eml".to_string()];
                            full.extend(path);
                            sink.begin(&full)?;
                            sink.write(&m.bytes)?;
                            sink.end()?;
                        }
                        state.bytes += m.bytes.len() as u64;
                        if first {
                            rep.converted += 1;
                            totals.bytes += m.bytes.len() as u64;
                            totals.attachments += m.attachments.len() as u32;
                            totals.embedded +=
                                m.attachments.iter().filter(|a| a.embedded).count() as u32;
                            for w in m.warnings {
                                rep.warnings.push(Warning {
                                    id,
                                    subject: m.subject.clone(),
                                    warning: w,
                                });
                            }
                        }
                    }
                    Err(e) => {
                        if first {
                            rep.skipped.push(Skipped {
                                id,
                                subject: msg.subject(pst),
                                reason: e.to_string(),
                            });
                        }
                    }
                }
                state.done += 1;
                if !progress(&state) {
                    cancelled = true;
                    break;
                }
            }
            if is_mbox {
                sink.end()?;
            }
            if cancelled {
                break;
            }
        }
        totals_add(&mut totals, &rep);
        reports.push(rep);
        if cancelled {
            break;
        }
    }
    let h = pst.header();
    Ok(Report {
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

fn totals_add(t: &mut Totals, rep: &FolderReport) {
    t.converted += rep.converted;
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

#[cfg(test)]
mod tests {
    use super::is_mail_class;

    #[test]
    fn mail_classes() {
        for c in [
            "",
            "IPM",
            "IPM.Note",
            "IPM.Note.SMIME",
            "IPM.Schedule.Meeting.Request",
            "REPORT.IPM.Note.NDR",
            "IPM.Post",
        ] {
            assert!(is_mail_class(c), "{c}");
        }
        for c in [
            "IPM.Contact",
            "IPM.DistList",
            "IPM.Appointment",
            "IPM.Task",
            "IPM.StickyNote",
            "IPM.Activity",
            "IPM.Microsoft.ScheduleData.FreeBusy",
            "IPM.Notes",
        ] {
            assert!(!is_mail_class(c), "{c}");
        }
    }
}
