// Copies a large dropped file, front to back, into the page's private file system (OPFS) for
// copy.js, while the conversion worker reads what is copied so far through its own handle.
// A Blob's stream is the cheapest way a page can read a file (1 GB in ≈ 2 s here, against
// ≈ 30 s of scattered 128 KiB reads); what is copied is then read in microseconds.
// state[0]: KiB copied (the whole file once done); state[1]: 0 copying, 1 done, 2 given up;
// state[2]: ms the copy took, once done (for the benchmarks).
// {op: 'stop'} ends the copy; the handle closed, this worker answers 'stopped'.
let state = null;
let stopping = false;
let stop = null;
const stopped = new Promise((resolve) => { stop = resolve; });

async function copy(file, handle) {
  const t0 = performance.now();
  const reader = file.stream().getReader();
  let at = 0;
  for (;;) {
    if (stopping) { reader.cancel().catch(() => {}); return false; }
    const { done, value } = await reader.read();
    if (done) break;
    for (let put = 0; put < value.length;) {
      const n = handle.write(value.subarray(put), { at: at + put });
      if (!n) throw new Error('the copy made no progress');
      put += n;
    }
    at += value.length;
    // Only whole KiB: what lies below state[0] KiB is copied for good.
    Atomics.store(state, 0, Math.floor(at / 1024));
  }
  if (at !== file.size) throw new Error('the file ended early');
  Atomics.store(state, 0, Math.ceil(at / 1024));
  Atomics.store(state, 2, Math.round(performance.now() - t0));
  return true;
}

async function start({ file, name }) {
  let handle = null;
  try {
    const root = await navigator.storage.getDirectory();
    handle = await (await root.getFileHandle(name)).createSyncAccessHandle({ mode: 'readwrite-unsafe' });
  } catch (err) {
    postMessage({ op: 'failed', message: String(err) });
    return;
  }
  postMessage({ op: 'ready' });
  try {
    if (await copy(file, handle)) Atomics.store(state, 1, 1);
  } catch {
    // Out of room, or the file changed or went away: the reads go to the file itself again,
    // and the room is given back.
    Atomics.store(state, 0, 0);
    Atomics.store(state, 1, 2);
    try { handle.truncate(0); } catch { /* closed below */ }
  }
  await stopped;
  handle.close();
  postMessage({ op: 'stopped' });
}

onmessage = (e) => {
  if (e.data.op === 'stop') {
    stopping = true;
    stop();
    return;
  }
  state = e.data.state;
  start(e.data);
};
