// The line "Working copy" of the file's summary: how far the working copy (copy.js) is, its
// size, and that it goes when another file is opened.
import { call } from './client.js';
import { Cmd } from './protocol.js';
import { fmtBytes } from './ui.js';

/** Shows the working copy of `current` (a FileInfo) in `summary` while `shown()` is it: a copy
 * of a mailbox kept in the browser's storage is for the user to know of. Asked again (the
 * worker answers once free) as the copy grows, or gives up room to a zip. */
export async function showCopy(current, shown, summary) {
  const dt = document.createElement('dt');
  dt.textContent = 'Working copy';
  const dd = document.createElement('dd');
  dd.id = 'copy-note';
  for (let first = true; shown() === current; first = false) {
    let c;
    try { c = await call(Cmd.copied, {}); } catch { break; }
    if (shown() !== current) break;
    const text = copyText(c, current.size);
    if (!text) break;
    if (first) summary.append(dt, dd);
    dd.textContent = text;
    await new Promise((r) => setTimeout(r, c.state === 'copying' ? 1000 : 5000));
  }
  // Another file is open in the worker now (or there is no copy): this one's line goes.
  dt.remove();
  dd.remove();
}

function copyText(c, size) {
  const where = "in this browser's private storage, for speed; deleted when another file is opened";
  switch (c.state) {
    case 'copying': return `${Math.floor((100 * c.bytes) / size)} % made, ${where}`;
    case 'done':
      if (!c.bytes) return 'none: no room left in this browser\'s storage, so the file is read directly';
      return c.bytes >= size ? `${fmtBytes(c.bytes)} ${where}` : `the first ${fmtBytes(c.bytes)} of the file (no room for more) ${where}`;
    case 'given up': return 'none: the file changed while it was copied, so it is read directly';
    default: return null;
  }
}
