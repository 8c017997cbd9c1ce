// The account's security events, newest first, a page at a time.
import { useEffect, useState } from 'react';
import { api, type Page } from '../../api';
import { ErrorBanner, Section, useAction } from '../../components/common';
import { formatTime, humanize } from '../../format';

interface EventRow {
  id: string;
  type: string;
  actor: string;
  source_ip: string;
  created_at: string;
}

export function ActivitySection() {
  const [rows, setRows] = useState<EventRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const { busy, error, run } = useAction();

  const more = (from: string | null) =>
    run(async () => {
      const page = await api<Page<EventRow>>('GET', `/api/auth/events?limit=20${from ? `&cursor=${encodeURIComponent(from)}` : ''}`);
      setRows((r) => (from ? [...r, ...page.items] : page.items));
      setCursor(page.next_cursor);
      setLoaded(true);
    });
  useEffect(() => {
    void more(null);
  }, []);

  return (
    <Section title="Recent security activity" id="activity">
      <ErrorBanner error={error} />
      {loaded && rows.length === 0 && <p className="hint">Nothing recorded yet.</p>}
      <ol className="events">
        {rows.map((e) => (
          <li key={e.id}>
            <span className="event-type">{humanize(e.type)}</span>{' '}
            <span className="hint">
              {formatTime(e.created_at)}
              {e.source_ip && ` from ${e.source_ip}`}
            </span>
          </li>
        ))}
      </ol>
      {cursor && (
        <button type="button" onClick={() => void more(cursor)} disabled={busy}>
          Show older
        </button>
      )}
    </Section>
  );
}
