// Security events: what is unresolved, by severity; the list with its filters, severities in
// their colours; an event's detail with its history, the workflow's next moves (with a note
// saying why), assignment and the report to an authority.
import { useEffect, useState, type FormEvent } from 'react';
import { api, type Page } from '../api';
import { ErrorBanner, Field, Section, useAction } from '../components/common';
import { Tiles } from '../components/tiles';
import { formatTime, humanize } from '../format';
import {
  actionLabel,
  eventTiles,
  eventsQuery,
  SEVERITIES,
  STATUSES,
  type EventFilters,
  type EventSummary,
  type SecurityEvent,
  type Transition,
} from '../security_events';
import { can, useSession } from '../session';
import { SecurityTabs } from './access';

type Detail = SecurityEvent & { transitions: Transition[] };

function Select({ id, label, value, options, onChange }: {
  id: string;
  label: string;
  value: string;
  options: readonly string[];
  onChange: (v: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {humanize(o)}
          </option>
        ))}
      </select>
    </div>
  );
}

export function SecurityEventsPage() {
  const { me } = useSession();
  const [summary, setSummary] = useState<EventSummary | null>(null);
  const [filters, setFilters] = useState<EventFilters>({ status: '' });
  const [rows, setRows] = useState<SecurityEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  const search = (from: string | null) =>
    run(async () => {
      const [page, counts] = await Promise.all([
        api<Page<SecurityEvent>>('GET', `/api/security/events?${eventsQuery(filters, from)}`),
        api<EventSummary>('GET', '/api/security/events/summary'),
      ]);
      setRows((r) => (from ? [...r, ...page.items] : page.items));
      setCursor(page.next_cursor);
      setSummary(counts);
      setLoaded(true);
    });
  useEffect(() => {
    void search(null);
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSelected(null);
    void search(null);
  };

  return (
    <>
      <div className="page-head">
        <h1>Security events</h1>
        <p className="hint">
          Reported by services and raised by detection rules from the audit trail; worked from open to resolved.
        </p>
      </div>
      <SecurityTabs current="events" />
      {summary && <Tiles tiles={eventTiles(summary)} label="Unresolved security events by severity" />}
      <Section title="Events" id="security-events">
        <form className="filters" onSubmit={submit} aria-label="Filter security events">
          <Select id="events-status" label="Status" value={filters.status ?? ''} options={STATUSES}
            onChange={(v) => setFilters({ ...filters, status: v })} />
          <Select id="events-severity" label="Severity" value={filters.severity ?? ''} options={SEVERITIES}
            onChange={(v) => setFilters({ ...filters, severity: v })} />
          <Field id="events-type" label="Type" value={filters.type ?? ''}
            onChange={(e) => setFilters({ ...filters, type: e.target.value })} />
          <Field id="events-rule" label="Detection rule" hint="failed_logins, mfa_disabled, ..." value={filters.rule ?? ''}
            onChange={(e) => setFilters({ ...filters, rule: e.target.value })} />
          <div className="row-actions">
            <button type="submit" className="primary" disabled={busy}>
              Filter
            </button>
          </div>
        </form>
        <ErrorBanner error={error} />
        {loaded && rows.length === 0 && <p className="hint">No event matches.</p>}
        {rows.length > 0 && (
          <table className="audit-table">
            <caption className="visually-hidden">Security events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Seen</th>
                <th scope="col">Last seen (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} data-event={e.id} className={selected === e.id ? 'selected' : undefined}>
                  <td>
                    <span className={`badge severity-${e.severity}`}>{e.severity}</span>
                  </td>
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(e.id)}>
                      {humanize(e.type)}
                    </button>
                    <div className="hint">{e.rule ? `rule ${e.rule} · ${e.group ?? ''}` : e.source}</div>
                  </td>
                  <td>
                    <span className={`badge event-${e.status}`}>{humanize(e.status)}</span>
                  </td>
                  <td>{e.occurrences}</td>
                  <td>{formatTime(e.last_seen_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {cursor && (
          <button type="button" onClick={() => void search(cursor)} disabled={busy}>
            Show older
          </button>
        )}
      </Section>
      {selected && (
        <EventDetail id={selected} canRespond={can(me, 'security.respond')} onChanged={() => void search(null)} />
      )}
    </>
  );
}

function EventDetail({ id, canRespond, onChanged }: { id: string; canRespond: boolean; onChanged: () => void }) {
  const { me } = useSession();
  const [event, setEvent] = useState<Detail | null>(null);
  const [note, setNote] = useState('');
  const { busy, error, run } = useAction();

  useEffect(() => {
    void run(async () => setEvent(await api<Detail>('GET', `/api/security/events/${id}`)));
  }, [id]);

  const move = (status: string) =>
    run(async () => {
      const body: Record<string, string> = { status };
      if (note.trim()) body.note = note.trim();
      setEvent(await api<Detail>('PATCH', `/api/security/events/${id}/status`, body));
      setNote('');
      onChanged();
    });
  const assignToMe = () =>
    run(async () => setEvent(await api<Detail>('PATCH', `/api/security/events/${id}`, { assignee: me.id })));

  return (
    <Section title="Event detail" id="security-event">
      <ErrorBanner error={error} />
      {event && (
        <>
          <p>
            <span className={`badge severity-${event.severity}`}>{event.severity}</span>{' '}
            <strong>{humanize(event.type)}</strong> · <span className={`badge event-${event.status}`}>{humanize(event.status)}</span>
          </p>
          <p>{event.description}</p>
          <dl className="profile">
            <dt>Source</dt>
            <dd>{event.rule ? `detection rule ${event.rule}` : event.source}</dd>
            {event.group && (
              <>
                <dt>Group</dt>
                <dd className="mono">{event.group}</dd>
              </>
            )}
            <dt>Occurrences</dt>
            <dd>{event.occurrences}</dd>
            <dt>First seen</dt>
            <dd>{formatTime(event.first_seen_at)}</dd>
            <dt>Last seen</dt>
            <dd>{formatTime(event.last_seen_at)}</dd>
            <dt>Assignee</dt>
            <dd className="mono">{event.assignee ?? 'nobody'}</dd>
            <dt>Affected users</dt>
            <dd className="mono">{event.affected_users.join(', ') || '—'}</dd>
            {event.resolution_notes && (
              <>
                <dt>Resolution</dt>
                <dd>{event.resolution_notes}</dd>
              </>
            )}
            {event.authority_report && (
              <>
                <dt>Reported to</dt>
                <dd>
                  {`${event.authority_report.reported_to}, ${formatTime(event.authority_report.reported_at)}`}
                  {event.authority_report.reference ? ` (${event.authority_report.reference})` : ''}
                </dd>
              </>
            )}
          </dl>
          {canRespond && (
            <div className="inline-form" aria-label="Work this event">
              {event.allowed_transitions.length > 0 && (
                <Field id="event-note" label="Note" hint="Why; kept in the event's history" maxLength={4000}
                  value={note} onChange={(e) => setNote(e.target.value)} />
              )}
              {event.allowed_transitions.map((s) => (
                <button key={s} type="button" className={s === 'investigating' ? 'primary' : undefined}
                  disabled={busy} onClick={() => void move(s)}>
                  {actionLabel(s)}
                </button>
              ))}
              {event.assignee !== me.id && (
                <button type="button" disabled={busy} onClick={() => void assignToMe()}>
                  Assign to me
                </button>
              )}
            </div>
          )}
          <h3>History</h3>
          <ol className="events" aria-label="Event history">
            {event.transitions.map((t) => (
              <li key={t.id}>
                <span className="event-type">{t.from ? `${humanize(t.from)} → ${humanize(t.to)}` : 'Raised'}</span>{' '}
                {formatTime(t.at)} by <span className="mono">{t.actor}</span>
                {t.note && <div>{t.note}</div>}
              </li>
            ))}
          </ol>
          {Object.keys(event.metadata).length > 0 && (
            <>
              <h3>Metadata</h3>
              <pre className="details">{JSON.stringify(event.metadata, null, 2)}</pre>
            </>
          )}
        </>
      )}
    </Section>
  );
}
