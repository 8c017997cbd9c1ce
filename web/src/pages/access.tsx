// Privileged access: ask for a role for a while with a reason; the requests the user may see
// (their own; the tenant's for managers and auditors), with approve and reject for managers
// (never on their own requests: four-eyes) and ending a grant early; and access reviews, where
// reviewers certify or revoke each user's roles.
import { useEffect, useState, type FormEvent } from 'react';
import { api, type Page } from '../api';
import { ErrorBanner, Field, Notice, Section, useAction } from '../components/common';
import { formatTime, humanize } from '../format';
import { duration } from '../incidents';
import { Link } from '../router';
import { can, useSession } from '../session';

const ROLES = ['ADMIN', 'ACCOUNTANT', 'AUDITOR', 'VIEWER'] as const;

interface ReviewItem {
  user_id: string;
  roles: string[];
  decision: string | null;
  revoked_roles: string[];
  decided_by: string | null;
}
interface AccessReview {
  id: string;
  title: string;
  status: string;
  created_at: string;
  completed_at: string | null;
  progress?: { users: number; decided: number; revoked: number };
  items?: ReviewItem[];
}

interface AccessRequest {
  id: string;
  requester: string;
  role: string;
  duration_minutes: number;
  reason: string;
  status: string;
  active: boolean;
  seconds_remaining: number | null;
  decided_by: string | null;
  decision_note: string | null;
  expires_at: string | null;
  created_at: string;
}

/** Links between the Security area's pages. */
export function SecurityTabs({ current }: { current: 'events' | 'access' }) {
  const { me } = useSession();
  return (
    <nav className="tabs" aria-label="Security pages">
      {can(me, 'security.read') && (
        <Link to="/security/events" aria-current={current === 'events' ? 'page' : undefined}>
          Security events
        </Link>
      )}
      <Link to="/security/access" aria-current={current === 'access' ? 'page' : undefined}>
        Access requests
      </Link>
    </nav>
  );
}

export function AccessPage() {
  const { me } = useSession();
  const manager = can(me, 'access.manage');
  const [rows, setRows] = useState<AccessRequest[]>([]);
  const [status, setStatus] = useState(manager ? 'pending' : '');
  const [role, setRole] = useState<string>(ROLES.find((r) => !me.roles.includes(r)) ?? 'AUDITOR');
  const [minutes, setMinutes] = useState('60');
  const [reason, setReason] = useState('');
  const [notice, setNotice] = useState('');
  const { busy, error, run } = useAction();

  const load = () =>
    run(async () => {
      const q = new URLSearchParams({ limit: '50' });
      if (status) q.set('status', status);
      setRows((await api<Page<AccessRequest>>('GET', `/api/security/access-requests?${q.toString()}`)).items);
    });
  useEffect(() => {
    void load();
  }, [status]);

  const ask = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('POST', '/api/security/access-requests', { role, duration_minutes: Number(minutes), reason });
      setReason('');
      setNotice(`Asked for ${role} for ${minutes} minutes; someone with access.manage decides.`);
      await load();
    });
  };
  const act = (r: AccessRequest, action: 'approve' | 'reject' | 'revoke', label: string) =>
    run(async () => {
      await api('POST', `/api/security/access-requests/${r.id}/${action}`, {});
      setNotice(`${label}: ${r.role} for ${r.duration_minutes} minutes.`);
      await load();
    });

  return (
    <>
      <div className="page-head">
        <h1>Access requests</h1>
        <p className="hint">Roles for a while, approved by someone else, ending by themselves.</p>
      </div>
      <SecurityTabs current="access" />
      <Section title="Ask for access" id="access-ask">
        <form className="filters" onSubmit={ask} aria-label="Ask for access">
          <div className="field">
            <label htmlFor="access-role">Role</label>
            <select id="access-role" value={role} onChange={(e) => setRole(e.target.value)}>
              {ROLES.map((r) => (
                <option key={r} value={r} disabled={me.roles.includes(r)}>
                  {r}
                </option>
              ))}
            </select>
          </div>
          <Field id="access-minutes" label="For (minutes)" type="number" min={5} max={480} required value={minutes}
            onChange={(e) => setMinutes(e.target.value)} />
          <Field id="access-reason" label="Reason" required maxLength={1000} value={reason}
            onChange={(e) => setReason(e.target.value)} />
          <div className="row-actions">
            <button type="submit" className="primary" disabled={busy}>
              Ask
            </button>
          </div>
        </form>
      </Section>
      <Section title={manager ? 'Requests' : 'Your requests'} id="access-requests">
        {notice && <Notice>{notice}</Notice>}
        <ErrorBanner error={error} />
        <div className="field">
          <label htmlFor="access-status">Status</label>
          <select id="access-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {['pending', 'approved', 'rejected', 'cancelled', 'lapsed', 'revoked', 'expired'].map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </div>
        {rows.length === 0 && !busy && <p className="hint">No request.</p>}
        {rows.length > 0 && (
          <table className="audit-table">
            <caption className="visually-hidden">Access requests, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Asked (UTC)</th>
                <th scope="col">Who</th>
                <th scope="col">Role</th>
                <th scope="col">Reason</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const mine = r.requester === me.id;
                return (
                  <tr key={r.id} data-request={r.id}>
                    <td>{formatTime(r.created_at)}</td>
                    <td className="mono">{mine ? 'you' : r.requester.slice(-12)}</td>
                    <td>{`${r.role}, ${duration(r.duration_minutes * 60)}`}</td>
                    <td>{r.reason}</td>
                    <td>
                      <span className={`badge access-${r.status}`}>{humanize(r.status)}</span>
                      {r.active && <div className="hint">{`${duration(r.seconds_remaining)} left`}</div>}
                    </td>
                    <td className="row-actions">
                      {manager && !mine && r.status === 'pending' && (
                        <>
                          <button type="button" className="primary" disabled={busy}
                            onClick={() => void act(r, 'approve', 'Approved')}>
                            Approve
                          </button>
                          <button type="button" disabled={busy} onClick={() => void act(r, 'reject', 'Rejected')}>
                            Reject
                          </button>
                        </>
                      )}
                      {(mine || manager) && (r.status === 'pending' || r.active) && (
                        <button type="button" disabled={busy}
                          onClick={() => void act(r, 'revoke', r.status === 'pending' ? 'Cancelled' : 'Ended')}>
                          {r.status === 'pending' ? 'Cancel' : mine ? 'Give up' : 'Revoke'}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Section>
      {(manager || can(me, 'audit.read')) && <ReviewsSection manager={manager} />}
    </>
  );
}

function ReviewsSection({ manager }: { manager: boolean }) {
  const { me } = useSession();
  const [reviews, setReviews] = useState<AccessReview[]>([]);
  const [open, setOpen] = useState<AccessReview | null>(null);
  const [title, setTitle] = useState('');
  const { busy, error, run } = useAction();
  const load = () =>
    run(async () => setReviews((await api<Page<AccessReview>>('GET', '/api/security/access-reviews?limit=20')).items));
  useEffect(() => {
    void load();
  }, []);
  const show = (id: string) => run(async () => setOpen(await api<AccessReview>('GET', `/api/security/access-reviews/${id}`)));
  const start = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      setOpen(await api<AccessReview>('POST', '/api/security/access-reviews', { title }));
      setTitle('');
      await load();
    });
  };
  const decide = (item: ReviewItem, decision: 'certify' | 'revoke') =>
    run(async () => {
      if (!open) return;
      setOpen(await api<AccessReview>('POST', `/api/security/access-reviews/${open.id}/decisions`,
        { user_id: item.user_id, decision }));
    });
  const complete = () =>
    run(async () => {
      if (!open) return;
      setOpen(await api<AccessReview>('POST', `/api/security/access-reviews/${open.id}/complete`, {}));
      await load();
    });
  return (
    <Section title="Access reviews" id="access-reviews">
      <ErrorBanner error={error} />
      {manager && (
        <form className="inline-form" onSubmit={start} aria-label="Open an access review">
          <Field id="review-title" label="Review title" required maxLength={200} value={title}
            onChange={(e) => setTitle(e.target.value)} />
          <button type="submit" disabled={busy}>
            Open a review
          </button>
        </form>
      )}
      {reviews.length === 0 && <p className="hint">No review yet.</p>}
      <ul className="events" aria-label="Reviews">
        {reviews.map((r) => (
          <li key={r.id}>
            <button type="button" className="link" onClick={() => void show(r.id)}>
              {r.title}
            </button>{' '}
            <span className={`badge review-${r.status}`}>{humanize(r.status)}</span>{' '}
            <span className="hint">opened {formatTime(r.created_at)}</span>
          </li>
        ))}
      </ul>
      {open && open.items && (
        <div data-review={open.id}>
          <h3>{open.title}</h3>
          <p className="hint">
            {`${open.progress?.decided ?? 0} of ${open.progress?.users ?? 0} users decided, ${open.progress?.revoked ?? 0} revoked`}
          </p>
          <table>
            <caption className="visually-hidden">Users under review</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Roles</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {open.items.map((i) => (
                <tr key={i.user_id} data-user={i.user_id}>
                  <td className="mono">{i.user_id === me.id ? 'you' : i.user_id.slice(-12)}</td>
                  <td>{i.roles.join(', ')}</td>
                  <td className="row-actions">
                    {i.decision ? (
                      <span className={`badge review-${i.decision}`}>
                        {i.decision === 'revoked' ? `Revoked ${i.revoked_roles.join(', ')}` : 'Certified'}
                      </span>
                    ) : manager && open.status === 'open' && i.user_id !== me.id ? (
                      <>
                        <button type="button" disabled={busy} onClick={() => void decide(i, 'certify')}>
                          Certify
                        </button>
                        <button type="button" disabled={busy} onClick={() => void decide(i, 'revoke')}>
                          Revoke
                        </button>
                      </>
                    ) : (
                      <span className="hint">{i.user_id === me.id ? 'another reviewer decides' : 'undecided'}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {manager && open.status === 'open' && (
            <button type="button" className="primary" disabled={busy || open.progress?.decided !== open.progress?.users}
              onClick={() => void complete()}>
              Complete the review
            </button>
          )}
        </div>
      )}
    </Section>
  );
}
