// Benchmark (not a test): would converting in two workers pay? CONV_FILE to a zip, its working
// copy complete, by one page with every folder; then by two pages at once (two browsers), each
// with half of the folders (by items) — as two conversion workers would share the work. ROUNDS
// times, each with the CPU time the browsers' processes took.
//   UNPST_URL=… CONV_FILE=1g.pst ROUNDS=2 node bench_halves.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGS, CHROMIUM, browserCpu, caughtUp, openCopied, timedConversion } from './lib.mjs';

const env = process.env;
const profiles = [];
async function browserPage() {
  const profile = mkdtempSync(join(tmpdir(), 'unpst-profile-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, acceptDownloads: false, args: ARGS, serviceWorkers: 'block' });
  return context.newPage();
}
const pages = [await browserPage(), await browserPage()];

// Ticks half of the folders (0 or 1, balanced by items; -1: all); returns the items ticked.
const tickHalf = (page, half) => page.evaluate((half) => {
  const boxes = [...document.querySelectorAll('.pick')].map((b) => ({ b, n: Number(b.closest('.folder').dataset.items) }));
  boxes.sort((x, y) => y.n - x.n);
  const sums = [0, 0];
  let ticked = 0;
  for (const { b, n } of boxes) {
    const side = sums[0] <= sums[1] ? 0 : 1;
    sums[side] += n;
    b.checked = half < 0 || side === half;
    if (b.checked) ticked += n;
  }
  return ticked;
}, half);

// (The disk caught up before, once: both start together.)
const run = async (page) => {
  const { ms, state } = await timedConversion(page, false);
  if (state !== 'done') throw new Error(`the conversion ended in ${state}`);
  return ms;
};

for (let r = 0; r < Number(env.ROUNDS || 2); r++) {
  await openCopied(pages[0], env.UNPST_URL, env.CONV_FILE);
  await tickHalf(pages[0], -1);
  caughtUp();
  let cpu = browserCpu();
  const one = await run(pages[0]);
  console.log(`one page, every folder: ${one} ms, the browsers' CPU ${browserCpu() - cpu} ms`);
  const items = [];
  for (const [i, page] of pages.entries()) {
    await openCopied(page, env.UNPST_URL, env.CONV_FILE);
    items.push(await tickHalf(page, i));
  }
  caughtUp();
  cpu = browserCpu();
  const t = Date.now();
  const each = await Promise.all(pages.map(run));
  console.log(`two pages at once, half each (${items.join(' + ')} items): ${Date.now() - t} ms (${each.join(', ')}), the browsers' CPU ${browserCpu() - cpu} ms`);
}
for (const page of pages) await page.context().close();
for (const p of profiles) rmSync(p, { recursive: true, force: true });
