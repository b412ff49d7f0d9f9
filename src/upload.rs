//! The upload to IMAP, driven alike by the CLI, the relay and (through the relay) the page:
//! which of a PST's folders go where ([`plan`]), and a PST's folders converted and handed to
//! the IMAP sink's [`Uploader`](crate::sink::imap::Uploader), which skips what the server
//! already holds and verifies each folder.

use crate::convert;
use crate::pst::messaging::Nid;
use crate::pst::messaging::props;
use crate::pst::messaging::well_known::{Special, special_by_name};
use crate::pst::{FolderInfo, Pst};
use serde::Serialize;

/// A mail folder of the PST to upload.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PlannedFolder {
    pub nid: Nid,
    /// Path from the top of the mailbox.
    pub path: Vec<String>,
    pub special: Option<Special>,
    pub items: u32,
}

/// Container classes whose items are not mail (they go to vCard / iCalendar instead).
fn is_mail_folder(f: &FolderInfo) -> bool {
    let c = f.class.to_ascii_lowercase();
    c.is_empty() || c == "ipf" || c.starts_with("ipf.note") || c.starts_with("ipf.imap")
}

/// The PST's mail folders in tree order (the visible mailbox only: no search folders, no
/// contacts or calendars), each with its path and special kind. One folder at most is each
/// kind: the one the store names (Sent Items, Deleted Items), else the first whose name is
/// the kind's; others keep their own names (go-pst-support's store names no Sent Items, and
/// it has "Posta inviata", "Sent" and "Sent Messages": the first is the server's Sent, the
/// others stay themselves rather than become "Sent (2)" and "Sent (3)").
pub fn plan(pst: &Pst, only: Option<&[u32]>) -> crate::Result<Vec<PlannedFolder>> {
    let sel = convert::select(pst, only)?;
    let sent = pst.store_folder(props::IPM_SENTMAIL_ENTRYID);
    let trash = pst.store_folder(props::IPM_WASTEBASKET_ENTRYID);
    // Kinds the store names a folder for: no other folder is taken for them by its name.
    let named = |nid| {
        sel.folders
            .iter()
            .any(|f| Some(f.nid) == nid && f.ipm && !f.search)
    };
    let mut given: Vec<Special> = [(sent, Special::Sent), (trash, Special::Trash)]
        .into_iter()
        .filter(|(nid, _)| named(*nid))
        .map(|(_, s)| s)
        .collect();
    let mut out: Vec<PlannedFolder> = Vec::new();
    for f in &sel.folders {
        if !f.ipm || f.search || !is_mail_folder(f) || !convert::writes_files(f, sel.top) {
            continue;
        }
        let path = convert::output_path(f, sel.top);
        // Subfolders inherit their top folder's kind (Inbox/Sub → INBOX/Sub).
        let special = if path.len() == 1 {
            if Some(f.nid) == sent {
                Some(Special::Sent)
            } else if Some(f.nid) == trash {
                Some(Special::Trash)
            } else {
                special_by_name(&f.name).filter(|s| {
                    let first = !given.contains(s);
                    given.push(*s);
                    first
                })
            }
        } else {
            out.iter()
                .find(|p| p.path.len() == 1 && p.path[0] == path[0])
                .and_then(|p| p.special)
        };
        out.push(PlannedFolder {
            nid: f.nid,
            path,
            special,
            items: f.items,
        });
    }
    Ok(out)
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::PlannedFolder;
    use crate::convert::{self, FolderItems, Outcome};
    use crate::pst::Pst;
    use crate::pst::messaging::well_known::Special;
    use crate::report::FolderReport;
    use crate::sink::imap::{ImapError, ItemMeta, Mapping, Result, Uploader};
    use serde::Serialize;

    /// Where each planned folder goes on the server (nothing is changed).
    pub fn map(up: &Uploader, folders: &[PlannedFolder]) -> Vec<Mapping> {
        let keys: Vec<(Vec<String>, Option<Special>)> = folders
            .iter()
            .map(|f| (f.path.clone(), f.special))
            .collect();
        up.map(&keys)
    }

    /// A planned folder as the user checks it before anything changes.
    #[derive(Debug, Clone, Serialize)]
    pub struct FolderPreview {
        pub path: Vec<String>,
        /// The server's mailbox it goes to (display form).
        pub mailbox: String,
        pub special: Option<Special>,
        /// Whether that mailbox exists already, and how many messages it holds.
        pub exists: bool,
        pub count: u32,
        /// Items in the PST folder.
        pub items: u32,
    }

    /// The mapping and what the server holds already: what `upload --dry-run` prints and
    /// the relay's `map` answers. Returns the mappings too, for the upload that follows.
    pub fn preview(
        up: &mut Uploader,
        folders: &[PlannedFolder],
    ) -> Result<(Vec<Mapping>, Vec<FolderPreview>)> {
        let maps = map(up, folders);
        let mut out = Vec::with_capacity(maps.len());
        for (f, m) in folders.iter().zip(&maps) {
            out.push(FolderPreview {
                path: f.path.clone(),
                mailbox: m.mailbox.clone(),
                special: m.special,
                exists: up.layout.exists(&m.wire),
                count: up.count(&m.wire)?,
                items: f.items,
            });
        }
        Ok((maps, out))
    }

    /// One converted item offered to the uploader (mail), or recorded (the rest); `false`
    /// when `progress` cancels.
    fn offer(
        pst: &Pst,
        up: &mut Uploader,
        row: &crate::pst::messaging::MessageSummary,
        outcome: Outcome,
        rep: &mut FolderReport,
        state: &mut UploadProgress,
        progress: &mut dyn FnMut(&UploadProgress) -> bool,
    ) -> Result<bool> {
        state.done += 1;
        match outcome {
            Outcome::Mail(mut m) => {
                state.bytes += m.bytes.len();
                let meta = ItemMeta::of(row.nid.get(), &m);
                if up.add_message(meta, &m.bytes, pst)? {
                    state.present += 1;
                }
                m.warnings.extend(m.bytes.take_problems());
                convert::record_mail(rep, row.nid, &m);
            }
            other => convert::record_other(rep, row, other),
        }
        state.appended = up
            .report
            .folders
            .iter()
            .map(|f| f.appended as u64)
            .sum::<u64>()
            + up.current().map_or(0, |c| c.appended as u64);
        Ok(progress(state))
    }

    /// Uploads what `--recover` found into a folder of its own, "Recovered items" (below
    /// `--under` when given), like any folder: what the server has is skipped, the folder is
    /// verified after. Returns its conversion report, and whether `progress` cancelled.
    pub fn upload_recovered(
        pst: &Pst,
        up: &mut Uploader,
        found: &convert::deleted::Found,
        progress: &mut dyn FnMut(&UploadProgress) -> bool,
    ) -> Result<(FolderReport, bool)> {
        let planned = PlannedFolder {
            nid: crate::pst::messaging::Nid::NONE,
            path: vec![convert::deleted::FOLDER.to_string()],
            special: None,
            items: found.kept.len() as u32,
        };
        let mut maps = map(up, std::slice::from_ref(&planned));
        let mut rep = FolderReport::new(planned.path.clone(), planned.items, None);
        let Some(m) = maps.pop().filter(|_| !found.kept.is_empty()) else {
            return Ok((rep, false));
        };
        let mut state = UploadProgress {
            total: planned.items as u64,
            folder: m.mailbox.clone(),
            ..UploadProgress::default()
        };
        up.begin_folder(m)?;
        let cancelled = pst
            .ndb
            .reading_freed(&found.rec.freed, || -> Result<bool> {
                for (row, outcome) in found.items(pst) {
                    if !offer(pst, up, &row, outcome, &mut rep, &mut state, progress)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            })?;
        if !cancelled {
            up.end_folder()?;
        }
        Ok((rep, cancelled))
    }

    /// Whether the server's limit stopped the upload (throttled past every wait): then the
    /// report says why, and the upload ends as if cancelled — a rerun resumes. Other errors
    /// stay errors.
    fn stopped_by_limit(up: &mut Uploader, r: Result<()>) -> Result<bool> {
        match r {
            Err(ImapError::Throttled(why)) => {
                up.report.stopped = Some(why);
                Ok(true)
            }
            r => r.map(|()| false),
        }
    }

    /// Where the upload is, for progress bars.
    #[derive(Debug, Clone, Default)]
    pub struct UploadProgress {
        pub done: u64,
        pub total: u64,
        pub bytes: u64,
        pub appended: u64,
        pub present: u64,
        pub folder: String,
    }

    /// Uploads the planned folders of a PST. `progress` returning `false` cancels (what was
    /// appended stays; a rerun adds the rest). Conversion problems land in the returned
    /// folder reports, upload problems in the uploader's report.
    pub fn upload_pst(
        pst: &Pst,
        up: &mut Uploader,
        folders: &[PlannedFolder],
        progress: &mut dyn FnMut(&UploadProgress) -> bool,
    ) -> Result<(Vec<FolderReport>, bool)> {
        let maps = map(up, folders);
        let mut state = UploadProgress {
            total: folders.iter().map(|f| f.items as u64).sum(),
            ..UploadProgress::default()
        };
        let mut reports = Vec::new();
        for (f, map) in folders.iter().zip(maps) {
            state.folder = map.mailbox.clone();
            up.begin_folder(map)?;
            let mut rep = FolderReport::new(f.path.clone(), f.items, None);
            let mut items = FolderItems::new(pst, f.nid);
            for (row, outcome) in items.by_ref() {
                let offered = offer(pst, up, &row, outcome, &mut rep, &mut state, progress);
                let go_on = offered.as_ref().is_ok_and(|go| *go);
                if !go_on {
                    stopped_by_limit(up, offered.map(|_| ()))?;
                    reports.push(rep);
                    return Ok((reports, true));
                }
            }
            rep.error = items.error();
            let ended = up.end_folder().map(|_| ());
            reports.push(rep);
            if stopped_by_limit(up, ended)? {
                return Ok((reports, true));
            }
        }
        Ok((reports, false))
    }
}
