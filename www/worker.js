// Runs the wasm module in a dedicated worker: FileReaderSync reads the dropped file slice by
// slice here, so a multi-GB PST is never loaded whole and the page stays responsive.
import init, { Session, signatures_from_files, provider_for, thunderbird_top, current_item, read_ahead_steps, chunk_size, relay_protocol_prefix, copy_reads } from './pkg/unpst.js';
import { Cmd, WHOLE_FILE } from './protocol.js';
import { readAhead } from './readahead.js';
import { workingCopy } from './copy.js';

// A Rust panic traps the module ("unreachable"); its hook logs the message first: keep it
// so the page can say what failed.
let lastPanic = null;
const consoleError = console.error.bind(console);
console.error = (...args) => {
  const text = args.map(String).join(' ');
  if (text.startsWith('unpst panicked')) lastPanic = text;
  consoleError(...args);
};

// Large files are read ahead by reader.js while the module converts (readahead.js), and
// copied into the page's private file system, whence they are read far more cheaply (copy.js):
// the copy's promise ({state, stop, shrink} or null).
let fetcher = null;
let copying = null;
let fileSize = 0;

let session = null;
// The body index's progress ({indexed, total, complete, limited}); null until a search.
let bodies = null;
// A few messages per turn, so previews and searches are answered between turns.
function indexBodies(owner) {
  if (owner !== session) return;
  bodies = session.index_bodies(25);
  if (!bodies.complete) setTimeout(() => indexBodies(owner), 0);
}
let tree = null;
let index = null;
// The latest rows to read ahead (a newer request ends an older one's steps).
let warmSeq = 0;
// Load the module at once: conversions then work even if the network goes away.
const ready = init();

async function module() {
  await ready;
}

// The zip of the move's file number `part` (several files: each its own, so that a file
// still being saved is not written over by the next); a new move clears the old parts.
async function opfsFile(part = 0) {
  try {
    const root = await navigator.storage.getDirectory();
    if (!part) {
      for await (const name of root.keys()) if (/^unpst-export-\d+\.zip$/.test(name)) await root.removeEntry(name).catch(() => {});
    }
    return await root.getFileHandle(part ? `unpst-export-${part}.zip` : 'unpst-export.zip', { create: true });
  } catch {
    return null;
  }
}

// The conversion's output for a picked folder: begin / write / end called synchronously by
// the module, handed to writer.js in pieces of ≤ 4 MiB, with at most IN_FLIGHT bytes not yet
// on disk (the conversion waits; memory stays flat). The writer must be running before the
// conversion starts: a worker started from this one loads only while this one's event loop
// turns, which the synchronous conversion does not let it do — it waited for a writer that
// never came once 16 MiB were in flight. (A write into the folder costs about as much as
// 0.5 MiB of its bytes: 1 GiB in 1 MiB writes took 11.5 s, in 4 MiB writes 9.1 s.) Running
// 64 MiB ahead, so that several folders' files are written at once, was no faster (bench_flight.mjs).
const PIECE = 4 << 20;
const IN_FLIGHT = 16 << 20;
async function directoryOutput(dir) {
  const sab = new SharedArrayBuffer(8 + 1024);
  const state = new Int32Array(sab, 0, 2);
  const writer = new Worker('writer.js', { type: 'module' });
  let settle = null;
  writer.onmessage = (e) => { if (settle) settle(e.data); };
  await new Promise((resolve, reject) => {
    settle = (m) => (m.op === 'ready' ? resolve() : reject(new Error(m.message)));
    writer.onerror = () => reject(new Error('The folder writer could not start.'));
    writer.postMessage({ op: 'start', dir, sab });
  });
  settle = null;
  const staged = [new Uint8Array(PIECE), new Uint8Array(PIECE)];
  const fill = [0, 0];
  const failure = () => {
    const bytes = new Uint8Array(sab, 8).slice();
    return new Error(new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0) < 0 ? bytes.length : bytes.indexOf(0))));
  };
  const send = (tree, bytes) => {
    Atomics.add(state, 0, bytes.byteLength);
    writer.postMessage({ op: 'write', tree, bytes }, [bytes.buffer]);
    for (let cur = Atomics.load(state, 0); cur > IN_FLIGHT; cur = Atomics.load(state, 0)) {
      if (Atomics.load(state, 1)) throw failure();
      Atomics.wait(state, 0, cur, 1000);
    }
    if (Atomics.load(state, 1)) throw failure();
  };
  const flush = (tree) => {
    if (!fill[tree]) return;
    const full = staged[tree];
    // A full piece is handed over as it is; a part of one is copied, and the piece reused
    // (an EML file is mostly far smaller than a piece).
    if (fill[tree] === PIECE) staged[tree] = new Uint8Array(PIECE);
    const bytes = fill[tree] === PIECE ? full : full.slice(0, fill[tree]);
    fill[tree] = 0;
    send(tree, bytes);
  };
  return {
    begin(tree, path) { writer.postMessage({ op: 'begin', tree, path }); },
    write(tree, bytes) {
      if (fill[tree] + bytes.length > PIECE) flush(tree);
      if (bytes.length > PIECE) { send(tree, bytes.slice()); return; }
      staged[tree].set(bytes, fill[tree]);
      fill[tree] += bytes.length;
    },
    end(tree) { flush(tree); writer.postMessage({ op: 'end', tree }); },
    finish() {
      return new Promise((resolve, reject) => {
        settle = (m) => (m.op === 'done' ? resolve() : reject(m.message ? new Error(m.message) : failure()));
        writer.postMessage({ op: 'finish' });
      });
    },
    close() { writer.terminate(); },
  };
}

function reply(id, ok, value, transfer) {
  postMessage({ id, ok, value }, transfer || []);
}

// A preview or a page of rows goes to the page twice: posted, and left in shared memory (set
// up by the page) for a frame callback there to pick up — after a click the browser draws a
// frame before it delivers posted messages, which made every opened message wait one frame
// more (≈ 16 ms).
// Header: [id of the answer in the buffer (0 while writing), its length].
let shared = null;
function replyJson(id, text) {
  if (shared) {
    const head = new Int32Array(shared, 0, 2);
    Atomics.store(head, 0, 0);
    // (TextEncoder does not write into shared memory.)
    const bytes = new TextEncoder().encode(text);
    if (bytes.length <= shared.byteLength - 8) {
      new Uint8Array(shared, 8).set(bytes);
      Atomics.store(head, 1, bytes.length);
      Atomics.store(head, 0, id);
    }
  }
  postMessage({ id, ok: true, json: text });
}

// IMAP upload: this worker converts, `unpst relay` (same origin, token from the page's
// address) speaks IMAP. One message in flight at a time: the relay answers each, so memory
// stays flat and the pace is the server's.
let paused = null;
let resume = null;

function relaySocket(url, token, onSignIn, onTooLarge) {
  const ws = new WebSocket(url, [`${relay_protocol_prefix()}${token}`]);
  ws.binaryType = 'arraybuffer';
  let waiting = null;
  let closed = false;
  const lost = () => new Error('The relay closed the connection — is `unpst relay` still running? Upload again to resume.');
  ws.onmessage = (e) => {
    // A binary frame: a message the server refused as too large, as an mbox entry.
    if (typeof e.data !== 'string') { onTooLarge(new Uint8Array(e.data)); return; }
    const r = JSON.parse(e.data);
    // Not an answer: where the user signs in (OAuth2), while the relay waits for it.
    if (r.op === 'sign-in') { onSignIn(r.url); return; }
    const w = waiting; waiting = null; if (w) w.resolve(r);
  };
  ws.onclose = () => { closed = true; const w = waiting; waiting = null; if (w) w.reject(lost()); };
  const opened = new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('Cannot reach the relay: start `unpst relay` and open the address it prints.'));
  });
  const ask = async (data) => {
    await opened;
    if (closed) throw lost();
    const r = await new Promise((resolve, reject) => { waiting = { resolve, reject }; ws.send(data); });
    if (r.op === 'error') throw new Error(r.message);
    return r;
  };
  return { ask, cmd: (obj) => ask(JSON.stringify(obj)), close: () => ws.close() };
}

async function upload(id, args) {
  const picked = new Set(args.folders || []);
  const plan = session.upload_plan().filter((f) => picked.size === 0 || picked.has(f.nid));
  // What the server refused as too large goes to an mbox in the Origin Private File System,
  // offered to the user at the end: nothing is lost, nothing held in memory.
  let tooLarge = null;
  let tooLargeCount = 0;
  const keep = async (bytes) => {
    if (!tooLarge) {
      const root = await navigator.storage.getDirectory();
      const f = await root.getFileHandle('unpst-too-large.mbox', { create: true });
      tooLarge = { file: f, handle: await f.createSyncAccessHandle() };
      // The move's first file starts it; the others' are added to it.
      if (!args.appendTooLarge) tooLarge.handle.truncate(0);
    }
    // A refusal (storage full) may be an impossible count rather than an exception (see
    // src/wasm/sinks.rs): either ends the upload, saying so, rather than lose the message.
    const at = tooLarge.handle.getSize();
    for (let put = 0; put < bytes.length;) {
      const n = tooLarge.handle.write(bytes.subarray(put), { at: at + put });
      if (!(n >= 1 && n <= bytes.length - put)) {
        throw new Error('The browser\'s storage for this page is full: a message the server refused as too large could not be kept. Free some disk space and upload again (what is on the server stays).');
      }
      put += n;
    }
    tooLargeCount++;
  };
  let kept = Promise.resolve();
  const relay = relaySocket(args.relay, args.token,
    (url) => postMessage({ id, progress: { phase: 'sign-in', url } }),
    (bytes) => { kept = kept.then(() => keep(bytes)); });
  try {
    const c = await relay.cmd({ op: 'connect', imap: args.imap, password: args.password, oauth: args.oauth || null, under: args.under || null });
    const m = await relay.cmd({ op: 'map', folders: plan });
    postMessage({ id, progress: { phase: 'mapping', server: c.server, mapping: m.folders } });
    if (args.dryRun) {
      reply(id, true, { server: c.server, mapping: m.folders });
      return;
    }
    const state = { done: 0, total: plan.reduce((n, f) => n + f.items, 0), bytes: 0, present: 0, appended: 0 };
    const skipped = [];
    for (let i = 0; i < plan.length; i++) {
      const f = plan[i];
      const where = f.path.join('/');
      await relay.cmd({ op: 'folder', index: i });
      for (let start = 0; start < f.items; start += 16) {
        for (const item of session.upload_batch(f.nid, start, 16)) {
          if (paused) await paused;
          state.done++;
          if (item.kind === 'mail') {
            const a = await relay.ask(item.frame);
            state.bytes += item.frame.length;
            if (a.present) state.present++; else state.appended++;
          } else if (item.kind === 'skipped') {
            skipped.push({ folder: where, subject: item.subject, reason: item.reason });
          }
          postMessage({ id, progress: { phase: 'upload', folder: m.folders[i].mailbox, ...state } });
        }
      }
      const d = await relay.cmd({ op: 'end-folder' });
      postMessage({ id, progress: { phase: 'folder', report: d.report } });
    }
    const fin = await relay.cmd({ op: 'finish' });
    await kept;
    if (tooLarge) tooLarge.handle.close();
    const saved = tooLarge ? { file: await tooLarge.file.getFile(), count: tooLargeCount } : null;
    reply(id, true, { server: c.server, report: fin.report, skipped, tooLarge: saved });
  } finally {
    relay.close();
    if (tooLarge) try { tooLarge.handle.close(); } catch { /* closed */ }
  }
}

self.onmessage = async (e) => {
  if (e.data.shared) { shared = e.data.shared; return; }
  const { id, cmd, args } = e.data;
  try {
    await module();
    // The copier must be running before any long synchronous work starts (see copy.js).
    if (copying && cmd !== Cmd.open) await copying;
    switch (cmd) {
      case Cmd.open: {
        if (session) { session.free(); session = null; }
        // A small file is read whole, in one go (each browser file read costs milliseconds);
        // a large one slice by slice through the module's chunk cache, read ahead and from
        // its working copy as far as that goes (being set up while the tree is shown).
        if (fetcher) { fetcher.close(); fetcher = null; }
        if (copying) { const c = await copying; copying = null; if (c) await c.stop(); }
        const slot = {};
        fileSize = args.file.size;
        if (args.file.size > WHOLE_FILE) {
          fetcher = readAhead(args.file, chunk_size());
          if (!args.noCopy) copying = workingCopy(args.file, slot);
        }
        session = args.file.size <= WHOLE_FILE
          ? Session.fromBytes(new Uint8Array(new FileReaderSync().readAsArrayBuffer(args.file)), args.file.name)
          : new Session(args.file, args.file.name, fetcher, slot);
        // Items that crashed an earlier module instance: a preview says so, a conversion skips
        // them (and reports them).
        for (const c of args.setAside || []) session.set_aside(c.nid, c.reason);
        const info = session.info();
        tree = info.folders;
        index = null;
        bodies = null;
        reply(id, true, info);
        break;
      }
      case Cmd.warm: {
        // The rows on screen: what opening them reads is fetched by the readers and taken into
        // the cache level by level, a turn apart, so that a click reads from memory (a large
        // file only; a small one is in memory whole). No answer.
        if (!fetcher) break;
        const owner = session;
        const nids = new Uint32Array(args.nids);
        const steps = read_ahead_steps();
        const step = (n) => {
          if (owner !== session || warmSeq !== args.seq) return;
          // Only a hint: a trap here shows again, and is handled, at the next real call.
          try { session.read_ahead(nids, n); } catch { return; }
          if (n + 1 < steps) setTimeout(() => step(n + 1), 30);
        };
        warmSeq = args.seq;
        step(0);
        break;
      }
      case Cmd.messages:
        replyJson(id, session.messages(args.folder, args.start, args.count));
        break;
      case Cmd.search: {
        // Subject, sender and recipients of every message, gathered once per file.
        if (!index) {
          index = [];
          const walk = (f) => {
            for (let start = 0; start < f.items; start += 1000) {
              for (const m of JSON.parse(session.messages(f.nid, start, 1000))) {
                index.push({ ...m, folder: f.path.join('/'), folder_nid: f.nid,
                  hay: `${m.subject}\n${m.sender}\n${m.to}`.toLowerCase() });
              }
            }
            f.children.forEach(walk);
          };
          walk(tree);
        }
        const q = args.query.toLowerCase().trim();
        const hits = q ? index.filter((m) => m.hay.includes(q)) : [];
        // Then the message text, as far as the body index has got (it grows in the
        // background from the first search on).
        if (!bodies) { bodies = { indexed: 0, total: 0, complete: false }; indexBodies(session); }
        const seen = new Set(hits.map((m) => m.nid));
        const byNid = new Map(index.map((m) => [m.nid, m]));
        const inBody = q ? [...session.search_bodies(q, 1000)].filter((n) => !seen.has(n) && byNid.has(n)).map((n) => byNid.get(n)) : [];
        const all = [...hits, ...inBody];
        reply(id, true, { count: hits.length, bodyCount: inBody.length, bodies, hits: all.slice(0, 1000).map(({ hay, ...m }) => m) });
        break;
      }
      case Cmd.recover:
        reply(id, true, JSON.parse(session.recover()));
        break;
      case Cmd.preview:
        if (args.crashOn) session.simulateCrashOn(args.crashOn);
        replyJson(id, session.preview(args.nid, new Uint32Array(args.path || []), args.recovered ?? -1));
        break;
      case Cmd.eml: {
        const bytes = session.eml(args.nid, new Uint32Array(args.path || []), args.recovered ?? -1);
        reply(id, true, bytes, [bytes.buffer]);
        break;
      }
      case Cmd.attachment: {
        const bytes = session.attachment(args.nid, new Uint32Array(args.path || []), args.index, args.recovered ?? -1);
        reply(id, true, bytes, [bytes.buffer]);
        break;
      }
      case Cmd.convert: {
        const what = { mbox: args.mbox, eml: args.eml, cards: args.cards, folders: args.folders || [], recover: !!args.recover };
        if (args.crashOn) session.simulateCrashOn(args.crashOn);
        // At most ~20 updates a second: one per item made the page redraw its progress bar
        // thousands of times a second (≈ 7 % of the CPU on a 1 GB file).
        let shown = 0;
        // Cancel is a flag in shared memory the page sets, read after each item: the
        // conversion stops there and closes the files it was writing, as `unpst convert` does
        // (`cancelAfter`: the same from the tests, at a known item).
        // Pause is the flag after it: the conversion waits here, between two items, until the
        // page clears it or cancels (`pauseAfter`: set from the tests, at a known item).
        const stop = args.cancel ? new Int32Array(args.cancel) : null;
        const progress = (p) => {
          if (stop && args.cancelAfter && p.done >= args.cancelAfter) Atomics.store(stop, 0, 1);
          if (stop && args.pauseAfter && p.done >= args.pauseAfter) {
            args.pauseAfter = 0;
            Atomics.store(stop, 1, 1);
            postMessage({ id, progress: { ...p, paused: true } });
          }
          while (stop && Atomics.load(stop, 1) && !Atomics.load(stop, 0)) Atomics.wait(stop, 1, 1, 1000);
          const go = !(stop && Atomics.load(stop, 0));
          const now = performance.now();
          if (!go || now - shown >= 50 || p.done >= p.total) { shown = now; postMessage({ id, progress: p }); }
          return go;
        };
        const opfs = args.dir ? null : await opfsFile(args.part || 0);
        if (args.dir && args.thunderbird) {
          // Thunderbird's Local Folders: the mail under a new top folder, nothing else there.
          const taken = [];
          for await (const name of args.dir.keys()) taken.push(name);
          const top = thunderbird_top(args.name, taken);
          const out = await directoryOutput(args.dir);
          try {
            const report = session.convert_to_thunderbird(out, top, what, progress);
            await out.finish();
            reply(id, true, { report, top });
          } finally {
            out.close();
          }
        } else if (args.dir) {
          // Straight into the folder the user picked: the same files as `unpst convert -o DIR`.
          const out = await directoryOutput(args.dir);
          try {
            const report = session.convert_to_directory(out, what, progress);
            await out.finish();
            reply(id, true, { report });
          } finally {
            out.close();
          }
        } else if (opfs) {
          // Streamed into the Origin Private File System: memory stays flat; the page gets a
          // disk-backed File to download.
          // Where the storage is full, the file's working copy gives up room to the zip.
          const handle = await opfs.createSyncAccessHandle();
          const copy = copying && (await copying);
          let report;
          try {
            report = session.convert_to_opfs(handle, what, progress, copy ? (bytes) => copy.shrink(bytes) : undefined);
          } finally {
            handle.close();
          }
          reply(id, true, { zip: await opfs.getFile(), report });
        } else {
          const out = session.convert_zip(what, progress);
          reply(id, true, out, [out.zip.buffer]);
        }
        break;
      }
      case Cmd.reads:
        // Reads of the file so far: for the tests.
        reply(id, true, session.source_reads());
        break;
      case Cmd.copied: {
        // How far the working copy is, how long it took, and the reads it served: for the
        // tests and benchmarks.
        const c = copying && (await copying);
        reply(id, true, c
          ? { bytes: Math.min(Atomics.load(c.state, 0) * 1024, fileSize), state: ['copying', 'done', 'given up'][Atomics.load(c.state, 1)], ms: Atomics.load(c.state, 2), reads: copy_reads() }
          : { bytes: 0, state: 'none', reads: copy_reads() });
        break;
      }
      case Cmd.memory:
        // The module's linear memory (it only grows): for the benchmarks.
        reply(id, true, (await ready).memory.buffer.byteLength);
        break;
      case Cmd.signatures:
        reply(id, true, session.signatures());
        break;
      case Cmd.signatureFiles:
        reply(id, true, signatures_from_files(args.files));
        break;
      case Cmd.provider:
        reply(id, true, provider_for(args.address));
        break;
      case Cmd.lookup: {
        // The domain's own published settings, asked by the relay (the page cannot).
        const relay = relaySocket(args.relay, args.token, () => {}, () => {});
        try {
          reply(id, true, await relay.cmd({ op: 'lookup', address: args.address }));
        } finally {
          relay.close();
        }
        break;
      }
      case Cmd.upload:
        await upload(id, args);
        break;
      case Cmd.pause:
        if (!paused) paused = new Promise((r) => { resume = r; });
        reply(id, true, null);
        break;
      case Cmd.resume:
        if (resume) resume();
        paused = null;
        resume = null;
        reply(id, true, null);
        break;
      default:
        reply(id, false, `unknown command ${cmd}`);
    }
  } catch (err) {
    // A trap (panic, deep recursion) leaves the module unusable: say so; the page restarts us.
    const fatal = err instanceof WebAssembly.RuntimeError || err instanceof RangeError;
    const message = String(err && err.message ? err.message : err);
    let item = 0;
    if (fatal) { try { item = current_item(); } catch { item = 0; } }
    postMessage({ id, ok: false, value: fatal && lastPanic ? `${lastPanic} (${message})` : message, fatal, item });
  }
};
