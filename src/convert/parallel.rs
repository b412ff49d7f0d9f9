//! The folders' mail passes on several threads (native builds): each thread opens the file
//! again and writes its folders' files itself, as readpst converts folders in child
//! processes; names and everything in order stay with the caller ([`super::convert_parallel`]).

use super::mail::{MailJob, mail_passes};
use super::walk::{FolderItems, Items};
use super::{Options, Progress};
use crate::error::{Error, Result};
use crate::pst::Pst;
use crate::sink::{DirTree, TreeSink};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

/// How often a thread tells the caller how far it is.
const STEP: Duration = Duration::from_millis(50);

/// Threads for the mail passes of a conversion into a directory.
pub struct Workers<'a> {
    /// How many (at least one).
    pub count: usize,
    /// Opens the file again for one thread: from the handle already open, so that every
    /// thread reads the same file even if its name is taken by another one meanwhile.
    pub open: &'a (dyn Fn() -> Result<Pst> + Sync),
    /// The output directory (each thread writes below it with writers of its own).
    pub root: &'a Path,
}

/// What a thread tells the caller.
enum Told {
    /// Items done and bytes written since its last word, in this folder.
    Step(u64, u64, String),
    Finished(Box<MailJob>),
    /// What its reading found wrong with the file (for the report, as one thread's would).
    Problems(Vec<String>),
    Failed(Error),
}

impl Workers<'_> {
    /// Runs the jobs, the largest folders first; the caller's `progress` is called on this
    /// thread, and its `false` stops every thread after its current item. False when
    /// cancelled; the first error, if any, once every thread has stopped. What the threads
    /// found wrong with the file joins `problems` (each its own; the caller drops repeats).
    pub(super) fn run(
        &self,
        jobs: &mut Vec<MailJob>,
        opts: &Options,
        tee: bool,
        (state, problems): (&mut Progress, &mut Vec<String>),
        progress: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<bool> {
        let mut order: Vec<MailJob> = std::mem::take(jobs);
        order.sort_by_key(|j| std::cmp::Reverse(j.rep.items));
        let (to_run, rest): (Vec<MailJob>, Vec<MailJob>) =
            order.into_iter().partition(|j| j.writes);
        let queue = Mutex::new(VecDeque::from(to_run));
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<Told>();
        let mut failed = None;
        let mut cancelled = false;
        std::thread::scope(|s| {
            for _ in 0..self.count.max(1) {
                let tx = tx.clone();
                let (queue, stop) = (&queue, &stop);
                s.spawn(move || {
                    if let Err(e) = self.work(queue, stop, opts, tee, &tx) {
                        stop.store(true, Ordering::Relaxed);
                        let _ = tx.send(Told::Failed(e));
                    }
                });
            }
            drop(tx);
            for told in rx {
                match told {
                    Told::Step(done, bytes, folder) => {
                        state.done += done;
                        state.bytes += bytes;
                        state.folder = folder;
                        if !cancelled && !progress(state) {
                            cancelled = true;
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    Told::Finished(job) => jobs.push(*job),
                    Told::Problems(found) => problems.extend(found),
                    Told::Failed(e) => {
                        failed.get_or_insert(e);
                    }
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        // Jobs never started (cancelled) keep their empty reports.
        jobs.extend(queue.into_inner().unwrap_or_default());
        jobs.extend(rest);
        jobs.sort_by_key(|j| j.index);
        Ok(!cancelled)
    }

    /// One thread: takes folders until none is left or it is told to stop.
    fn work(
        &self,
        queue: &Mutex<VecDeque<MailJob>>,
        stop: &AtomicBool,
        opts: &Options,
        tee: bool,
        tx: &mpsc::Sender<Told>,
    ) -> Result<()> {
        let pst = (self.open)()?;
        let mut sink = DirTree::new(self.root)?;
        let mut eml = DirTree::new(self.root)?;
        while !stop.load(Ordering::Relaxed) {
            let next = queue.lock().ok().and_then(|mut q| q.pop_front());
            let Some(mut job) = next else { break };
            let mut state = Progress::default();
            let (mut done, mut bytes) = (0, 0);
            let folder = job.folder.clone();
            // At most one word every STEP (and the rest at the folder's end): a word an item
            // woke the caller's thread 11k times for a 1 GB file, for a progress line it
            // redraws far less often. Stopping is seen at once all the same.
            let mut said = Instant::now();
            let mut tell = |p: &Progress, now: bool| {
                if (now || said.elapsed() >= STEP) && (p.done, p.bytes) != (done, bytes) {
                    let _ = tx.send(Told::Step(p.done - done, p.bytes - bytes, folder.clone()));
                    (done, bytes, said) = (p.done, p.bytes, Instant::now());
                }
            };
            let mut told = |p: &Progress| {
                tell(p, false);
                !stop.load(Ordering::Relaxed)
            };
            let nid = job.nid;
            let items = || Box::new(FolderItems::new(&pst, nid)) as Box<dyn Items>;
            let tee_sink = tee.then_some(&mut eml as &mut dyn TreeSink);
            let r = mail_passes(
                &pst, &items, &mut job, &mut sink, tee_sink, opts, &mut state, &mut told,
            );
            tell(&state, true);
            let _ = tx.send(Told::Finished(Box::new(job)));
            r?;
        }
        let _ = tx.send(Told::Problems(pst.file_problems()));
        sink.finish()?;
        eml.finish()
    }
}
