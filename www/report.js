// The migration report of step 6: what was moved from which file to where, what the check
// found, and the accounts to set up again — assembled from what steps 1–6 show (no second
// wording of any figure), to save as one HTML file or print.
import { $, download, fmtBytes } from './ui.js';
import { showSignatures } from './signatures.js';
import { names, picked, several } from './files.js';

function row(table, k, v) {
  const tr = document.createElement('tr');
  const th = document.createElement('th'); th.textContent = k;
  const td = document.createElement('td'); td.textContent = v;
  tr.append(th, td);
  table.append(tr);
}

function list(items) {
  const ul = document.createElement('ul');
  for (const li of items) ul.append(li.cloneNode(true));
  return ul;
}

// The signatures are looked for once per open file (FileInfo), on the first visit of step 6.
let signaturesFor = null;

/** Step 6 for the open file `info`: its signatures and accounts, then the report. */
export async function finish(info) {
  if (signaturesFor !== info) { signaturesFor = info; await showSignatures(); }
  buildReport(info);
}

/** Writes the report for the open file `info` (FileInfo) into #m-body. */
function buildReport(info) {
  const body = $('#m-body');
  body.replaceChildren();
  const t = document.createElement('table');
  const folders = picked();
  const imap = $('#dest').value === 'imap';
  row(t, 'Made', new Date().toLocaleString());
  if (several()) row(t, 'Files', names().join(', '));
  else row(t, 'File', `${info.file} (${fmtBytes(info.size)}, ${info.ost ? 'OST' : 'PST'} ${info.format}${info.display_name ? `, “${info.display_name}”` : ''})`);
  row(t, 'Moved', `${folders.length} folders, ${folders.reduce((n, f) => n + f.items, 0)} items`);
  row(t, 'To', $('#dest').selectedOptions[0].textContent.replace(/^into /, '') + (imap ? `: ${$('#i-user').value} at ${$('#i-host').value}` : ''));
  const summary = $(imap ? '#i-summary' : '#r-summary');
  const report = $(imap ? '#i-report' : '#report');
  row(t, 'Result', report.hidden ? 'Not moved yet.' : summary.textContent);
  const accounts = $('#sig-accounts').textContent;
  if (accounts) row(t, 'Accounts', accounts.replace(/^Accounts to set up again — /, ''));
  const sigs = [...document.querySelectorAll('#sig-list .sig h3')].map((h) => h.textContent);
  if (sigs.length) row(t, 'Signatures', sigs.join(' · '));
  body.append(t);
  const details = [...document.querySelectorAll(imap ? '#i-details li' : '#r-details li')];
  if (!report.hidden && details.length) {
    const h = document.createElement('h3');
    h.textContent = imap ? 'Folders checked on the server' : 'Not converted, or with warnings';
    body.append(h, list(details));
  }
  // (For a server, the folders checked there are the list.)
  if (imap) return;
  const f = document.createElement('h3');
  f.textContent = 'Folders moved';
  const ul = document.createElement('ul');
  for (const x of folders.filter((x) => x.items)) { const li = document.createElement('li'); li.textContent = `${several() ? `${x.file}: ` : ''}${x.path}: ${x.items} item${x.items === 1 ? '' : 's'}`; ul.append(li); }
  body.append(f, ul);
}

const STYLE = 'body{font:15px/1.45 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;color:#1d2430}'
  + 'th{text-align:left;padding:.15rem .8rem .15rem 0;color:#5b6675;font-weight:normal;vertical-align:top}'
  + '.ok{color:#1a7f37}.error{color:#b42318}';

/** Save and Print, for the file `info()` has open. */
export function initReport(info) {
  $('#m-save').onclick = () => {
    const name = info().file.replace(/\.(pst|ost)$/i, '');
    const title = document.createElement('title');
    title.textContent = `Migration report — ${info().file}`;
    const html = `<!DOCTYPE html><html lang="en"><meta charset="utf-8">${title.outerHTML}<style>${STYLE}</style>`
      + `<h1>${title.innerHTML}</h1>${$('#m-body').innerHTML}</html>\n`;
    download(new Blob([html], { type: 'text/html' }), `${name}.migration-report.html`);
  };
  $('#m-print').onclick = () => window.print();
}
