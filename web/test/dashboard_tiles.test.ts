import { describe, expect, it } from 'vitest';
import { accountTiles, percent } from '../src/dashboard_tiles';

describe('percent', () => {
  it('never rounds a partial share to 0% or 100%', () => {
    expect(percent(0)).toBe('0%');
    expect(percent(0.004)).toBe('<1%');
    expect(percent(0.996)).toBe('99%');
    expect(percent(1)).toBe('100%');
    expect(percent(2 / 3)).toBe('67%');
    expect(percent(Number.NaN)).toBe('0%');
  });
});

describe('accountTiles', () => {
  const base = { users: 3, active_users: 3, active_sessions: 2, failed_logins_24h: 0, mfa_enabled_users: 2, mfa_adoption: 2 / 3 };

  it('shows the four account figures in order', () => {
    const tiles = accountTiles(base);
    expect(tiles.map((t) => t.id)).toEqual(['users', 'sessions', 'failed-logins', 'mfa']);
    expect(tiles[3].value).toBe('67%');
    expect(tiles[3].detail).toBe('2 users of 3 active with a second factor');
    expect(tiles[3].ratio).toBeCloseTo(2 / 3);
  });

  it('marks failed sign-ins and low MFA adoption', () => {
    expect(accountTiles(base)[2].tone).toBe('good');
    expect(accountTiles({ ...base, failed_logins_24h: 3 })[2].tone).toBe('warn');
    expect(accountTiles({ ...base, failed_logins_24h: 25 })[2].tone).toBe('bad');
    expect(accountTiles({ ...base, mfa_adoption: 0.2, mfa_enabled_users: 0 })[3].tone).toBe('bad');
    expect(accountTiles({ ...base, mfa_adoption: 1, mfa_enabled_users: 3 })[3].tone).toBe('good');
  });

  it('counts disabled users apart', () => {
    expect(accountTiles({ ...base, users: 5 })[0].detail).toBe('3 active, 2 disabled');
    expect(accountTiles(base)[0].detail).toBe('all active');
  });
});
