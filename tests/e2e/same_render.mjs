// Renders two local HTML files in headless Chromium and says whether they look identical
// (pixel for pixel): `node same_render.mjs A.html B.html` prints "same" or "different".
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';

const [a, b] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--allow-file-access-from-files'],
});
const page = await browser.newPage({ viewport: { width: 700, height: 300 } });
const shots = [];
for (const f of [a, b]) {
  await page.goto(`file://${f}`);
  await page.waitForLoadState('load');
  await page.evaluate(() => Promise.all([...document.images].map((i) => i.decode().catch(() => {}))));
  shots.push(await page.screenshot());
}
await browser.close();
if (process.env.UNPST_SHOTS) shots.forEach((s, i) => writeFileSync(`${process.env.UNPST_SHOTS}/render${i}.png`, s));
console.log(Buffer.compare(shots[0], shots[1]) === 0 ? 'same' : 'different');
