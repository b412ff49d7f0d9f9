// The conversion's read-ahead (worker.js): the module says which chunks of the file it will
// read soon, reader workers (reader.js) read them with FileReaderSync into shared slots while
// it converts, and it takes them from there. A browser read costs about 0.6 ms plus 1.3 ms a
// MiB here (docs/benchmarks.md), so chunks that lie side by side (a large attachment's) go to
// one reader, which reads them at once.

const SLOTS = 64;
const READERS = 4;

// Needs shared memory (a cross-origin isolated page); null without: the module then reads
// everything itself. `slotBytes`: the module's chunk size (larger requests are not read ahead).
export function readAhead(file, slotBytes) {
  if (!self.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') return null;
  const data = new SharedArrayBuffer(SLOTS * slotBytes);
  const meta = new Int32Array(new SharedArrayBuffer(4 * SLOTS * 3));
  for (let i = 0; i < SLOTS; i++) meta[i * 3 + 1] = -1;
  // Several readers, each with its own slots: the browser serves their reads in parallel.
  const per = SLOTS / READERS;
  const readers = [...Array(READERS).keys()].map((r) => {
    const w = new Worker('reader.js');
    w.postMessage({ file, data, meta, first: r * per, last: (r + 1) * per, size: slotBytes });
    return w;
  });
  let seq = 0;
  let next = 0;
  // Requested and not yet taken: file offset → [request number, reader].
  const pending = new Map();
  return {
    want(starts, len) {
      if (len > slotBytes) return;
      const items = readers.map(() => []);
      let prev = -Infinity;
      for (const start of starts) {
        if (pending.has(start)) continue;
        // A chunk next to the last one stays with its reader; any other goes to the next.
        if (start !== prev + len) next = (next + 1) % READERS;
        prev = start;
        pending.set(start, [seq, next]);
        items[next].push([seq++, start, len]);
      }
      readers.forEach((r, i) => { if (items[i].length) r.postMessage({ items: items[i] }); });
      // Requests never taken (their chunk was read another way) are forgotten in time.
      if (pending.size > 4 * SLOTS) for (const [k, [q]] of pending) if (q < seq - 2 * SLOTS) pending.delete(k);
    },
    take(offset, len) {
      const p = pending.get(offset);
      if (p === undefined) return undefined;
      pending.delete(offset);
      const [q, reader] = p;
      const from = reader * per;
      // A read that never ends (a reader gone) is not waited for past this: read it here.
      const until = Date.now() + 10000;
      for (;;) {
        let slot = -1;
        for (let i = from; i < from + per; i++) if (Atomics.load(meta, i * 3 + 1) === q) { slot = i; break; }
        // Not started yet: reading it here is as quick as waiting.
        if (slot < 0) return undefined;
        const state = Atomics.load(meta, slot * 3);
        if (state === 1) {
          if (Date.now() > until) return undefined;
          Atomics.wait(meta, slot * 3, 1, 1000);
          continue;
        }
        if (state !== 2 || Atomics.load(meta, slot * 3 + 1) !== q) return undefined;
        const n = Atomics.load(meta, slot * 3 + 2);
        const out = new Uint8Array(data, slot * slotBytes, n).slice();
        // Still the same request after the copy: the reader did not reuse the slot meanwhile.
        if (Atomics.load(meta, slot * 3 + 1) !== q || Atomics.load(meta, slot * 3) !== 2) return undefined;
        Atomics.store(meta, slot * 3, 0);
        return n === len ? out : undefined;
      }
    },
    close() { readers.forEach((r) => r.terminate()); },
  };
}
