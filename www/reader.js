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

function run() {
  while (queue.length) {
    const [seq, start, len] = queue.shift();
    const i = slot();
    if (i < 0) continue;
    Atomics.store(meta, i * 3, 1);
    Atomics.store(meta, i * 3 + 1, seq);
    let bytes;
    try {
      bytes = new Uint8Array(reader.readAsArrayBuffer(file.slice(start, Math.min(start + len, file.size))));
    } catch {
      // The file changed or went away since it was opened: the slot is let go, and the
      // conversion, reading it itself, gets the browser's error (it waited for this slot).
      Atomics.store(meta, i * 3 + 1, -1);
      Atomics.store(meta, i * 3, 0);
      Atomics.notify(meta, i * 3);
      continue;
    }
    new Uint8Array(data, i * size, bytes.length).set(bytes);
    Atomics.store(meta, i * 3 + 2, bytes.length);
    Atomics.store(meta, i * 3, 2);
    Atomics.notify(meta, i * 3);
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
