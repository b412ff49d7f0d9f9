// Reads ahead for worker.js: the conversion there says which parts of the file it will read
// soon (a few messages ahead), this worker reads them with FileReaderSync into shared slots
// while the conversion works, and the conversion takes them from there. Browser file reads
// cost milliseconds each; overlapped with the work they cost little.
//
// Each reader fills its own range of slots [first, last). Shared layout (Int32Array `meta`):
// per slot [state, seq, length] — state 0 free, 1 being read, 2 ready; `seq` numbers the
// requests. When no slot is free the oldest ready one is reused: requests come only a few
// messages ahead, so by then it was either taken or is no longer wanted.
let file = null;
let data = null;
let meta = null;
let first = 0;
let last = 0;
let size = 0;
const queue = [];
const reader = new FileReaderSync();

function slot() {
  let oldest = -1;
  for (let i = first; i < last; i++) {
    const state = Atomics.load(meta, i * 3);
    if (state === 0) return i;
    if (state === 2 && (oldest < 0 || meta[i * 3 + 1] < meta[oldest * 3 + 1])) oldest = i;
  }
  return oldest;
}

// Adjacent requests read in one go at most (a quarter of this reader's slots: the others
// still hold what was read before and not yet taken).
const RUN = 4;

function run() {
  while (queue.length) {
    // Requests for chunks side by side (a large attachment's) are read at once: a browser
    // read costs about as much as half a MiB of its bytes.
    let n = 1;
    const [, at, len] = queue[0];
    while (n < queue.length && n < RUN && queue[n][1] === at + n * len && queue[n][2] === len) n++;
    const items = queue.splice(0, n);
    const taken = [];
    for (const [seq] of items) {
      const i = slot();
      if (i < 0) break;
      Atomics.store(meta, i * 3, 1);
      Atomics.store(meta, i * 3 + 1, seq);
      taken.push(i);
    }
    if (!taken.length) continue;
    let bytes;
    try {
      bytes = new Uint8Array(reader.readAsArrayBuffer(file.slice(at, Math.min(at + taken.length * len, file.size))));
    } catch {
      // The file changed or went away since it was opened: the slots are let go, and the
      // conversion, reading it itself, gets the browser's error (it waited for these slots).
      for (const i of taken) {
        Atomics.store(meta, i * 3 + 1, -1);
        Atomics.store(meta, i * 3, 0);
        Atomics.notify(meta, i * 3);
      }
      continue;
    }
    taken.forEach((i, k) => {
      const part = bytes.subarray(Math.min(k * len, bytes.length), Math.min((k + 1) * len, bytes.length));
      new Uint8Array(data, i * size, part.length).set(part);
      Atomics.store(meta, i * 3 + 2, part.length);
      Atomics.store(meta, i * 3, 2);
      Atomics.notify(meta, i * 3);
    });
  }
}

onmessage = (e) => {
  const m = e.data;
  if (m.file) {
    ({ file, data, meta, first, last, size } = m);
    return;
  }
  for (const item of m.items) queue.push(item);
  run();
};
