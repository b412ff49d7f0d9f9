// A large file's working copy in the page's private file system (OPFS): copier.js streams
// the file there while the module reads what is copied so far through a handle of its own
// (see src/wasm/blob.rs). A Blob read costs about 2 ms of several threads' time, so a
// conversion's scattered reads of a 1 GB file took most of its time; a read of the copy costs
// 20 µs. The copy is private to this page's origin and removed when another file is opened,
// and at the page's next start if the page was closed first (docs/security.md).

const PREFIX = 'unpst-source-';
// What a copy leaves free of the origin's storage, for what else is stored there (a zip
// still being saved, messages a server refused). The zip being written takes the copy's room
// as it needs it (shrink below), so the copy need not leave room for it.
const RESERVE = 1 << 30;
// A copy is not worth making for less (its room could be taken back at once).
const LEAST = 16 << 20;
// Room given back at a time: each time the zip's write is refused, this much of the copy's
// end goes (an eighth of a smaller file), or the refused write's size if more.
const SHRINK = 256 << 20;

/** Removes working copies left behind (a closed or crashed page). One still in use by
 * another tab is locked by its handles, and is left alone. */
export async function sweep() {
  try {
    const root = await navigator.storage.getDirectory();
    const names = [];
    for await (const name of root.keys()) if (name.startsWith(PREFIX)) names.push(name);
    for (const name of names) await root.removeEntry(name).catch(() => {});
  } catch {
    // No private file system (a private window in some browsers): nothing was left there.
  }
}

/** How much of a file of `size` bytes to copy: all of it, or as much as the origin's storage
 * has room for (the copied front is read from the copy, the rest from the file). */
async function room(size) {
  try {
    const { quota, usage } = await navigator.storage.estimate();
    const free = quota - usage;
    const limit = Math.floor(Math.min(size, free - Math.min(RESERVE, free / 8)));
    return limit >= Math.min(size, LEAST) ? limit : 0;
  } catch {
    return 0;
  }
}

/** Starts copying `file`, and fills in `slot` with `{handle, state}` for the module once the
 * copy is under way (see copier.js for `state`). Resolves to `{state, stop, shrink}`, or to
 * null where there is no room or no way to (no shared memory, no OPFS, no second handle on one
 * file): the module then reads the file itself, as before. `stop()` ends the copy and removes
 * it; `shrink(bytes)` gives back room for an export (below). */
export async function workingCopy(file, slot) {
  if (!self.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') return null;
  // (Leftovers first: their room is this copy's.)
  await sweep();
  const limit = await room(file.size);
  if (!limit) return null;
  let root;
  let handle = null;
  let copier = null;
  const name = `${PREFIX}${crypto.randomUUID()}.pst`;
  const remove = () => root.removeEntry(name).catch(() => {});
  try {
    root = await navigator.storage.getDirectory();
    const fileHandle = await root.getFileHandle(name, { create: true });
    handle = await fileHandle.createSyncAccessHandle({ mode: 'readwrite-unsafe' });
    const state = new Int32Array(new SharedArrayBuffer(16));
    copier = new Worker('copier.js');
    // It must have started before the module's synchronous work begins: a worker started
    // from this one loads only while this one's event loop turns.
    const started = await new Promise((resolve) => {
      copier.onmessage = (e) => resolve(e.data.op === 'ready');
      copier.onerror = () => resolve(false);
      copier.postMessage({ file, name, state, limit });
    });
    if (!started) throw new Error('the copier did not start');
    Object.assign(slot, { handle, state });
  } catch {
    if (copier) copier.terminate();
    if (handle) handle.close();
    if (root) await remove();
    return null;
  }
  let ended = null;
  return {
    state: slot.state,
    // Called by the module (synchronously, between its reads of the copy, on this thread)
    // when a write of the export's zip is refused for want of room: the copy stops growing,
    // and at least `bytes` of its end go. Reads of that part go to the file again. Returns
    // whether any room was given back (none: the export fails, saying the storage is full).
    shrink(bytes) {
      const { state } = slot;
      Atomics.store(state, 3, 1);
      for (let i = 0; i < 100 && Atomics.load(state, 1) === 0; i++) Atomics.wait(state, 1, 0, 50);
      if (Atomics.load(state, 1) === 0) return false;
      const have = Math.min(Atomics.load(state, 0) * 1024, file.size);
      if (!have) return false;
      const keep = Math.max(0, Math.floor((have - Math.max(bytes, Math.min(SHRINK, file.size / 8))) / 1024) * 1024);
      // Lowered before the truncate: nothing is read from beyond it any more.
      Atomics.store(state, 0, keep / 1024);
      try { handle.truncate(keep); } catch { return false; }
      return true;
    },
    stop() {
      ended ||= (async () => {
        // Its handle closed first: an open handle keeps the file from being removed.
        await new Promise((resolve) => {
          copier.onmessage = (e) => { if (e.data.op === 'stopped') resolve(); };
          copier.postMessage({ op: 'stop' });
          setTimeout(resolve, 2000);
        });
        copier.terminate();
        handle.close();
        await remove();
      })();
      return ended;
    },
  };
}
