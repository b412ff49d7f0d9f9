// Benchmark (not a test): random 128 KiB reads of a dropped FILE against reads of its copy in the
// private file system, the copy itself, and a stream read.  UNPST_URL=… FILE=… node bench_opfs.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGS, CHROMIUM } from './lib.mjs';
const profile = mkdtempSync(join(tmpdir(), 'unpst-profile-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, serviceWorkers: 'block' });
const page = await context.newPage();
const probe = `onmessage = async (e) => {
  const { file } = e.data;
  const out = {};
  const r = new FileReaderSync();
  const N = 2000, S = 128 << 10;
  const offs = []; let x = 12345; for (let i = 0; i < N; i++) { x = (x * 1103515245 + 12345) % 2147483648; offs.push(Math.floor((x / 2147483648) * (file.size - S) / S) * S); }
  let t = performance.now();
  for (const o of offs) r.readAsArrayBuffer(file.slice(o, o + S));
  out.blobRandom = (performance.now() - t) / N;
  const root = await navigator.storage.getDirectory();
  const fh = await root.getFileHandle('copy.pst', { create: true });
  const h = await fh.createSyncAccessHandle();
  h.truncate(0);
  t = performance.now();
  const C = 4 << 20;
  let rt = 0, wt = 0;
  for (let o = 0; o < file.size; o += C) { const t1 = performance.now(); const b = new Uint8Array(r.readAsArrayBuffer(file.slice(o, Math.min(o + C, file.size)))); const t2 = performance.now(); h.write(b, { at: o }); wt += performance.now() - t2; rt += t2 - t1; }
  out.copyMs = performance.now() - t; out.copyRead = rt; out.copyWrite = wt;
  t = performance.now(); h.flush(); out.flush = performance.now() - t;
  t = performance.now();
  const buf = new Uint8Array(S);
  for (const o of offs) h.read(buf, { at: o });
  out.opfsRandom = (performance.now() - t) / N;
  t = performance.now();
  const small = new Uint8Array(8192);
  for (const o of offs) h.read(small, { at: o + 4096 });
  out.opfsRandom8k = (performance.now() - t) / N;
  h.close();
  // stream read of the whole file
  t = performance.now();
  const rd = file.stream().getReader(); let n = 0;
  for (;;) { const { done, value } = await rd.read(); if (done) break; n += value.length; }
  out.streamMs = performance.now() - t;
  postMessage(out);
}`;
await page.route('**/bench-opfs.js*', (route) => route.fulfill({ body: probe, contentType: 'text/javascript',
  headers: { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' } }));
await page.goto(process.env.UNPST_URL);
await page.evaluate(() => { const i = document.createElement('input'); i.type = 'file'; i.id = 'bench-reads'; document.body.append(i); });
await page.setInputFiles('#bench-reads', process.env.FILE);
const r = await page.evaluate(() => new Promise((resolve, reject) => {
  const w = new Worker('bench-opfs.js');
  w.onmessage = (e) => { w.terminate(); resolve(e.data); };
  w.onerror = (e) => reject(new Error(e.message));
  w.postMessage({ file: document.querySelector('#bench-reads').files[0] });
}));
console.log(JSON.stringify(r));
await context.close();
// (The profile holds the private file system's gigabytes: they go with it.)
rmSync(profile, { recursive: true, force: true });
