// Incidents: time to resolve by week and per severity against the targets; the list (active
// first by default) and a form to declare one; an incident's detail with its lifecycle moves,
// the breach countdown, its timeline and notes, and the postmortem editor with its Markdown
// download.
import { useEffect, useState, type FormEvent } from 'react';
import { api, type Page } from '../api';
import { ErrorBanner, Field, Notice, Section, useAction } from '../components/common';
import { formatTime, humanize } from '../format';
import {
  countdown,
  duration,
  INCIDENT_SEVERITIES,
  lines,
  moveLabel,
  trendBars,
  type ActionItem,
  type Incident,
  type IncidentDetail,
  type PostmortemDoc,
  type WeekMttr,
} from '../incidents';
import { can, useSession } from '../session';

interface SeverityFigures {
  severity: string;
  incidents: number;
  active: number;
  mean_mttd_seconds: number | null;
  mean_mtta_seconds: number | null;
  mean_mttr_seconds: number | null;
  targets: { mttd_seconds: number | null; mtta_seconds: number | null; mttr_seconds: number | null };
  breaches: { mttd: number; mtta: number; mttr: number };
}
interface MetricsReport {
  active: number;
  by_severity: SeverityFigures[];
  mttr_by_week: WeekMttr[];
}

function MetricsSection({ version }: { version: number }) {
  const [report, setReport] = useState<MetricsReport | null>(null);
  const { error, run } = useAction();
  useEffect(() => {
    void run(async () => setReport(await api<MetricsReport>('GET', '/api/security/incidents/metrics')));
  }, [version]);
  const width = 720;
  const height = 110;
  const bars = report ? trendBars(report.mttr_by_week, width, height) : [];
  const figure = (value: number | null, target: number | null, missed: number) => (
    <span className={missed > 0 ? 'missed' : undefined}>
      {duration(value)}
      {target !== null && <span className="hint"> / {duration(target)}</span>}
      {missed > 0 && <span className="badge severity-high">{`${missed} missed`}</span>}
    </span>
  );
  return (
    <Section title="Last 90 days" id="incident-metrics">
      <ErrorBanner error={error} />
      {report && (
        <>
          <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img"
            aria-label={`Mean time to resolve by week, ${report.mttr_by_week.length} weeks`}>
            {bars.map((b) => (
              <g key={b.week}>
                <title>{b.label}</title>
                <rect className="bar-ok" x={b.x} width={b.width} y={height - b.height} height={b.height} />
              </g>
            ))}
          </svg>
          <table>
            <caption>Mean time to detect, acknowledge and resolve, against the target</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Incidents</th>
                <th scope="col">Active</th>
                <th scope="col">MTTD</th>
                <th scope="col">MTTA</th>
                <th scope="col">MTTR</th>
              </tr>
            </thead>
            <tbody>
              {report.by_severity.map((s) => (
                <tr key={s.severity} data-severity={s.severity}>
                  <td>{s.severity}</td>
                  <td>{s.incidents}</td>
                  <td>{s.active}</td>
                  <td>{figure(s.mean_mttd_seconds, s.targets.mttd_seconds, s.breaches.mttd)}</td>
                  <td>{figure(s.mean_mtta_seconds, s.targets.mtta_seconds, s.breaches.mtta)}</td>
                  <td>{figure(s.mean_mttr_seconds, s.targets.mttr_seconds, s.breaches.mttr)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Section>
  );
}

function DeclareForm({ onDeclared }: { onDeclared: (id: string) => void }) {
  const [title, setTitle] = useState('');
  const [severity, setSeverity] = useState('SEV2');
  const [impact, setImpact] = useState('');
  const [breach, setBreach] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const body: Record<string, unknown> = { title, severity, personal_data_breach: breach };
      if (impact) body.impact_started_at = `${impact.length === 16 ? `${impact}:00` : impact}Z`;
      const d = await api<IncidentDetail>('POST', '/api/security/incidents', body);
      setTitle('');
      onDeclared(d.id);
    });
  };
  return (
    <details>
      <summary>Declare an incident</summary>
      <form className="filters" onSubmit={submit} aria-label="Declare an incident">
        <ErrorBanner error={error} />
        <Field id="incident-title" label="Title" required maxLength={200} value={title}
          onChange={(e) => setTitle(e.target.value)} />
        <div className="field">
          <label htmlFor="incident-severity">Severity</label>
          <select id="incident-severity" value={severity} onChange={(e) => setSeverity(e.target.value)}>
            {INCIDENT_SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <Field id="incident-impact" label="Impact started" type="datetime-local" hint="UTC; leave empty if not known"
          value={impact} onChange={(e) => setImpact(e.target.value)} />
        <label className="inline">
          <input type="checkbox" checked={breach} onChange={(e) => setBreach(e.target.checked)} /> Personal-data breach
          (starts the 72-hour clock)
        </label>
        <div className="row-actions">
          <button type="submit" className="primary" disabled={busy}>
            Declare
          </button>
        </div>
      </form>
    </details>
  );
}

export function IncidentsPage() {
  const { me } = useSession();
  const respond = can(me, 'security.respond');
  const [active, setActive] = useState(true);
  const [rows, setRows] = useState<Incident[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const { busy, error, run } = useAction();

  const load = (from: string | null) =>
    run(async () => {
      const q = new URLSearchParams({ limit: '25' });
      if (active) q.set('active', 'true');
      if (from) q.set('cursor', from);
      const page = await api<Page<Incident>>('GET', `/api/security/incidents?${q.toString()}`);
      setRows((r) => (from ? [...r, ...page.items] : page.items));
      setCursor(page.next_cursor);
    });
  useEffect(() => {
    void load(null);
  }, [active, version]);

  return (
    <>
      <div className="page-head">
        <h1>Incidents</h1>
        <p className="hint">From declaration to postmortem, with the time to detect, acknowledge and resolve.</p>
      </div>
      <MetricsSection version={version} />
      <Section title="Incidents" id="incident-list">
        {respond && (
          <DeclareForm
            onDeclared={(id) => {
              setSelected(id);
              setVersion((v) => v + 1);
            }}
          />
        )}
        <label className="inline">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> Active only
        </label>
        <ErrorBanner error={error} />
        {rows.length === 0 && !busy && <p className="hint">{active ? 'No incident is active.' : 'No incident yet.'}</p>}
        {rows.length > 0 && (
          <table className="audit-table">
            <caption className="visually-hidden">Incidents, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Incident</th>
                <th scope="col">Status</th>
                <th scope="col">Detected (UTC)</th>
                <th scope="col">Time to resolve</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((i) => (
                <tr key={i.id} data-incident={i.id} className={selected === i.id ? 'selected' : undefined}>
                  <td>
                    <span className={`badge incident-${i.severity}`}>{i.severity}</span>
                  </td>
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(i.id)}>
                      {i.title}
                    </button>
                    {i.personal_data_breach && <span className="badge severity-high">breach</span>}
                  </td>
                  <td>{humanize(i.status)}</td>
                  <td>{formatTime(i.detected_at)}</td>
                  <td>{duration(i.metrics.mttr_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {cursor && (
          <button type="button" onClick={() => void load(cursor)} disabled={busy}>
            Show older
          </button>
        )}
      </Section>
      {selected && <IncidentView id={selected} respond={respond} onChanged={() => setVersion((v) => v + 1)} />}
    </>
  );
}

function BreachPanel({ incident }: { incident: Incident }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  const b = incident.breach;
  if (!b) return null;
  const c = countdown(b, now);
  return (
    <div className={`tile tone-${c.tone}`} data-tile="breach-clock" role="timer" aria-live="off">
      <h3>GDPR Art. 33 notification</h3>
      <p className="tile-value countdown">{c.text}</p>
      <p className="tile-detail">
        Deadline {formatTime(b.notification_deadline)}
        {b.missing_content.length > 0 && `; still to describe: ${b.missing_content.map(humanize).join(', ')}`}
      </p>
    </div>
  );
}

function IncidentView({ id, respond, onChanged }: { id: string; respond: boolean; onChanged: () => void }) {
  const [d, setD] = useState<IncidentDetail | null>(null);
  const [note, setNote] = useState('');
  const { busy, error, run } = useAction();
  useEffect(() => {
    void run(async () => setD(await api<IncidentDetail>('GET', `/api/security/incidents/${id}`)));
  }, [id]);
  const apply = (next: IncidentDetail) => {
    setD(next);
    onChanged();
  };
  const { me } = useSession();
  const command = () =>
    run(async () => apply(await api<IncidentDetail>('PATCH', `/api/security/incidents/${id}`, { commander: me.id })));
  const move = (status: string) =>
    run(async () => apply(await api<IncidentDetail>('PATCH', `/api/security/incidents/${id}/status`, { status })));
  const addNote = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      apply(await api<IncidentDetail>('POST', `/api/security/incidents/${id}/timeline`, { text: note }));
      setNote('');
    });
  };
  if (!d) return <ErrorBanner error={error} />;
  const m = d.metrics;
  return (
    <Section title={d.title} id="incident-detail">
      <ErrorBanner error={error} />
      <p>
        <span className={`badge incident-${d.severity}`}>{d.severity}</span> {humanize(d.status)}
        {d.breaches.length > 0 && (
          <span className="badge severity-high">{`target missed: ${d.breaches.map((b) => b.toUpperCase()).join(', ')}`}</span>
        )}
      </p>
      <div className="tiles" aria-label="Incident figures">
        {(['mttd', 'mtta', 'mttr'] as const).map((k) => (
          <article key={k} className={`tile tone-${d.breaches.includes(k) ? 'bad' : 'neutral'}`} data-tile={k}>
            <h3>{k.toUpperCase()}</h3>
            <p className="tile-value">{duration(m[`${k}_seconds`])}</p>
            <p className="tile-detail">target {duration(d.targets[`${k}_seconds`])}</p>
          </article>
        ))}
        <BreachPanel incident={d} />
      </div>
      <p className="hint">
        {d.commander ? `Commander: ${d.commander === me.id ? 'you' : d.commander}` : 'No commander yet.'}
        {d.event_ids.length > 0 && ` · ${d.event_ids.length} linked security event${d.event_ids.length === 1 ? '' : 's'}`}
      </p>
      {respond && d.allowed_transitions.length > 0 && (
        <div className="row-actions" aria-label="Move the incident">
          {d.commander !== me.id && (
            <button type="button" disabled={busy} onClick={() => void command()}>
              Take command
            </button>
          )}
          {d.allowed_transitions.map((s) => (
            <button key={s} type="button" disabled={busy} onClick={() => void move(s)}>
              {moveLabel(d.status, s)}
            </button>
          ))}
        </div>
      )}
      {d.postmortem_required && !d.postmortem?.complete && d.status === 'resolved' && (
        <Notice>A {d.severity} closes once its postmortem has a summary and a root cause.</Notice>
      )}
      <h3>Timeline</h3>
      <ol className="events" aria-label="Incident timeline">
        {d.timeline.map((e) => (
          <li key={e.id} data-kind={e.kind}>
            <span className="event-type">{formatTime(e.at)}</span> {e.text} <span className="hint mono">{e.actor}</span>
          </li>
        ))}
      </ol>
      {respond && (
        <form className="inline-form" onSubmit={addNote} aria-label="Add to the timeline">
          <Field id="incident-note" label="Note" required maxLength={4000} value={note}
            onChange={(e) => setNote(e.target.value)} />
          <button type="submit" disabled={busy}>
            Add note
          </button>
        </form>
      )}
      {respond && d.breach && !d.breach.notified && (
        <BreachForm incident={d} onSaved={apply} />
      )}
      <PostmortemEditor incident={d} respond={respond} onSaved={apply} />
    </Section>
  );
}

const BREACH_FIELDS = [
  ['nature', 'Nature of the breach'],
  ['data_subjects', 'People concerned (categories, approximate number)'],
  ['records', 'Records concerned (categories, approximate number)'],
  ['contact', 'Contact point (data protection officer)'],
  ['consequences', 'Likely consequences'],
  ['measures', 'Measures taken or proposed'],
] as const;

/** The Art. 33(3) content of the notification, and the record of the notification once made. */
function BreachForm({ incident, onSaved }: { incident: IncidentDetail; onSaved: (d: IncidentDetail) => void }) {
  const b = incident.breach!;
  const [report, setReport] = useState<Record<string, string>>(b.report);
  const [authority, setAuthority] = useState('');
  const [reference, setReference] = useState('');
  const [lateReason, setLateReason] = useState('');
  const { busy, error, run } = useAction();
  const late = Date.now() > Date.parse(b.notification_deadline);
  const saveReport = (e: FormEvent) => {
    e.preventDefault();
    void run(async () =>
      onSaved(await api<IncidentDetail>('PATCH', `/api/security/incidents/${incident.id}`, { breach_report: report })));
  };
  const notify = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const notification: Record<string, string> = { authority };
      if (reference) notification.reference = reference;
      if (lateReason) notification.late_reason = lateReason;
      onSaved(await api<IncidentDetail>('PATCH', `/api/security/incidents/${incident.id}`, { notification }));
    });
  };
  return (
    <details open>
      <summary>Personal-data breach notification</summary>
      <ErrorBanner error={error} />
      <form onSubmit={saveReport} aria-label="Breach notification content">
        {BREACH_FIELDS.map(([k, label]) => (
          <div className="field" key={k}>
            <label htmlFor={`breach-${k}`}>{label}</label>
            <textarea id={`breach-${k}`} rows={2} value={report[k] ?? ''}
              onChange={(e) => setReport({ ...report, [k]: e.target.value })} />
          </div>
        ))}
        <button type="submit" disabled={busy}>
          Save the notification content
        </button>
      </form>
      <form className="inline-form" onSubmit={notify} aria-label="Record the notification">
        <Field id="breach-authority" label="Supervisory authority notified" required maxLength={256} value={authority}
          onChange={(e) => setAuthority(e.target.value)} />
        <Field id="breach-reference" label="Its reference" maxLength={256} value={reference}
          onChange={(e) => setReference(e.target.value)} />
        {late && (
          <Field id="breach-late" label="Reasons for the delay" required maxLength={4000} value={lateReason}
            onChange={(e) => setLateReason(e.target.value)} />
        )}
        <button type="submit" className="primary" disabled={busy}>
          Record the notification
        </button>
      </form>
    </details>
  );
}

const LIST_FIELDS = [
  ['contributing_factors', 'Contributing factors'],
  ['went_well', 'What went well'],
  ['went_wrong', 'What went wrong'],
  ['timeline', 'Timeline (one line per moment)'],
] as const;

function PostmortemEditor({ incident, respond, onSaved }: {
  incident: IncidentDetail;
  respond: boolean;
  onSaved: (d: IncidentDetail) => void;
}) {
  const empty: PostmortemDoc = { summary: '', impact: '', root_cause: '', contributing_factors: [], timeline: [],
    went_well: [], went_wrong: [], action_items: [] };
  const [doc, setDoc] = useState<PostmortemDoc>(empty);
  const [saved, setSaved] = useState('');
  const { busy, error, run } = useAction();
  useEffect(() => {
    if (!incident.postmortem) return;
    void run(async () => setDoc(await api<PostmortemDoc>('GET', `/api/security/incidents/${incident.id}/postmortem`)));
  }, [incident.id]);
  const text = (k: 'summary' | 'impact' | 'root_cause', label: string) => (
    <div className="field">
      <label htmlFor={`pm-${k}`}>{label}</label>
      <textarea id={`pm-${k}`} rows={3} value={doc[k]} readOnly={!respond}
        onChange={(e) => setDoc({ ...doc, [k]: e.target.value })} />
    </div>
  );
  const setItem = (i: number, item: Partial<ActionItem>) =>
    setDoc({ ...doc, action_items: doc.action_items.map((a, k) => (k === i ? { ...a, ...item } : a)) });
  const save = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const body = { ...doc, action_items: doc.action_items.filter((a) => a.title.trim()) };
      await api('PUT', `/api/security/incidents/${incident.id}/postmortem`, body);
      onSaved(await api<IncidentDetail>('GET', `/api/security/incidents/${incident.id}`));
      setSaved('Postmortem saved.');
    });
  };
  return (
    <details open={incident.status === 'resolved' || incident.postmortem !== null}>
      <summary>Postmortem{incident.postmortem?.complete ? '' : incident.postmortem_required ? ' (required to close)' : ''}</summary>
      <form onSubmit={save} aria-label="Postmortem">
        <ErrorBanner error={error} />
        {saved && <Notice>{saved}</Notice>}
        {text('summary', 'Summary')}
        {text('impact', 'Impact')}
        {text('root_cause', 'Root cause')}
        {LIST_FIELDS.map(([k, label]) => (
          <div className="field" key={k}>
            <label htmlFor={`pm-${k}`}>{label}</label>
            <textarea id={`pm-${k}`} rows={3} value={doc[k].join('\n')} readOnly={!respond}
              onChange={(e) => setDoc({ ...doc, [k]: lines(e.target.value) })} />
          </div>
        ))}
        <h4>Action items</h4>
        {doc.action_items.map((a, i) => (
          <div className="inline-form" key={i}>
            <Field id={`pm-action-${i}`} label="Action" value={a.title} readOnly={!respond}
              onChange={(e) => setItem(i, { title: e.target.value })} />
            <Field id={`pm-owner-${i}`} label="Owner" value={a.owner} readOnly={!respond}
              onChange={(e) => setItem(i, { owner: e.target.value })} />
            <Field id={`pm-due-${i}`} label="Due" type="date" value={a.due_date ?? ''} readOnly={!respond}
              onChange={(e) => setItem(i, { due_date: e.target.value || null })} />
          </div>
        ))}
        <div className="row-actions">
          {respond && (
            <>
              <button type="button" onClick={() =>
                setDoc({ ...doc, action_items: [...doc.action_items, { title: '', owner: '', due_date: null, status: 'open' }] })}>
                Add an action item
              </button>
              <button type="submit" className="primary" disabled={busy}>
                Save postmortem
              </button>
            </>
          )}
          <a className="button" href={`/api/security/incidents/${incident.id}/postmortem?format=markdown`} download>
            Download as Markdown
          </a>
        </div>
      </form>
    </details>
  );
}
