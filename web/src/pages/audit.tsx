// The audit trail: search with the trail's filters, newest first a page at a time; export what
// the filters select as a bundle that verifies offline; a record's detail; and a check of that
// record done here in the browser, not by the server.
import { useEffect, useState, type FormEvent } from 'react';
import { api, type Page } from '../api';
import { bars, type DayCount } from '../audit_chart';
import { verifyRecord, type Check } from '../audit_verify';
import { ErrorBanner, Field, Section, useAction } from '../components/common';
import { formatTime } from '../format';
import { can, useSession } from '../session';
import { RetentionSection } from './audit/retention';

interface AuditRecord {
  id: string;
  time: string;
  kind: string;
  tenant_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  event_type: string | null;
  resource_type: string | null;
  resource_id: string | null;
  method: string | null;
  route: string | null;
  path: string | null;
  status: number | null;
  outcome: string;
  source_ip: string | null;
  request_id: string | null;
  leaf_index: number;
  details: unknown;
  /** People's data the details hold sealed, opened for the reader (outside the signed leaf). */
  revealed?: Record<string, string>;
}

const FILTERS = [
  { id: 'from', label: 'From', type: 'datetime-local', hint: 'UTC' },
  { id: 'to', label: 'To', type: 'datetime-local', hint: 'UTC' },
  { id: 'actor', label: 'Actor', hint: 'user or API token id' },
  { id: 'action', label: 'Action', hint: 'READ, CREATE, UPDATE, DELETE, LOGIN, ...' },
  { id: 'resource_type', label: 'Resource type', hint: 'as in the path, e.g. users' },
  { id: 'resource_id', label: 'Resource id' },
  { id: 'outcome', label: 'Outcome', hint: 'success, failure, denied or error' },
  { id: 'status', label: 'HTTP status' },
  { id: 'request_id', label: 'Request id' },
  { id: 'q', label: 'Path contains' },
] as const;

type FilterValues = Partial<Record<(typeof FILTERS)[number]['id'], string>>;

/** Adds the filters to `params`: empty ones left out, local date inputs read as UTC. */
function addFilters(params: URLSearchParams, filters: FilterValues): URLSearchParams {
  for (const [k, v] of Object.entries(filters)) {
    if (!v) continue;
    params.set(k, k === 'from' || k === 'to' ? `${v.length === 16 ? `${v}:00` : v}Z` : v);
  }
  return params;
}

/** The query string of a search. */
export function searchQuery(filters: FilterValues, cursor: string | null): string {
  const params = addFilters(new URLSearchParams({ limit: '25' }), filters);
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

export const EXPORT_FORMATS = [
  { format: 'jsonl', label: 'JSON Lines' },
  { format: 'json', label: 'JSON' },
  { format: 'csv', label: 'CSV' },
] as const;

/** Where the export of what the filters select, in `format`, downloads from. */
export function exportUrl(filters: FilterValues, format: string): string {
  return `/api/audit/export?${addFilters(new URLSearchParams({ format }), filters).toString()}`;
}

function who(r: AuditRecord): string {
  if (r.actor_type === 'anonymous' || r.actor_type === 'system') return r.actor_type;
  return `${r.actor_type === 'api_token' ? 'token' : 'user'} ${r.actor_id?.slice(-8) ?? ''}`;
}

function what(r: AuditRecord): string {
  if (r.kind === 'event') return r.event_type ?? r.action;
  return `${r.method ?? ''} ${r.path ?? ''}`;
}

export function AuditPage() {
  const { me } = useSession();
  const [filters, setFilters] = useState<FilterValues>({});
  const [rows, setRows] = useState<AuditRecord[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  const search = (from: string | null) =>
    run(async () => {
      const page = await api<Page<AuditRecord>>('GET', `/api/audit/logs?${searchQuery(filters, from)}`);
      setRows((r) => (from ? [...r, ...page.items] : page.items));
      setCursor(page.next_cursor);
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
        <h1>Audit trail</h1>
        <p className="hint">Every API request and every change, in a Merkle tree with signed checkpoints.</p>
      </div>
      <ActivityChart />
      <Section title="Search" id="audit-search">
        <form className="filters" onSubmit={submit} aria-label="Search the audit trail">
          {FILTERS.map((f) => (
            <Field
              key={f.id}
              id={`audit-${f.id}`}
              label={f.label}
              hint={'hint' in f ? f.hint : undefined}
              type={'type' in f ? f.type : 'text'}
              value={filters[f.id] ?? ''}
              onChange={(e) => setFilters({ ...filters, [f.id]: e.target.value })}
            />
          ))}
          <div className="row-actions">
            <button type="submit" className="primary" disabled={busy}>
              Search
            </button>
          </div>
        </form>
        <div className="export" aria-label="Export">
          <span>Export what these filters select:</span>
          {EXPORT_FORMATS.map((f) => (
            <a key={f.format} className="button" href={exportUrl(filters, f.format)} download>
              {f.label}
            </a>
          ))}
          <p className="hint">
            JSON and JSON Lines exports carry the signed checkpoint, each record&apos;s proof and a signed manifest:
            check one anywhere with <code>trustctl audit verify --bundle FILE --public-key KEY</code>, the key being
            the <code>verifier_key</code> of <code>/api/audit/public-key</code>. CSV is for spreadsheets.
          </p>
        </div>
      </Section>
      <Section title="Records" id="audit-records">
        <ErrorBanner error={error} />
        {loaded && rows.length === 0 && <p className="hint">No record matches.</p>}
        {rows.length > 0 && (
          <table className="audit-table">
            <caption className="visually-hidden">Audit records, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">What</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-record={r.id} className={selected === r.id ? 'selected' : undefined}>
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(r.id)}>
                      {formatTime(r.time)}
                    </button>
                  </td>
                  <td>{who(r)}</td>
                  <td>{r.action}</td>
                  <td className="mono">{what(r)}</td>
                  <td>
                    <span className={`badge outcome-${r.outcome}`}>
                      {r.outcome}
                      {r.status ? ` ${r.status}` : ''}
                    </span>
                  </td>
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
      {selected && <RecordDetail id={selected} />}
      <RetentionSection tenantId={me.tenant.id} canManage={can(me, 'audit.manage')} />
    </>
  );
}

interface Stats {
  from: string;
  to: string;
  total: number;
  by_day: DayCount[];
  by_outcome: { outcome: string; count: number }[];
}

/** Records per day over the last 30 days, the denied and failed part in the warning colour. */
function ActivityChart() {
  const [stats, setStats] = useState<Stats | null>(null);
  const { error, run } = useAction();
  useEffect(() => {
    void run(async () => setStats(await api<Stats>('GET', '/api/audit/stats')));
  }, []);
  const width = 720;
  const height = 120;
  const list = stats ? bars(stats.by_day, stats.from.slice(0, 10), stats.to.slice(0, 10), width, height) : [];
  const problems = stats?.by_outcome.filter((o) => o.outcome !== 'success').reduce((n, o) => n + o.count, 0) ?? 0;
  return (
    <Section title="Activity, last 30 days" id="audit-activity">
      <ErrorBanner error={error} />
      {stats && (
        <>
          <p className="hint" data-testid="audit-totals">
            {stats.total} records; {problems} denied, failed or in error.
          </p>
          <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img"
            aria-label={`Audit records per day: ${stats.total} in all`}>
            {list.map((b) => (
              <g key={b.day}>
                <title>{`${b.day}: ${b.total} records`}</title>
                <rect className="bar-ok" x={b.x} width={b.width} y={height - b.okHeight - b.problemHeight} height={b.okHeight} />
                <rect className="bar-problem" x={b.x} width={b.width} y={height - b.problemHeight} height={b.problemHeight} />
              </g>
            ))}
          </svg>
        </>
      )}
    </Section>
  );
}

function RecordDetail({ id }: { id: string }) {
  const [record, setRecord] = useState<Record<string, unknown> | null>(null);
  const [checks, setChecks] = useState<Check[] | null>(null);
  const { busy, error, run } = useAction();

  useEffect(() => {
    setChecks(null);
    void run(async () => setRecord(await api<Record<string, unknown>>('GET', `/api/audit/logs/${id}`)));
  }, [id]);

  const verify = () =>
    run(async () => {
      const key = await api<{ verifier_key: string }>('GET', '/api/audit/public-key');
      setChecks(await verifyRecord(record ?? {}, key.verifier_key));
    });

  const fields = ['id', 'time', 'kind', 'tenant_id', 'actor_type', 'actor_id', 'actor_user_id', 'actor_via', 'action',
    'event_type', 'resource_type', 'resource_id', 'method', 'route', 'path', 'status', 'outcome', 'source_ip',
    'user_agent', 'request_id', 'trace_id', 'leaf_index'];
  const passed = checks && checks.every((c) => c.ok);
  return (
    <Section title="Record detail" id="audit-record">
      <ErrorBanner error={error} />
      {record && (
        <>
          <dl className="profile">
            {fields.map((f) => (
              <div key={f} className="contents">
                <dt>{f.replace(/_/g, ' ')}</dt>
                <dd className="mono">{record[f] === null || record[f] === undefined ? '—' : String(record[f])}</dd>
              </div>
            ))}
          </dl>
          <h3>Details</h3>
          <pre className="details">{record.details === null ? 'pruned' : JSON.stringify(record.details, null, 2)}</pre>
          {record.revealed && (
            <>
              <h3>Personal data</h3>
              <p className="hint">
                Sealed in the details under the person&apos;s own key, opened here for you; not part of the signed
                record. An erased person&apos;s data reads [erased].
              </p>
              <dl className="profile" id="audit-revealed">
                {Object.entries(record.revealed).map(([place, value]) => (
                  <div key={place} className="contents">
                    <dt className="mono">{place}</dt>
                    <dd>{value}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
          <div className="row-actions">
            <button type="button" className="primary" onClick={() => void verify()} disabled={busy}>
              Verify in this browser
            </button>
          </div>
          {checks && (
            <div className={`banner ${passed ? 'banner-info' : 'banner-error'}`} role="status" aria-live="polite">
              <strong>{passed ? 'Verified: this record is in the signed audit tree, unchanged.' : 'Verification failed.'}</strong>
              <ul className="checks">
                {checks.map((c) => (
                  <li key={c.label}>
                    {c.ok ? '✔' : '✘'} {c.label}: {c.detail}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
    </Section>
  );
}
