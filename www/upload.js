// The upload panel: IMAP settings, the folder mapping, the upload through `unpst relay` with
// its progress, pause and cancel, and the verified report.
import { Cmd } from './protocol.js';
import { $, download, fmtBytes, progressLine } from './ui.js';
import { busy, mappedNow, movedNow } from './steps.js';
import { eachFile, several } from './files.js';

let call = null;
let currentInfo = () => null;

// The relay serves this page and prints its address with a token after '#': only a page
// opened from that address can use it. Settings (never the password) are remembered, and
// an unfinished upload is offered again: messages already on the server are skipped.
const relayToken = new URLSearchParams(location.hash.slice(1)).get('relay') || sessionStorage.getItem('unpst-relay');
if (relayToken) sessionStorage.setItem('unpst-relay', relayToken);
let lastUpload = null;
let uploading = false;
let paused = false;
let cancelled = false;

function imapSettings() {
  return {
    host: $('#i-host').value.trim(), port: $('#i-port').value, sec: $('#i-sec').value, user: $('#i-user').value.trim(), under: $('#i-under').value.trim(),
    auth: $('#i-auth').value, clientId: $('#i-client-id').value.trim(), authorizeUrl: $('#i-authorize-url').value.trim(),
    tokenUrl: $('#i-token-url').value.trim(), scope: $('#i-scope').value.trim(),
  };
}

// OAuth2 instead of a password: what the relay needs to sign the user in (never a token).
function oauthSettings(s) {
  if (s.auth === 'password') return null;
  const custom = s.auth === 'custom';
  return {
    provider: s.auth, client_id: s.clientId, client_secret: $('#i-client-secret').value || null,
    authorize_url: custom ? s.authorizeUrl : null, token_url: custom ? s.tokenUrl : null, scope: s.scope || null,
  };
}

function showAuth() {
  const auth = $('#i-auth').value;
  $('#i-oauth').hidden = auth === 'password';
  $('#i-custom').hidden = auth !== 'custom';
  $('#i-pass-label').hidden = auth !== 'password';
  $('#i-pass').required = auth === 'password';
}

// The sign-in window: opened blank while the click still counts as the user's (a window
// opened later, when the relay says where to go, would be blocked), sent there then.
let signInWindow = null;
function signIn(url) {
  if (signInWindow && !signInWindow.closed) { signInWindow.location.href = url; return; }
  const a = document.createElement('a');
  a.href = url; a.target = '_blank'; a.rel = 'noopener'; a.textContent = 'Sign in to your mail account';
  $('#i-status').replaceChildren('The browser blocked the sign-in window: ', a, '.');
}

function imapUrl(s) {
  return `${s.sec}://${encodeURIComponent(s.user)}@${s.host}:${s.port}`;
}

export function setupImap() {
  const note = $('#relay-note');
  if (relayToken) {
    note.textContent = `Uploads go through unpst relay on this machine (${location.host}); it speaks IMAP to your server.`;
  } else {
    note.textContent = 'To upload, run `unpst relay` (or `cargo xtask serve`) and open the address it prints — the page then talks to it on this machine only.';
  }
  $('#i-go').disabled = !relayToken;
  try {
    const saved = JSON.parse(localStorage.getItem('unpst-imap') || 'null');
    if (saved) {
      $('#i-host').value = saved.host || ''; $('#i-port').value = saved.port || '993'; $('#i-sec').value = saved.sec || 'imaps';
      $('#i-user').value = saved.user || ''; $('#i-under').value = saved.under || '';
      $('#i-auth').value = saved.auth || 'password'; $('#i-client-id').value = saved.clientId || '';
      $('#i-authorize-url').value = saved.authorizeUrl || ''; $('#i-token-url').value = saved.tokenUrl || ''; $('#i-scope').value = saved.scope || '';
      showAuth();
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
    const path = `${f.file ? `${f.file}: ` : ''}${f.path.join('/')}`;
    for (const v of [path, f.mailbox, String(f.items), f.exists ? String(f.count) : 'new']) {
      const td = document.createElement('td'); td.textContent = v; tr.append(td);
    }
    body.append(tr);
  }
  table.hidden = false;
}

async function imapRun(dryRun) {
  if (!relayToken) { uploadStatus($('#relay-note').textContent, true); return; }
  const s = imapSettings();
  const oauth = oauthSettings(s);
  if (!s.host || !s.user || (!oauth && !$('#i-pass').value)) { uploadStatus('Server, user and password are needed.', true); return; }
  if (oauth && !s.clientId) { uploadStatus('OAuth2 needs the client ID of the app registered with your provider (docs/oauth.md).', true); return; }
  try { localStorage.setItem('unpst-imap', JSON.stringify(s)); } catch { /* private mode */ }
  signInWindow = oauth ? window.open('about:blank', 'unpst-sign-in', 'popup,width=520,height=700') : null;
  const args = { relay: `ws://${location.host}/relay`, token: relayToken, imap: imapUrl(s), password: oauth ? '' : $('#i-pass').value, oauth, under: s.under, dryRun };
  const bar = $('#i-progress');
  $('#i-report').hidden = true;
  $('#next').disabled = $('#i-go').disabled = true;
  $('#i-pause').hidden = $('#i-cancel').hidden = dryRun;
  uploading = !dryRun;
  document.body.dataset.upload = dryRun ? 'mapping' : 'uploading';
  busy(true);
  uploadStatus(`Connecting to ${s.host}…`);
  const t0 = performance.now();
  if (!dryRun) {
    try { localStorage.setItem('unpst-upload-pending', JSON.stringify({ file: currentInfo().file, server: imapUrl(s), when: Date.now() })); } catch { /* ignore */ }
  }
  try {
    // Each file of the move in turn, into the same folders; a message an earlier file sent
    // is found on the server and not sent again. What is too large goes into one mbox.
    let first = true;
    const done = await eachFile(async (info, folders) => {
      const from = several() ? `${info.file}: ` : '';
      const r = await call(Cmd.upload, { ...args, folders, appendTooLarge: !first }, (p) => {
        if (p.phase === 'sign-in') { uploadStatus('Sign in to your mail account in the window that opened…'); signIn(p.url); }
        if (p.phase === 'mapping') {
          if (signInWindow && !signInWindow.closed) signInWindow.close();
          uploadStatus(dryRun ? '' : `Connected to ${p.server}. Uploading ${from}…`);
        }
        if (p.phase === 'upload') {
          bar.hidden = false; bar.max = p.total || 1; bar.value = p.done;
          // (The message under way when Pause was pressed still arrives: the line says paused.)
          uploadStatus(from + progressLine(p, t0, `${p.appended} added`, `${p.present} already there`) + (paused ? ' — paused' : ''));
        }
      });
      first = false;
      return { file: info.file, r };
    });
    if (dryRun) {
      showMapping(done.flatMap(({ file, r }) => r.mapping.map((m) => (several() ? { ...m, file } : m))));
      uploadStatus(`Mapping for ${done[0].r.server}: nothing was changed.`);
      document.body.dataset.upload = 'mapped';
      mappedNow();
    } else {
      showUploadReport(done);
      try { localStorage.removeItem('unpst-upload-pending'); } catch { /* ignore */ }
      document.body.dataset.upload = 'done';
      movedNow('imap');
    }
  } catch (err) {
    // Cancel replaces the worker: its "Cancelled." is said as what it means for the upload.
    uploadStatus(cancelled ? 'Upload cancelled; what arrived stays. Upload again to add the rest.' : err.message, !cancelled);
    document.body.dataset.upload = cancelled ? 'cancelled' : 'error';
  } finally {
    busy(false);
    cancelled = false;
    if (signInWindow && !signInWindow.closed) signInWindow.close();
    signInWindow = null;
    uploading = false;
    bar.hidden = true;
    $('#i-pause').hidden = $('#i-cancel').hidden = true;
    $('#i-pause').textContent = 'Pause';
    paused = false;
    $('#next').disabled = false;
    $('#i-go').disabled = !relayToken;
  }
}

/** The verification of each file's upload ({file, r: UploadAnswer}), as one. */
function showUploadReport(done) {
  lastUpload = done.length === 1 ? done[0].r : done.map(({ file, r }) => ({ file, ...r }));
  const reps = done.map((d) => d.r.report);
  const total = (k) => reps.reduce((n, x) => n + x[k], 0);
  const verified = reps.every((x) => x.verified);
  const server = done[0].r.server;
  $('#i-report').hidden = false;
  const sum = $('#i-summary');
  const messages = total('messages');
  sum.textContent = verified
    ? `${messages === 1 ? 'The message is' : `All ${messages} messages are`} on ${server}: ${total('appended')} added now, ${total('present')} already there.`
    : `${total('missing')} of ${messages} messages are NOT on the server (${total('rejected')} refused by it) — see below.`;
  sum.className = verified ? 'ok' : 'error';
  const list = $('#i-details');
  list.innerHTML = '';
  const li = (text, cls) => { const e = document.createElement('li'); e.textContent = text; if (cls) e.className = cls; list.append(e); };
  for (const { file, r } of done) {
    if (done.length > 1) li(`${file}:`, 'file');
    // The provider's limit for the day or hour: the rest waits for a later run.
    if (r.report.stopped) li(`stopped: the server kept asking to slow down (${r.report.stopped}) after every wait — a limit for the day or the hour. Upload again later: what arrived is skipped.`, 'error');
    for (const f of r.report.folders) {
      li(`${f.path.join('/')} → ${f.mailbox}: ${f.messages} messages, server has ${f.server_count} — ${f.verified ? 'verified' : [f.missing_count && `${f.missing_count} missing`, f.duplicates && `${f.duplicates} stored twice`, f.extra_count && `${f.extra_count} not from the PST`].filter(Boolean).join(', ')}`, f.verified ? 'ok' : 'error');
      if (f.note) li(f.note);
      for (const x of f.rejected) li(`refused: “${x.subject}” (${fmtBytes(x.size)}) — ${x.reason}`, 'error');
    }
    for (const x of r.skipped) li(`not convertible in ${x.folder}: “${x.subject}” — ${x.reason}`, 'error');
  }
  // Refused for size: kept as one mbox (the last answer's file holds every file's) to save
  // and import into a mail program.
  const kept = done.map((d) => d.r.tooLarge).filter(Boolean);
  const big = $('#i-too-large');
  big.hidden = !kept.length;
  if (kept.length) {
    const count = kept.reduce((n, k) => n + k.count, 0);
    const name = `${(done[0].file || 'unpst').replace(/\.(pst|ost)$/i, '')}.too-large.mbox`;
    big.textContent = `Save the ${count} messages too large for the server (${name})`;
    big.onclick = () => download(kept[kept.length - 1].file, name);
  }
  uploadStatus('');
}

/** Fills the server and user from the address (the module's provider table): a known
 * provider's server, or the hosting default said to be a guess. What was typed by hand stays. */
async function proposeServer(address) {
  const note = $('#i-provider');
  const s = address.trim() ? await call(Cmd.provider, { address }) : null;
  note.hidden = !s;
  $('#i-lookup-box').hidden = true;
  if (!s) return;
  const host = $('#i-host');
  if (!host.value || host.dataset.proposed) {
    host.value = s.host; host.dataset.proposed = '1';
    $('#i-port').value = String(s.port); $('#i-sec').value = 'imaps';
  }
  const user = $('#i-user');
  if (!user.value || user.dataset.proposed) { user.value = s.user; user.dataset.proposed = '1'; }
  const p = s.provider;
  // A provider that takes no password: its OAuth2 sign-in is chosen (an app's client ID needed).
  if (p && p.auth === 'oauth2' && p.oauth2) { $('#i-auth').value = p.oauth2; showAuth(); }
  note.textContent = p
    ? `${p.name}: ${p.host}. ${p.note}${p.auth === 'oauth2' ? ' Sign in with OAuth2 below, with the client ID of the app registered for you (docs/oauth.md).' : ''}`
    : `No provider this page knows: ${s.host} is the usual hosting default — check your provider's settings.`;
  // For a guess, the domain's own settings — asked only if the user clicks, and said first.
  const box = $('#i-lookup-box');
  box.hidden = !(s.guess && s.lookup.length && relayToken);
  if (!box.hidden) {
    const domain = address.trim().split('@').pop();
    $('#i-lookup').textContent = `Ask ${domain} for its settings`;
    $('#i-lookup-note').textContent = `The relay then asks ${s.lookup.join(', ')} — nothing else, no one else.`;
    $('#i-lookup').onclick = () => lookUp(address);
  }
}

/** Fills the server from what `address`'s domain publishes (through the relay). */
async function lookUp(address) {
  const note = $('#i-lookup-note');
  $('#i-lookup').disabled = true;
  note.textContent = 'Asking…';
  try {
    const r = await call(Cmd.lookup, { relay: `ws://${location.host}/relay`, token: relayToken, address });
    const f = r.found;
    if (!f) { note.textContent = `Nothing published (asked ${r.asked.join(', ')}): check your provider's settings.`; return; }
    $('#i-host').value = f.host; $('#i-port').value = String(f.port); $('#i-sec').value = f.starttls ? 'imap' : 'imaps';
    $('#i-user').value = f.user;
    for (const k of ['#i-host', '#i-user']) delete $(k).dataset.proposed;
    note.textContent = `Found at ${f.source}: ${f.host}:${f.port} (${f.starttls ? 'STARTTLS' : 'TLS'}).`;
  } catch (err) {
    note.textContent = err.message;
  } finally {
    $('#i-lookup').disabled = false;
  }
}

/** Step 2's Next: connects (signing in if need be) and shows the mapping; changes nothing. */
export function connect() { return imapRun(true); }

/** The page's `call` (protocol.js), what is open (FileInfo) and its Cancel. */
export function initUpload(caller, info, cancel) {
  call = caller;
  currentInfo = info;
  $('#imap-form').onsubmit = (e) => { e.preventDefault(); connect(); };
  $('#i-go').onclick = () => imapRun(false);
  $('#i-sec').onchange = () => { $('#i-port').value = $('#i-sec').value === 'imaps' ? '993' : '143'; };
  $('#i-address').onchange = () => proposeServer($('#i-address').value);
  $('#i-auth').onchange = showAuth;
  // A server typed by hand is the user's: an address given later does not replace it.
  for (const f of ['#i-host', '#i-user']) $(f).oninput = () => { delete $(f).dataset.proposed; };
  $('#i-pause').onclick = async () => {
    const pausing = !paused;
    paused = pausing;
    await call(pausing ? Cmd.pause : Cmd.resume, {});
    $('#i-pause').textContent = pausing ? 'Resume' : 'Pause';
    const line = $('#i-status').textContent;
    if (pausing && !line.endsWith(' — paused')) uploadStatus(`${line} — paused`);
  };
  $('#i-cancel').onclick = () => { cancelled = true; cancel(); };
  $('#i-save').onclick = () => lastUpload && download(new Blob([JSON.stringify(lastUpload, null, 2)], { type: 'application/json' }), 'upload-report.json');
}
