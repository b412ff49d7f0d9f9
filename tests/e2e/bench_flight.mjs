// Benchmark (not a test): the page's export of CONV_FILE into a picked folder (a folder of the
// private file system stands in) with www/worker.js's IN_FLIGHT replaced on the fly by each of
// FLIGHTS (MiB, default 16,64,16,64), the working copy complete; `unpst convert -o` after each.
//   UNPST_URL=… UNPST_BIN=… CONV_FILE=1g.pst node bench_flight.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGS, CHROMIUM, intoPickedFolder, openCopied, timedCli, timedConversion } from './lib.mjs';

const env = process.env;
const profile = mkdtempSync(join(tmpdir(), 'unpst-profile-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, acceptDownloads: false, args: ARGS, serviceWorkers: 'block' });
const page = await context.newPage();
let flight = 16;
const worker = await (await fetch(new URL('worker.js', env.UNPST_URL))).text();
if (!/const IN_FLIGHT = \d+ << 20;/.test(worker)) throw new Error('worker.js has no IN_FLIGHT to replace');
await page.route('**/worker.js*', (route) => route.fulfill({
  body: worker.replace(/const IN_FLIGHT = \d+ << 20;/, `const IN_FLIGHT = ${flight} << 20;`),
  contentType: 'text/javascript',
  headers: { 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' },
}));

async function intoFolder() {
  await openCopied(page, env.UNPST_URL, env.CONV_FILE);
  await intoPickedFolder(page);
  const { ms, state } = await timedConversion(page);
  await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('picked', { recursive: true }));
  if (state !== 'done') throw new Error(`the export ended in ${state}`);
  return ms;
}

for (const f of (env.FLIGHTS || '16,64,16,64').split(',').map(Number)) {
  flight = f;
  const ms = await intoFolder();
  const cli = timedCli(env.UNPST_BIN, (dir) => ['convert', env.CONV_FILE, '-o', join(dir, 'o'), '-q']);
  console.log(`IN_FLIGHT ${f} MiB: page into a folder ${ms} ms, unpst convert -o ${cli} ms, page/CLI speed ${(cli / ms).toFixed(2)}`);
}
await context.close();
// (The profile holds the private file system's gigabytes: they go with it.)
rmSync(profile, { recursive: true, force: true });
