import { describe, expect, it } from 'vitest';
import { formatTime, humanize } from '../src/format';

describe('humanize', () => {
  it('turns event types into labels, keeping acronyms', () => {
    expect(humanize('login_succeeded')).toBe('Login succeeded');
    expect(humanize('mfa_enrollment_started')).toBe('MFA enrollment started');
    expect(humanize('recovery_codes_regenerated')).toBe('Recovery codes regenerated');
  });
});

describe('formatTime', () => {
  it('shows UTC and passes unparseable text through', () => {
    expect(formatTime('2026-12-01T22:14:05.123Z')).toBe('1 Dec 2026, 22:14 UTC');
    expect(formatTime(null)).toBe('');
    expect(formatTime('soon')).toBe('soon');
  });
});
