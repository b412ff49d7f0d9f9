// Benchmark (not a test): 1 GiB written into 64 files of a private-file-system folder through
// createWritable(), in 1, 4 and 16 MiB writes, one file at a time; then into 2, 4 and 8 files
// at a time.  UNPST_URL=… node bench_writes.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGS, CHROMIUM } from './lib.mjs';
const profile = mkdtempSync(join(tmpdir(), 'unpst-profile-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, serviceWorkers: 'block' });
const page = await context.newPage();
const probe = `onmessage = async (e) => {
  const { piece, total, files, lanes } = e.data;
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle('wbench', { create: true });
  const t = performance.now();
  const per = total / files;
  const lane = async (first) => {
    for (let f = first; f < files; f += lanes) {
      const w = await (await dir.getFileHandle('f' + f, { create: true })).createWritable();
      for (let o = 0; o < per; o += piece) await w.write(new Uint8Array(piece).fill(f & 255));
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
for (const [piece, lanes] of [[1 << 20, 1], [4 << 20, 1], [16 << 20, 1], [4 << 20, 2], [4 << 20, 4], [16 << 20, 4], [4 << 20, 8]]) {
  const r = await page.evaluate(([piece, lanes]) => new Promise((resolve, reject) => {
    const w = new Worker('bench-w.js');
    w.onmessage = (e) => { w.terminate(); resolve(e.data); };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage({ piece, total: 1024 << 20, files: 64, lanes });
  }), [piece, lanes]);
  console.log(`${piece >> 20} MiB pieces, ${lanes} file(s) at a time: 1 GiB into 64 files in ${r.ms.toFixed(0)} ms`);
}
await context.close();
