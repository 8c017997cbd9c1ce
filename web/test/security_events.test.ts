import { describe, expect, it } from 'vitest';
import { actionLabel, eventTiles, eventsQuery } from '../src/security_events';

describe('security events', () => {
  it('builds the list query from the filters that are set', () => {
    expect(eventsQuery({ status: 'open', severity: '', type: 'brute_force' }, null)).toBe(
      'limit=25&status=open&type=brute_force',
    );
    expect(eventsQuery({}, 'abc')).toBe('limit=25&cursor=abc');
  });

  it('labels the workflow moves', () => {
    expect(actionLabel('investigating')).toBe('Start investigating');
    expect(actionLabel('open')).toBe('Reopen');
    expect(actionLabel('false_positive')).toBe('Mark false positive');
  });

  it('tones a severity tile by the severity only when events are unresolved', () => {
    const tiles = eventTiles({ open_by_severity: { critical: 1, high: 0, medium: 2, low: 3 }, open_total: 6 });
    expect(tiles.map((t) => [t.id, t.value, t.tone])).toEqual([
      ['events-critical', '1', 'bad'],
      ['events-high', '0', 'good'],
      ['events-medium', '2', 'warn'],
      ['events-low', '3', 'neutral'],
    ]);
  });
});
