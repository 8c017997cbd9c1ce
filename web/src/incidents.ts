// Incidents as the console shows them: durations, the breach countdown, the MTTR trend's bars,
// the lifecycle's action labels, the postmortem form's lines and the dashboard's tiles.

import type { Tile } from './dashboard_tiles';

export const INCIDENT_SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;

export interface Metrics {
  mttd_seconds: number | null;
  mtta_seconds: number | null;
  mttr_seconds: number | null;
}

export interface Breach {
  aware_at: string;
  notification_deadline: string;
  seconds_remaining: number;
  notified: boolean;
  notified_late: boolean;
  report: Record<string, string>;
  missing_content: string[];
  authority: string | null;
  notified_at: string | null;
  reference: string | null;
  late_reason: string | null;
}

export interface Incident {
  id: string;
  title: string;
  summary: string | null;
  severity: string;
  status: string;
  commander: string | null;
  participants: string[];
  impact_started_at: string | null;
  detected_at: string;
  acknowledged_at: string | null;
  resolved_at: string | null;
  metrics: Metrics;
  targets: Metrics;
  breaches: string[];
  personal_data_breach: boolean;
  breach: Breach | null;
  allowed_transitions: string[];
}

export interface TimelineEntry {
  id: string;
  kind: string;
  text: string;
  actor: string;
  at: string;
}

export interface ActionItem {
  title: string;
  owner: string;
  due_date: string | null;
  status: string;
}

export interface PostmortemDoc {
  summary: string;
  impact: string;
  root_cause: string;
  contributing_factors: string[];
  timeline: string[];
  went_well: string[];
  went_wrong: string[];
  action_items: ActionItem[];
}

export interface IncidentDetail extends Incident {
  timeline: TimelineEntry[];
  event_ids: string[];
  postmortem: { complete: boolean; updated_at: string } | null;
  postmortem_required: boolean;
}

export interface WeekMttr {
  week: string;
  resolved: number;
  mean_mttr_seconds: number | null;
}

/** "45 s", "12 min", "3 h 20 min", "24 h", "2 d 4 h", "5 d"; "—" for null. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  const part = (n: number, unit: string) => (n > 0 ? ` ${n} ${unit}` : '');
  if (s < 172_800) return `${Math.floor(s / 3600)} h${part(Math.floor((s % 3600) / 60), 'min')}`;
  return `${Math.floor(s / 86_400)} d${part(Math.floor((s % 86_400) / 3600), 'h')}`;
}

/** The breach clock at `nowMs`: what the countdown says and how urgent it is. */
export function countdown(breach: Breach, nowMs: number): { text: string; tone: 'good' | 'warn' | 'bad' } {
  if (breach.notified) {
    return breach.notified_late
      ? { text: `Notified late (${breach.authority ?? 'authority'})`, tone: 'warn' }
      : { text: `Notified in time (${breach.authority ?? 'authority'})`, tone: 'good' };
  }
  const left = (Date.parse(breach.notification_deadline) - nowMs) / 1000;
  if (left <= 0) return { text: `Deadline passed ${duration(-left)} ago: notify now and give the reasons`, tone: 'bad' };
  return { text: `${duration(left)} left to notify the supervisory authority`, tone: left < 12 * 3600 ? 'bad' : 'warn' };
}

/** Bars of the weekly mean MTTR: x, width and height in chart units, the tallest week at `height`. */
export function trendBars(weeks: readonly WeekMttr[], width: number, height: number) {
  const max = Math.max(1, ...weeks.map((w) => w.mean_mttr_seconds ?? 0));
  const step = width / Math.max(1, weeks.length);
  return weeks.map((w, i) => ({
    week: w.week,
    x: i * step + step * 0.1,
    width: step * 0.8,
    height: ((w.mean_mttr_seconds ?? 0) / max) * height,
    label: `${w.week}: ${duration(w.mean_mttr_seconds)} mean time to resolve over ${w.resolved} incident${w.resolved === 1 ? '' : 's'}`,
  }));
}

/** The non-empty lines of a text area, trimmed. */
export function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
}

const MOVE_LABELS: Record<string, string> = {
  investigating: 'Investigate',
  identified: 'Cause identified',
  monitoring: 'Monitor the fix',
  resolved: 'Resolve',
  closed: 'Close',
};

export function moveLabel(from: string, to: string): string {
  if (to === 'investigating' && from !== 'triage') return 'Reopen the investigation';
  return MOVE_LABELS[to] ?? to;
}

interface MetricsSummary {
  active: number;
  by_severity: { severity: string; incidents: number; mean_mttr_seconds: number | null; breaches: { mttr: number } }[];
  mttr_by_week: WeekMttr[];
}

/** The dashboard's incident tiles: active incidents, and the mean MTTR with its weekly trend. */
export function incidentTiles(m: MetricsSummary): Tile[] {
  const weeks = m.mttr_by_week.filter((w) => w.mean_mttr_seconds !== null);
  const last = weeks[weeks.length - 1];
  const before = weeks[weeks.length - 2];
  const missed = m.by_severity.reduce((n, s) => n + s.breaches.mttr, 0);
  let trend = 'no incident resolved in 90 days';
  if (last) trend = `week of ${last.week}: ${duration(last.mean_mttr_seconds)}`;
  if (last && before) {
    const faster = (last.mean_mttr_seconds ?? 0) <= (before.mean_mttr_seconds ?? 0);
    trend += faster ? `, down from ${duration(before.mean_mttr_seconds)}` : `, up from ${duration(before.mean_mttr_seconds)}`;
  }
  return [
    {
      id: 'incidents-active',
      label: 'Active incidents',
      value: String(m.active),
      detail: m.active === 0 ? 'none open' : 'not yet resolved',
      tone: m.active === 0 ? 'good' : 'bad',
    },
    {
      id: 'incidents-mttr',
      label: 'Time to resolve',
      value: last ? duration(last.mean_mttr_seconds) : '—',
      detail: `${trend}; ${missed} over target in 90 days`,
      tone: missed > 0 ? 'warn' : 'good',
    },
  ];
}
