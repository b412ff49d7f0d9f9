// A large file's working copy in the page's private file system (OPFS): copier.js streams
// the file there while the module reads what is copied so far through a handle of its own
// (see src/wasm/blob.rs). A Blob read costs about 2 ms of several threads' time, so a
// conversion's scattered reads of a 1 GB file took most of its time; a read of the copy costs
// 20 µs. The copy is private to this page's origin and removed when another file is opened,
// and at the page's next start if the page was closed first (docs/security.md).

const PREFIX = 'unpst-source-';
// Room to leave: the copy must not take what the zip of the conversion will need (about
// the file's size again, and more).
const ROOM = 3;

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

async function fits(size) {
  try {
    const { quota, usage } = await navigator.storage.estimate();
    return size * ROOM <= quota - usage;
  } catch {
    return false;
  }
}

/** Starts copying `file`, and fills in `slot` with `{handle, state}` for the module once the
 * copy is under way (see copier.js for `state`). Resolves to `{state, stop}`, or to null where
 * there is no room or no way to (no shared memory, no OPFS, no second handle on one file): the
 * module then reads the file itself, as before. `stop()` ends the copy and removes it. */
export async function workingCopy(file, slot) {
  if (!self.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined' || !(await fits(file.size))) return null;
  let root;
  let handle = null;
  let copier = null;
  const name = `${PREFIX}${crypto.randomUUID()}.pst`;
  const remove = () => root.removeEntry(name).catch(() => {});
  try {
    await sweep();
    root = await navigator.storage.getDirectory();
    const fileHandle = await root.getFileHandle(name, { create: true });
    handle = await fileHandle.createSyncAccessHandle({ mode: 'readwrite-unsafe' });
    const state = new Int32Array(new SharedArrayBuffer(12));
    copier = new Worker('copier.js');
    // It must have started before the module's synchronous work begins: a worker started
    // from this one loads only while this one's event loop turns.
    const started = await new Promise((resolve) => {
      copier.onmessage = (e) => resolve(e.data.op === 'ready');
      copier.onerror = () => resolve(false);
      copier.postMessage({ file, name, state });
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
