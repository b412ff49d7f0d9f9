// The guided move, all six steps, at phone width, into a real IMAP server through
// `unpst relay`: open → where to → mapping → move (Pause, Resume, Cancel, upload again, a
// reload in the middle and the same file opened again) → check → finish. Run by
// tests/relay.rs, which starts Dovecot and the relay and then reads the server itself:
//   UNPST_URL=http://127.0.0.1:PORT/#relay=TOKEN UNPST_FILE=… UNPST_HOST=127.0.0.1
//   UNPST_PORT=… UNPST_USER=… UNPST_PASSWORD=… [UNPST_OAUTH={client_id, …}]
//   [UNPST_SHOTS=DIR] node migrate.mjs
// Prints what the page reported, as JSON, on its last line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { launch, signInWith } from './lib.mjs';

const env = process.env;
const browser = await launch();
// A phone: every step must work (and is photographed) at this width.
const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
const consoleLines = [];
page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
page.on('worker', (w) => w.on('console', (m) => consoleLines.push(`worker ${m.type()}: ${m.text()}`)));
const shots = env.UNPST_SHOTS;
// Each step is photographed (UNPST_SHOTS) and must not scroll sideways at phone width.
const shot = async (name) => {
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${name} is wider than the phone`);
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`) });
};
const step = () => page.evaluate(() => Number(document.body.dataset.step));
const what = () => page.textContent('#step-what');
const done = () => page.evaluate(() => Number(document.querySelector('#i-progress').value));
const enabled = () => page.$$eval('#steps button', (bs) => bs.filter((b) => !b.disabled).map((b) => Number(b.dataset.step)));
const file = basename(env.UNPST_FILE);
// Waits for `fn` in the page; a timeout says what the page said.
const until = async (fn, arg, timeout = 60000) => {
  try {
    await page.waitForFunction(fn, arg, { timeout });
  } catch (e) {
    if (shots) await page.screenshot({ path: join(shots, 'timeout.png'), fullPage: true }).catch(() => {});
    const vis = await page.evaluate(() => `${document.visibilityState} focus=${document.hasFocus()}`);
    const w = page.workers();
    const alive = await Promise.all(w.map((x) => Promise.race([x.evaluate(() => `alive ${typeof queue === 'undefined' ? '' : JSON.stringify([queue.length, first, [...meta].map(String).join(',')])}`).catch((e) => e.message), new Promise((r) => setTimeout(() => r('no answer'), 5000))])));
    console.error('workers', w.length, alive, context.pages().map((p) => p.url()), consoleLines);
    throw new Error(`${e.message}\npage: ${await page.textContent('#status')} | ${await page.textContent('#i-status')} | step ${await step()} | ${vis} | pages ${context.pages().length}`);
  }
};

// 1. Open: nothing but step 1 can be reached before a file is open.
await page.goto(env.UNPST_URL);
assert.deepEqual(await enabled(), [1]);
await page.setInputFiles('#file', env.UNPST_FILE);
await until(() => document.body.dataset.state === 'ready', null, 60000);
assert.equal(await step(), 1);
assert.match(await what(), /^Step 1 of 6 — Open your PST or OST file — or several, an Outlook\.pst and its archives, to move together\. It is read here, in this page — nothing is uploaded\./);
// (The default destination, a zip, needs no confirming: its mapping and move can be seen.)
assert.deepEqual(await enabled(), [1, 2, 3, 4, 6]);
await shot('move-1-open');

// 2. Where to: an IMAP account; Next says it connects, and changes nothing.
await page.click('#next');
assert.equal(await step(), 2);
await page.selectOption('#dest', 'imap');
assert.deepEqual(await enabled(), [1, 2, 6], 'no mapping or move to a server before it answered');
assert.match(await what(), /Nothing is written or sent in this step\. Next connects to your server .* it changes nothing there\./);
const oauth = await signInWith(page, env);
assert.equal(await page.textContent('#next'), 'Connect and show the mapping →');
await shot('move-2-where');

// 3. Mapping: nothing on the server yet.
const mapped = async () => {
  await page.click('#next');
  await until(() => ['mapped', 'error'].includes(document.body.dataset.upload), null, 60000);
  assert.equal(await page.evaluate(() => document.body.dataset.upload), 'mapped', await page.textContent('#i-status'));
  assert.equal(await step(), 3);
  return page.$$eval('#i-mapping tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
};
const mapping = await mapped();
// Every folder new on the server, or there and empty (INBOX, Sent, Trash).
assert.ok(mapping.length > 1 && mapping.every((r) => ['new', '0'].includes(r[3])), JSON.stringify(mapping));
assert.match(await what(), new RegExp(`Nothing was changed on ${env.UNPST_HOST}`));
await shot('move-3-mapping');

// 4. Move: it says what it will do, then does it.
await page.click('#next');
assert.equal(await step(), 4);
const total = mapping.reduce((n, r) => n + Number(r[2]), 0);
assert.match(await what(), new RegExp(`^Step 4 of 6 — Upload ${total} items of \\d+ folders into ${env.UNPST_HOST} \\(as ${env.UNPST_USER}\\)\\.`));
assert.ok(await page.isDisabled('#next'), 'no check before a move');
await page.click('#i-go');
await until(() => Number(document.querySelector('#i-progress').value) > 0, null, 60000);
// Pause: the message under way arrives, then nothing more is sent while paused.
await page.click('#i-pause');
await page.waitForTimeout(1000);
const paused = await done();
await page.waitForTimeout(1500);
assert.equal(await done(), paused, 'messages went on while paused');
assert.ok(paused < total, `the upload was over (${paused}) before Pause`);
assert.match(await page.textContent('#i-status'), /— paused$/);
assert.equal(await page.textContent('#i-pause'), 'Resume');
await shot('move-4-paused');
await page.click('#i-pause');
await until((n) => Number(document.querySelector('#i-progress').value) > n, paused, 60000);
// Cancel: what arrived stays.
await page.click('#i-cancel');
await until(() => document.body.dataset.upload === 'cancelled', null, 60000);
assert.equal(await page.textContent('#i-status'), 'Upload cancelled; what arrived stays. Upload again to add the rest.');
assert.equal(await step(), 4);
// Upload again, and reload the page in the middle of it (past the relay's first batch of
// 100 appended together: what arrived before the reload).
await page.click('#i-go');
await until(() => document.body.dataset.upload !== 'uploading' || Number(document.querySelector('#i-progress').value) > 250, null, 60000);
assert.equal(await page.evaluate(() => document.body.dataset.upload), 'uploading', await page.textContent('#i-status') + await page.textContent('#status') + await page.evaluate(() => document.body.dataset.state));
const reloadedAt = await done();
await page.reload();

// After the reload: the page names the unfinished move; the same file returns to it (step 2,
// settings kept, the password — never stored — asked again), and its mapping shows what
// arrived already.
await until(() => document.querySelector("#status").textContent !== "");
assert.match(await page.textContent('#status'), new RegExp(`^Your move of ${file.replace('.', '\\.')} \\(.*\\) stopped at step 4, Move\\. Open the same file to go on from there\\.$`));
await page.setInputFiles('#file', env.UNPST_FILE);
await until(() => document.body.dataset.state === 'ready', null, 60000);
assert.equal(await step(), 2);
assert.equal(await page.inputValue('#dest'), 'imap');
assert.equal(await page.inputValue('#i-host'), env.UNPST_HOST);
assert.equal(await page.inputValue('#i-user'), env.UNPST_USER);
assert.match(await page.textContent('#resume-note'), new RegExp(`^An upload of ${file.replace('.', '\\.')} to .* did not finish`));
if (!oauth) {
  assert.equal(await page.inputValue('#i-pass'), '', 'the password is never stored');
  await page.fill('#i-pass', env.UNPST_PASSWORD);
}
const again = await mapped();
const there = again.reduce((n, r) => n + (r[3] === 'new' ? 0 : Number(r[3])), 0);
assert.ok(there > 0, `nothing on the server after the reload: ${JSON.stringify(again)}`);
await page.click('#next');
await page.click('#i-go');
await until(() => ['done', 'error'].includes(document.body.dataset.upload), null, 120000);
assert.equal(await page.evaluate(() => document.body.dataset.upload), 'done', await page.textContent('#i-status'));

// 5. Check: the page went on by itself; every folder verified on the server.
assert.equal(await step(), 5);
const summary = await page.textContent('#i-summary');
const [, all, appended, present] = (summary.match(/^All (\d+) messages are on .*: (\d+) added now, (\d+) already there\.$/) || []).map(Number);
assert.equal(all, total, summary);
await shot('move-5-check');

// 6. Finish: the signatures and accounts, and the report to keep.
await page.click('#next');
assert.equal(await step(), 6);
await until(() => document.body.dataset.signatures !== undefined, null, 60000);
assert.match(await page.textContent('#m-body'), new RegExp(summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
await shot('move-6-finish');
// A folder named in markup (the test's file has one) is text everywhere, never an element.
assert.equal(await page.locator('main img').count(), 0);
const [download] = await Promise.all([page.waitForEvent('download'), page.click('#m-save')]);
const saved = join(tmpdir(), `unpst-report-${process.pid}.html`);
await download.saveAs(saved);
const report = readFileSync(saved, 'utf8');
assert.equal(download.suggestedFilename(), `${file.replace(/\.pst$/i, '')}.migration-report.html`);
await browser.close();
assert.deepEqual(errors, []);
console.log(JSON.stringify({ total, appended, present, paused, reloadedAt, there, summary, report }));
