// The page: drop zone, folder tree, message list and preview, and the panels (convert.js,
// upload.js, signatures.js) wired to them. All work happens in worker.js, reached through
// client.js (the commands and their answers: protocol.js); nothing leaves this machine.
import { call, crashed, initClient, isInFrame, reopening, replaceWorker, soon, tell } from './client.js';
import { Cmd } from './protocol.js';
import { cancel, forgetReport, initConvert } from './convert.js';
import { initSignatures } from './signatures.js';
import { initSteps, opened } from './steps.js';
import { finish, initReport } from './report.js';
import { choose, initFiles } from './files.js';
import { cardRows } from './card.js';
import { $, download, fmtBytes, hooks, setState, status } from './ui.js';
import { connect, initUpload, setupImap } from './upload.js';
import { itemRef, offerRecovery, rowId } from './recovered.js';
import { sweep } from './copy.js';
import { showCopy } from './copynote.js';

let info = null;
// The file the worker has open, and the one the tree shows (the same but while a move of
// several files takes the others in turn: files.js).
let currentFile = null;
let shownFile = null;

// How long the user waited: from the event (file chosen, message clicked) to the frame after
// the result was drawn. Shown in the status line; kept in the hooks' timings for the benchmark.
function painted(what, since) {
  const done = () => {
    const ms = performance.now() - since;
    hooks.timings[what].push(ms);
    document.body.dataset[`${what}Ms`] = ms.toFixed(1);
  };
  // Drawn from a frame callback: this frame shows it; a timer runs once it is drawn.
  if (isInFrame()) setTimeout(done);
  else requestAnimationFrame(() => setTimeout(done));
}

/** Opens `file` and shows it: its tree, summary and messages; its FileInfo, or null. */
async function openFile(file, since = performance.now()) {
  // The same File again is the worker's reopening after a crash or Cancel: the move goes on.
  const fresh = file !== shownFile;
  if (file !== currentFile) crashed.length = 0;
  currentFile = file;
  shownFile = file;
  setState('loading');
  status(`Opening ${file.name}…`);
  $('#messages').innerHTML = '';
  $('#preview').hidden = true;
  previews.clear();
  // The last file's report is not this one's.
  forgetReport();
  const t0 = performance.now();
  try {
    info = await call(Cmd.open, { file, setAside: crashed });
  } catch (err) {
    setState('error');
    status(`${file.name}: ${err.message}`, true);
    return null;
  }
  const ms = Math.round(performance.now() - t0);
  renderSummary(file);
  showCopy(info, () => info, $('#summary'));
  renderTree();
  if (fresh) opened(info);
  const current = info;
  offerRecovery(call, current, () => info, $('#summary'), (f) => {
    const node = folderNode(f);
    // Not a folder of the file: convert.js asks for it by this class, the tests by data-recovered.
    const box = node.querySelector('.pick');
    box.className = 'pick-recovered';
    box.checked = false;
    const label = node.querySelector('.folder');
    delete label.dataset.folderPath;
    label.dataset.recovered = 'true';
    $('#tree ul').append(node);
  });
  $('#search').hidden = false;
  $('#search').value = '';
  $('#search-count').textContent = '';
  status(`Opened in ${ms} ms.`);
  setState('ready');
  painted('tree', since);
  // The body frame's document is made now, not on the first message (35–45 ms then).
  bodyFrame();
  return info;
}

/** Opens `file` in the worker only (another file of the move), the tree unchanged. */
async function useFile(file) {
  if (file !== currentFile) crashed.length = 0;
  currentFile = file;
  info = await call(Cmd.open, { file, setAside: crashed });
  return info;
}

function renderSummary(file) {
  const all = flatten(info.folders);
  const items = all.reduce((n, f) => n + f.items, 0);
  $('#summary').innerHTML = '';
  const rows = [
    ['File', file.name], ['Size', fmtBytes(info.size)],
    ['Format', `${info.ost ? 'OST' : 'PST'} ${info.format} (wVer ${info.version})`],
    ['Encryption', info.encryption], ['Store', info.display_name || '—'],
    ['Folders', String(all.length)], ['Items', String(items)],
  ];
  if (info.password_protected) {
    rows.push(['Password', "Outlook's password is set — it does not encrypt the data; opened without it"]);
  }
  for (const [k, v] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    $('#summary').append(dt, dd);
  }
  for (const p of info.problems) {
    const dd = document.createElement('dd'); dd.className = 'error'; dd.textContent = p;
    $('#summary').append(dd);
  }
  setupImap();
}

function flatten(f, out = []) { out.push(f); f.children.forEach((c) => flatten(c, out)); return out; }

function renderTree() {
  const root = $('#tree');
  root.innerHTML = '';
  const top = info.folders;
  const ul = document.createElement('ul');
  ul.setAttribute('role', 'tree');
  for (const c of top.children) ul.append(folderNode(c));
  root.append(ul);
}

function folderNode(f) {
  const li = document.createElement('li');
  li.setAttribute('role', 'treeitem');
  const row = document.createElement('label');
  row.className = 'folder';
  row.dataset.folderPath = f.path.join('/');
  row.dataset.items = String(f.items);
  row.dataset.nid = String(f.nid);
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = true;
  box.className = 'pick';
  box.value = String(f.nid);
  const name = document.createElement('button');
  name.type = 'button';
  name.className = 'name';
  name.textContent = f.name || '(unnamed)';
  name.onclick = () => showFolder(f, row);
  const count = document.createElement('span');
  count.className = 'count';
  count.textContent = f.items ? (f.unread ? `${f.items} · ${f.unread} unread` : String(f.items)) : '';
  row.append(box, name, count);
  if (f.error) { const e = document.createElement('span'); e.className = 'error'; e.textContent = ' ⚠'; e.title = f.error; row.append(e); }
  li.append(row);
  if (f.children.length) {
    const ul = document.createElement('ul');
    ul.setAttribute('role', 'group');
    for (const c of f.children) ul.append(folderNode(c));
    li.append(ul);
  }
  return li;
}

// Arrow keys move between folders in the tree (Up/Down; Home/End); Enter or Space opens one.
$('#tree').addEventListener('keydown', (e) => {
  if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key) || !e.target.classList.contains('name')) return;
  const names = [...document.querySelectorAll('#tree .name')];
  const i = names.indexOf(e.target);
  const j = e.key === 'Home' ? 0 : e.key === 'End' ? names.length - 1 : Math.max(0, Math.min(names.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)));
  e.preventDefault();
  names[j].focus();
  names[j].scrollIntoView({ block: 'nearest' });
});

let searchTimer = null;
async function search() {
  const q = $('#search').value;
  if (!q.trim()) { $('#search-count').textContent = ''; return; }
  const { count, bodyCount, bodies, hits } = await call(Cmd.search, { query: q });
  if (q !== $('#search').value) return;
  const more = bodyCount ? ` · ${bodyCount} more in the message text` : '';
  const progress = bodies.complete
    ? (bodies.limited ? ` (text of the first ${bodies.indexed} messages searched: memory limit)` : '')
    : ` · searching the message text: ${bodies.indexed} of ${bodies.total}…`;
  $('#search-count').dataset.query = q;
  $('#search-count').textContent = `${count} found${more}${hits.length < count + bodyCount ? `, showing ${hits.length}` : ''}${progress}`;
  // The text index is still growing: ask again shortly for the same words.
  clearTimeout(searchTimer);
  if (!bodies.complete) searchTimer = setTimeout(search, 700);
  const list = $('#messages');
  list.onscroll = null;
  listState = { folder: { items: hits.length }, pages: new Map(), selected: null, search: true };
  const spacer = document.createElement('div');
  spacer.className = 'spacer';
  spacer.style.height = `${hits.length * ROW}px`;
  list.replaceChildren(spacer);
  hits.forEach((m, i) => {
    const row = messageRow(m, i);
    row.title = m.folder;
    spacer.append(row);
  });
}

// The message list is virtual: only the visible rows exist in the page, and rows are fetched
// from the worker a page at a time, so a 100k-message folder scrolls as fast as a small one.
const ROW = 52;
const PAGE_ROWS = 200;
let listState = null;

async function showFolder(f, row) {
  document.querySelectorAll('.folder.current').forEach((e) => e.classList.remove('current'));
  row.classList.add('current');
  const list = $('#messages');
  list.innerHTML = '';
  list.onscroll = null;
  if (!f.items) { list.textContent = 'No items in this folder.'; return; }
  const spacer = document.createElement('div');
  spacer.className = 'spacer';
  spacer.style.height = `${f.items * ROW}px`;
  list.append(spacer);
  listState = { folder: f, pages: new Map(), spacer, selected: null };
  list.onscroll = () => renderRows();
  await renderRows();
}

function page(state, n) {
  if (!state.pages.has(n) && state.folder.rows) {
    state.pages.set(n, Promise.resolve(state.folder.rows.slice(n * PAGE_ROWS, (n + 1) * PAGE_ROWS)));
  }
  if (!state.pages.has(n)) {
    state.pages.set(n, soon(call(Cmd.messages, { folder: state.folder.nid, start: n * PAGE_ROWS, count: PAGE_ROWS })));
  }
  return state.pages.get(n);
}

async function renderRows() {
  const state = listState;
  const list = $('#messages');
  const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
  const last = Math.min(state.folder.items, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + 5);
  const wanted = [];
  for (let n = Math.floor(first / PAGE_ROWS); n <= Math.floor(Math.max(first, last - 1) / PAGE_ROWS); n++) wanted.push(n);
  const pages = await Promise.all(wanted.map((n) => page(state, n).then((rows) => [n, rows])));
  if (state !== listState) return;
  const rows = new Map();
  for (const [n, list] of pages) list.forEach((m, k) => rows.set(n * PAGE_ROWS + k, m));
  state.spacer.replaceChildren();
  const shown = [];
  for (let i = first; i < last; i++) {
    const m = rows.get(i);
    if (m) { state.spacer.append(messageRow(m, i)); shown.push(m.nid); }
  }
  // Once scrolling rests, the worker reads ahead what opening these rows will need.
  clearTimeout(warmTimer);
  warmTimer = setTimeout(() => tell(Cmd.warm, { nids: shown.filter((n) => typeof n === 'number'), seq: ++warmSeq }), 60);
}
let warmTimer = 0;
let warmSeq = 0;

function messageRow(m, i) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'message' + (m.flags & 1 ? '' : ' unread') + (listState.selected === m.nid ? ' current' : '');
  b.style.top = `${i * ROW}px`;
  b.dataset.nid = String(m.nid);
  const date = m.delivery_time ? new Date(m.delivery_time * 1000).toISOString().slice(0, 16).replace('T', ' ') : '';
  b.innerHTML = '<span class="from"></span><span class="date"></span><span class="subject"></span>';
  b.querySelector('.from').textContent = m.sender;
  b.querySelector('.subject').textContent = (m.has_attachments ? '📎 ' : '') + (m.subject || '(no subject)');
  b.querySelector('.date').textContent = date;
  b.onclick = (e) => { listState.selected = m.nid; showMessage(m.nid, b, e.timeStamp); };
  b.onpointerenter = () => { previewOf(m.nid).catch(() => {}); };
  // Focus moves with the preview, in the same frame (focusing on press would make the browser
  // draw a frame first and hand over the worker's answer only after it: ≈ 16 ms more).
  b.onmousedown = (e) => e.preventDefault();
  return b;
}

// Each preview numbers itself: a slower, earlier one never overwrites a later one.
let previewSeq = 0;

// The message body frame: sandboxed without scripts, loaded once with a policy that lets
// nothing but the message's own data: images load; each message then replaces its content
// (no navigation: a new sandboxed document per message costs tens of milliseconds).
const FRAME_CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`;
let frameShell = null;
function bodyFrame() {
  const frame = $('#p-body');
  const doc = frame.contentDocument;
  if (frameShell && doc && doc.URL === 'about:srcdoc' && doc.readyState === 'complete') return Promise.resolve(doc);
  frameShell = new Promise((resolve) => {
    frame.addEventListener('load', () => resolve(frame.contentDocument), { once: true });
    frame.srcdoc = FRAME_CSP;
  });
  return frameShell;
}

async function showBody(html, text) {
  const doc = await bodyFrame();
  if (!html) {
    const pre = document.createElement('pre');
    pre.textContent = text || '';
    html = `<style>pre{white-space:pre-wrap;font:14px/1.4 system-ui,sans-serif}</style>${pre.outerHTML}`;
  }
  doc.documentElement.innerHTML = html;
  doc.defaultView.scrollTo(0, 0);
}

// Previews asked for ahead — when the pointer rests on a row, before the click — and kept
// for a few messages, so that opening one mostly waits only for the next frame.
const previews = new Map();
function previewOf(nid, path = []) {
  const key = `${nid}/${path.join('/')}`;
  let p = previews.get(key);
  if (!p) {
    p = call(Cmd.preview, { ...itemRef(nid), path, crashOn: hooks.crashOn });
    p.catch(() => previews.delete(key));
    previews.set(key, p);
    if (previews.size > 16) previews.delete(previews.keys().next().value);
  }
  return p;
}

// `path` leads through embedded messages: [] is the message itself, [2] its attachment 2, …
async function showMessage(nid, button, since = performance.now(), path = []) {
  const seq = ++previewSeq;
  // Nothing on the page changes until the preview is back, then everything at once: one frame.
  let p;
  try { p = await soon(previewOf(nid, path)); } catch (err) {
    status(err.fatal ? `This message crashed the converter (${err.message}). The file was opened again without it.` : err.message, true);
    return;
  }
  if (seq !== previewSeq) return;
  if (button) {
    document.querySelectorAll('.message.current').forEach((e) => e.classList.remove('current'));
    button.classList.add('current');
    if (document.activeElement !== button) button.focus({ preventScroll: true });
  }
  const card = p.card;
  $('#p-card').innerHTML = '';
  $('#p-card').hidden = !card;
  if (card) {
    for (const [k, v] of cardRows(card.text)) {
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = v;
      $('#p-card').append(dt, dd);
    }
    $('#p-card').dataset.kind = card.kind;
  }
  const pane = $('#preview');
  pane.hidden = false;
  $('#p-back').hidden = path.length === 0;
  $('#p-back').onclick = () => showMessage(nid, null, performance.now(), path.slice(0, -1));
  $('#p-subject').textContent = p.subject || '(no subject)';
  $('#p-from').textContent = p.from;
  $('#p-to').textContent = p.to + (p.cc ? `  cc: ${p.cc}` : '');
  $('#p-date').textContent = p.date;
  $('#p-headers').textContent = p.headers;
  $('#p-remote').hidden = !p.blocked_images;
  $('#p-remote').textContent = `Remote images blocked (${p.blocked_images}): nothing is loaded from the internet.`;
  const sec = p.security;
  $('#p-security').hidden = !sec;
  $('#p-security').textContent = !sec ? ''
    : sec.kind === 'encrypted' ? 'Encrypted (S/MIME) — open it in your mail program, with your key, to read it.'
      : `Signed (S/MIME)${sec.signer ? ` by ${sec.signer}` : ''} — the signature is kept; your mail program checks it.`;
  $('#p-attached').hidden = true;
  await showBody(p.html, p.text);
  if (seq !== previewSeq) return;
  painted('message', since);
  const list = $('#p-attachments');
  list.innerHTML = '';
  for (const a of p.attachments) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = a.message ? 'embedded' : '';
    b.textContent = `${a.message ? '✉ ' : ''}${a.name} (${fmtBytes(a.size)})`;
    // An embedded message opens in place; images and text show below; anything can be saved.
    b.onclick = async () => {
      if (a.message) { showMessage(nid, null, performance.now(), [...path, a.index]); return; }
      const bytes = await call(Cmd.attachment, { ...itemRef(nid), path, index: a.index });
      showAttachment(a, bytes);
    };
    list.append(b);
  }
  $('#p-eml').onclick = async () => {
    const bytes = await call(Cmd.eml, { ...itemRef(nid), path });
    download(new Blob([bytes], { type: 'message/rfc822' }), `${(p.subject || 'message').replace(/[\\/:*?"<>|]/g, '_').slice(0, 80)}.eml`);
  };
}

// An attachment's preview (images and text; other types are offered for saving only).
function showAttachment(a, bytes) {
  const box = $('#p-attached');
  box.innerHTML = '';
  box.hidden = false;
  const blob = new Blob([bytes], { type: a.mime_type });
  const head = document.createElement('p');
  const save = document.createElement('button');
  save.type = 'button';
  save.textContent = `Save ${a.name}`;
  save.onclick = () => download(blob, a.name);
  head.append(save);
  box.append(head);
  if (/^image\/(png|jpeg|gif|webp|bmp)$/.test(a.mime_type)) {
    const img = document.createElement('img');
    img.alt = a.name;
    img.src = URL.createObjectURL(blob);
    img.onload = () => URL.revokeObjectURL(img.src);
    box.append(img);
  } else if (/^text\/(plain|csv|calendar|x-vcard|vcard)$/.test(a.mime_type) || /\.(txt|csv|log|ics|vcf)$/i.test(a.name)) {
    const pre = document.createElement('pre');
    pre.textContent = new TextDecoder().decode(bytes.subarray(0, 1 << 20));
    box.append(pre);
  } else {
    const note = document.createElement('p');
    note.className = 'note';
    note.textContent = `${a.mime_type}: no preview here; save it to open it with its program.`;
    box.append(note);
  }
}

// Cancelled beyond a conversion's own stop: a new worker, the file opened again there.
function terminate() {
  replaceWorker('Cancelled.');
  if (shownFile) openFile(shownFile).then(() => status('Conversion cancelled.'));
}

initClient(() => currentFile);
initConvert(call, reopening, terminate);
initSignatures(call);
initUpload(call, () => info, cancel);
initReport(() => info);
initSteps({ connect, 6: () => finish(info) });
initFiles({ show: openFile, use: useFile });
$('#file').onchange = (e) => {
  const list = [...e.target.files];
  // Cleared so that choosing the same file again opens it again.
  e.target.value = '';
  if (list.length) choose(list, e.timeStamp);
};
const drop = $('#drop');
drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
drop.ondragleave = () => drop.classList.remove('over');
drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove('over'); const list = [...e.dataTransfer.files]; if (list.length) choose(list, e.timeStamp); };
// Arrow keys move through the message list (virtual rows are rendered as needed).
$('#messages').addEventListener('keydown', async (e) => {
  if (!listState || !['ArrowDown', 'ArrowUp'].includes(e.key)) return;
  e.preventDefault();
  const cur = document.activeElement && document.activeElement.closest('.message');
  const i = cur ? Math.round(parseInt(cur.style.top, 10) / ROW) : -1;
  const j = Math.max(0, Math.min(listState.folder.items - 1, i + (e.key === 'ArrowDown' ? 1 : -1)));
  const list = $('#messages');
  if (j * ROW < list.scrollTop) list.scrollTop = j * ROW;
  else if ((j + 1) * ROW > list.scrollTop + list.clientHeight) list.scrollTop = (j + 1) * ROW - list.clientHeight;
  if (!listState.search) await renderRows();
  const b = [...document.querySelectorAll('.message')].find((r) => parseInt(r.style.top, 10) === j * ROW);
  if (b) { b.focus(); b.click(); }
  // The next one in the same direction is asked for now: holding an arrow key reads on
  // without waiting for the worker.
  const k = j + (e.key === 'ArrowDown' ? 1 : -1);
  const next = [...document.querySelectorAll('.message')].find((r) => parseInt(r.style.top, 10) === k * ROW);
  if (next && next.dataset.nid) previewOf(rowId(next.dataset.nid)).catch(() => {});
});
$('#search').oninput = () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 200); };
// For the benchmarks: the module's linear memory in bytes; for the tests: reads of the file.
hooks.memory = () => call(Cmd.memory, {});
hooks.reads = () => call(Cmd.reads, {});
hooks.copied = () => call(Cmd.copied, {});
// Working copies a closed page left behind go now (see copy.js).
sweep();
if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch(() => {});
setState('empty');
