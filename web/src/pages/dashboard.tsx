// The Trust Dashboard: the figures that exist so far (unresolved security events by severity,
// active incidents and the time to resolve them, account security), refreshed by hand or every
// 30 seconds.
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api';
import { ErrorBanner, Notice } from '../components/common';
import { Tiles } from '../components/tiles';
import { accountTiles, type AccountSummary, type Tile } from '../dashboard_tiles';
import { formatTime } from '../format';
import { incidentTiles } from '../incidents';
import { eventTiles, type EventSummary } from '../security_events';
import { can, useSession } from '../session';

const AUTO_REFRESH_MS = 30_000;

export function DashboardPage() {
  const { me } = useSession();
  const accounts = can(me, 'users.read');
  const events = can(me, 'security.read');
  const allowed = accounts || events;
  const [tiles, setTiles] = useState<Tile[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [updated, setUpdated] = useState<string>('');
  const [auto, setAuto] = useState(true);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async () => {
    if (!allowed) return;
    setLoading(true);
    try {
      const [summary, open, incidents] = await Promise.all([
        accounts ? api<AccountSummary>('GET', '/api/auth/summary') : null,
        events ? api<EventSummary>('GET', '/api/security/events/summary') : null,
        events ? api<Parameters<typeof incidentTiles>[0]>('GET', '/api/security/incidents/metrics') : null,
      ]);
      setTiles([
        ...(open ? eventTiles(open) : []),
        ...(incidents ? incidentTiles(incidents) : []),
        ...(summary ? accountTiles(summary) : []),
      ]);
      setError(null);
      setUpdated(new Date().toISOString());
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, [allowed, accounts, events]);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!auto || !allowed) return;
    const timer = window.setInterval(() => void load(), AUTO_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [auto, allowed, load]);

  return (
    <>
      <div className="page-head">
        <h1>Trust Dashboard</h1>
        {allowed && (
          <div className="toolbar">
            <button type="button" onClick={() => void load()} disabled={loading}>
              {loading ? 'Refreshing…' : 'Refresh'}
            </button>
            <label className="inline">
              <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> Auto-refresh every 30 s
            </label>
            {updated && <span className="hint" aria-live="polite">Updated {formatTime(updated)}</span>}
          </div>
        )}
      </div>
      {!allowed && (
        <Notice>
          The tenant's security figures need the users.read or security.read permission, which your role does not
          include. Your own
          sessions, devices and sign-in history are under Account.
        </Notice>
      )}
      <ErrorBanner error={error} />
      {allowed && !tiles && !error && <p className="hint">Loading…</p>}
      {tiles && (
        <Tiles tiles={tiles} label="Security figures" busy={loading} />
      )}
    </>
  );
}
