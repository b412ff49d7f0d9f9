// Benchmark (not a test): ways to copy a dropped FILE into the page's private file system, as
// copier.js does, each with its time and the CPU the browser's processes took (every core).
//   UNPST_URL=… FILE=… ROUNDS=2 node bench_copy.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGS, CHROMIUM, browserCpu, caughtUp } from './lib.mjs';

const profile = mkdtempSync(join(tmpdir(), 'unpst-profile-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, serviceWorkers: 'block' });
const page = await context.newPage();
const probe = `onmessage = async (e) => {
  const { file, way } = e.data;
  const root = await navigator.storage.getDirectory();
  const fh = await root.getFileHandle('copy.pst', { create: true });
  const h = await fh.createSyncAccessHandle();
  h.truncate(0);
  const t = performance.now();
  let chunks = 0;
  const PIECE = 8 << 20;
  if (way === 'stream' || way === 'stream-sized') {
    if (way === 'stream-sized') h.truncate(file.size);
    const rd = file.stream().getReader(); let at = 0;
    for (;;) { const { done, value } = await rd.read(); if (done) break; h.write(value, { at }); at += value.length; chunks++; }
  } else if (way === 'stream-batched') {
    const rd = file.stream().getReader(); let at = 0; const buf = new Uint8Array(PIECE); let fill = 0;
    for (;;) {
      const { done, value } = await rd.read(); if (done) break; chunks++;
      let v = value;
      while (v.length) {
        const n = Math.min(v.length, PIECE - fill); buf.set(v.subarray(0, n), fill); fill += n; v = v.subarray(n);
        if (fill === PIECE) { h.write(buf, { at }); at += fill; fill = 0; }
      }
    }
    if (fill) h.write(buf.subarray(0, fill), { at });
  } else if (way === 'byob') {
    const rd = file.stream().getReader({ mode: 'byob' }); let at = 0; let buf = new ArrayBuffer(PIECE);
    for (;;) {
      const { done, value } = await rd.read(new Uint8Array(buf, 0, PIECE)); if (done) break; chunks++;
      h.write(value, { at }); at += value.length; buf = value.buffer;
    }
  } else if (way === 'slices') {
    let next = 0; const inflight = [];
    const ask = () => { const o = next; next += PIECE; return file.slice(o, Math.min(o + PIECE, file.size)).arrayBuffer().then((b) => [o, b]); };
    for (let i = 0; i < 2 && next < file.size; i++) inflight.push(ask());
    while (inflight.length) {
      const [o, b] = await inflight.shift();
      if (next < file.size) inflight.push(ask());
      h.write(new Uint8Array(b), { at: o }); chunks++;
    }
  }
  h.flush();
  const ms = performance.now() - t;
  h.close();
  await root.removeEntry('copy.pst');
  postMessage({ ms, chunks });
}`;
await page.route('**/bench-copy.js*', (route) => route.fulfill({ body: probe, contentType: 'text/javascript',
  headers: { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' } }));
await page.goto(process.env.UNPST_URL);
await page.evaluate(() => { const i = document.createElement('input'); i.type = 'file'; i.id = 'bench-copy'; document.body.append(i); });
await page.setInputFiles('#bench-copy', process.env.FILE);
const ways = (process.env.WAYS || 'stream,stream-sized,stream-batched,byob,slices').split(',');
for (let round = 0; round < Number(process.env.ROUNDS || 2); round++) {
  for (const way of ways) {
    caughtUp();
    const cpu0 = browserCpu();
    const r = await page.evaluate((way) => new Promise((resolve, reject) => {
      const w = new Worker('bench-copy.js');
      w.onmessage = (e) => { w.terminate(); resolve(e.data); };
      w.onerror = (e) => reject(new Error(e.message));
      w.postMessage({ file: document.querySelector('#bench-copy').files[0], way });
    }), way).catch((e) => ({ error: String(e) }));
    console.log(`${way}: ${r.error ?? `${(r.ms / 1000).toFixed(2)} s, ${r.chunks} chunks`}, browser CPU ${((browserCpu() - cpu0) / 1000).toFixed(2)} s`);
  }
}
await context.close();
rmSync(profile, { recursive: true, force: true });
