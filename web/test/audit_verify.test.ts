import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  fromBase64,
  fromHex,
  leafHash,
  leafOf,
  openNote,
  parseVerifierKey,
  toHex,
  verifyInclusion,
  verifyRecord,
} from '../src/audit_verify';

const hex = (s: string) => fromHex(s);
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

describe('canonicalJson', () => {
  it('gives the RFC 8785 example its canonical form', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });
  it('sorts member names by UTF-16 code units at every level', () => {
    expect(canonicalJson({ b: { z: 1, a: 2 }, a: [{ y: 1, x: 2 }], '\u{1F600}': 1, '\uFB33': 2 })).toBe(
      '{"a":[{"x":2,"y":1}],"b":{"a":2,"z":1},"\u{1F600}":1,"\uFB33":2}',
    );
  });
});

describe('RFC 9162 inclusion', () => {
  const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
  it('verifies the published proof of leaf 0 in the reference tree and refuses a changed one', async () => {
    const root = hex('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
    const proof = [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ].map(hex);
    const leaf = await leafHash(hex(leaves[0]));
    expect(await verifyInclusion(0, 8, leaf, proof, root)).toBe(true);
    expect(await verifyInclusion(1, 8, leaf, proof, root)).toBe(false);
    const bad = proof.map((p) => p.slice());
    bad[1][0] ^= 1;
    expect(await verifyInclusion(0, 8, leaf, bad, root)).toBe(false);
  });
  it('hashes a one-leaf tree to the published root', async () => {
    expect(toHex(await leafHash(new Uint8Array()))).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
  });
});

describe('signed notes', () => {
  const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const note = `${text}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
  it('opens the Go sumdb/note example and refuses it altered', async () => {
    expect(await openNote(note, parseVerifierKey(vkey))).toBe(text);
    await expect(openNote(note.replace('cryptography', 'cryptographY'), parseVerifierKey(vkey))).rejects.toThrow();
    expect(() => parseVerifierKey('PeterNeumann+c74f20a3+AhpcMQ==')).toThrow();
  });
});

describe('verifyRecord', () => {
  it('passes a record signed into a checkpoint and fails it once a field changes', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
    const name = 'console.test/audit';
    const idInput = new Uint8Array([...new TextEncoder().encode(name + '\n'), 1, ...publicKey]);
    const keyId = new Uint8Array(await crypto.subtle.digest('SHA-256', idInput)).slice(0, 4);
    const verifierKey = `${name}+${toHex(keyId)}+${b64(new Uint8Array([1, ...publicKey]))}`;

    const details = { query: { limit: '5' } };
    const record: Record<string, unknown> = {
      id: '0190f000-0000-7000-8000-000000000001',
      version: 1,
      time: '2026-12-02T01:02:03.000450Z',
      tenant_id: null,
      kind: 'request',
      actor_type: 'anonymous',
      action: 'READ',
      status: 401,
      outcome: 'denied',
      details_sha256: toHex(
        new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalJson(details)))),
      ),
      leaf_index: 0,
      details,
      pruned_at: null,
    };
    const leaf = leafOf(record);
    record.leaf = b64(leaf);
    const root = await leafHash(leaf); // a tree of one leaf
    const body = `${name}\n1\n${b64(root)}\ntime 2026-12-02T01:02:04.000000Z\n`;
    const signature = new Uint8Array(
      await crypto.subtle.sign({ name: 'Ed25519' }, keys.privateKey, new TextEncoder().encode(body)),
    );
    record.proof = { tree_size: 1, hashes: [] };
    record.checkpoint = { tree_size: 1, note: `${body}\n\u2014 ${name} ${b64(new Uint8Array([...keyId, ...signature]))}\n` };

    const checks = await verifyRecord(record, verifierKey);
    expect(checks.map((c) => c.ok)).toEqual([true, true, true, true]);

    const altered = { ...record, status: 200 };
    const failed = await verifyRecord(altered, verifierKey);
    expect(failed.find((c) => c.label === 'Leaf recomputed from the record')?.ok).toBe(false);
    expect(failed.find((c) => c.label === 'Inclusion proof')?.ok).toBe(false);
    const otherDetails = await verifyRecord({ ...record, details: { query: { limit: '6' } } }, verifierKey);
    expect(otherDetails.find((c) => c.label === 'Details match their hash')?.ok).toBe(false);
    expect(fromBase64(record.leaf as string)).toEqual(leaf);
  });
});

describe('the audit page search', () => {
  it('leaves empty filters out and reads date inputs as UTC', async () => {
    const { searchQuery } = await import('../src/pages/audit');
    expect(searchQuery({ from: '2026-12-01T10:30', outcome: 'denied', actor: '' }, null)).toBe(
      'limit=25&from=2026-12-01T10%3A30%3A00Z&outcome=denied',
    );
    expect(searchQuery({}, 'abc')).toBe('limit=25&cursor=abc');
    expect(searchQuery({ resource_type: 'users', resource_id: 'u-1' }, null)).toBe(
      'limit=25&resource_type=users&resource_id=u-1',
    );
  });

  it('exports what the filters select, without paging', async () => {
    const { exportUrl } = await import('../src/pages/audit');
    expect(exportUrl({ action: 'LOGIN', to: '2026-12-02T00:00', q: '' }, 'csv')).toBe(
      '/api/audit/export?format=csv&action=LOGIN&to=2026-12-02T00%3A00%3A00Z',
    );
  });
});

describe('the audit retention', () => {
  it('says what the policy means', async () => {
    const { retentionSummary } = await import('../src/pages/audit/retention');
    const base = { updated_at: null, last_pruned_at: null, last_pruned_count: 0, min_days: 30, max_days: 3650 };
    expect(retentionSummary({ ...base, retention_days: null })).toBe('Records keep their details forever.');
    expect(retentionSummary({ ...base, retention_days: 400 })).toMatch(/^Records keep their details for 400 days; .* Not pruned yet\.$/);
    expect(retentionSummary({ ...base, retention_days: 90, last_pruned_at: '2026-12-01T10:00:00Z', last_pruned_count: 12 }))
      .toMatch(/\(12 records\)\.$/);
  });
});

describe('the audit chart', () => {
  it('has a bar per day, empty days included, scaled to the busiest', async () => {
    const { bars, daysBetween } = await import('../src/audit_chart');
    expect(daysBetween('2026-11-29', '2026-12-02')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    const b = bars(
      [
        { day: '2026-11-29', total: 10, denied: 2, failed: 3 },
        { day: '2026-12-01', total: 5, denied: 0, failed: 0 },
      ],
      '2026-11-29',
      '2026-12-01',
      300,
      100,
    );
    expect(b.map((x) => x.day)).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
    expect(b[0].okHeight + b[0].problemHeight).toBe(100);
    expect(b[0].problemHeight).toBe(50);
    expect(b[1].total).toBe(0);
    expect(b[2].okHeight).toBe(50);
    expect(b[2].x).toBe(200);
  });
});
