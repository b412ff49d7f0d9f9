// Benchmark (not a test): the page's conversion of CONV_FILE to a zip, the working copy
// complete, on each of URLS in turn, ROUNDS times; medians. Each URL is a relay serving one
// build of the page (`unpst relay --www DIR --port N`), so two builds compare in one run.
// DEST=folder: into a picked folder instead (a folder of the private file system stands in).
// AT_ONCE=1: converted right after the file is opened, its working copy under way (the disk
// caught up before the opening). Each with the CPU time the browser's processes took. MARK=1
// prints each conversion's start and end on the monotonic clock, for `perf record -k mono`
// (`perf report --time A,B`).
//   URLS=http://127.0.0.1:8080/#relay=…,http://127.0.0.1:8081/#relay=… CONV_FILE=1g.pst ROUNDS=5 node bench_ab.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGS, CHROMIUM, browserCpu, caughtUp, intoPickedFolder, openCopied, openFresh, timedConversion } from './lib.mjs';

const env = process.env;
// A profile on disk: an ephemeral one keeps the private file system in memory.
const profile = mkdtempSync(join(tmpdir(), 'unpst-profile-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, acceptDownloads: false, args: ARGS, serviceWorkers: 'block' });
const page = await context.newPage();
const urls = env.URLS.split(',');

async function convertOnce(url) {
  if (env.AT_ONCE) {
    caughtUp();
    await openFresh(page, url, env.CONV_FILE);
  } else {
    await openCopied(page, url, env.CONV_FILE);
  }
  if (env.DEST === 'folder') {
    await intoPickedFolder(page);
  }
  const cpu = browserCpu();
  if (env.MARK) console.log(`conversion from ${process.hrtime.bigint()}`);
  const { ms, state } = await timedConversion(page, !env.AT_ONCE);
  if (env.MARK) console.log(`conversion to ${process.hrtime.bigint()}`);
  if (state !== 'done') throw new Error(`the conversion ended in ${state}`);
  return { ms, cpu: browserCpu() - cpu };
}

const times = urls.map(() => []);
for (let r = 0; r < Number(env.ROUNDS || 3); r++) {
  for (const [i, url] of urls.entries()) times[i].push(await convertOnce(url));
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const [i, url] of urls.entries()) {
  const ms = times[i].map((t) => t.ms);
  const cpu = times[i].map((t) => t.cpu);
  console.log(`${new URL(url).host}: median ${median(ms)} ms of ${ms.join(', ')}; the browser's CPU median ${median(cpu)} ms of ${cpu.join(', ')}`);
}
await context.close();
rmSync(profile, { recursive: true, force: true });
