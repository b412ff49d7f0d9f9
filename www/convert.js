// The conversion panel: the checked folders to mbox and/or EML (and cards) as a zip or into a
// picked folder, with progress and Cancel, then the report.
import { Cmd } from './protocol.js';
import { $, download, hooks, progressLine, setState, status } from './ui.js';
import { busy, movedNow } from './steps.js';
import { eachFile, several } from './files.js';

let call = null;
// The file's opening in a worker that replaced a crashed one (see restart in app.js).
let reopening = () => null;
let terminate = () => {};
// The last report, for "Save report".
let lastReport = null;

const stem = (name) => name.replace(/\.(pst|ost)$/i, '');

async function convert() {
  const fmt = $('#format').value;
  // The folder is asked for first, while the click still counts as the user's gesture.
  let dir = null;
  const dest = $('#dest').value;
  const thunderbird = dest === 'thunderbird';
  if (dest === 'folder' || thunderbird) {
    try { dir = await window.showDirectoryPicker({ id: thunderbird ? 'unpst-thunderbird' : 'unpst-out', mode: 'readwrite' }); } catch { return; }
  }
  const bar = $('#progress');
  bar.hidden = false;
  $('#cancel').hidden = false;
  $('#go').disabled = true;
  $('#report').hidden = true;
  const t0 = performance.now();
  setState('converting');
  busy(true);
  // Where Cancel and Pause ask the conversion to stop or wait ([cancel, pause] flags in shared
  // memory, read by the busy worker after each item); without it Cancel replaces the worker.
  converting = { stop: window.crossOriginIsolated ? new SharedArrayBuffer(8) : null };
  $('#pause').hidden = !converting.stop;
  $('#pause').textContent = 'Pause';
  let last = null;
  const recover = !!document.querySelector('.pick-recovered:checked');
  let stopped = false;
  let part = 0;
  try {
    // Each file of the move in turn: its own zip, its own folder below the one picked, its
    // own top folder in Thunderbird. A cancelled one ends the move.
    const done = await eachFile(async (info, folders, shown) => {
      if (stopped) return null;
      const into = dir && several() && !thunderbird ? await dir.getDirectoryHandle(stem(info.file), { create: true }) : dir;
      const from = several() ? `${info.file}: ` : '';
      const { zip, report, top } = await convertResilient({
        // Into Thunderbird: the mail as mbox, nothing else.
        mbox: thunderbird || fmt !== 'eml', eml: !thunderbird && fmt !== 'mbox', cards: !thunderbird && $('#cards').checked,
        folders, dir: into, thunderbird, name: info.file, recover: recover && shown, part: part++,
        cancel: converting.stop, cancelAfter: hooks.cancelAfter, pauseAfter: hooks.pauseAfter, crashOn: hooks.crashOn,
      }, (p) => {
        last = p;
        if (p.paused) $('#pause').textContent = 'Resume';
        bar.max = p.total || 1;
        bar.value = p.done;
        const line = from + progressLine(p, t0) + (pausedNow() ? ' — paused' : '');
        status(line);
        $('#progress-text').textContent = line;
      });
      const r = JSON.parse(report);
      if (r.cancelled) stopped = true;
      else if (zip) download(new Blob([zip], { type: 'application/zip' }), `${stem(info.file)}.zip`);
      return { file: info.file, r, text: report, top };
    }).then((out) => out.filter(Boolean));
    done.cancelled = done.some((d) => d.r.cancelled);
    showReport(done);
    const t = total(done);
    if (done.cancelled) {
      // What was written stays whole: each file was closed after its last complete item.
      const where = last && last.folder ? ` in ${last.folder}` : '';
      // (Of several files, those before the cancelled one were saved whole.)
      const saved = done.filter((d) => !d.r.cancelled).map((d) => `${stem(d.file)}.zip`);
      status(`Cancelled${where} after ${t.converted} messages and ${t.cards} contacts and calendar items. ${dir
        ? `The folder “${dir.name}” has everything converted until then, each file ending with a whole message.`
        : saved.length ? `${saved.join(', ')} ${saved.length > 1 ? 'were' : 'was'} saved; nothing of the rest.` : 'Nothing was saved.'}`);
      setState('cancelled');
      movedNow('files', false);
      return;
    }
    const tops = done.map((d) => d.top).filter(Boolean);
    status(tops.length
      ? `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s: restart Thunderbird, and ${tops.map((x) => `“${x}”`).join(', ')} ${tops.length > 1 ? 'are' : 'is'} under Local Folders.`
      : `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s${dir ? `: written into the folder “${dir.name}”` : ''}.`);
    setState('done');
    movedNow('files');
  } catch (err) {
    status(err.message, true);
    setState('error');
  } finally {
    busy(false);
    converting = null;
    $('#pause').hidden = true;
    bar.hidden = true;
    $('#progress-text').textContent = '';
    $('#cancel').hidden = true;
    $('#go').disabled = false;
  }
}

// If the module crashes on an item (a panic traps it), the worker has been replaced and the
// file opened again there with that item set aside (see restart): start over — the item is
// listed as skipped, everything else converts. Too many crashes end it.
async function convertResilient(args, onProgress) {
  for (let crashes = 0; ; crashes++) {
    try {
      return await call(Cmd.convert, args, onProgress);
    } catch (err) {
      if (!err.fatal || !err.item || crashes >= 20) throw err;
      status(`The converter crashed on item ${err.item}; starting again without it…`);
      await reopening();
    }
  }
}

// The reports' totals, summed over the move's files.
function total(done) {
  const t = {};
  for (const { r } of done) for (const [k, v] of Object.entries(r.totals)) t[k] = (t[k] || 0) + v;
  return t;
}

/** The report of each file's conversion ({file, r, text}), as one. */
function showReport(done) {
  lastReport = done.length === 1 ? done[0].text : `[${done.map((d) => `{"file":${JSON.stringify(d.file)},"report":${d.text}}`).join(',')}]`;
  const t = total(done);
  const box = $('#report');
  box.hidden = false;
  $('#r-summary').textContent = `${done.cancelled ? 'Cancelled · ' : ''}${t.converted} converted · ${t.cards} contacts and calendar items · ${t.deferred} not converted (other item kinds) · ${t.skipped} skipped · ${t.warnings} with warnings · ${t.attachments} attachments`;
  const list = $('#r-details');
  list.innerHTML = '';
  const li = (text, cls) => { const e = document.createElement('li'); if (cls) e.className = cls; e.textContent = text; list.append(e); };
  for (const { file, r } of done) {
    const at = done.length > 1 ? `${file}: ` : '';
    for (const p of r.problems) li(at + p, 'error');
    for (const f of r.folders) {
      for (const s of f.skipped) li(`${at}${f.path.join('/')}: “${s.subject}” skipped — ${s.reason}`, 'error');
      if (f.error) li(`${at}${f.path.join('/')}: ${f.error}`, 'error');
      for (const w of f.warnings) li(`${at}${f.path.join('/')}: “${w.subject}” — ${w.warning}`);
    }
  }
}

// The conversion under way: {stop} (see convert()).
let converting = null;

function pausedNow() {
  return !!(converting && converting.stop && Atomics.load(new Int32Array(converting.stop), 1));
}

// Pause: the conversion waits after its current item until Resume (or Cancel).
function pause() {
  const c = converting;
  if (!c || !c.stop) return;
  const flags = new Int32Array(c.stop);
  const pausing = !Atomics.load(flags, 1);
  Atomics.store(flags, 1, pausing ? 1 : 0);
  Atomics.notify(flags, 1);
  $('#pause').textContent = pausing ? 'Resume' : 'Pause';
  if (pausing) status(`${$('#status').textContent} — paused`);
}

// Cancel: a conversion is asked to stop after its current item (it then reports what it did);
// if it does not within a few seconds (one huge item), or for other work, the worker is
// replaced and the file opened again in the new one.
export function cancel() {
  const c = converting;
  if (c && c.stop) {
    status('Cancelling after the current item…');
    const flags = new Int32Array(c.stop);
    Atomics.store(flags, 0, 1);
    // A paused conversion wakes to stop.
    Atomics.store(flags, 1, 0);
    Atomics.notify(flags, 1);
    setTimeout(() => { if (converting === c) terminate(); }, 3000);
    return;
  }
  terminate();
}


// Writing into a picked folder needs the File System Access API (Chromium-based browsers)
// and a cross-origin isolated page (the worker waits on shared memory for the writer).
function setupDestination() {
  const ok = 'showDirectoryPicker' in window && window.crossOriginIsolated;
  $('#dest').querySelector('[value=folder]').disabled = !ok;
  $('#dest').querySelector('[value=thunderbird]').disabled = !ok;
  $('#dest-note').hidden = ok;
  $('#dest-note').textContent = !('showDirectoryPicker' in window)
    ? 'This browser cannot write into a folder: the zip holds the same files.'
    : 'Writing into a folder needs the page served by unpst (cargo xtask serve or unpst relay).';
}

/** The report on screen belongs to the file that was open. */
export function forgetReport() {
  $('#report').hidden = true;
  lastReport = null;
}

/** The page's `call`, its reopening after a crash, and what replaces the worker when a
 * conversion does not stop by itself. */
export function initConvert(caller, reopened, replace) {
  call = caller;
  reopening = reopened;
  terminate = replace;
  setupDestination();
  $('#go').onclick = convert;
  $('#cancel').onclick = cancel;
  $('#pause').onclick = pause;
  $('#r-save').onclick = () => lastReport && download(new Blob([lastReport], { type: 'application/json' }), 'report.json');
}
