// The upload panel: IMAP settings, the folder mapping, the upload through `unpst relay` with
// its progress, pause and cancel, and the verified report.
import { Cmd } from './protocol.js';
import { $, download, fmtBytes, progressLine } from './ui.js';

let call = null;
let currentInfo = () => null;

// The relay serves this page and prints its address with a token after '#': only a page
// opened from that address can use it. Settings (never the password) are remembered, and
// an unfinished upload is offered again: messages already on the server are skipped.
const relayToken = new URLSearchParams(location.hash.slice(1)).get('relay') || sessionStorage.getItem('unpst-relay');
if (relayToken) sessionStorage.setItem('unpst-relay', relayToken);
let lastUpload = null;
let uploading = false;

function imapSettings() {
  return { host: $('#i-host').value.trim(), port: $('#i-port').value, sec: $('#i-sec').value, user: $('#i-user').value.trim(), under: $('#i-under').value.trim() };
}

function imapUrl(s) {
  return `${s.sec}://${encodeURIComponent(s.user)}@${s.host}:${s.port}`;
}

export function setupImap() {
  $('#imap').hidden = false;
  const note = $('#relay-note');
  if (relayToken) {
    note.textContent = `Uploads go through unpst relay on this machine (${location.host}); it speaks IMAP to your server.`;
  } else {
    note.textContent = 'To upload, run `unpst relay` (or `cargo xtask serve`) and open the address it prints — the page then talks to it on this machine only.';
  }
  for (const b of ['#i-map', '#i-go']) $(b).disabled = !relayToken;
  try {
    const saved = JSON.parse(localStorage.getItem('unpst-imap') || 'null');
    if (saved) {
      $('#i-host').value = saved.host || ''; $('#i-port').value = saved.port || '993'; $('#i-sec').value = saved.sec || 'imaps';
      $('#i-user').value = saved.user || ''; $('#i-under').value = saved.under || '';
    }
    const pending = JSON.parse(localStorage.getItem('unpst-upload-pending') || 'null');
    const rn = $('#resume-note');
    const info = currentInfo();
    rn.hidden = !(pending && info && pending.file === info.file);
    if (!rn.hidden) rn.textContent = `An upload of ${pending.file} to ${pending.server} did not finish (${new Date(pending.when).toLocaleString()}). Upload again: what is already there is skipped.`;
  } catch { /* storage unavailable: nothing remembered */ }
}

function uploadStatus(text, isError) {
  const el = $('#i-status');
  el.textContent = text;
  el.classList.toggle('error', !!isError);
}

function showMapping(rows) {
  const table = $('#i-mapping');
  const body = table.querySelector('tbody');
  body.innerHTML = '';
  for (const f of rows) {
    const tr = document.createElement('tr');
    for (const v of [f.path.join('/'), f.mailbox, String(f.items), f.exists ? String(f.count) : 'new']) {
      const td = document.createElement('td'); td.textContent = v; tr.append(td);
    }
    body.append(tr);
  }
  table.hidden = false;
}

async function imapRun(dryRun) {
  const s = imapSettings();
  if (!s.host || !s.user || !$('#i-pass').value) { uploadStatus('Server, user and password are needed.', true); return; }
  try { localStorage.setItem('unpst-imap', JSON.stringify(s)); } catch { /* private mode */ }
  const boxes = [...document.querySelectorAll('.pick')];
  const picked = boxes.filter((b) => b.checked).map((b) => Number(b.value));
  const folders = picked.length === boxes.length ? [] : picked;
  const args = { relay: `ws://${location.host}/relay`, token: relayToken, imap: imapUrl(s), password: $('#i-pass').value, under: s.under, folders, dryRun };
  const bar = $('#i-progress');
  $('#i-report').hidden = true;
  $('#i-map').disabled = $('#i-go').disabled = true;
  $('#i-pause').hidden = $('#i-cancel').hidden = dryRun;
  uploading = !dryRun;
  document.body.dataset.upload = dryRun ? 'mapping' : 'uploading';
  uploadStatus(`Connecting to ${s.host}…`);
  const t0 = performance.now();
  if (!dryRun) {
    try { localStorage.setItem('unpst-upload-pending', JSON.stringify({ file: currentInfo().file, server: imapUrl(s), when: Date.now() })); } catch { /* ignore */ }
  }
  try {
    const r = await call(Cmd.upload, args, (p) => {
      if (p.phase === 'mapping') { showMapping(p.mapping); uploadStatus(dryRun ? '' : `Connected to ${p.server}. Uploading…`); }
      if (p.phase === 'upload') {
        bar.hidden = false; bar.max = p.total || 1; bar.value = p.done;
        uploadStatus(progressLine(p, t0, `${p.appended} added`, `${p.present} already there`));
      }
    });
    if (dryRun) {
      uploadStatus(`Mapping for ${r.server}: nothing was changed.`);
      document.body.dataset.upload = 'mapped';
    } else {
      showUploadReport(r);
      try { localStorage.removeItem('unpst-upload-pending'); } catch { /* ignore */ }
      document.body.dataset.upload = 'done';
    }
  } catch (err) {
    uploadStatus(err.message, true);
    document.body.dataset.upload = 'error';
  } finally {
    uploading = false;
    bar.hidden = true;
    $('#i-pause').hidden = $('#i-cancel').hidden = true;
    $('#i-pause').textContent = 'Pause';
    $('#i-map').disabled = $('#i-go').disabled = !relayToken;
  }
}

function showUploadReport(r) {
  lastUpload = r;
  const rep = r.report;
  $('#i-report').hidden = false;
  const skipped = r.skipped.length;
  const sum = $('#i-summary');
  sum.textContent = rep.verified
    ? `${rep.messages === 1 ? "The message is" : `All ${rep.messages} messages are`} on ${r.server}: ${rep.appended} added now, ${rep.present} already there.`
    : `${rep.missing} of ${rep.messages} messages are NOT on the server (${rep.rejected} refused by it) — see below.`;
  sum.className = rep.verified ? 'ok' : 'error';
  const list = $('#i-details');
  list.innerHTML = '';
  const li = (text, cls) => { const e = document.createElement('li'); e.textContent = text; if (cls) e.className = cls; list.append(e); };
  for (const f of rep.folders) {
    li(`${f.path.join('/')} → ${f.mailbox}: ${f.messages} messages, server has ${f.server_count} — ${f.verified ? 'verified' : [f.missing_count && `${f.missing_count} missing`, f.duplicates && `${f.duplicates} stored twice`, f.extra_count && `${f.extra_count} not from the PST`].filter(Boolean).join(', ')}`, f.verified ? 'ok' : 'error');
    if (f.note) li(f.note);
    for (const x of f.rejected) li(`refused: “${x.subject}” (${fmtBytes(x.size)}) — ${x.reason}`, 'error');
  }
  if (skipped) for (const x of r.skipped) li(`not convertible in ${x.folder}: “${x.subject}” — ${x.reason}`, 'error');
  uploadStatus('');
}

/** Fills the server and user from the address (the module's provider table): a known
 * provider's server, or the hosting default said to be a guess. What was typed by hand stays. */
async function proposeServer(address) {
  const note = $('#i-provider');
  const s = address.trim() ? await call(Cmd.provider, { address }) : null;
  note.hidden = !s;
  if (!s) return;
  const host = $('#i-host');
  if (!host.value || host.dataset.proposed) {
    host.value = s.host; host.dataset.proposed = '1';
    $('#i-port').value = String(s.port); $('#i-sec').value = 'imaps';
  }
  const user = $('#i-user');
  if (!user.value || user.dataset.proposed) { user.value = s.user; user.dataset.proposed = '1'; }
  const p = s.provider;
  note.classList.toggle('error', !!(p && p.auth === 'oauth2'));
  note.textContent = p
    ? `${p.name}: ${p.host}. ${p.note}${p.auth === 'oauth2' ? ' The page cannot sign in with OAuth2 yet: use `unpst upload --to ADDRESS --oauth2 ' + p.oauth2 + '`.' : ''}`
    : `No provider this page knows: ${s.host} is the usual hosting default — check your provider's settings.`;
}

/** The page's `call` (protocol.js), what is open (FileInfo) and its Cancel. */
export function initUpload(caller, info, cancel) {
  call = caller;
  currentInfo = info;
  $('#imap-form').onsubmit = (e) => { e.preventDefault(); imapRun(false); };
  $('#i-map').onclick = () => imapRun(true);
  $('#i-sec').onchange = () => { $('#i-port').value = $('#i-sec').value === 'imaps' ? '993' : '143'; };
  $('#i-address').onchange = () => proposeServer($('#i-address').value);
  // A server typed by hand is the user's: an address given later does not replace it.
  for (const f of ['#i-host', '#i-user']) $(f).oninput = () => { delete $(f).dataset.proposed; };
  $('#i-pause').onclick = async () => {
    const pausing = $('#i-pause').textContent === 'Pause';
    await call(pausing ? Cmd.pause : Cmd.resume, {});
    $('#i-pause').textContent = pausing ? 'Resume' : 'Pause';
    if (pausing) uploadStatus(`${$('#i-status').textContent} — paused`);
  };
  $('#i-cancel').onclick = () => { cancel(); uploadStatus('Upload cancelled; what arrived stays. Upload again to add the rest.'); };
  $('#i-save').onclick = () => lastUpload && download(new Blob([JSON.stringify(lastUpload, null, 2)], { type: 'application/json' }), 'upload-report.json');
}
