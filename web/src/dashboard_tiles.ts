// The Trust Dashboard's tiles from GET /api/auth/summary. Later areas add their own tile
// builders here; each tile is a figure, a line of context and a tone.

export interface AccountSummary {
  users: number;
  active_users: number;
  active_sessions: number;
  failed_logins_24h: number;
  mfa_enabled_users: number;
  mfa_adoption: number;
}

export type Tone = 'good' | 'neutral' | 'warn' | 'bad';

export interface Tile {
  id: string;
  label: string;
  value: string;
  detail: string;
  tone: Tone;
  /** 0..1 when the tile shows a proportion as a bar. */
  ratio?: number;
}

export function percent(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return '0%';
  if (ratio >= 1) return '100%';
  const p = ratio * 100;
  return p < 1 ? '<1%' : p > 99 ? `${Math.floor(p)}%` : `${Math.round(p)}%`;
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
}

export function accountTiles(s: AccountSummary): Tile[] {
  const inactive = s.users - s.active_users;
  return [
    {
      id: 'users',
      label: 'Users',
      value: s.users.toLocaleString('en-GB'),
      detail: inactive > 0 ? `${plural(s.active_users, 'active', 'active')}, ${inactive} disabled` : 'all active',
      tone: 'neutral',
    },
    {
      id: 'sessions',
      label: 'Active sessions',
      value: s.active_sessions.toLocaleString('en-GB'),
      detail: 'signed in and seen within the idle timeout',
      tone: 'neutral',
    },
    {
      id: 'failed-logins',
      label: 'Failed sign-ins (24 h)',
      value: s.failed_logins_24h.toLocaleString('en-GB'),
      detail: s.failed_logins_24h === 0 ? 'none in the last 24 hours' : 'wrong passwords, locked or disabled accounts',
      tone: s.failed_logins_24h === 0 ? 'good' : s.failed_logins_24h >= 20 ? 'bad' : 'warn',
    },
    {
      id: 'mfa',
      label: 'MFA adoption',
      value: percent(s.mfa_adoption),
      detail: `${plural(s.mfa_enabled_users, 'user', 'users')} of ${s.active_users} active with a second factor`,
      tone: s.mfa_adoption >= 1 ? 'good' : s.mfa_adoption >= 0.5 ? 'warn' : 'bad',
      ratio: Math.max(0, Math.min(1, s.mfa_adoption)),
    },
  ];
}
