// The user's sessions and devices: where they are signed in, and from what.
import { useCallback, useEffect, useState } from 'react';
import { api, type Page } from '../../api';
import { ErrorBanner, Notice, Section, useAction } from '../../components/common';
import { formatTime } from '../../format';

interface SessionRow {
  id: string;
  device: string;
  device_id: string | null;
  source_ip: string;
  created_at: string;
  last_seen_at: string;
  current: boolean;
}

interface DeviceRow {
  id: string;
  name: string;
  status: 'approved' | 'pending';
  last_ip: string;
  first_seen_at: string;
  last_seen_at: string;
  approval_code?: string;
  approval_expires_at?: string;
}

/** Every page of a list (these lists are short: one row per session or browser). */
async function all<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await api<Page<T>>('GET', `${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < 1000);
  return out;
}

export function SessionsSection() {
  const [rows, setRows] = useState<SessionRow[] | null>(null);
  const [message, setMessage] = useState('');
  const { busy, error, run } = useAction();
  const load = useCallback(async () => setRows(await all<SessionRow>('/api/auth/sessions')), []);
  useEffect(() => {
    void run(load);
  }, [load]);

  const revoke = (id: string) =>
    run(async () => {
      await api('DELETE', `/api/auth/sessions/${id}`);
      await load();
      setMessage('Session signed out.');
    });
  const revokeOthers = () =>
    run(async () => {
      const r = await api<{ revoked: number }>('POST', '/api/auth/sessions/revoke-others');
      await load();
      setMessage(`${r.revoked} other session${r.revoked === 1 ? '' : 's'} signed out.`);
    });

  return (
    <Section title="Sessions" id="sessions">
      <ErrorBanner error={error} />
      {message && <Notice>{message}</Notice>}
      {rows && (
        <table>
          <caption className="visually-hidden">Your signed-in sessions</caption>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Address</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last seen</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id} data-session={s.id}>
                <td>
                  {s.device} {s.current && <span className="badge">this session</span>}
                </td>
                <td>{s.source_ip}</td>
                <td>{formatTime(s.created_at)}</td>
                <td>{formatTime(s.last_seen_at)}</td>
                <td>
                  {!s.current && (
                    <button type="button" onClick={() => void revoke(s.id)} disabled={busy}
                      aria-label={`Sign out the session on ${s.device} from ${s.source_ip}`}>
                      Sign out
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rows && rows.length > 1 && (
        <button type="button" onClick={() => void revokeOthers()} disabled={busy}>
          Sign out all other sessions
        </button>
      )}
    </Section>
  );
}

export function DevicesSection() {
  const [rows, setRows] = useState<DeviceRow[] | null>(null);
  const [editing, setEditing] = useState<{ id: string; name: string } | null>(null);
  const { busy, error, run } = useAction();
  const load = useCallback(async () => setRows(await all<DeviceRow>('/api/auth/devices')), []);
  useEffect(() => {
    void run(load);
  }, [load]);

  const act = (method: string, path: string, body?: unknown) =>
    run(async () => {
      await api(method, path, body);
      setEditing(null);
      await load();
    });

  return (
    <Section title="Devices" id="devices">
      <p className="hint">Browsers you have signed in from. Removing one signs it out; its next sign-in counts as new.</p>
      <ErrorBanner error={error} />
      {rows?.some((d) => d.approval_code) && (
        <Notice>A new device is waiting for approval. Enter its code on that device, or approve it here.</Notice>
      )}
      {rows && (
        <ul className="devices">
          {rows.map((d) => (
            <li key={d.id} className="device" data-device={d.id}>
              {editing?.id === d.id ? (
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    void act('PATCH', `/api/auth/devices/${d.id}`, { name: editing.name });
                  }}
                >
                  <label htmlFor={`rename-${d.id}`}>Device name</label>
                  <input id={`rename-${d.id}`} value={editing.name} maxLength={100} autoFocus
                    onChange={(e) => setEditing({ id: d.id, name: e.target.value })} />
                  <button type="submit" className="primary" disabled={busy}>Save</button>
                  <button type="button" onClick={() => setEditing(null)}>Cancel</button>
                </form>
              ) : (
                <>
                  <strong>{d.name}</strong> <span className={`badge status-${d.status}`}>{d.status}</span>
                  <span className="hint">
                    {' '}
                    last seen {formatTime(d.last_seen_at)} from {d.last_ip}
                  </span>
                  {d.approval_code && (
                    <p className="approval">
                      Approval code: <code data-testid="approval-code">{d.approval_code}</code> (until{' '}
                      {formatTime(d.approval_expires_at)})
                    </p>
                  )}
                  <div className="row-actions">
                    {d.status === 'pending' && (
                      <button type="button" className="primary" disabled={busy}
                        onClick={() => void act('POST', `/api/auth/devices/${d.id}/approve`)}>
                        Approve
                      </button>
                    )}
                    <button type="button" disabled={busy} onClick={() => setEditing({ id: d.id, name: d.name })}>
                      Rename
                    </button>
                    <button type="button" className="danger" disabled={busy}
                      onClick={() => void act('DELETE', `/api/auth/devices/${d.id}`)}>
                      Remove
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
