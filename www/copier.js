// Copies a large dropped file, front to back, into the page's private file system (OPFS) for
// copy.js, while the conversion worker reads what is copied so far through its own handle.
// A Blob's stream is the cheapest way a page can read a file (1 GB in ≈ 2 s here, against
// ≈ 30 s of scattered 128 KiB reads); what is copied is then read in microseconds.
// state[0]: KiB copied (the whole file once done); state[1]: 0 copying, 1 done (all of the
// file, or as much as there was room for), 2 given up; state[2]: ms the copy took, once done
// (for the benchmarks); state[3]: set by copy.js to end the copy where it is (its room is
// wanted for the export).
// {op: 'stop'} ends the copy; the handle closed, this worker answers 'stopped'.
let state = null;
let stopping = false;
let stop = null;
const stopped = new Promise((resolve) => { stop = resolve; });

// A write refused (the origin's storage is full): the copy ends there, as far as it got.
class Full extends Error {}

// What a read into our own buffer asks for at most (Chromium fills a few hundred KiB a read).
const PIECE = 4 << 20;

/** The file's stream read into one buffer of ours, over and over, where the browser can
 * (a "byob" reader): a fresh buffer for each piece, the other way, costs the browser about a
 * third more CPU (tests/e2e/bench_copy.mjs), which a conversion under way needs. */
function pieces(file) {
  const stream = file.stream();
  let reader = null;
  try { reader = stream.getReader({ mode: 'byob' }); } catch { /* a stream of chunks: below */ }
  if (!reader) return stream.getReader();
  let buffer = new ArrayBuffer(PIECE);
  return {
    async read() {
      const got = await reader.read(new Uint8Array(buffer, 0, PIECE));
      // (The read takes the buffer and hands it back in its answer.)
      if (got.value) buffer = got.value.buffer;
      return got;
    },
    cancel: () => reader.cancel(),
  };
}

async function copy(file, handle, limit) {
  const reader = pieces(file);
  let at = 0;
  for (;;) {
    if (stopping) { reader.cancel().catch(() => {}); return false; }
    if (at >= limit || Atomics.load(state, 3)) { reader.cancel().catch(() => {}); break; }
    const { done, value } = await reader.read();
    if (done) break;
    const take = value.subarray(0, Math.min(value.length, limit - at));
    for (let put = 0; put < take.length;) {
      let n = 0;
      try { n = handle.write(take.subarray(put), { at: at + put }); } catch { throw new Full(); }
      // Chromium's refusal for want of room is an error code returned as the count (see
      // src/wasm/sinks.rs).
      if (!(n >= 1 && n <= take.length - put)) throw new Full();
      put += n;
    }
    at += take.length;
    // Only whole KiB: what lies below state[0] KiB is copied for good.
    Atomics.store(state, 0, Math.floor(at / 1024));
  }
  if (at === file.size) Atomics.store(state, 0, Math.ceil(at / 1024));
  else if (at < limit && !Atomics.load(state, 3)) throw new Error('the file ended early');
  return true;
}

async function start({ file, name, limit }) {
  let handle = null;
  try {
    const root = await navigator.storage.getDirectory();
    handle = await (await root.getFileHandle(name)).createSyncAccessHandle({ mode: 'readwrite-unsafe' });
  } catch (err) {
    postMessage({ op: 'failed', message: String(err) });
    return;
  }
  postMessage({ op: 'ready' });
  const t0 = performance.now();
  let ended = false;
  try {
    ended = await copy(file, handle, limit);
  } catch (err) {
    // Out of room: what is copied stays, and is read. The file changed or went away: the
    // reads go to the file itself again (and fail there, saying so), and the room is given back.
    if (err instanceof Full) {
      // (A refused write may have written part of its piece: that room goes back too.)
      try { handle.truncate(Atomics.load(state, 0) * 1024); } catch { /* kept as it is */ }
      ended = true;
    } else {
      Atomics.store(state, 0, 0);
      Atomics.store(state, 1, 2);
      Atomics.notify(state, 1);
      try { handle.truncate(0); } catch { /* closed below */ }
    }
  }
  if (ended) {
    Atomics.store(state, 2, Math.round(performance.now() - t0));
    Atomics.store(state, 1, 1);
    Atomics.notify(state, 1);
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
