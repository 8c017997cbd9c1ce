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

/** GET /api/security/encryption-status, the parts the Security Center shows. */
export interface EncryptionStatus {
  at_rest: {
    columns: { table: string; column: string; holds: string; values: number; by_key_version: Record<string, number> }[];
    data_keys: { latest_version: number | null; versions: { version: number; age_days: number; retired: boolean }[] };
    personal_data: {
      columns: { table: string; column: string; holds: string; values: number; sealed: number }[];
      people_with_keys: number;
      people_erased: number;
    };
  };
  in_transit: { tls: boolean; certificate: { days_left?: number; expired?: boolean; error?: string } | null };
  key_management: {
    provider: string;
    kek_latest_version: number;
    kek_versions: { version: number; age_days: number; retired: boolean }[];
    rewrap: { data_keys: number; under_latest_kek: number; progress: number };
  };
}

/** Keys older than this are due for rotation (NIST SP 800-57's one-year cryptoperiod). */
export const KEY_ROTATION_DAYS = 365;
/** A TLS certificate expiring within this many days needs renewing. */
export const CERTIFICATE_WARN_DAYS = 30;

function ageTone(days: number | undefined): Tone {
  if (days === undefined) return 'bad';
  return days > KEY_ROTATION_DAYS ? 'warn' : 'good';
}

/** People's data sealed under each person's own key, and how many people were erased. */
function personalDataTile(p: EncryptionStatus['at_rest']['personal_data']): Tile {
  const sealed = p.columns.reduce((n, c) => n + c.sealed, 0);
  return {
    id: 'personal-data',
    label: 'Personal data',
    value: plural(sealed, 'value', 'values'),
    detail: `sealed under ${plural(p.people_with_keys, "person's key", "people's keys")}; ${plural(p.people_erased, 'person', 'people')} erased`,
    tone: 'good',
  };
}

export function encryptionTiles(s: EncryptionStatus): Tile[] {
  const values = s.at_rest.columns.reduce((n, c) => n + c.values, 0);
  const dek = s.at_rest.data_keys.versions.find((v) => v.version === s.at_rest.data_keys.latest_version);
  const kek = s.key_management.kek_versions.find((v) => v.version === s.key_management.kek_latest_version);
  const cert = s.in_transit.certificate;
  const { rewrap } = s.key_management;
  let transit: Tile;
  if (!s.in_transit.tls) {
    transit = { id: 'in-transit', label: 'In transit', value: 'TLS off', detail: 'trustd serves plain HTTP: terminate TLS in front of it', tone: 'warn' };
  } else if (!cert || cert.error || cert.days_left === undefined) {
    transit = { id: 'in-transit', label: 'In transit', value: 'TLS on', detail: cert?.error ?? 'certificate unreadable', tone: 'bad' };
  } else {
    transit = {
      id: 'in-transit',
      label: 'In transit',
      value: 'TLS on',
      detail: cert.expired ? 'the certificate has expired' : `certificate expires in ${plural(cert.days_left, 'day', 'days')}`,
      tone: cert.expired ? 'bad' : cert.days_left < CERTIFICATE_WARN_DAYS ? 'warn' : 'good',
    };
  }
  return [
    {
      id: 'at-rest',
      label: 'Encrypted at rest',
      value: plural(values, 'value', 'values'),
      detail: `in ${plural(s.at_rest.columns.length, 'column', 'columns')}, XChaCha20-Poly1305`,
      tone: 'good',
    },
    {
      id: 'data-key',
      label: 'Data key',
      value: dek ? `v${dek.version}` : 'none yet',
      detail: dek ? `${plural(dek.age_days, 'day', 'days')} old` : 'made when the first value is encrypted',
      tone: dek ? ageTone(dek.age_days) : 'neutral',
    },
    {
      id: 'kek',
      label: `Key-encryption key (${s.key_management.provider})`,
      value: `v${s.key_management.kek_latest_version}`,
      detail: `${kek ? plural(kek.age_days, 'day', 'days') + ' old; ' : ''}${rewrap.under_latest_kek} of ${rewrap.data_keys} data keys under it`,
      tone: rewrap.progress < 1 ? 'warn' : ageTone(kek?.age_days),
      ratio: Math.max(0, Math.min(1, rewrap.progress)),
    },
    transit,
    personalDataTile(s.at_rest.personal_data),
  ];
}

/** A secret as GET /api/secrets and the due list answer it. */
export interface SecretInfo {
  id: string;
  name: string;
  type: string;
  managed: boolean;
  generated: boolean;
  owner: string | null;
  current_version: number;
  next_rotation_at: string;
  days_until_due: number;
  rotation_state: 'ok' | 'due' | 'overdue';
  last_rotated_at: string | null;
}

export function rotationTiles(due: SecretInfo[]): Tile[] {
  const overdue = due.filter((s) => s.rotation_state === 'overdue').length;
  const soon = due.filter((s) => s.rotation_state === 'due').length;
  return [
    {
      id: 'overdue',
      label: 'Overdue rotations',
      value: overdue.toLocaleString('en-GB'),
      detail: overdue === 0 ? 'every secret is within its policy' : 'past their rotation date: rotate them now',
      tone: overdue === 0 ? 'good' : 'bad',
    },
    {
      id: 'due',
      label: 'Due within 7 days',
      value: soon.toLocaleString('en-GB'),
      detail: soon === 0 ? 'nothing due this week' : 'reminders raised for their owners',
      tone: soon === 0 ? 'good' : 'warn',
    },
  ];
}

/** "in 3 days", "today", "2 days ago". */
export function dueIn(days: number): string {
  if (days === 0) return 'today';
  return days > 0 ? `in ${plural(days, 'day', 'days')}` : `${plural(-days, 'day', 'days')} ago`;
}
