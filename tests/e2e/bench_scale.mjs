// Benchmark (not a test), run by `cargo xtask bench-scale` on generated PSTs: the page in
// headless Chromium — time until the folder tree of a large file is shown, a conversion
// against the native CLI's, and the module's linear memory after converting a file larger
// than wasm32 can address. ROUNDS: how many times each conversion of CONV_FILE runs (3).
//   UNPST_URL=… UNPST_BIN=… TREE_FILE=10g.pst CONV_FILE=1g.pst MEM_FILE=5g.pst node bench_scale.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGS, CHROMIUM, caughtUp, intoPickedFolder, timedCli, timedConversion } from './lib.mjs';

const env = process.env;
// A profile on disk: an ephemeral context keeps the Origin Private File System in memory,
// with a quota far below a multi-GB export. Downloads are not saved: the zip is timed until
// the page has written it (to OPFS).
const profile = mkdtempSync(join(tmpdir(), 'unpst-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  acceptDownloads: false,
  args: ARGS,
});
const page = await context.newPage();
await page.goto(env.UNPST_URL);

// A run that ended in an error is reported as one and fails the benchmark: its time is no
// figure.
async function failOnError(what) {
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state === 'error') {
    const status = await page.evaluate(() => document.querySelector('#status').textContent);
    console.log(`ERROR: ${what} ended in an error: ${status}`);
    await context.close();
    process.exit(1);
  }
}

async function open(file) {
  await page.evaluate(() => { document.body.dataset.state = 'x'; });
  const t = Date.now();
  await page.setInputFiles('#file', file);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 600000 });
  const ms = Date.now() - t;
  await failOnError(`opening ${file}`);
  return ms;
}

// `atOnce`: right after the file was opened, its copy under way; the disk caught up before
// the opening then, not here (a sync here would wait for part of the copy).
async function convertInPage(atOnce = false) {
  const { ms } = await timedConversion(page, !atOnce);
  await failOnError('the conversion');
  return ms;
}

if (env.TREE_FILE) {
  const first = await open(env.TREE_FILE);
  const again = await open(env.TREE_FILE);
  const folders = await page.$$eval('[data-folder-path]', (els) => els.length);
  const items = await page.$$eval('[data-folder-path]', (els) => els.reduce((n, e) => n + Number(e.dataset.items), 0));
  console.log(`page tree: ${first} ms first, ${again} ms again (${folders} folders, ${items} items)`);
}
// The open file's working copy (www/copy.js): {state, ms, bytes, reads}.
const copied = () => page.evaluate(() => window.unpst.copied());

// Each 1g figure is the median of ROUNDS (3 unless set): one CLI run as the yardstick moved
// by half between runs with the disk's writeback.
const rounds = Number(env.ROUNDS || 3);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const all = (a) => `median of ${a.join(', ')}`;

if (env.CONV_FILE) {
  // Converted at once: the file is copied into the page's storage meanwhile (on the same
  // two cores); then again with the copy complete, as after a look at the tree.
  const [wasm, copies, after, native] = [[], [], [], []];
  for (let r = 0; r < rounds; r++) {
    caughtUp();
    await open(env.CONV_FILE);
    wasm.push(await convertInPage(true));
    copies.push(await copied());
    await open(env.CONV_FILE);
    while ((await copied()).state === 'copying') await page.waitForTimeout(200);
    after.push(await convertInPage());
    native.push(timedCli(env.UNPST_BIN, (dir) => ['convert', env.CONV_FILE, '--zip', join(dir, 'x.zip'), '-q']));
  }
  const [w, a, n] = [median(wasm), median(after), median(native)];
  console.log(`page convert: ${w} ms, native CLI (same zip) ${n} ms, native/page speed ${(n / w).toFixed(2)}; working copy ${copies.map((c) => `${c.state} in ${c.ms} ms`).join(', ')} (${all(wasm)}; CLI ${all(native)})`);
  console.log(`page convert with the working copy complete: ${a} ms, native/page speed ${(n / a).toFixed(2)} (${all(after)})`);
  // Into a picked folder (a folder of the private file system stands in for the picker).
  const [picked, dirMs] = [[], []];
  for (let r = 0; r < rounds; r++) {
    await intoPickedFolder(page);
    picked.push(await convertInPage());
    await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('picked', { recursive: true }));
    dirMs.push(timedCli(env.UNPST_BIN, (dir) => ['convert', env.CONV_FILE, '-o', join(dir, 'o'), '-q']));
  }
  const [p, d] = [median(picked), median(dirMs)];
  console.log(`page into a folder: ${p} ms, native CLI (same files, -o) ${d} ms, native/page speed ${(d / p).toFixed(2)} (${all(picked)}; CLI ${all(dirMs)})`);
  await page.click('#steps [data-step="2"]');
  await page.selectOption('#dest', 'zip');
}
if (env.MEM_FILE) {
  caughtUp();
  const tree = await open(env.MEM_FILE);
  const ms = await convertInPage(true);
  const state = await page.evaluate(() => `${document.body.dataset.state}: ${document.querySelector('#status').textContent}`);
  const bytes = await page.evaluate(() => window.unpst.memory());
  const copy = await copied();
  console.log(`page converts ${env.MEM_FILE}: state ${state}, tree ${tree} ms, conversion ${ms} ms, wasm linear memory ${(bytes / 1048576).toFixed(0)} MiB; working copy ${copy.state}, ${copy.bytes} bytes`);
  // Again once the working copy is complete (it may have given up room to the zip).
  await open(env.MEM_FILE);
  while ((await copied()).state === 'copying') await page.waitForTimeout(200);
  const whole = await copied();
  const after = await convertInPage();
  const left = await copied();
  console.log(`page converts the same with the working copy complete: conversion ${after} ms; copy ${whole.bytes} bytes in ${whole.ms} ms, ${left.bytes} bytes left after`);
}
await context.close();
rmSync(profile, { recursive: true, force: true });
