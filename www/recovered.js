// Deleted and older items (the file's freed space: src/convert/deleted.rs): looked for after
// opening — at once for a file the worker holds whole, on request for a larger one (the scan
// reads the whole file: minutes for a large one) — and shown as a "Recovered items" folder at the end of the tree, previewed
// and exported like any folder, never mixed into the others. Unticked by default, as the CLI
// converts it only with --recover.
import { Cmd, WHOLE_FILE } from './protocol.js';
import { fmtBytes } from './ui.js';

/** What the worker's commands take for a row's message: a folder's by its node id, a
 * recovered one (its row id `r<index>`) by its index. */
export function itemRef(nid) {
  return typeof nid === 'string' && nid.startsWith('r')
    ? { nid: 0, recovered: Number(nid.slice(1)) }
    : { nid: Number(nid), recovered: -1 };
}

/** A row id as the list keeps it (`data-nid` is text). */
export function rowId(text) {
  return text.startsWith('r') ? text : Number(text);
}

/** Adds the "Deleted items" line to the summary (`dl`) of the file `info` and looks for them
 * (or offers to). `current()` is the file open now; `addFolder(f)` puts the folder `f` —
 * `{nid: 'recovered', name, path, items, unread, children, rows}` — into the tree.
 * Settled (found, none, or offered): `#recovery`'s `data-state` is 'done', 'failed' or 'offered' (while looking: 'looking'). */
export function offerRecovery(call, info, current, dl, addFolder) {
  const dt = document.createElement('dt');
  dt.textContent = 'Deleted items';
  const dd = document.createElement('dd');
  dd.id = 'recovery';
  dl.append(dt, dd);
  const run = async () => {
    dd.textContent = 'Looking for deleted and older items…';
    dd.dataset.state = 'looking';
    let r;
    try { r = await call(Cmd.recover, {}); } catch (err) {
      if (current() === info) { dd.textContent = `Could not look for them: ${err.message}`; dd.dataset.state = 'failed'; }
      return;
    }
    if (current() !== info) return;
    const of = `of ${r.candidates} found; ${r.duplicates} copies of others, ${r.failed.length} unreadable`;
    dd.textContent = r.recovered
      ? `${r.recovered} recovered (${of}) — in “Recovered items”, tick it to export them`
      : `none to recover (${of})`;
    if (r.recovered) {
      addFolder({
        nid: 'recovered', name: 'Recovered items', path: ['Recovered items'], items: r.rows.length,
        unread: 0, children: [], rows: r.rows.map((m, i) => ({ ...m, nid: `r${i}` })),
      });
    }
    dd.dataset.state = 'done';
  };
  if (info.size <= WHOLE_FILE) { run(); return; }
  const b = document.createElement('button');
  b.type = 'button';
  b.id = 'recover-go';
  b.textContent = 'Look for them';
  b.onclick = () => { b.remove(); run(); };
  dd.append(`Not looked for yet: that reads the whole file (${fmtBytes(info.size)}). `, b);
  dd.dataset.state = 'offered';
}
