// Runs the wasm module in a dedicated worker: FileReaderSync reads the dropped file slice by
// slice here, so a multi-GB PST is never loaded whole and the page stays responsive.
import init, { Session } from './pkg/unpst.js';

let session = null;
let tree = null;
let index = null;
// Load the module at once: conversions then work even if the network goes away.
const ready = init();

async function module() {
  await ready;
}

async function opfsFile() {
  try {
    const root = await navigator.storage.getDirectory();
    return await root.getFileHandle('unpst-export.zip', { create: true });
  } catch {
    return null;
  }
}

function reply(id, ok, value, transfer) {
  postMessage({ id, ok, value }, transfer || []);
}

self.onmessage = async (e) => {
  const { id, cmd, args } = e.data;
  try {
    await module();
    switch (cmd) {
      case 'open': {
        if (session) { session.free(); session = null; }
        session = new Session(args.file, args.file.name);
        const info = session.info();
        tree = info.tree;
        index = null;
        reply(id, true, info);
        break;
      }
      case 'messages':
        reply(id, true, session.messages(args.folder, args.start, args.count));
        break;
      case 'search': {
        // Subject, sender and recipients of every message, gathered once per file.
        if (!index) {
          index = [];
          const walk = (f) => {
            for (let start = 0; start < f.items; start += 1000) {
              for (const m of session.messages(f.nid, start, 1000)) {
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
        reply(id, true, { count: hits.length, hits: hits.slice(0, 1000).map(({ hay, ...m }) => m) });
        break;
      }
      case 'preview':
        reply(id, true, session.preview(args.nid));
        break;
      case 'eml': {
        const bytes = session.eml(args.nid);
        reply(id, true, bytes, [bytes.buffer]);
        break;
      }
      case 'attachment': {
        const bytes = session.attachment(args.nid, args.index);
        reply(id, true, bytes, [bytes.buffer]);
        break;
      }
      case 'convert': {
        const folders = new Uint32Array(args.folders || []);
        const progress = (p) => { postMessage({ id, progress: p }); return true; };
        const opfs = await opfsFile();
        if (opfs) {
          // Streamed into the Origin Private File System: memory stays flat; the page gets a
          // disk-backed File to download.
          const handle = await opfs.createSyncAccessHandle();
          let report;
          try {
            report = session.convert_to_opfs(handle, args.mbox, args.eml, folders, progress);
          } finally {
            handle.close();
          }
          reply(id, true, { zip: await opfs.getFile(), report });
        } else {
          const out = session.convert_zip(args.mbox, args.eml, folders, progress);
          reply(id, true, out, [out.zip.buffer]);
        }
        break;
      }
      default:
        reply(id, false, `unknown command ${cmd}`);
    }
  } catch (err) {
    // A trap (panic, deep recursion) leaves the module unusable: say so; the page restarts us.
    const fatal = err instanceof WebAssembly.RuntimeError || err instanceof RangeError;
    postMessage({ id, ok: false, value: String(err && err.message ? err.message : err), fatal });
  }
};
