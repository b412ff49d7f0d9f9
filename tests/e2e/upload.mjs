// The page → `unpst relay` → a real IMAP server, in headless Chromium. Run by tests/relay.rs,
// which starts Dovecot and the relay and then checks the server itself:
//   UNPST_URL=http://127.0.0.1:PORT/#relay=TOKEN UNPST_FILE=…[\n…] UNPST_HOST=127.0.0.1
//   UNPST_PORT=… UNPST_USER=… UNPST_PASSWORD=… [UNPST_OAUTH={client_id, authorize_url, …}]
//   [UNPST_TOO_LARGE_OUT=FILE] node upload.mjs
// Prints the verification report the page shows, as JSON, on its last line.
import assert from 'node:assert/strict';
import { launch, signInWith } from './lib.mjs';

const env = process.env;
const browser = await launch();
const context = await browser.newContext();
const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
const hosts = new Set();
context.on('request', (r) => hosts.add(new URL(r.url()).host));
// What the relay sent the page (to check that no token is among it).
const frames = [];
page.on('websocket', (ws) => {
  hosts.add(new URL(ws.url()).host);
  ws.on('framereceived', (f) => frames.push(String(f.payload)));
});
await page.goto(env.UNPST_URL);
// One file, or several (one per line) moved together.
const files = env.UNPST_FILE.split('\n');
await page.setInputFiles('#file', files);
await page.waitForFunction((n) => document.body.dataset.state === 'ready' && (n < 2 || document.querySelectorAll('#files button').length === n), files.length, { timeout: 60000 });
await page.click('#next');
await page.selectOption('#dest', 'imap');
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
// Microsoft takes no password: its OAuth2 sign-in is chosen.
assert.match(await page.textContent('#i-provider'), /refuses passwords.*Sign in with OAuth2 below/);
assert.equal(await page.inputValue('#i-auth'), 'microsoft');
assert.ok(await page.isHidden('#i-pass'));
await page.fill('#i-address', 'info@bakery.example');
await page.dispatchEvent('#i-address', 'change');
await page.waitForFunction(() => document.querySelector('#i-host').value === 'mail.bakery.example');
assert.match(await page.textContent('#i-provider'), /usual hosting default/);
// Its own published settings are asked only on request, and the page says first exactly what
// the relay will ask (the domain's autoconfig files and SRV records, no one else).
assert.equal(await page.textContent('#i-lookup'), 'Ask bakery.example for its settings');
assert.equal(await page.textContent('#i-lookup-note'), 'The relay then asks https://autoconfig.bakery.example/mail/config-v1.1.xml, '
  + 'https://bakery.example/.well-known/autoconfig/mail/config-v1.1.xml, _imaps._tcp.bakery.example, _imap._tcp.bakery.example — nothing else, no one else.');
await page.click('#i-lookup');
// (.example is reserved: nothing is published there, wherever the test runs.)
await page.waitForFunction(() => !['Asking…', ''].includes(document.querySelector('#i-lookup-note').textContent.split(' (')[0]) && !document.querySelector('#i-lookup').disabled, null, { timeout: 60000 });
assert.match(await page.textContent('#i-lookup-note'), /^Nothing published \(asked https:\/\/autoconfig\.bakery\.example\/mail\/config-v1\.1\.xml, /);
assert.equal(await page.inputValue('#i-host'), 'mail.bakery.example');
// A server typed by hand is not replaced by a later address.
await page.fill('#i-host', env.UNPST_HOST);
await page.fill('#i-address', 'someone@gmail.com');
await page.dispatchEvent('#i-address', 'change');
await page.waitForFunction(() => document.querySelector('#i-provider').textContent.startsWith('Gmail'));
assert.equal(await page.inputValue('#i-host'), env.UNPST_HOST);
await page.fill('#i-user', '');
const oauth = await signInWith(page, env);

// The dry run shows the mapping and changes nothing.
await page.click('#next');
await page.waitForFunction(() => ['mapped', 'error'].includes(document.body.dataset.upload), null, { timeout: 60000 });
assert.equal(await page.evaluate(() => document.body.dataset.upload), 'mapped', await page.textContent('#i-status'));
const mapping = await page.$$eval('#i-mapping tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));

await page.click('#next');
await page.click('#i-go');
await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.upload), null, { timeout: 120000 });
assert.equal(await page.evaluate(() => document.body.dataset.upload), 'done', await page.textContent('#i-status'));
if (env.UNPST_SCREENSHOT) {
  await page.setViewportSize({ width: 1300, height: 1000 });
  await page.screenshot({ path: env.UNPST_SCREENSHOT, fullPage: true });
}
// What the server refused as too large, kept by the page: saved where the test says.
let tooLarge = null;
if (env.UNPST_TOO_LARGE_OUT && await page.isVisible('#i-too-large')) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('#i-too-large')]);
  await d.saveAs(env.UNPST_TOO_LARGE_OUT);
  tooLarge = { name: d.suggestedFilename(), button: await page.textContent('#i-too-large') };
}
const summary = await page.textContent('#i-summary');
const details = await page.$$eval('#i-details li', (els) => els.map((e) => e.textContent));
const pending = await page.evaluate(() => localStorage.getItem('unpst-upload-pending'));
const saved = await page.evaluate(() => localStorage.getItem('unpst-imap'));
await browser.close();
assert.deepEqual(errors, []);
// Only the page's own origin (which is the relay) was contacted — and, to sign in, the
// authorization server and the relay's one-shot listener, in the sign-in window.
if (oauth) {
  const authHost = new URL(oauth.authorize_url).host;
  assert.ok(hosts.has(authHost), [...hosts].join(' '));
  assert.ok([...hosts].every((h) => h.startsWith('127.0.0.1:')), [...hosts].join(' '));
  assert.ok(!saved.includes(oauth.client_secret || '\u0000'), 'no client secret is stored');
  // The relay keeps the tokens: none reaches the page (nor the code it was exchanged for).
  for (const secret of oauth.never_shown || []) {
    assert.ok(!frames.some((f) => f.includes(secret)), `${secret} reached the page`);
  }
  assert.ok(frames.some((f) => f.includes('"op":"sign-in"')), 'the relay said where to sign in');
} else {
  assert.deepEqual([...hosts], [new URL(env.UNPST_URL).host]);
}
assert.equal(pending, null, 'a finished upload is not offered for resuming');
if (!oauth) assert.ok(!saved.includes(env.UNPST_PASSWORD), 'the password is never stored');
console.log(JSON.stringify({ mapping, summary, details, tooLarge }));
