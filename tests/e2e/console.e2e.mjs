// Browser tests of the web console: a real trustd (fresh SQLite store) and Debian's Chromium,
// driven by playwright-core. Signs in with the bootstrap administrator's one-time password,
// changes it, enrols TOTP by computing codes from the secret the page shows, signs out and in
// again with the second factor, reads the dashboard tiles, ends another session, searches and
// verifies the audit trail, registers and rotates a secret in the Security Center, works a
// security event a service reported from open to resolved, runs an incident (a personal-data
// breach) from declaration to closed with its postmortem, approves another user's request
// for just-in-time access, and opens the Terms of Service without signing in. Screenshots of every page go to the output folder.
//
//   node tests/e2e/console.e2e.mjs --trustd build/src/trustd --trustctl build/src/trustctl \
//        --console web/dist --out build/e2e
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(join(root, 'web/package.json'))('playwright-core');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const trustdPath = resolve(arg('trustd', join(root, 'build/src/trustd')));
const trustctlPath = resolve(arg('trustctl', join(root, 'build/src/trustctl')));
const consoleDir = resolve(arg('console', join(root, 'web/dist')));
const outDir = resolve(arg('out', join(root, 'build/e2e')));
const chromiumPath = process.env.TF_CHROMIUM ?? '/usr/bin/chromium';

const EMAIL = 'admin@e2e.example';
const NEW_PASSWORD = 'granite-Harbour-lantern-17';

// --- RFC 6238 in a few lines, independent of the server's implementation ----------------------
function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
function totp(secret, stepsAhead = 0) {
  const counter = Math.floor(Date.now() / 1000 / 30) + stepsAhead;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = mac[19] & 0xf;
  const bin = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitForHealth(base, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`trustd exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('trustd did not become healthy');
}

async function apiLogin(base, email, password, code) {
  const post = (path, body) =>
    fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  let r = await (await post('/api/auth/login', { email, password })).json();
  if (r.mfa_required) r = await (await post('/api/auth/login/mfa', { mfa_token: r.mfa_token, code })).json();
  assert.ok(r.token, `API sign-in failed: ${JSON.stringify(r)}`);
  return r.token;
}

test('the console end to end', { timeout: 180_000 }, async (t) => {
  mkdirSync(outDir, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), 'tf-e2e-'));
  const boot = execFileSync(trustctlPath, ['--data-dir', data, 'bootstrap', '--email', EMAIL], { encoding: 'utf8' });
  const oneTime = /One-time password: (\S+)/.exec(boot)?.[1];
  assert.ok(oneTime, `no one-time password in: ${boot}`);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = [];
  const trustd = spawn(trustdPath, ['--listen', `127.0.0.1:${port}`, '--data-dir', data], {
    env: { ...process.env, TRUST_SERVER_CONSOLE_DIR: consoleDir, TRUST_AUDIT_CHECKPOINT_INTERVAL_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trustd.stdout.on('data', (d) => log.push(String(d)));
  trustd.stderr.on('data', (d) => log.push(String(d)));
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  let lastPage = null;
  t.after(async () => {
    // The page as the last step left it: the first thing to look at when a step failed.
    await lastPage?.screenshot({ path: join(outDir, 'last.png'), fullPage: true }).catch(() => {});
    await browser.close();
    trustd.kill('SIGTERM');
    writeFileSync(join(outDir, 'trustd.log'), log.join(''));
    rmSync(data, { recursive: true, force: true });
  });
  await waitForHealth(base, trustd);

  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  lastPage = page;
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  const shot = (name) => page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });

  await t.test('Terms of Service open without signing in', async () => {
    const response = await page.goto('/terms');
    assert.equal(response.status(), 200);
    const csp = response.headers()['content-security-policy'];
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers()['x-content-type-options'], 'nosniff');
    await page.getByRole('heading', { name: 'Terms of Service' }).waitFor();
    for (const topic of ['AI outputs are assistance', 'Limitation of liability', 'Data protection', 'Retention', 'termination']) {
      assert.ok((await page.textContent('main')).toLowerCase().includes(topic.toLowerCase()), topic);
    }
    await shot('terms');
  });

  await t.test('a wrong password is a readable message and the login links the terms', async () => {
    await page.goto('/');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.getByRole('alert').textContent(), /Invalid email or password/);
    assert.ok(await page.getByRole('link', { name: 'Terms of Service' }).isVisible());
    // Keyboard: focus moves to the fields and is visible.
    await page.getByLabel('Email').focus();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({
      id: document.activeElement?.id,
      outline: getComputedStyle(document.activeElement).outlineStyle,
    }));
    assert.equal(focused.id, 'password');
    assert.notEqual(focused.outline, 'none');
    await shot('login');
  });

  await t.test('the bootstrap administrator signs in and must change the one-time password', async () => {
    await page.getByLabel('Password').fill(oneTime);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Password' }).waitFor();
    await shot('change-password');
    await page.getByLabel('Current password').fill(oneTime);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Trust Dashboard' }).waitFor();
    assert.match(await page.getByTestId('who').textContent(), /admin@e2e\.example/);
  });

  let secret = '';
  let recovery = [];
  await t.test('MFA is enrolled with a code computed from the secret the page shows', async () => {
    await page.getByRole('navigation', { name: 'Trust areas' }).getByRole('link', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    secret = (await page.getByTestId('totp-secret').textContent()).trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.ok(await page.getByRole('img', { name: /QR code/ }).isVisible());
    await shot('mfa-enrol');
    await page.getByLabel('Code shown by the app').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    recovery = (await page.getByTestId('recovery-codes').locator('code').allTextContents()).map((c) => c.trim());
    assert.equal(recovery.length, 10);
    await shot('recovery-codes');
    await page.getByRole('button', { name: 'I have stored them' }).click();
    await page.getByText(/Status: on/).waitFor();
  });

  await t.test('signing in again takes the second factor', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Authentication code').waitFor();
    await shot('login-mfa');
    // The enrolment used this step's code; one step ahead is within the accepted drift.
    await page.getByLabel('Authentication code').fill(totp(secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Trust Dashboard' }).waitFor();
  });

  await t.test('the dashboard shows its tiles and refreshes', async () => {
    await page.locator('[data-tile]').first().waitFor();
    const tiles = await page.locator('[data-tile]').evaluateAll((els) =>
      Object.fromEntries(els.map((e) => [e.dataset.tile, e.querySelector('.tile-value').textContent])));
    assert.deepEqual(Object.keys(tiles), ['events-critical', 'events-high', 'events-medium', 'events-low',
      'incidents-active', 'incidents-mttr', 'users', 'sessions', 'failed-logins', 'mfa']);
    assert.equal(tiles['events-critical'], '0');
    assert.equal(tiles['incidents-active'], '0');
    assert.equal(tiles.users, '1');
    assert.equal(tiles.mfa, '100%');
    assert.equal(tiles['failed-logins'], '1', 'the wrong password earlier');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText(/^Updated /).waitFor();
    await shot('dashboard');
  });

  await t.test('another session is listed and ended from the console', async () => {
    const other = await apiLogin(base, EMAIL, NEW_PASSWORD, recovery[0]);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { Authorization: `Bearer ${other}` } })).status, 200);
    await page.getByRole('link', { name: 'Account' }).click();
    const rows = page.locator('[data-session]');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    await page.getByRole('button', { name: /Sign out the session on/ }).click();
    await page.getByText('Session signed out.').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-session]').length === 1);
    assert.equal(await rows.count(), 1);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { Authorization: `Bearer ${other}` } })).status, 401);
    await shot('account');
  });

  await t.test('the audit trail lists what happened and a record verifies in the browser', async () => {
    await page.getByRole('navigation', { name: 'Trust areas' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await page.getByRole('img', { name: /Audit records per day: \d+ in all/ }).waitFor();
    assert.ok((await page.locator('svg.chart rect').count()) >= 30, 'a bar per day of the last 30');
    await page.getByLabel('Outcome').fill('denied');
    await page.getByRole('button', { name: 'Search' }).click();
    // The unfiltered list is on the page until the search answers: wait for the filtered one.
    await page.waitForFunction(() => {
      const listed = [...document.querySelectorAll('[data-record]')];
      return listed.length > 0 && listed.every((r) => r.textContent.includes('denied'));
    });
    await page.getByLabel('Outcome').fill('');
    await page.getByLabel('Path contains').fill('/api/auth/me');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => {
      const listed = [...document.querySelectorAll('[data-record]')];
      return listed.length > 0 && listed.every((r) => r.textContent.includes('/api/auth/me'));
    });
    const rows = page.locator('[data-record]');
    // The oldest listed record is the likeliest to be in a checkpoint already (one a second).
    await rows.last().getByRole('button').click();
    await page.getByRole('heading', { name: 'Record detail' }).waitFor();
    let verdict = '';
    for (let i = 0; i < 20 && !verdict.startsWith('Verified'); i++) {
      await page.getByRole('button', { name: 'Verify in this browser' }).click();
      await page.locator('#audit-record [role=status]').waitFor();
      verdict = (await page.locator('#audit-record [role=status] strong').textContent()).trim();
      if (!verdict.startsWith('Verified')) await page.waitForTimeout(500);
    }
    assert.match(verdict, /^Verified: this record is in the signed audit tree, unchanged\./);
    assert.equal(await page.locator('.checks li').count(), 4);
    const field = (name) =>
      page.locator('#audit-record dl div', { has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd');
    assert.equal(await field('method').textContent(), 'GET');
    assert.equal(await field('actor via').textContent(), '—');

    // The export link downloads what the filters select, as a bundle with its manifest.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'JSON Lines' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^audit-\d+\.jsonl$/);
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[0].format, 'trust-fabric-audit-export/1');
    assert.equal(lines[0].filter.q, '/api/auth/me');
    assert.ok(lines.slice(1, -1).every((l) => l.record.path.includes('/api/auth/me')));
    assert.equal(lines.at(-1).manifest.records, lines.length - 2);

    // A sign-in's record keeps the address sealed under the person's key and shows it opened.
    await page.getByLabel('Path contains').fill('/api/auth/login');
    await page.getByLabel('Outcome').fill('success');
    await page.getByRole('button', { name: 'Search' }).click();
    const signIn = page
      .locator('[data-record]')
      .filter({ has: page.locator('td.mono', { hasText: /^POST \/api\/auth\/login$/ }) })
      .first();
    await signIn.waitFor();
    await signIn.getByRole('button').click();
    await page.locator('#audit-revealed').waitFor();
    assert.equal(await page.locator('#audit-revealed dt').first().textContent(), 'body.email');
    assert.match(await page.locator('#audit-revealed dd').first().textContent(), /^[^@]+@e2e\.example$/);
    assert.match(await page.locator('#audit-record pre.details').textContent(), /"email": "tfpd:/);
    await page.getByLabel('Outcome').fill('');

    // The administrator sets the tenant's retention and prunes by it.
    const retention = page.locator('#audit-retention');
    await retention.getByText('Records keep their details forever.').waitFor();
    await retention.getByLabel('Keep details for (days)').fill('400');
    await retention.getByRole('button', { name: 'Save retention' }).click();
    await retention.getByText('Retention set to 400 days.').waitFor();
    await retention.getByText(/Records keep their details for 400 days/).waitFor();
    await retention.getByRole('button', { name: 'Prune now' }).click();
    await retention.getByText('Pruned the details of 0 records.').waitFor();
    await shot('audit');
  });

  await t.test('the Security Center shows encryption, registers and rotates a secret, and lists its history', async () => {
    await page.getByRole('navigation', { name: 'Trust areas' }).getByRole('link', { name: 'Secrets' }).click();
    await page.getByRole('heading', { name: 'Security Center' }).waitFor();
    await page.locator('[data-tile="kek"]').waitFor();
    assert.equal(await page.locator('[data-tile="in-transit"] .tile-value').textContent(), 'TLS off');
    assert.match(await page.locator('[data-tile="kek"] h3').textContent(), /local/);
    // The signed-in operator's own email and name are sealed under their key.
    assert.match(await page.locator('[data-tile="personal-data"] .tile-value').textContent(), /^[1-9]\d* values?$/);
    await page.getByRole('cell', { name: 'users.email' }).waitFor();
    await page.getByText('No secret is registered.').waitFor();

    const inventory = page.locator('#security-secrets');
    await inventory.getByText('Register a secret').click();
    await inventory.getByLabel('Name').fill('billing-webhook');
    await inventory.getByLabel('Type').selectOption('WEBHOOK_SECRET');
    await inventory.getByLabel('Rotate every (days)').fill('5');
    await inventory.getByLabel('Grace period (days)').fill('1');
    await inventory.getByRole('button', { name: 'Register' }).click();
    await inventory.getByText('billing-webhook is registered.').waitFor();
    const row = page.locator('[data-secret="billing-webhook"]');
    await row.waitFor();
    assert.match(await row.getAttribute('class'), /state-due/, 'five days away: due within the week');
    await page.waitForFunction(() => document.querySelector('[data-tile="due"] .tile-value')?.textContent === '1');

    await row.getByRole('button', { name: 'Rotate' }).click();
    await page.getByLabel('Reason').fill('e2e rotation');
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await inventory.getByText('billing-webhook is at version 2.').waitFor();
    // The list reloads after the notice appears.
    await page.waitForFunction(() => document.querySelector('[data-secret="billing-webhook"]')?.textContent.includes('v2'));
    const history = page.locator('#security-rotations [data-rotation]');
    await page.waitForFunction(() => document.querySelectorAll('#security-rotations [data-rotation]').length === 2);
    assert.match(await history.first().textContent(), /Manual.*v2.*ACTIVE.*e2e rotation/);
    assert.match(await history.nth(1).textContent(), /Registered.*v1.*DEPRECATED/);
    await shot('security');
  });

  await t.test('a security event a service reported is worked from open to resolved', async () => {
    const session = await apiLogin(base, EMAIL, NEW_PASSWORD, recovery[2]);
    const call = async (method, path, body, token) => {
      const r = await fetch(base + path, {
        method,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      assert.equal(r.status, 201, `${path}: ${await r.clone().text()}`);
      return r.json();
    };
    const { token } = await call('POST', '/api/auth/tokens', { name: 'upload-scanner', permissions: ['security.respond'] },
      session);
    await call('POST', '/api/security/events', {
      type: 'malware_detected', severity: 'critical', description: 'the scanner flagged invoice-2291.pdf',
      source: 'upload-scanner',
    }, token);

    await page.getByRole('navigation', { name: 'Trust areas' }).getByRole('link', { name: 'Security' }).click();
    await page.getByRole('heading', { name: 'Security events' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-tile="events-critical"] .tile-value')?.textContent === '1');
    const row = page.locator('#security-events tr[data-event]').first();
    assert.match(await row.textContent(), /critical.*Malware detected.*upload-scanner.*Open/);
    await row.getByRole('button', { name: 'Malware detected' }).click();
    const detail = page.locator('#security-event');
    await detail.getByText('the scanner flagged invoice-2291.pdf').waitFor();
    assert.equal(await detail.getByRole('button', { name: 'Resolve' }).count(), 0, 'open events are investigated first');
    await detail.getByLabel('Note').fill('quarantined the file');
    await detail.getByRole('button', { name: 'Start investigating' }).click();
    await detail.getByText('Open → Investigating').waitFor();
    await detail.getByText('quarantined the file').waitFor();
    await detail.getByRole('button', { name: 'Assign to me' }).click();
    await detail.getByRole('button', { name: 'Assign to me' }).waitFor({ state: 'detached' });
    await detail.getByLabel('Note').fill('file removed, sender blocked');
    await detail.getByRole('button', { name: 'Resolve' }).click();
    await detail.getByText('Investigating → Resolved').waitFor();
    await detail.getByRole('button', { name: 'Reopen' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-tile="events-critical"] .tile-value')?.textContent === '0');
    await page.getByLabel('Status').selectOption('resolved');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#security-events tr[data-event]').length === 1);
    await shot('security-events');
  });

  await t.test('an incident is declared, worked and closed once its postmortem is written', async () => {
    await page.getByRole('navigation', { name: 'Trust areas' }).getByRole('link', { name: 'Incidents' }).click();
    await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor();
    await page.getByText('No incident is active.').waitFor();
    await page.getByText('Declare an incident').click();
    await page.getByLabel('Title').fill('Client list emailed outside the firm');
    await page.getByLabel('Severity').selectOption('SEV1');
    await page.getByLabel(/Personal-data breach/).check();
    await page.getByRole('button', { name: 'Declare' }).click();
    const detail = page.locator('#incident-detail');
    await detail.getByRole('heading', { name: 'Client list emailed outside the firm' }).waitFor();
    assert.match(await detail.locator('[data-tile="breach-clock"]').textContent(),
      /(2 d 23 h|3 d) left to notify the supervisory authority/);
    await detail.getByText('Declared as SEV1; in triage').waitFor();
    await detail.getByRole('button', { name: 'Take command' }).click();
    await detail.getByText('Commander: you').waitFor();
    await detail.getByLabel('Nature of the breach').fill('A client list was emailed to a supplier.');
    await detail.getByRole('button', { name: 'Save the notification content' }).click();
    await page.waitForFunction(() => !document.querySelector('[data-tile="breach-clock"]')?.textContent.includes('Nature'));
    await detail.getByLabel('Supervisory authority notified').fill('ICO');
    await detail.getByLabel('Its reference').fill('ICO-2026-0042');
    await detail.getByRole('button', { name: 'Record the notification' }).click();
    await detail.getByText('Notified in time (ICO)').waitFor();
    await detail.getByText('Supervisory authority ICO notified (reference ICO-2026-0042)').waitFor();
    for (const [button, line] of [['Investigate', 'Status triage → investigating'],
      ['Cause identified', 'Status investigating → identified'], ['Resolve', 'Status identified → resolved']]) {
      await detail.getByRole('button', { name: button }).click();
      await detail.getByText(line).waitFor();
    }
    assert.notEqual(await detail.locator('[data-tile="mttr"] .tile-value').textContent(), '—');
    await detail.getByText('A SEV1 closes once its postmortem has a summary and a root cause.').waitFor();
    await detail.getByLabel('Summary').fill('A spreadsheet of 40 clients went to a supplier.');
    await detail.getByLabel('Root cause').fill('The address book suggested the wrong contact.');
    await detail.getByRole('button', { name: 'Add an action item' }).click();
    await detail.getByLabel('Action').fill('Turn off address suggestions for external domains');
    await detail.getByLabel('Owner').fill('IT');
    await detail.getByRole('button', { name: 'Save postmortem' }).click();
    await detail.getByText('Postmortem saved.').waitFor();
    await detail.getByText('Postmortem started').waitFor();
    await detail.getByRole('button', { name: 'Close' }).click();
    await detail.getByText('Status resolved → closed').waitFor();
    await page.getByText('No incident is active.').waitFor();
    await page.locator('#incident-metrics tr[data-severity="SEV1"]').getByText('1', { exact: true }).first().waitFor();
    await shot('incidents');
  });

  await t.test('an access request is approved by another person and is then in force', async () => {
    const root = await apiLogin(base, EMAIL, NEW_PASSWORD, recovery[3]);
    const post = async (path, body, token, expected) => {
      const r = await fetch(base + path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      assert.equal(r.status, expected, `${path}: ${await r.clone().text()}`);
      return r.json();
    };
    await post('/api/users', { email: 'clerk@e2e.example', password: NEW_PASSWORD, roles: ['VIEWER'] }, root, 201);
    const clerk = await apiLogin(base, 'clerk@e2e.example', NEW_PASSWORD);
    await post('/api/security/access-requests', { role: 'AUDITOR', duration_minutes: 30, reason: 'year-end audit' },
      clerk, 201);

    await page.getByRole('navigation', { name: 'Trust areas' }).getByRole('link', { name: 'Security' }).click();
    await page.getByRole('navigation', { name: 'Security pages' }).getByRole('link', { name: 'Access requests' }).click();
    await page.getByRole('heading', { name: 'Access requests', level: 1 }).waitFor();
    const row = page.locator('#access-requests tr[data-request]').first();
    await row.getByText('year-end audit').waitFor();
    assert.match(await row.textContent(), /AUDITOR, 30 min.*Pending/);
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved: AUDITOR for 30 minutes.').waitFor();
    await page.getByLabel('Status').selectOption('approved');
    await page.locator('#access-requests tr[data-request]').first().getByText(/min left/).waitFor();
    const me = await (await fetch(`${base}/api/auth/me`, { headers: { Authorization: `Bearer ${clerk}` } })).json();
    assert.ok(me.permissions.includes('audit.read'), JSON.stringify(me));
    assert.match(me.access_via, /^jit:/);

    // An access review: the operator certifies the clerk; their own access waits for another reviewer.
    const reviews = page.locator('#access-reviews');
    await reviews.getByLabel('Review title').fill('Year-end access review');
    await reviews.getByRole('button', { name: 'Open a review' }).click();
    await reviews.getByRole('heading', { name: 'Year-end access review' }).waitFor();
    await reviews.getByText('another reviewer decides').waitFor();
    const clerkRow = reviews.locator('tr[data-user]').filter({ hasText: 'VIEWER' });
    await clerkRow.getByRole('button', { name: 'Certify' }).click();
    await clerkRow.getByText('Certified').waitFor();
    await reviews.getByText(/1 of 2 users decided, 0 revoked/).waitFor();
    assert.equal(await reviews.getByRole('button', { name: 'Complete the review' }).isDisabled(), true);
    await shot('access');
  });

  await t.test('no page logged an error or broke the content security policy', () => {
    assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
  });
});
