// Writes the converted files into the folder the user picked (File System Access API). Its
// writes are asynchronous while the conversion in worker.js is synchronous, so the two meet
// in shared memory: worker.js counts the bytes it hands over and waits while more than a few
// MiB are in flight; this worker counts them down as they reach the disk.
// state[0]: bytes in flight; state[1]: 1 once a write failed (its message in `text`).
//
// Opening and closing a file costs about 4 ms however small it is (an EML file: most of its
// time), and the browser does several at once: up to OPEN files are written side by side,
// each file's steps in order (2000 files of 20 KB: 8.0 s one at a time, 4.9 s four at a time).
const OPEN = 4;
let root = null;
let state = null;
let text = null;
let failed = false;
const dirs = new Map();
// The file each tree (0, or 1 for EML beside mbox) writes now: its chain of steps.
const current = [null, null];
// Every file's chain not yet closed.
const pending = new Set();
let free = OPEN;
const waiting = [];

function acquire() {
  if (free > 0) { free--; return Promise.resolve(); }
  return new Promise((resolve) => waiting.push(resolve));
}

function release() {
  const next = waiting.shift();
  if (next) next(); else free++;
}

async function subdir(parts) {
  let d = root;
  let key = '';
  for (const p of parts) {
    key += `/${p}`;
    let next = dirs.get(key);
    if (!next) {
      next = d.getDirectoryHandle(p, { create: true });
      dirs.set(key, next);
    }
    d = await next;
  }
  return d;
}

async function create(path) {
  const d = await subdir(path.slice(0, -1));
  const file = await d.getFileHandle(path[path.length - 1], { create: true });
  return file.createWritable();
}

function fail(err) {
  if (failed) return;
  failed = true;
  const message = `Writing into the folder failed: ${err && err.message ? err.message : err}`;
  text.set(new TextEncoder().encode(message).subarray(0, text.length - 1));
  Atomics.store(state, 1, 1);
  Atomics.notify(state, 0);
  postMessage({ op: 'error', message });
}

// The next step of `f`, after its steps before; none once a step failed anywhere (the first
// failure is reported at once: the conversion may be waiting for its bytes to be written).
function then(f, step) {
  f.chain = f.chain.then(() => (failed ? undefined : step())).catch(fail);
}

onmessage = (e) => {
  const m = e.data;
  if (failed) {
    if (m.op === 'finish') postMessage({ op: 'error' });
    return;
  }
  switch (m.op) {
    case 'start':
      root = m.dir;
      state = new Int32Array(m.sab, 0, 2);
      text = new Uint8Array(m.sab, 8);
      postMessage({ op: 'ready' });
      break;
    case 'begin': {
      // Files are opened in the order they are begun (a turn is taken at once).
      const f = { chain: acquire(), out: null };
      then(f, async () => { f.out = await create(m.path); });
      current[m.tree] = f;
      break;
    }
    case 'write': {
      const f = current[m.tree];
      then(f, async () => {
        await f.out.write(m.bytes);
        Atomics.sub(state, 0, m.bytes.byteLength);
        Atomics.notify(state, 0);
      });
      break;
    }
    case 'end': {
      const f = current[m.tree];
      then(f, () => f.out.close());
      const done = f.chain.finally(() => { release(); pending.delete(done); });
      pending.add(done);
      current[m.tree] = null;
      break;
    }
    case 'finish':
      Promise.all([...pending]).then(() => postMessage(failed ? { op: 'error' } : { op: 'done' }));
      break;
    default:
  }
};
