//! The card pass: a folder's contacts and distribution lists as one vCard file, its
//! appointments, tasks and journal entries as one iCalendar file ([`crate::items`]).

use super::deleted;
use super::layout::Layout;
use super::recovery::enter_item;
use super::walk::truncate;
use super::{Options, Progress};
use crate::error::Result;
use crate::items::{Kind, ical};
use crate::pst::messaging::recover::Candidate;
use crate::pst::messaging::{MessageSummary, Nid, Rows};
use crate::pst::{FolderInfo, Message, Pst};
use crate::report::{FolderReport, Skipped};
use crate::sink::TreeSink;

/// Writes a folder's contacts to `contacts/<folder>.vcf` and its appointments, tasks and
/// journal entries to `calendar/<folder>.ics`: one file each, only when there are such
/// items. Returns `false` when the caller cancelled.
#[allow(clippy::too_many_arguments)]
pub(super) fn items_pass(
    pst: &Pst,
    f: &FolderInfo,
    out_path: &[String],
    sink: &mut dyn TreeSink,
    opts: &Options,
    names: &mut Layout,
    eml_names: Option<&mut Layout>,
    rep: &mut FolderReport,
    state: &mut Progress,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<bool> {
    if pst.folder(f.nid).is_err() {
        // Already reported by the mail passes (or, alone, unreadable either way).
        state.done += f.items as u64;
        return Ok(true);
    }
    let source = Source::Folder(f.nid);
    pass(
        pst, source, out_path, sink, opts, names, eml_names, rep, state, progress,
    )
}

/// Where a card pass takes its items from.
pub(super) enum Source<'a> {
    /// A folder's contents table.
    Folder(Nid),
    /// The recovered items (read inside [`crate::pst::ndb::Ndb::reading_freed`]).
    Recovered(&'a [Candidate]),
}

impl<'a> Source<'a> {
    /// The folder's node (the recovered items have none: [`Nid::NONE`], as their mail job).
    fn id(&self) -> Nid {
        match self {
            Source::Folder(nid) => *nid,
            Source::Recovered(_) => Nid::NONE,
        }
    }

    fn rows(&self, pst: &'a Pst) -> SourceRows<'a> {
        match self {
            Source::Folder(nid) => SourceRows::Folder(Box::new(Rows::new(pst, *nid))),
            Source::Recovered(kept) => SourceRows::Recovered(
                kept.iter()
                    .map(|c| deleted::summary(pst, c))
                    .collect::<Vec<_>>()
                    .into_iter(),
            ),
        }
    }

    /// The `i`th item of [`Source::rows`], which is `nid`.
    fn message(&self, pst: &Pst, i: usize, nid: Nid) -> Result<Message> {
        match self {
            Source::Folder(_) => pst.message(nid),
            Source::Recovered(kept) => match kept.get(i) {
                Some(c) => pst.candidate_message(c),
                None => Err(crate::error::corrupt(
                    "recovered item",
                    format!("no item {i}"),
                )),
            },
        }
    }
}

enum SourceRows<'a> {
    Folder(Box<Rows<'a>>),
    Recovered(std::vec::IntoIter<MessageSummary>),
}

impl SourceRows<'_> {
    fn error(&mut self) -> Option<String> {
        match self {
            SourceRows::Folder(rows) => rows.error.take(),
            SourceRows::Recovered(_) => None,
        }
    }
}

impl Iterator for SourceRows<'_> {
    type Item = MessageSummary;

    fn next(&mut self) -> Option<MessageSummary> {
        match self {
            SourceRows::Folder(rows) => rows.next(),
            SourceRows::Recovered(rows) => rows.next(),
        }
    }
}

/// The card pass over `source`: for the recovered items (inside
/// [`crate::pst::ndb::Ndb::reading_freed`]), `contacts/Recovered items.vcf`,
/// `calendar/Recovered items.ics` and the cards one per file under `eml/Recovered items/`.
/// Returns `false` when cancelled.
#[allow(clippy::too_many_arguments)]
pub(super) fn pass(
    pst: &Pst,
    source: Source,
    out_path: &[String],
    sink: &mut dyn TreeSink,
    opts: &Options,
    names: &mut Layout,
    eml_names: Option<&mut Layout>,
    rep: &mut FolderReport,
    state: &mut Progress,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<bool> {
    let mut pass = CardPass {
        pst,
        source,
        out_path,
        sink,
        names,
        eml_names,
        rep,
        state,
        progress,
    };
    pass.run(opts)
}

/// One folder's card pass in progress.
struct CardPass<'a, 'p> {
    pst: &'a Pst,
    source: Source<'a>,
    out_path: &'a [String],
    sink: &'a mut dyn TreeSink,
    names: &'a mut Layout,
    eml_names: Option<&'a mut Layout>,
    rep: &'a mut FolderReport,
    state: &'a mut Progress,
    progress: &'a mut (dyn FnMut(&Progress) -> bool + 'p),
}

impl CardPass<'_, '_> {
    /// The vCard file, then the iCalendar file, as `opts` asks. False when cancelled.
    fn run(&mut self, opts: &Options) -> Result<bool> {
        for cards in [true, false] {
            if (cards && !opts.vcf) || (!cards && !opts.ics) {
                continue;
            }
            // Progress counts each row once: in the last sub-pass that runs.
            let count = cards != opts.ics;
            if !self.one_file(cards, count)? {
                return Ok(false);
            }
        }
        Ok((self.progress)(self.state))
    }

    /// The vCard file (`cards`) or the iCalendar file of the folder. False when cancelled.
    fn one_file(&mut self, cards: bool, count: bool) -> Result<bool> {
        let pst = self.pst;
        let mut open = false;
        let mut cal = ical::CalendarState::default();
        // Cards also go one per file into the EML tree, after the folder's .vcf.
        let mut singles: Vec<(usize, Nid, String, Kind)> = Vec::new();
        let mut rows = self.source.rows(pst);
        let mut cancelled = false;
        for (i, row) in rows.by_ref().enumerate() {
            if count {
                self.state.done += 1;
            }
            let Some(kind) = Kind::of(&row.class).filter(|k| k.is_vcard() == cards) else {
                continue;
            };
            let text = match self.render(i, &row, kind, &mut cal) {
                Ok(t) => t,
                Err(reason) => {
                    self.rep.skipped.push(Skipped {
                        id: row.nid,
                        subject: row.subject.clone(),
                        reason,
                    });
                    continue;
                }
            };
            if !open {
                self.begin(cards)?;
                open = true;
            }
            self.sink.write(text.as_bytes())?;
            if cards && self.eml_names.is_some() {
                singles.push((i, row.nid, row.subject.clone(), kind));
            }
            self.rep.cards += 1;
            self.state.bytes += text.len() as u64;
            if !(self.progress)(self.state) {
                cancelled = true;
                break;
            }
        }
        // Rows that could not be listed: reported once for the folder (the mail passes find
        // the same when they run).
        if let Some(e) = rows.error() {
            self.rep.error.get_or_insert(e);
        }
        if open {
            if !cards {
                self.sink.write(ical::end().as_bytes())?;
            }
            self.sink.end()?;
        }
        if !cancelled {
            self.write_singles(singles)?;
        }
        Ok(!cancelled)
    }

    /// One item as vCard or iCalendar text, or why it was skipped.
    fn render(
        &self,
        i: usize,
        row: &MessageSummary,
        kind: Kind,
        cal: &mut ical::CalendarState,
    ) -> std::result::Result<String, String> {
        if let Some(reason) = enter_item(row.nid) {
            return Err(reason);
        }
        let msg = self
            .source
            .message(self.pst, i, row.nid)
            .map_err(|e| format!("item unreadable: {e}"))?;
        Ok(kind.render(self.pst, &msg, cal))
    }

    /// Opens `contacts/<folder>.vcf` or `calendar/<folder>.ics`.
    fn begin(&mut self, cards: bool) -> Result<()> {
        let (root, ext) = if cards {
            ("contacts", ".vcf")
        } else {
            ("calendar", ".ics")
        };
        let out_path = self.out_path;
        let parent = &out_path[..out_path.len().saturating_sub(1)];
        let dir = if parent.is_empty() {
            Vec::new()
        } else {
            self.names.folder(parent, None, false)
        };
        let leaf = out_path.last().map_or("items", String::as_str);
        let mut path = vec![root.to_string()];
        path.extend(self.names.file(&dir, leaf, ext));
        self.sink.begin(&path)?;
        if !cards {
            self.sink.write(ical::begin().as_bytes())?;
        }
        Ok(())
    }

    /// The folder's cards one per file in the EML tree (`eml/<folder>/00001 Name.vcf`).
    fn write_singles(&mut self, singles: Vec<(usize, Nid, String, Kind)>) -> Result<()> {
        let Some(eml) = self
            .eml_names
            .as_deref_mut()
            .filter(|_| !singles.is_empty())
        else {
            return Ok(());
        };
        let dir = eml.folder(self.out_path, Some(self.source.id()), false);
        for (n, (i, nid, name, kind)) in singles.into_iter().enumerate() {
            let Ok(msg) = self.source.message(self.pst, i, nid) else {
                continue;
            };
            let stem = format!("{:05} {}", n + 1, truncate(&name, 80));
            let mut path = vec!["eml".to_string()];
            path.extend(eml.file(&dir, &stem, ".vcf"));
            self.sink.begin(&path)?;
            let text = kind.render(self.pst, &msg, &mut Default::default());
            self.sink.write(text.as_bytes())?;
            self.sink.end()?;
        }
        Ok(())
    }
}
