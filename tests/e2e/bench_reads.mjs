// Benchmark (not a test): what one browser file read costs in a worker, by its size —
// FileReaderSync over the first 512 MiB of FILE in slices of 64 KiB to 16 MiB. The page's
// read-ahead is shaped by it (www/readahead.js).
//   UNPST_URL=http://127.0.0.1:PORT/ FILE=target/bench-scale/1g.pst node bench_reads.mjs
import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM } from './lib.mjs';

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
// The service worker would answer the probe's request itself; the route must see it.
const page = await (await browser.newContext({ serviceWorkers: 'block' })).newPage();
const probe = `onmessage = (e) => {
  const { file, size } = e.data;
  const r = new FileReaderSync();
  const end = Math.min(file.size, 512 << 20);
  let reads = 0, bytes = 0;
  const t = performance.now();
  for (let o = 0; o < end; o += size) { bytes += r.readAsArrayBuffer(file.slice(o, Math.min(o + size, end))).byteLength; reads++; }
  postMessage({ ms: performance.now() - t, reads, bytes });
}`;
// Served from the page's origin with its isolation headers, as the page's own workers are.
await page.route('**/bench-reads.js*', (route) => route.fulfill({
  body: probe,
  contentType: 'text/javascript',
  headers: { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' },
}));
await page.goto(process.env.UNPST_URL);
// An input of its own: the page's takes the file away once it has opened it.
await page.evaluate(() => { const i = document.createElement('input'); i.type = 'file'; i.id = 'bench-reads'; document.body.append(i); });
await page.setInputFiles('#bench-reads', process.env.FILE);
for (const size of [64 << 10, 128 << 10, 1 << 20, 4 << 20, 16 << 20]) {
  const r = await page.evaluate((size) => new Promise((resolve, reject) => {
    const w = new Worker(`bench-reads.js?${size}`);
    w.onmessage = (e) => { w.terminate(); resolve(e.data); };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage({ file: document.querySelector('#bench-reads').files[0], size });
  }), size);
  const mib = r.bytes / 1048576;
  console.log(`${size >> 10} KiB a read: ${r.reads} reads of ${mib.toFixed(0)} MiB in ${r.ms.toFixed(0)} ms, ${(r.ms / r.reads).toFixed(2)} ms a read, ${(mib / (r.ms / 1000)).toFixed(0)} MiB/s`);
}
await browser.close();
