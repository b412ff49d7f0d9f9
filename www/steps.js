// The guided move, in six steps: (1) open, (2) where to, (3) mapping, (4) move, (5) check,
// (6) finish. Each step's panels carry `data-steps`; the body's `data-step` shows one step's,
// its `data-dest` the panels of the chosen destination (style.css). Each step first says
// what it will do (#step-what). Where the user is, and where the mail goes, survives a
// reload: opening the same file again returns to it (an unfinished upload adds only what
// is missing).
import { $, fmtBytes, status } from './ui.js';
import { count, picked, several } from './files.js';

const NAMES = ['', 'Open', 'Where to', 'Mapping', 'Move', 'Check', 'Finish'];
const SAVED = 'unpst-migration';

let step = 1;
let file = null; // { file, size } of the open PST
let mapped = false; // the IMAP dry run answered for the settings on screen
let moved = null; // 'files' | 'imap': which kind of move has a report
let enter = {}; // step → what to do on entering it
let connect = () => {}; // step 2's Next with IMAP: the dry run (upload.js)
let running = false; // a move (or the server's mapping) under way: no going elsewhere

const dest = () => $('#dest').value;
const kind = () => (dest() === 'imap' ? 'imap' : 'files');

function where() {
  const name = file ? file.file.replace(/\.(pst|ost)$/i, '') : 'the file';
  switch (dest()) {
    case 'zip': return several() ? 'a .zip download per file' : `a download, ${name}.zip`;
    case 'folder': return 'a folder you pick on this computer';
    case 'thunderbird': return `Thunderbird's Local Folders, under a new folder “${name}”`;
    default: return `${$('#i-host').value || 'your IMAP server'} (as ${$('#i-user').value || '…'})`;
  }
}

function what() {
  const f = picked();
  const items = f.reduce((n, x) => n + x.items, 0);
  const folders = `${f.length} folders${several() ? ` of ${count()} files` : ''}`;
  const format = { mbox: 'mbox', eml: 'EML', both: 'mbox and EML' }[$('#format').value];
  const imap = kind() === 'imap';
  return [
    '',
    'Open your PST or OST file — or several, an Outlook.pst and its archives, to move together. It is read here, in this page — nothing is uploaded. Browse it, and untick the folders you do not want to move.',
    `Choose where the mail goes. Nothing is written or sent in this step.${imap ? ' Next connects to your server and shows where each folder would go; it changes nothing there.' : ''}`,
    imap
      ? `Each checked folder and the server folder it goes into, with what is there already. Nothing was changed on ${where()}.`
      : `The checked folders, ${folders}, with ${items} items, go into ${where()}. Untick folders in step 1 to leave them out.`,
    imap
      ? `Upload ${items} items of ${folders} into ${where()}. Messages already there are skipped; Pause and Cancel keep what arrived, and uploading again adds only the rest. Every folder is checked on the server afterwards.`
      : `Convert ${items} items of ${folders} to ${dest() === 'thunderbird' ? 'mbox' : format}${dest() === 'thunderbird' || !$('#cards').checked ? '' : ' (with contacts, calendar and signatures)'} into ${where()}. Pause waits after the current message; Cancel keeps what was written until then.`,
    imap
      ? 'Every folder checked against the server: what arrived, what was there already, and each message refused or not convertible, with its reason.'
      : 'What was written: every message skipped or converted with a warning, with its reason.',
    'Set up the new mail program: the signatures found in the sent mail, the accounts the mail went out from, and a report of this move to keep or print.',
  ][step];
}

// Step 3 for files: the checked folders, as they will be written.
function archiveMapping() {
  const body = $('#a-mapping tbody');
  body.replaceChildren();
  for (const f of picked()) {
    const tr = document.createElement('tr');
    for (const v of [several() ? `${f.file}: ${f.path}` : f.path, String(f.items)]) { const td = document.createElement('td'); td.textContent = v; tr.append(td); }
    body.append(tr);
  }
}

function reachable(n) {
  if (n === 1) return true;
  if (!file) return false;
  if (n === 2 || n === 6) return true;
  if (n === 5) return moved === kind();
  return kind() !== 'imap' || mapped;
}

/** Draws the step bar, the step's panels and what it will do. */
export function refresh() {
  document.body.dataset.step = String(step);
  document.body.dataset.dest = dest();
  for (const b of document.querySelectorAll('#steps button')) {
    const n = Number(b.dataset.step);
    b.disabled = running ? n !== step : !reachable(n);
    b.classList.toggle('done', n < step);
    if (n === step) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
  }
  $('#step-what').textContent = `Step ${step} of 6 — ${what()}`;
  $('#back').hidden = step === 1;
  $('#next').hidden = step === 6;
  $('#back').disabled = running;
  $('#next').disabled = running || (step === 4 ? moved !== kind() : step === 2 ? false : !reachable(step + 1));
  $('#next').textContent = step === 2 && kind() === 'imap' ? 'Connect and show the mapping →' : `Next: ${NAMES[step + 1] || ''} →`;
  if (file) save();
}

/** Shows step `n` if it can be reached now. */
export function go(n) {
  if (!reachable(n)) return;
  step = n;
  refresh();
  if (enter[n]) enter[n]();
  window.scrollTo(0, 0);
}

function save() {
  try { localStorage.setItem(SAVED, JSON.stringify({ ...file, dest: dest(), step, when: Date.now() })); } catch { /* private mode */ }
}

function saved() {
  try { return JSON.parse(localStorage.getItem(SAVED) || 'null'); } catch { return null; }
}

/** A file is open (FileInfo): step 1, or — the same file as before a reload — where the move
 * was (its settings on screen again; the password, never stored, is asked again). */
export function opened(info) {
  const before = saved();
  file = { file: info.file, size: info.size };
  mapped = false;
  moved = null;
  step = 1;
  // A finished move (step 5 or 6) is not returned to: the file starts over.
  if (before && before.file === info.file && before.size === info.size && before.step > 1 && before.step < 5) {
    const opt = $('#dest').querySelector(`option[value="${before.dest}"]`);
    if (opt && !opt.disabled) $('#dest').value = before.dest;
    $('#dest').dispatchEvent(new Event('change'));
    status(`Welcome back: this is where your move of ${info.file} was.${before.step > 2 ? ' Check the settings and go on — what already arrived is not added again.' : ''}`);
    go(2);
    return;
  }
  refresh();
}

/** A move, or the server's mapping, starts (`on`) or ends: while it runs the user stays on
 * its step (the worker may have another file of the move open). */
export function busy(on) {
  running = on;
  refresh();
}

/** The IMAP dry run answered (upload.js): the mapping is on screen. */
export function mappedNow() {
  mapped = true;
  go(3);
}

/** A move ended with its report ('files' or 'imap'): step 5 shows it — after a Cancel only
 * when the user goes on (`show` false). */
export function movedNow(k, show = true) {
  moved = k;
  if (show) go(5); else refresh();
}

/** Anything that changes where the mail goes makes the mapping to confirm again. */
function unmap() {
  mapped = false;
  if (moved === 'imap') moved = null;
  refresh();
}

/** The user goes to another step: what the status lines said is done with (not an error). */
function moveOn() {
  for (const id of ['#status', '#i-status']) {
    const el = $(id);
    if (!el.classList.contains('error')) el.textContent = '';
  }
}

/** Before a file is open: an unfinished move is named, so the user opens the same file. */
function greet() {
  const before = saved();
  if (before && before.step > 1 && before.step < 5 && Date.now() - before.when < 30 * 86400000) {
    status(`Your move of ${before.file} (${fmtBytes(before.size)}) stopped at step ${before.step}, ${NAMES[before.step]}. Open the same file to go on from there.`);
  }
}

/** `hooks`: {connect: step 2's Next for IMAP, 3…6: what else entering that step does}. */
export function initSteps(hooks) {
  connect = hooks.connect;
  enter = { 3: archiveMapping, ...hooks };
  for (const b of document.querySelectorAll('#steps button')) b.onclick = () => { moveOn(); go(Number(b.dataset.step)); };
  $('#back').onclick = () => { moveOn(); go(step - 1); };
  $('#next').onclick = () => {
    moveOn();
    if (step === 2 && kind() === 'imap') connect();
    else go(step + 1);
  };
  $('#dest').addEventListener('change', unmap);
  for (const id of ['#i-host', '#i-port', '#i-sec', '#i-user', '#i-under', '#i-auth']) $(id).addEventListener('change', unmap);
  $('#tree').addEventListener('change', refresh);
  $('#format').addEventListener('change', refresh);
  $('#cards').addEventListener('change', refresh);
  greet();
  refresh();
}
