// The files of one move: a PST, or several (an Outlook.pst and its yearly archives) moved
// together — into one account their folders meet by path and a message both hold is sent
// once (the server is asked what it has); as files, each gets its own archive. One file is
// shown in the tree at a time, each keeps its own ticks, and a move takes each file in turn
// (`eachFile`), the worker opening it, and ends with the shown one open again.
import { $, fmtBytes } from './ui.js';

/** @type {{ file: File, info: object, unticked: Set<number> }[]} */
let files = [];
let shown = null;
let hooks = null;

const flatten = (f, out = []) => { out.push(f); f.children.forEach((c) => flatten(c, out)); return out; };

/** Whether this move has more than one file; how many it has. */
export function several() { return files.length > 1; }
export function count() { return files.length; }
/** Each file of the move, by name and size. */
export function names() { return files.map((e) => `${e.file.name} (${fmtBytes(e.file.size)})`); }

/** The folders each file moves: [{file, path, items}] — the shown file's as ticked in the
 * tree, the others' as they were left. */
export function picked() {
  const out = [];
  for (const e of files) {
    if (e === shown) {
      for (const b of document.querySelectorAll('.pick:checked')) {
        const row = b.closest('.folder');
        out.push({ file: e.file.name, path: row.dataset.folderPath, items: Number(row.dataset.items) });
      }
    } else {
      for (const f of flatten(e.info.folders).slice(1)) {
        if (!e.unticked.has(f.nid)) out.push({ file: e.file.name, path: f.path.join('/'), items: f.items });
      }
    }
  }
  return out;
}

// What the worker's convert and upload take as `folders`: [] for the whole file.
function folderArg(e) {
  if (e === shown) {
    const boxes = [...document.querySelectorAll('.pick')];
    const ticked = boxes.filter((b) => b.checked).map((b) => Number(b.value));
    return ticked.length === boxes.length ? [] : ticked;
  }
  if (!e.unticked.size) return [];
  return flatten(e.info.folders).slice(1).map((f) => f.nid).filter((n) => !e.unticked.has(n));
}

function keepTicks() {
  if (!shown) return;
  shown.unticked = new Set([...document.querySelectorAll('.pick')].filter((b) => !b.checked).map((b) => Number(b.value)));
}

function drawList() {
  const ul = $('#files');
  ul.replaceChildren();
  ul.hidden = files.length < 2;
  for (const e of files) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = `${e.file.name} · ${fmtBytes(e.file.size)} · ${flatten(e.info.folders).reduce((n, f) => n + f.items, 0)} items`;
    if (e === shown) b.setAttribute('aria-current', 'true');
    b.onclick = () => show(e);
    li.append(b);
    ul.append(li);
  }
}

async function show(e) {
  if (e === shown) return;
  keepTicks();
  const info = await hooks.show(e.file);
  if (!info) return;
  shown = e;
  e.info = info;
  for (const b of document.querySelectorAll('.pick')) b.checked = !e.unticked.has(Number(b.value));
  drawList();
}

/** The user chose `list` (Files): each is opened for its tree (one that is no PST is said
 * and left out), then the first that opens is shown. When none opens, the move stays as it
 * was (the status line says why). */
export async function choose(list, since) {
  const read = [];
  const bad = [];
  if (list.length > 1) {
    for (const file of list) {
      try {
        read.push({ file, info: await hooks.use(file), unticked: new Set() });
      } catch (err) {
        bad.push(`${file.name}: ${err.message}`);
      }
    }
  } else {
    read.push({ file: list[0], info: null, unticked: new Set() });
  }
  const first = read[0] || { file: list[0] };
  const info = await hooks.show(first.file, since);
  if (!info) return;
  first.info = info;
  shown = first;
  files = read;
  $('#files-note').hidden = !bad.length;
  $('#files-note').textContent = bad.length ? `Left out — ${bad.join('; ')}` : '';
  drawList();
}

/** Runs `fn(info, folders, shown)` for each file of the move in turn, that file open in the
 * worker (`shown`: the one in the tree); the shown file is open again afterwards. Returns
 * what each call returned. */
export async function eachFile(fn) {
  keepTicks();
  const out = [];
  let open = shown;
  try {
    for (const e of files) {
      if (e !== open) { e.info = await hooks.use(e.file); open = e; }
      out.push(await fn(e.info, folderArg(e), e === shown));
    }
  } finally {
    if (open !== shown) await hooks.use(shown.file).catch(() => {});
  }
  return out;
}

/** `h`: { show(file, since) → FileInfo|null (opens it in the tree), use(file) → FileInfo (opens
 * it in the worker only) }. */
export function initFiles(h) {
  hooks = h;
}
