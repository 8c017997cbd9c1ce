// Security events as the console shows them: the workflow's actions, the filters' query, and
// the tiles of unresolved events by severity.
import type { Tile, Tone } from './dashboard_tiles';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const STATUSES = ['open', 'investigating', 'resolved', 'false_positive'] as const;

export interface SecurityEvent {
  id: string;
  type: string;
  severity: Severity;
  status: string;
  source: string;
  rule: string | null;
  group: string | null;
  description: string;
  affected_users: string[];
  affected_resources: { type: string; id: string }[];
  metadata: Record<string, unknown>;
  assignee: string | null;
  resolution_notes: string | null;
  occurrences: number;
  first_seen_at: string;
  last_seen_at: string;
  created_at: string;
  created_by: string;
  allowed_transitions: string[];
  authority_report: { reported_to: string; reported_at: string | null; reference: string | null } | null;
}

export interface Transition {
  id: string;
  from: string | null;
  to: string;
  actor: string;
  note: string | null;
  at: string;
}

export interface EventSummary {
  open_by_severity: Record<Severity, number>;
  open_total: number;
}

export interface EventFilters {
  status?: string;
  severity?: string;
  type?: string;
  rule?: string;
}

/** The list's query string: empty filters left out. */
export function eventsQuery(filters: EventFilters, cursor: string | null): string {
  const params = new URLSearchParams({ limit: '25' });
  for (const [k, v] of Object.entries(filters)) {
    if (v) params.set(k, v);
  }
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

const ACTION_LABELS: Record<string, string> = {
  investigating: 'Start investigating',
  resolved: 'Resolve',
  false_positive: 'Mark false positive',
  open: 'Reopen',
};

/** The button label of a move to `status`. */
export function actionLabel(status: string): string {
  return ACTION_LABELS[status] ?? status;
}

const SEVERITY_TONES: Record<Severity, Tone> = { critical: 'bad', high: 'bad', medium: 'warn', low: 'neutral' };

/** One tile per severity: the unresolved events, toned by how bad the severity is when any are open. */
export function eventTiles(summary: EventSummary): Tile[] {
  return SEVERITIES.map((s) => {
    const n = summary.open_by_severity[s] ?? 0;
    return {
      id: `events-${s}`,
      label: `Open ${s}`,
      value: String(n),
      detail: n === 0 ? 'none unresolved' : `${n} open or under investigation`,
      tone: n === 0 ? 'good' : SEVERITY_TONES[s],
    };
  });
}
