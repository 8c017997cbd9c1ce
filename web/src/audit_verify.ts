// Checks an audit record in the browser, as an independent auditor would (docs/audit.md): the
// leaf recomputed from the record's JSON (RFC 8785), the details against their hash, the RFC
// 9162 inclusion proof to the checkpoint's root, and the checkpoint's Ed25519 signed note with
// the published key. Only WebCrypto is used: SHA-256 and Ed25519.

/** Members the server adds around the leaf; every other member of a record is in it. */
export const SERVED_ONLY = ['leaf_index', 'details', 'pruned_at', 'revealed', 'leaf', 'leaf_hash', 'proof', 'checkpoint'];

/**
 * RFC 8785 canonical JSON. Member names sort by UTF-16 code units (JavaScript's default sort),
 * and JSON.stringify already prints strings and numbers as the RFC requires.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('JSON numbers are finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** The leaf bytes of a record as served. */
export function leafOf(record: Record<string, unknown>): Uint8Array {
  const leaf: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (!SERVED_ONLY.includes(k)) leaf[k] = v;
  }
  return new TextEncoder().encode(canonicalJson(leaf));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error('not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function fromBase64(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource));
}

export const leafHash = (leaf: Uint8Array) => sha256(concat(new Uint8Array([0]), leaf));
export const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(concat(new Uint8Array([1]), l, r));

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** RFC 9162 §2.1.3.2: does `proof` take the leaf at `index` to `root` in a tree of `size`? */
export async function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  if (index >= size) return false;
  // Sizes stay below 2^53, so the arithmetic is exact; halving is Math.floor(x / 2).
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

export interface NoteKey {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

/** A C2SP signed-note verifier key "<name>+<key id hex>+<base64(0x01 || key)>". */
export function parseVerifierKey(vkey: string): NoteKey {
  const [name, id, ...rest] = vkey.split('+');
  const material = fromBase64(rest.join('+'));
  if (!name || !id || id.length !== 8 || material.length !== 33 || material[0] !== 1) {
    throw new Error('not an Ed25519 signed-note verifier key');
  }
  return { name, keyId: fromHex(id), publicKey: material.slice(1) };
}

/** The note's text when one of its signatures is by `key` and verifies; else an error. */
export async function openNote(note: string, key: NoteKey): Promise<string> {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new Error('not a signed note');
  const text = note.slice(0, split + 1);
  const ed25519 = await crypto.subtle.importKey('raw', key.publicKey as BufferSource, { name: 'Ed25519' }, false, [
    'verify',
  ]);
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== key.name) continue;
    const blob = fromBase64(m[2]);
    if (blob.length !== 68 || !equal(blob.slice(0, 4), key.keyId)) continue;
    const ok = await crypto.subtle.verify(
      { name: 'Ed25519' },
      ed25519,
      blob.slice(4) as BufferSource,
      new TextEncoder().encode(text) as BufferSource,
    );
    if (ok) return text;
  }
  throw new Error(`no valid signature by ${key.name}`);
}

export interface Check {
  label: string;
  ok: boolean;
  detail: string;
}

/** Every check of one record (as GET /api/audit/logs/{id} returns it) against a verifier key. */
export async function verifyRecord(record: Record<string, unknown>, verifierKey: string): Promise<Check[]> {
  const checks: Check[] = [];
  const leaf = leafOf(record);
  const served = typeof record.leaf === 'string' ? fromBase64(record.leaf) : new Uint8Array();
  checks.push({
    label: 'Leaf recomputed from the record',
    ok: equal(leaf, served),
    detail: equal(leaf, served) ? 'matches the leaf the server committed to' : 'differs from the served leaf',
  });
  if (record.details !== null && record.details !== undefined) {
    const hash = toHex(await sha256(new TextEncoder().encode(canonicalJson(record.details))));
    checks.push({
      label: 'Details match their hash',
      ok: hash === record.details_sha256,
      detail: hash === record.details_sha256 ? 'SHA-256 of the details is in the leaf' : 'the details were changed',
    });
  }
  const proof = record.proof as { tree_size: number; hashes: string[] } | null;
  const checkpoint = record.checkpoint as { note: string; tree_size: number } | undefined;
  if (!proof || !checkpoint) {
    checks.push({ label: 'Inclusion in a checkpoint', ok: false, detail: 'no checkpoint covers this record yet' });
    return checks;
  }
  let text: string;
  try {
    text = await openNote(checkpoint.note, parseVerifierKey(verifierKey));
    checks.push({ label: 'Checkpoint signature', ok: true, detail: 'Ed25519 signature by the published key' });
  } catch (e) {
    checks.push({ label: 'Checkpoint signature', ok: false, detail: e instanceof Error ? e.message : String(e) });
    return checks;
  }
  const [, size, rootB64] = text.split('\n');
  const included = await verifyInclusion(
    Number(record.leaf_index),
    Number(size),
    await leafHash(leaf),
    proof.hashes.map(fromHex),
    fromBase64(rootB64),
  );
  checks.push({
    label: 'Inclusion proof',
    ok: included && Number(size) === proof.tree_size,
    detail: included ? `leaf ${String(record.leaf_index)} is in the signed tree of ${size} records` : 'the proof fails',
  });
  return checks;
}
