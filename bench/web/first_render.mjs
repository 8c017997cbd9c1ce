// Console load benchmark: the gzip size of what the browser downloads for the first page
// (index.html and the scripts and styles it references), and the time from navigation start
// to the Trust Dashboard's tiles on screen in headless Chromium, for a signed-in user on a
// fresh trustd. Prints one JSON object.
//
//   node bench/web/first_render.mjs --trustd build/src/trustd --trustctl build/src/trustctl \
//        --console web/dist [--runs 20]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(join(root, 'web/package.json'))('playwright-core');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const trustd = resolve(arg('trustd', join(root, 'build/src/trustd')));
const trustctl = resolve(arg('trustctl', join(root, 'build/src/trustctl')));
const dist = resolve(arg('console', join(root, 'web/dist')));
const runs = Number(arg('runs', '20'));

// What the first page loads: index.html plus every asset it references.
const html = readFileSync(join(dist, 'index.html'));
const assets = [...String(html).matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);
let raw = html.length;
let gzip = gzipSync(html, { level: 9 }).length;
for (const a of assets) {
  const body = readFileSync(join(dist, a));
  raw += body.length;
  gzip += gzipSync(body, { level: 9 }).length;
}

const port = await new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => ok(p));
  });
});
const data = mkdtempSync(join(tmpdir(), 'tf-bench-web-'));
const email = 'bench@web.example';
const password = 'granite-Harbour-lantern-17';
execFileSync(trustctl, ['--data-dir', data, 'bootstrap', '--email', email, '--password-stdin'], { input: password, stdio: ['pipe', 'ignore', 'ignore'] });
const server = spawn(trustd, ['--listen', `127.0.0.1:${port}`, '--data-dir', data], {
  env: { ...process.env, TRUST_SERVER_CONSOLE_DIR: dist, TRUST_LOG_LEVEL: 'warn' },
  stdio: 'ignore',
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`${base}/health`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
const login = await (
  await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
).json();

const browser = await chromium.launch({
  executablePath: process.env.TF_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const times = [];
try {
  for (let i = 0; i < runs; i++) {
    // A new context each run: empty cache, as on a first visit.
    const context = await browser.newContext({ baseURL: base });
    await context.addCookies([
      { name: 'tf_session', value: login.token, url: base },
      { name: 'tf_csrf', value: login.csrf_token, url: base },
    ]);
    const page = await context.newPage();
    await page.goto('/', { waitUntil: 'commit' });
    await page.locator('[data-tile]').first().waitFor();
    times.push(await page.evaluate(() => performance.now()));
    await context.close();
  }
} finally {
  await browser.close();
  server.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
console.log(
  JSON.stringify({
    initial_load_files: 1 + assets.length,
    initial_load_bytes: raw,
    initial_load_gzip_bytes: gzip,
    initial_load_gzip_kib: Math.round((gzip / 1024) * 10) / 10,
    first_render_runs: runs,
    first_render_ms_median: Math.round(q(0.5)),
    first_render_ms_p90: Math.round(q(0.9)),
    first_render_ms_min: Math.round(times[0]),
  }),
);
