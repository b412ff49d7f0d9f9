// The signatures panel: the signatures found in the sent mail (or read from a picked Outlook
// signatures folder), each shown in a sandboxed frame with copy and download buttons, and the
// accounts to set up again.
import { Cmd } from './protocol.js';
import { $, status, download } from './ui.js';

let call = null;

function sigCard(s) {
  const div = document.createElement('div');
  div.className = 'sig';
  const h = document.createElement('h3');
  h.textContent = `${s.account ? `${s.account} — ` : ''}${s.name}${s.uses ? ` (used in ${s.uses} sent messages)` : ''}`;
  const frame = document.createElement('iframe');
  frame.sandbox = '';
  frame.title = `Signature ${s.name}`;
  const csp = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`;
  const pre = document.createElement('pre');
  pre.textContent = s.text;
  frame.srcdoc = csp + (s.html || `<style>pre{font:14px/1.4 system-ui,sans-serif;white-space:pre-wrap}</style>${pre.outerHTML}`);
  const file = (s.account ? `${s.account} ` : '') + s.name;
  const button = (label, fn) => { const b = document.createElement('button'); b.type = 'button'; b.textContent = label; b.onclick = fn; return b; };
  const copy = (text, what) => navigator.clipboard.writeText(text).then(() => status(`${what} copied.`), () => status('The browser did not allow copying; use Download.', true));
  div.append(h, frame);
  if (s.html) {
    div.append(button('Copy HTML', () => copy(s.html, 'HTML signature')));
    div.append(button('Download .html', () => download(new Blob([s.html], { type: 'text/html' }), `${file}.html`)));
  }
  div.append(button('Copy text', () => copy(s.text, 'Text signature')));
  div.append(button('Download .txt', () => download(new Blob([`${s.text}\n`], { type: 'text/plain' }), `${file}.txt`)));
  return div;
}

/** Looks through the open file's sent mail for its signatures and accounts (step 6). */
export async function showSignatures() {
  const list = $('#sig-list');
  list.textContent = 'Looking through the sent mail…';
  let r;
  try { r = await call(Cmd.signatures, {}); } catch (err) { list.textContent = err.message; return; }
  const acc = r.accounts.map((a) => `${a.address}${a.name ? ` (${a.name})` : ''}: ${a.sent} sent`).join(' · ');
  $('#sig-accounts').textContent = r.accounts.length ? `Accounts to set up again — ${acc}` : 'No sent mail in this file.';
  list.innerHTML = '';
  if (!r.signatures.length) list.textContent = 'No signature found in the sent mail.';
  for (const s of r.signatures) list.append(sigCard(s));
  document.body.dataset.signatures = String(r.signatures.length);
}

async function signatureFolder(files) {
  // Paths relative to the picked folder: "Signatures/Work_files/a.png" → "Work_files/a.png".
  const picked = [];
  for (const f of files) {
    if (f.size > 10 * 1048576) continue;
    const path = (f.webkitRelativePath || f.name).split('/').slice(1).join('/') || f.name;
    picked.push({ path, bytes: new Uint8Array(await f.arrayBuffer()) });
  }
  const sigs = await call(Cmd.signatureFiles, { files: picked });
  const list = $('#sig-list');
  if (!sigs.length) { status('No .htm or .txt signature in that folder.', true); return; }
  for (const s of sigs) list.append(sigCard(s));
  status(`${sigs.length} signature(s) read from the folder.`);
}

export function initSignatures(caller) {
  call = caller;
  $('#sig-folder').onchange = (e) => { const files = [...e.target.files]; e.target.value = ''; if (files.length) signatureFolder(files); };
}
