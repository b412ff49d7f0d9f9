// What the browser scripts share: Debian's Chromium, headless and quiet (nothing fetched
// but what a page asks for), and filling in the IMAP account of the guided move's step 2.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Step 2's account: UNPST_HOST, UNPST_PORT, UNPST_USER and UNPST_PASSWORD — or, when
 * UNPST_OAUTH holds them (JSON), OAuth2 with that app and provider. Returns those or null. */
export async function signInWith(page, env) {
  await page.fill('#i-host', env.UNPST_HOST);
  await page.fill('#i-port', env.UNPST_PORT);
  await page.fill('#i-user', env.UNPST_USER);
  const oauth = env.UNPST_OAUTH ? JSON.parse(env.UNPST_OAUTH) : null;
  if (oauth) {
    await page.selectOption('#i-auth', 'custom');
    await page.fill('#i-client-id', oauth.client_id);
    await page.fill('#i-authorize-url', oauth.authorize_url);
    await page.fill('#i-token-url', oauth.token_url);
    await page.fill('#i-scope', oauth.scope);
  } else {
    await page.selectOption('#i-auth', 'password');
    await page.fill('#i-pass', env.UNPST_PASSWORD);
  }
  return oauth;
}

/** The folder picker is the browser's own dialog: from now on it answers with a fresh folder
 * "picked" of the Origin Private File System, a FileSystemDirectoryHandle like any other. */
export function pickerAnswersPicked(page) {
  return page.evaluate(() => {
    window.showDirectoryPicker = async () => {
      const root = await navigator.storage.getDirectory();
      await root.removeEntry('picked', { recursive: true }).catch(() => {});
      return root.getDirectoryHandle('picked', { create: true });
    };
  });
}

/** Step 2 set to convert into a picked folder: one of the private file system, `picked`
 * (see pickerAnswersPicked), for the benchmarks. */
export async function intoPickedFolder(page) {
  await pickerAnswersPicked(page);
  await page.click('#steps [data-step="2"]');
  await page.selectOption('#dest', 'folder');
  await page.evaluate(() => { document.body.dataset.state = 'choosing'; });
}

/** Opens `file` in the page at `url`, loaded afresh, and waits until its tree is shown (its
 * working copy is under way then). */
export async function openFresh(page, url, file) {
  await page.goto('about:blank');
  await page.goto(url);
  await page.setInputFiles('#file', file);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 600000 });
}

/** openFresh, then waits until the working copy is complete (for the benchmarks: a conversion
 * then reads only the copy). */
export async function openCopied(page, url, file) {
  await openFresh(page, url, file);
  while ((await page.evaluate(() => window.unpst.copied())).state === 'copying') await page.waitForTimeout(200);
}

/** Starts the conversion as set up (step 4's button) and waits for its end: `{ms, state}`,
 * state 'done' or 'error'. The disk caught up first unless `sync` is false (the caller did). */
export async function timedConversion(page, sync = true) {
  await page.click('#steps [data-step="4"]');
  if (sync) caughtUp();
  const t = Date.now();
  await page.click('#go');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 3600000 });
  const ms = Date.now() - t;
  return { ms, state: await page.evaluate(() => document.body.dataset.state) };
}

/** Runs `unpst` (`bin`) with `args(dir)`, `dir` a fresh temporary folder removed after, and
 * returns the milliseconds it took (the benchmarks' yardstick). */
export function timedCli(bin, args) {
  const dir = mkdtempSync(join(tmpdir(), 'unpst-bench-'));
  try {
    caughtUp();
    const t = Date.now();
    execFileSync(bin, args(dir));
    return Date.now() - t;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until the disk has caught up (`sync`), before a timed run: a run before leaves up to
 * gigabytes to write back, which had landed in the next one (seconds at 99 % iowait). */
export function caughtUp() {
  execFileSync('sync');
}

/** User and system CPU time of the browser's processes so far (those alive now), in ms (Linux
 * /proc): for the benchmarks, beside the time on the clock. */
export function browserCpu() {
  const tick = 10; // ms: USER_HZ is 100 on Linux
  let t = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(chrom')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      t += (Number(f[11]) + Number(f[12])) * tick;
    } catch { /* gone */ }
  }
  return t;
}
