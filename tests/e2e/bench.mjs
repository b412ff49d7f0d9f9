// Benchmark (not a test): the page in headless Chromium against the native CLI on the largest
// corpus files — time from choosing a file to the tree shown, time to open a message, and the
// wasm / native conversion time ratio. Run with `cargo xtask bench-web`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launch } from './lib.mjs';

const url = process.env.UNPST_URL;
const corpus = resolve(process.env.UNPST_CORPUS || '../../../shared/corpus');
const bin = resolve(process.env.UNPST_BIN || '../../target/release/unpst');
const files = readdirSync(corpus).filter((f) => /\.(pst|ost)$/.test(f))
  .sort((a, b) => statSync(join(corpus, b)).size - statSync(join(corpus, a)).size).slice(0, 5);

const browser = await launch();
const context = await browser.newContext({ acceptDownloads: true });
const page = await context.newPage();
await page.goto(url);
const dir = mkdtempSync(join(tmpdir(), 'unpst-bench-'));
const best = async (n, fn) => { let b = Infinity; for (let i = 0; i < n; i++) b = Math.min(b, await fn()); return b; };

// Two clocks: end to end as the harness sees it (Playwright's own input and polling add
// ≈ 10–30 ms), and in the page from the input event to the frame after the result was drawn
// (window.unpst.timings) — what a user waits for.
console.log('file'.padEnd(48), 'tree ms (page)', 'message ms (page)', 'hovered (page)', 'arrow key (page)', 'wasm conv ms', 'native conv ms', 'wasm/native');
const inPage = (what, n = 3) => page.evaluate(([w, k]) => Math.min(...window.unpst.timings[w].slice(-k)), [what, n]);
const count = (what) => page.evaluate((w) => window.unpst.timings[w].length, what);
const settle = (what, n) => page.waitForFunction(([w, k]) => window.unpst.timings[w].length >= k, [what, n]);
for (const file of files) {
  const tree = await best(3, async () => {
    await page.evaluate(() => { document.body.dataset.state = 'x'; });
    const t = Date.now();
    await page.setInputFiles('#file', join(corpus, file));
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state));
    return Date.now() - t;
  });
  await settle('tree', 3 * (files.indexOf(file) + 1));
  const treePage = await inPage('tree');
  // The folder with the most items, its first message.
  const folder = await page.$$eval('[data-folder-path]', (els) =>
    els.sort((a, b) => Number(b.dataset.items) - Number(a.dataset.items))[0].dataset.folderPath);
  await page.click(`[data-folder-path="${folder}"] .name`);
  await page.waitForSelector('.message');
  // Three different messages, each opened for the first time (nothing cached); the pointer
  // comes from elsewhere, so only the click's own approach precedes it.
  let nth = 0;
  let before = await count('message');
  const message = await best(3, async () => {
    await page.evaluate(() => { document.querySelector('#p-subject').textContent = ''; });
    await page.mouse.move(0, 0);
    const row = page.locator(`.message >> nth=${nth++ % await page.locator('.message').count()}`);
    const t = Date.now();
    await row.click();
    await page.waitForFunction(() => document.querySelector('#p-subject').textContent !== '');
    return Date.now() - t;
  });
  await settle('message', before + 3);
  const messagePage = await inPage('message');
  before = await count('message');
  // As people use it: the pointer rests on a row before the click (the preview is asked
  // for then).
  for (let i = 0; i < 3; i++) {
    const row = page.locator(`.message >> nth=${nth++ % await page.locator('.message').count()}`);
    await page.mouse.move(0, 0);
    await row.hover();
    await page.waitForTimeout(300);
    await row.click();
    await page.waitForTimeout(100);
  }
  await settle('message', before + 3);
  const hoveredPage = await inPage('message');
  // Reading on with the arrow key (the next message is asked for as each one opens).
  let keyPage = NaN;
  if (await page.locator('.message').count() >= 3) {
    await page.locator('.message >> nth=0').click();
    await page.waitForTimeout(300);
    before = await count('message');
    for (let i = 0; i < 2; i++) { await page.keyboard.press('ArrowDown'); await page.waitForTimeout(300); }
    await settle('message', before + 2);
    keyPage = await inPage('message', 2);
  }
  const wasm = await best(3, async () => {
    await page.click('#steps [data-step="4"]');
    const t = Date.now();
    const [d] = await Promise.all([page.waitForEvent('download'), page.click('#go')]);
    await d.path();
    return Date.now() - t;
  });
  const native = await best(3, async () => {
    const t = Date.now();
    execFileSync(bin, ['convert', join(corpus, file), '--zip', join(dir, 'x.zip'), '-q']);
    return Date.now() - t;
  });
  console.log(file.padEnd(48), `${tree} (${treePage.toFixed(1)})`.padStart(14),
    `${message} (${messagePage.toFixed(1)})`.padStart(17), hoveredPage.toFixed(1).padStart(14), keyPage.toFixed(1).padStart(16),
    String(wasm).padStart(12), String(native).padStart(14), (wasm / native).toFixed(2).padStart(11));
}
rmSync(dir, { recursive: true, force: true });
await browser.close();
