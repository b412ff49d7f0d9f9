// Benchmark (not a test): 1 GiB written into 64 files of a private-file-system folder through
// createWritable(), in 1, 4 and 16 MiB writes, one file at a time; then into 2, 4 and 8 files
// at a time; then as slices of a file of the private file system (Blobs) instead of
// ArrayBuffers. Each with the CPU time the browser's processes took (every core).
//   UNPST_URL=… node bench_writes.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGS, CHROMIUM, browserCpu, caughtUp } from './lib.mjs';

const profile = mkdtempSync(join(tmpdir(), 'unpst-profile-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, serviceWorkers: 'block' });
const page = await context.newPage();
const probe = `let spool = null;
onmessage = async (e) => {
  const { piece, total, files, lanes, blob, go } = e.data;
  const root = await navigator.storage.getDirectory();
  if (!go) {
    // The file the slices come from, written first (not timed).
    spool = null;
    if (blob) {
      const sh = await root.getFileHandle('spool', { create: true });
      const h = await sh.createSyncAccessHandle();
      const b = new Uint8Array(piece).fill(7);
      for (let o = 0; o < total; o += piece) h.write(b, { at: o });
      h.close();
      spool = await sh.getFile();
    }
    postMessage({ ready: true });
    return;
  }
  const dir = await root.getDirectoryHandle('wbench', { create: true });
  const t = performance.now();
  const per = total / files;
  const lane = async (first) => {
    for (let f = first; f < files; f += lanes) {
      const w = await (await dir.getFileHandle('f' + f, { create: true })).createWritable();
      for (let o = 0; o < per; o += piece) await w.write(spool ? spool.slice(f * per + o, f * per + o + piece) : new Uint8Array(piece).fill(f & 255));
      await w.close();
    }
  };
  await Promise.all([...Array(lanes).keys()].map(lane));
  const ms = performance.now() - t;
  await root.removeEntry('wbench', { recursive: true });
  postMessage({ ms });
}`;
await page.route('**/bench-w.js*', (route) => route.fulfill({ body: probe, contentType: 'text/javascript',
  headers: { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' } }));
await page.goto(process.env.UNPST_URL);
await page.evaluate(() => {
  const w = new Worker('bench-w.js');
  window.ask = (m) => new Promise((resolve, reject) => {
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage(m);
  });
});
const runs = [[1, 1], [4, 1], [16, 1], [4, 2], [4, 4], [16, 4], [4, 8], [4, 1, true], [16, 1, true], [4, 4, true]];
for (const [mib, lanes, blob = false] of runs) {
  const args = { piece: mib << 20, total: 1024 << 20, files: 64, lanes, blob };
  await page.evaluate((a) => window.ask(a), args);
  caughtUp();
  const cpu = browserCpu();
  const r = await page.evaluate((a) => window.ask({ ...a, go: true }), args);
  console.log(`${mib} MiB ${blob ? 'slices of a file' : 'ArrayBuffers'}, ${lanes} file(s) at a time: 1 GiB into 64 files in ${r.ms.toFixed(0)} ms, the browser's CPU ${browserCpu() - cpu} ms`);
}
await context.close();
rmSync(profile, { recursive: true, force: true });
