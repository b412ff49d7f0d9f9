// The page's client of worker.js: starts the worker, sends commands (protocol.js) and hands
// back their answers and progress, takes answers from shared memory in the frame they are
// ready for (`soon`), and when the module traps replaces the worker and opens the file again
// without the item it trapped on.
import { Cmd } from './protocol.js';
import { hooks } from './ui.js';

let worker = null;
let nextId = 1;
const pending = new Map();

// Where the worker leaves previews for the next frame to find (see replyJson in worker.js);
// only in a cross-origin isolated page (shared memory), otherwise answers come posted only.
const SHARED_BYTES = 4 << 20;
let shared = null;

export function startWorker() {
  worker = new Worker('worker.js', { type: 'module' });
  worker.onmessage = (e) => {
    const m = e.data;
    const p = pending.get(m.id);
    if (!p) return;
    if (m.progress) { p.onProgress && p.onProgress(m.progress); return; }
    pending.delete(m.id);
    if (m.fatal) restart(m);
    if (m.json !== undefined) { p.resolve(JSON.parse(m.json)); return; }
    if (m.ok) { p.resolve(m.value); return; }
    const err = new Error(m.value);
    err.fatal = !!m.fatal;
    err.item = m.item || 0;
    p.reject(err);
  };
  if (window.crossOriginIsolated) {
    shared = new SharedArrayBuffer(8 + SHARED_BYTES);
    worker.postMessage({ shared });
  }
}

// Items that crashed the module in the current file ({nid, reason}), and the file's opening
// in the worker that replaced the crashed one.
export const crashed = [];
let reopened = null;
/** The file's opening in the worker that replaced a crashed one (null if none). */
export function reopening() { return reopened; }
// The file open now (it is opened again after a crash).
let currentFile = () => null;

// The module trapped (a panic, deep recursion): the worker is replaced, what else was asked of
// it fails, and the file is opened again in the new one with the item in work set aside —
// the page carries on.
function restart(m) {
  replaceWorker('The converter restarted; try again.');
  if (m.item && !crashed.some((c) => c.nid === m.item)) {
    crashed.push({ nid: m.item, reason: `the converter crashed on this item: ${m.value}` });
  }
  const file = currentFile();
  reopened = file ? call(Cmd.open, { file, setAside: crashed }) : null;
  if (reopened) reopened.catch(() => {});
}

// A new worker in place of the current one; what was asked of the old one fails with `why`.
export function replaceWorker(why) {
  worker.terminate();
  const lost = [...pending.values()];
  pending.clear();
  startWorker();
  for (const p of lost) p.reject(new Error(why));
}

export function call(cmd, args, onProgress) {
  const id = nextId++;
  // (The tests' way to read a large file without its working copy, as before it.)
  if (cmd === Cmd.open && hooks.noCopy) args = { ...args, noCopy: true };
  const answer = new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, cmd, args });
  });
  answer.id = id;
  return answer;
}

// True from a frame callback that delivered an answer until that frame is drawn.
let inFrame = false;
/** Whether an answer was delivered in this frame (so what it drew is in it). */
export function isInFrame() { return inFrame; }

// The answer to `answer` (a `call` answered with replyJson) as soon as it is in shared memory,
// looked for at the start of each frame: what the page draws with it is in that frame.
// (Timers and posted messages are only run after the frame that follows a click.)
export function soon(answer) {
  const id = answer.id;
  const look = () => {
    const p = pending.get(id);
    if (!p || !shared) return;
    const head = new Int32Array(shared, 0, 2);
    if (Atomics.load(head, 0) !== id) { requestAnimationFrame(look); return; }
    const bytes = new Uint8Array(shared, 8, Atomics.load(head, 1)).slice();
    // Overwritten by the next answer while copying: the posted copy will do.
    if (Atomics.load(head, 0) !== id) return;
    pending.delete(id);
    inFrame = true;
    setTimeout(() => { inFrame = false; });
    hooks.frameAnswers++;
    p.resolve(JSON.parse(new TextDecoder().decode(bytes)));
  };
  if (shared && pending.has(id)) requestAnimationFrame(look);
  return answer;
}

/** A command that is not answered (Cmd.warm). */
export function tell(cmd, args) {
  worker.postMessage({ cmd, args });
}

/** Starts the first worker; `file` says which file to open again after a crash. */
export function initClient(file) {
  currentFile = file;
  startWorker();
}
