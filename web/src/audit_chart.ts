// The geometry of the audit page's chart: one bar per UTC day of the range, its height the
// day's records, the denied and failed part of it marked. Days without records are zero bars,
// so gaps in activity show as gaps.

export interface DayCount {
  day: string; // YYYY-MM-DD
  total: number;
  denied: number;
  failed: number;
}

export interface Bar {
  day: string;
  x: number;
  width: number;
  total: number;
  /** Heights in chart units (0..height), from the baseline up. */
  okHeight: number;
  problemHeight: number;
}

/** Every day from `from` to `to` (YYYY-MM-DD, inclusive), at most `maxDays`. */
export function daysBetween(from: string, to: string, maxDays = 400): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && out.length < maxDays; t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

export function bars(days: readonly DayCount[], from: string, to: string, width: number, height: number): Bar[] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const all = daysBetween(from, to);
  const max = Math.max(1, ...days.map((d) => d.total));
  const step = width / Math.max(1, all.length);
  return all.map((day, i) => {
    const d = byDay.get(day) ?? { day, total: 0, denied: 0, failed: 0 };
    const problems = Math.min(d.total, d.denied + d.failed);
    return {
      day,
      x: i * step,
      width: Math.max(1, step * 0.8),
      total: d.total,
      okHeight: ((d.total - problems) / max) * height,
      problemHeight: (problems / max) * height,
    };
  });
}
