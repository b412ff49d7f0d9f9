// The page → `unpst relay` → a real IMAP server, in headless Chromium. Run by tests/relay.rs,
// which starts Dovecot and the relay and then checks the server itself:
//   UNPST_URL=http://127.0.0.1:PORT/#relay=TOKEN UNPST_FILE=… UNPST_HOST=127.0.0.1
//   UNPST_PORT=… UNPST_USER=… UNPST_PASSWORD=… node upload.mjs
// Prints the verification report the page shows, as JSON, on its last line.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const env = process.env;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext();
const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
const hosts = new Set();
context.on('request', (r) => hosts.add(new URL(r.url()).host));
page.on('websocket', (ws) => hosts.add(new URL(ws.url()).host));
await page.goto(env.UNPST_URL);
await page.setInputFiles('#file', env.UNPST_FILE);
await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60000 });
await page.click('#imap summary');
// An address proposes its provider's server (no lookup: the module's table); one that takes
// no password says so; another domain gets the hosting default, said to be a guess.
await page.fill('#i-address', 'someone@gmail.com');
await page.dispatchEvent('#i-address', 'change');
await page.waitForFunction(() => document.querySelector('#i-host').value === 'imap.gmail.com');
assert.equal(await page.inputValue('#i-user'), 'someone@gmail.com');
assert.match(await page.textContent('#i-provider'), /^Gmail: imap\.gmail\.com\. .*app password/);
await page.fill('#i-address', 'someone@hotmail.com');
await page.dispatchEvent('#i-address', 'change');
await page.waitForFunction(() => document.querySelector('#i-host').value === 'outlook.office365.com');
assert.match(await page.textContent('#i-provider'), /refuses passwords.*--oauth2 microsoft/);
assert.ok(await page.$eval('#i-provider', (e) => e.classList.contains('error')));
await page.fill('#i-address', 'info@bakery.example');
await page.dispatchEvent('#i-address', 'change');
await page.waitForFunction(() => document.querySelector('#i-host').value === 'mail.bakery.example');
assert.match(await page.textContent('#i-provider'), /usual hosting default/);
// A server typed by hand is not replaced by a later address.
await page.fill('#i-host', env.UNPST_HOST);
await page.fill('#i-address', 'someone@gmail.com');
await page.dispatchEvent('#i-address', 'change');
await page.waitForFunction(() => document.querySelector('#i-provider').textContent.startsWith('Gmail'));
assert.equal(await page.inputValue('#i-host'), env.UNPST_HOST);
await page.fill('#i-user', '');
await page.fill('#i-host', env.UNPST_HOST);
await page.fill('#i-port', env.UNPST_PORT);
await page.fill('#i-user', env.UNPST_USER);
await page.fill('#i-pass', env.UNPST_PASSWORD);

// The dry run shows the mapping and changes nothing.
await page.click('#i-map');
await page.waitForFunction(() => ['mapped', 'error'].includes(document.body.dataset.upload), null, { timeout: 60000 });
assert.equal(await page.evaluate(() => document.body.dataset.upload), 'mapped', await page.textContent('#i-status'));
const mapping = await page.$$eval('#i-mapping tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));

await page.click('#i-go');
await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.upload), null, { timeout: 120000 });
assert.equal(await page.evaluate(() => document.body.dataset.upload), 'done', await page.textContent('#i-status'));
if (env.UNPST_SCREENSHOT) {
  await page.setViewportSize({ width: 1300, height: 1000 });
  await page.screenshot({ path: env.UNPST_SCREENSHOT, fullPage: true });
}
const summary = await page.textContent('#i-summary');
const details = await page.$$eval('#i-details li', (els) => els.map((e) => e.textContent));
const pending = await page.evaluate(() => localStorage.getItem('unpst-upload-pending'));
const saved = await page.evaluate(() => localStorage.getItem('unpst-imap'));
await browser.close();
assert.deepEqual(errors, []);
// Only the page's own origin (which is the relay) was contacted.
assert.deepEqual([...hosts], [new URL(env.UNPST_URL).host]);
assert.equal(pending, null, 'a finished upload is not offered for resuming');
assert.ok(!saved.includes(env.UNPST_PASSWORD), 'the password is never stored');
console.log(JSON.stringify({ mapping, summary, details }));
