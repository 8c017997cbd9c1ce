// Times and small labels as the console shows them.

/** "1 Dec 2026, 22:14 UTC" from an RFC 3339 time; "" for null. */
export function formatTime(rfc3339: string | null | undefined): string {
  if (!rfc3339) return '';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return (
    d.toLocaleString('en-GB', {
      timeZone: 'UTC',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    }) + ' UTC'
  );
}

const ACRONYMS: Record<string, string> = { mfa: 'MFA', totp: 'TOTP', api: 'API', ip: 'IP' };

/** "login_succeeded" -> "Login succeeded", "mfa_enabled" -> "MFA enabled". */
export function humanize(snake: string): string {
  const words = snake.split('_').map((w) => ACRONYMS[w] ?? w);
  const s = words.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
