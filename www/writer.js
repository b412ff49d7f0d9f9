// Writes the converted files into the folder the user picked (File System Access API). Its
// writes are asynchronous while the conversion in worker.js is synchronous, so the two meet
// in shared memory: worker.js counts the bytes it hands over and waits while more than a few
// MiB are in flight; this worker counts them down as they reach the disk.
// state[0]: bytes in flight; state[1]: 1 once a write failed (its message in `text`).
let root = null;
let state = null;
let text = null;
let failed = false;
const dirs = new Map();
const open = [null, null];
let chain = Promise.resolve();

async function subdir(parts) {
  let d = root;
  let key = '';
  for (const p of parts) {
    key += `/${p}`;
    let next = dirs.get(key);
    if (!next) { next = await d.getDirectoryHandle(p, { create: true }); dirs.set(key, next); }
    d = next;
  }
  return d;
}

async function handle(m) {
  switch (m.op) {
    case 'start':
      root = m.dir;
      state = new Int32Array(m.sab, 0, 2);
      text = new Uint8Array(m.sab, 8);
      postMessage({ op: 'ready' });
      break;
    case 'begin': {
      const d = await subdir(m.path.slice(0, -1));
      const file = await d.getFileHandle(m.path[m.path.length - 1], { create: true });
      open[m.tree] = await file.createWritable();
      break;
    }
    case 'write':
      await open[m.tree].write(m.bytes);
      Atomics.sub(state, 0, m.bytes.byteLength);
      Atomics.notify(state, 0);
      break;
    case 'end':
      await open[m.tree].close();
      open[m.tree] = null;
      break;
    case 'finish':
      postMessage({ op: 'done' });
      break;
    default:
  }
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

onmessage = (e) => {
  const m = e.data;
  chain = chain.then(() => (failed ? (m.op === 'finish' ? postMessage({ op: 'error' }) : null) : handle(m))).catch(fail);
};
