// The Security Center: encryption at rest and in transit and the keys behind it; the secret
// inventory with what is due or overdue marked, a rotate action for platform operators, and
// a form to register secrets; the rotation ledger. Values never reach this page.
import { useEffect, useState, type FormEvent } from 'react';
import { api, type Page } from '../api';
import { ErrorBanner, Field, Notice, Section, useAction } from '../components/common';
import {
  dueIn,
  encryptionTiles,
  rotationTiles,
  type EncryptionStatus,
  type SecretInfo,
} from '../dashboard_tiles';
import { Tiles } from '../components/tiles';
import { formatTime, humanize } from '../format';
import { can, useSession } from '../session';

const SECRET_TYPES = ['DATABASE', 'ENCRYPTION_KEY', 'SIGNING_KEY', 'API_KEY', 'OAUTH_SECRET', 'WEBHOOK_SECRET',
  'PASSWORD', 'CERTIFICATE', 'SSH_KEY', 'TLS_KEY', 'OTHER'];

interface Rotation {
  id: string;
  secret_name: string;
  kind: string;
  status: string;
  version: number | null;
  actor: string;
  reason: string | null;
  error: string | null;
  rotated_at: string;
  previous_fingerprint: string | null;
}

function EncryptionSection() {
  const [status, setStatus] = useState<EncryptionStatus | null>(null);
  const { error, run } = useAction();
  useEffect(() => {
    void run(async () => setStatus(await api<EncryptionStatus>('GET', '/api/security/encryption-status')));
  }, []);
  return (
    <Section title="Encryption" id="security-encryption">
      <ErrorBanner error={error} />
      {status && <Tiles tiles={encryptionTiles(status)} label="Encryption status" />}
      {status && status.at_rest.columns.length > 0 && (
        <table>
          <caption className="visually-hidden">Encrypted columns</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Holds</th>
              <th scope="col">Values by data key version</th>
            </tr>
          </thead>
          <tbody>
            {status.at_rest.columns.map((c) => (
              <tr key={`${c.table}.${c.column}`}>
                <td className="mono">{`${c.table}.${c.column}`}</td>
                <td>{c.holds}</td>
                <td>
                  {Object.entries(c.by_key_version).map(([v, n]) => `${v}: ${n}`).join(', ') || 'none yet'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {status && status.at_rest.personal_data.columns.length > 0 && (
        <table>
          <caption>Sealed under each person&apos;s own key (unreadable once the person is erased)</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Holds</th>
              <th scope="col">Sealed values</th>
            </tr>
          </thead>
          <tbody>
            {status.at_rest.personal_data.columns.map((c) => (
              <tr key={`${c.table}.${c.column}`}>
                <td className="mono">{`${c.table}.${c.column}`}</td>
                <td>{c.holds}</td>
                <td>{`${c.sealed} of ${c.values}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function RotateForm({ secret, onDone }: { secret: SecretInfo; onDone: (message: string) => void }) {
  const [reason, setReason] = useState('');
  const [value, setValue] = useState('');
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const body: Record<string, string> = { secret_name: secret.name, reason };
      if (secret.managed && !secret.generated) body.value = value;
      const row = await api<Rotation>('POST', '/api/security/secret-rotations', body);
      onDone(`${secret.name} is at version ${row.version ?? secret.current_version}.`);
    });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label={`Rotate ${secret.name}`}>
      <ErrorBanner error={error} />
      <Field id={`reason-${secret.id}`} label="Reason" required maxLength={500} value={reason}
        onChange={(e) => setReason(e.target.value)} />
      {secret.managed && !secret.generated && (
        <Field id={`value-${secret.id}`} label="New value" type="password" autoComplete="off" required value={value}
          hint="Stored encrypted; never shown again" onChange={(e) => setValue(e.target.value)} />
      )}
      <div className="row-actions">
        <button type="submit" className="primary" disabled={busy}>
          {secret.managed ? 'Rotate now' : 'Record rotation'}
        </button>
      </div>
    </form>
  );
}

function RegisterForm({ onDone }: { onDone: (message: string) => void }) {
  const [form, setForm] = useState({ name: '', type: 'API_KEY', rotation_days: '90', grace_days: '7', owner: '', held: 'generated', value: '', location: '' });
  const { busy, error, run } = useAction();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const body: Record<string, unknown> = {
        name: form.name,
        type: form.type,
        rotation_days: Number(form.rotation_days),
        grace_days: Number(form.grace_days),
        managed: form.held !== 'external',
      };
      if (form.owner) body.owner = form.owner;
      if (form.held === 'supplied') body.value = form.value;
      if (form.held === 'external' && form.location) body.location = form.location;
      await api('POST', '/api/secrets', body);
      setForm({ ...form, name: '', value: '' });
      onDone(`${form.name} is registered.`);
    });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Register a secret">
      <ErrorBanner error={error} />
      <Field id="secret-name" label="Name" required maxLength={128} value={form.name} onChange={set('name')}
        hint="Letters, digits, . _ -" />
      <div className="field">
        <label htmlFor="secret-type">Type</label>
        <select id="secret-type" value={form.type} onChange={set('type')}>
          {SECRET_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </div>
      <Field id="secret-rotation" label="Rotate every (days)" type="number" min={1} max={3650} required
        value={form.rotation_days} onChange={set('rotation_days')} />
      <Field id="secret-grace" label="Grace period (days)" type="number" min={0} max={90} required
        value={form.grace_days} onChange={set('grace_days')} hint="The previous value stays valid this long" />
      <Field id="secret-owner" label="Owner" maxLength={256} value={form.owner} onChange={set('owner')} />
      <div className="field">
        <label htmlFor="secret-held">Value</label>
        <select id="secret-held" value={form.held} onChange={set('held')}>
          <option value="generated">Generated and rotated by Trust Fabric</option>
          <option value="supplied">Supplied by people, held by Trust Fabric</option>
          <option value="external">Held elsewhere (inventory only)</option>
        </select>
      </div>
      {form.held === 'supplied' && (
        <Field id="secret-value" label="Value" type="password" autoComplete="off" required value={form.value}
          onChange={set('value')} />
      )}
      {form.held === 'external' && (
        <Field id="secret-location" label="Where it lives" maxLength={512} value={form.location}
          onChange={set('location')} hint="vault:kv/orders, aws-secrets-manager:prod/db, ..." />
      )}
      <div className="row-actions">
        <button type="submit" className="primary" disabled={busy}>Register</button>
      </div>
    </form>
  );
}

function InventorySection({ canManage, onChange }: { canManage: boolean; onChange: () => void }) {
  const [state, setState] = useState('');
  const [items, setItems] = useState<SecretInfo[]>([]);
  const [due, setDue] = useState<SecretInfo[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [rotating, setRotating] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  const load = (from: string | null) =>
    run(async () => {
      const params = new URLSearchParams({ limit: '50' });
      if (state) params.set('state', state);
      if (from) params.set('cursor', from);
      // The list and the due figures together, so the tiles never lag behind the rows.
      const [page, soon] = await Promise.all([
        api<Page<SecretInfo>>('GET', `/api/secrets?${params.toString()}`),
        from ? Promise.resolve(null) : api<{ items: SecretInfo[] }>('GET', '/api/security/secret-rotations/due?within=7d&limit=500'),
      ]);
      setItems((list) => (from ? [...list, ...page.items] : page.items));
      setCursor(page.next_cursor);
      if (soon) setDue(soon.items);
    });
  useEffect(() => {
    void load(null);
  }, [state]);
  const done = (message: string) => {
    setNotice(message);
    setRotating(null);
    void load(null);
    onChange();
  };

  return (
    <Section title="Secret inventory" id="security-secrets">
      {due && <Tiles tiles={rotationTiles(due)} label="Rotations due" />}
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={error} />
      <div className="toolbar">
        <label className="inline" htmlFor="secret-state">Show</label>
        <select id="secret-state" value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">all</option>
          <option value="overdue">overdue</option>
          <option value="due">due within 7 days</option>
          <option value="ok">on time</option>
        </select>
      </div>
      {items.length === 0 && !busy && <p className="hint">No secret is registered{state ? ' in this state' : ''}.</p>}
      {items.length > 0 && (
        <table>
          <caption className="visually-hidden">Secrets</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Held</th>
              <th scope="col">Owner</th>
              <th scope="col">Version</th>
              <th scope="col">Next rotation</th>
              <th scope="col">State</th>
              {canManage && <th scope="col"><span className="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id} data-secret={s.name} className={`state-${s.rotation_state}`}>
                <td className="mono">{s.name}</td>
                <td>{s.type}</td>
                <td>{s.managed ? (s.generated ? 'managed, generated' : 'managed') : 'external'}</td>
                <td>{s.owner ?? ''}</td>
                <td>v{s.current_version}</td>
                <td>{formatTime(s.next_rotation_at)} ({dueIn(s.days_until_due)})</td>
                <td><span className={`badge rotation-${s.rotation_state}`}>{s.rotation_state}</span></td>
                {canManage && (
                  <td>
                    <button type="button" onClick={() => setRotating(rotating === s.id ? null : s.id)}>
                      {s.managed ? 'Rotate' : 'Record rotation'}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rotating && items.find((s) => s.id === rotating) && (
        <RotateForm secret={items.find((s) => s.id === rotating)!} onDone={done} />
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)} disabled={busy}>Show more</button>
      )}
      {canManage && (
        <details>
          <summary>Register a secret</summary>
          <RegisterForm onDone={done} />
        </details>
      )}
    </Section>
  );
}

function HistorySection({ version }: { version: number }) {
  const [rows, setRows] = useState<Rotation[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const load = (from: string | null) =>
    run(async () => {
      const params = new URLSearchParams({ limit: '25' });
      if (from) params.set('cursor', from);
      const page = await api<Page<Rotation>>('GET', `/api/security/secret-rotations?${params.toString()}`);
      setRows((list) => (from ? [...list, ...page.items] : page.items));
      setCursor(page.next_cursor);
    });
  useEffect(() => {
    void load(null);
  }, [version]);
  return (
    <Section title="Rotation history" id="security-rotations">
      <ErrorBanner error={error} />
      {rows.length === 0 && !busy && <p className="hint">No rotation yet.</p>}
      {rows.length > 0 && (
        <table>
          <caption className="visually-hidden">Rotations, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When (UTC)</th>
              <th scope="col">Secret</th>
              <th scope="col">Kind</th>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">By</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-rotation={r.id}>
                <td>{formatTime(r.rotated_at)}</td>
                <td className="mono">{r.secret_name}</td>
                <td>{humanize(r.kind)}</td>
                <td>{r.version === null ? '' : `v${r.version}`}</td>
                <td><span className={`badge ledger-${r.status.toLowerCase()}`}>{r.status}</span></td>
                <td>{r.actor === 'system' ? 'system' : r.actor.replace(/:(.*)$/, (_m, id: string) => ` ${id.slice(-8)}`)}</td>
                <td>{r.error ?? r.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)} disabled={busy}>Show older</button>
      )}
    </Section>
  );
}

export function SecurityPage() {
  const { me } = useSession();
  const [changes, setChanges] = useState(0);
  return (
    <>
      <div className="page-head">
        <h1>Security Center</h1>
        <p className="hint">What is encrypted and with which keys; the secrets the firm depends on and their rotation.</p>
      </div>
      <EncryptionSection />
      <InventorySection canManage={can(me, 'secrets.manage')} onChange={() => setChanges((n) => n + 1)} />
      <HistorySection version={changes} />
    </>
  );
}
