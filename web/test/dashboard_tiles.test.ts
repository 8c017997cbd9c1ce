import { describe, expect, it } from 'vitest';
import { accountTiles, dueIn, encryptionTiles, percent, rotationTiles } from '../src/dashboard_tiles';

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

describe('encryptionTiles', () => {
  const base = {
    at_rest: {
      columns: [{ table: 'secret_versions', column: 'value', holds: "managed secrets' values", values: 3, by_key_version: { v1: 3 } }],
      data_keys: { latest_version: 2, versions: [{ version: 1, age_days: 400, retired: false }, { version: 2, age_days: 10, retired: false }] },
      personal_data: {
        columns: [
          { table: 'users', column: 'email', holds: "users' email addresses", values: 3, sealed: 2 },
          { table: 'users', column: 'display_name', holds: "users' names", values: 3, sealed: 2 },
        ],
        people_with_keys: 2,
        people_erased: 1,
      },
    },
    in_transit: { tls: true, certificate: { days_left: 60, expired: false } },
    key_management: {
      provider: 'local',
      kek_latest_version: 1,
      kek_versions: [{ version: 1, age_days: 20, retired: false }],
      rewrap: { data_keys: 4, under_latest_kek: 4, progress: 1 },
    },
  };

  it('shows values at rest, the current keys, TLS and people\'s data', () => {
    const tiles = encryptionTiles(base);
    expect(tiles.map((t) => t.id)).toEqual(['at-rest', 'data-key', 'kek', 'in-transit', 'personal-data']);
    expect(tiles[0].value).toBe('3 values');
    expect(tiles[1].value).toBe('v2');
    expect(tiles[1].tone).toBe('good');
    expect(tiles[2].detail).toBe('20 days old; 4 of 4 data keys under it');
    expect(tiles[3].tone).toBe('good');
  });

  it('warns of an unfinished rewrap, old keys, plain HTTP and a certificate near expiry', () => {
    const rewrapping = encryptionTiles({ ...base, key_management: { ...base.key_management, rewrap: { data_keys: 4, under_latest_kek: 1, progress: 0.25 } } });
    expect(rewrapping[2].tone).toBe('warn');
    expect(rewrapping[2].ratio).toBe(0.25);
    const old = encryptionTiles({ ...base, at_rest: { ...base.at_rest, data_keys: { ...base.at_rest.data_keys, latest_version: 1 } } });
    expect(old[1].tone).toBe('warn');
    expect(encryptionTiles({ ...base, in_transit: { tls: false, certificate: null } })[3].value).toBe('TLS off');
    expect(encryptionTiles({ ...base, in_transit: { tls: true, certificate: { days_left: 5, expired: false } } })[3].tone).toBe('warn');
    expect(encryptionTiles({ ...base, in_transit: { tls: true, certificate: { days_left: -2, expired: true } } })[3].tone).toBe('bad');
    const personal = encryptionTiles(base)[4];
    expect(personal.value).toBe('4 values');
    expect(personal.detail).toBe("sealed under 2 people's keys; 1 person erased");
  });
});

describe('rotationTiles and dueIn', () => {
  const secret = (state: 'ok' | 'due' | 'overdue') => ({
    id: state, name: state, type: 'API_KEY', managed: true, generated: true, owner: null, current_version: 1,
    next_rotation_at: '2026-12-01T00:00:00Z', days_until_due: 0, rotation_state: state, last_rotated_at: null,
  });

  it('counts what is overdue and what is due', () => {
    const tiles = rotationTiles([secret('overdue'), secret('due'), secret('due')]);
    expect(tiles[0].value).toBe('1');
    expect(tiles[0].tone).toBe('bad');
    expect(tiles[1].value).toBe('2');
    expect(tiles[1].tone).toBe('warn');
    expect(rotationTiles([]).map((t) => t.tone)).toEqual(['good', 'good']);
  });

  it('says when a rotation falls', () => {
    expect(dueIn(0)).toBe('today');
    expect(dueIn(1)).toBe('in 1 day');
    expect(dueIn(-3)).toBe('3 days ago');
  });
});
