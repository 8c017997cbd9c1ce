import { describe, expect, it } from 'vitest';
import { countdown, duration, lines, moveLabel, trendBars, type Breach } from '../src/incidents';

const breach = (over: Partial<Breach>): Breach => ({
  aware_at: '2026-12-01T10:00:00Z',
  notification_deadline: '2026-12-04T10:00:00Z',
  seconds_remaining: 0,
  notified: false,
  notified_late: false,
  report: {},
  missing_content: [],
  authority: null,
  notified_at: null,
  reference: null,
  late_reason: null,
  ...over,
});

describe('incidents', () => {
  it('writes durations for people', () => {
    expect(duration(null)).toBe('—');
    expect(duration(45)).toBe('45 s');
    expect(duration(12 * 60)).toBe('12 min');
    expect(duration(3 * 3600 + 20 * 60)).toBe('3 h 20 min');
    expect(duration(2 * 86_400 + 4 * 3600)).toBe('2 d 4 h');
    expect(duration(86_400)).toBe('24 h');
    expect(duration(5 * 86_400)).toBe('5 d');
  });

  it('counts down to the 72-hour deadline and says when it passed', () => {
    const now = Date.parse('2026-12-04T02:00:00Z');
    expect(countdown(breach({}), now)).toEqual({ text: '8 h left to notify the supervisory authority', tone: 'bad' });
    expect(countdown(breach({}), Date.parse('2026-12-02T10:00:00Z')).tone).toBe('warn');
    expect(countdown(breach({}), Date.parse('2026-12-04T11:00:00Z')).text).toMatch(/^Deadline passed 60 min ago/);
    expect(countdown(breach({ notified: true, authority: 'ICO' }), now)).toEqual({ text: 'Notified in time (ICO)', tone: 'good' });
    expect(countdown(breach({ notified: true, notified_late: true, authority: 'ICO' }), now).tone).toBe('warn');
  });

  it('scales the MTTR trend to the slowest week', () => {
    const bars = trendBars([
      { week: '2026-11-23', resolved: 2, mean_mttr_seconds: 1800 },
      { week: '2026-11-30', resolved: 1, mean_mttr_seconds: 900 },
    ], 200, 100);
    expect(bars.map((b) => b.height)).toEqual([100, 50]);
    expect(bars[1].x).toBeCloseTo(110);
    expect(bars[1].label).toBe('2026-11-30: 15 min mean time to resolve over 1 incident');
  });

  it('reads a text area as lines and labels the moves', () => {
    expect(lines(' one \n\n two\n')).toEqual(['one', 'two']);
    expect(moveLabel('triage', 'investigating')).toBe('Investigate');
    expect(moveLabel('resolved', 'investigating')).toBe('Reopen the investigation');
    expect(moveLabel('resolved', 'closed')).toBe('Close');
  });
});

describe('incident tiles', () => {
  it('shows active incidents and the MTTR trend', async () => {
    const { incidentTiles } = await import('../src/incidents');
    const tiles = incidentTiles({
      active: 2,
      by_severity: [{ severity: 'SEV1', incidents: 3, mean_mttr_seconds: 1500, breaches: { mttr: 1 } }],
      mttr_by_week: [
        { week: '2026-11-23', resolved: 2, mean_mttr_seconds: 3600 },
        { week: '2026-11-30', resolved: 1, mean_mttr_seconds: 900 },
      ],
    });
    expect(tiles.map((t) => [t.id, t.value, t.tone])).toEqual([
      ['incidents-active', '2', 'bad'],
      ['incidents-mttr', '15 min', 'warn'],
    ]);
    expect(tiles[1].detail).toBe('week of 2026-11-30: 15 min, down from 60 min; 1 over target in 90 days');
  });
});
