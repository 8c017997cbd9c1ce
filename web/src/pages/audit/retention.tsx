// The tenant's audit retention: how long records keep their details. Everyone with audit.read
// sees it; administrators with audit.manage change it, remove it and prune by it now.
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { ErrorBanner, Field, Notice, Section, useAction } from '../../components/common';
import { formatTime } from '../../format';

interface Retention {
  retention_days: number | null;
  updated_at: string | null;
  last_pruned_at: string | null;
  last_pruned_count: number;
  min_days: number;
  max_days: number;
}

/** What the policy means, in a sentence. */
export function retentionSummary(r: Retention): string {
  if (r.retention_days === null) return 'Records keep their details forever.';
  const pruned = r.last_pruned_at
    ? ` Last pruned ${formatTime(r.last_pruned_at)} (${r.last_pruned_count} records).`
    : ' Not pruned yet.';
  return `Records keep their details for ${r.retention_days} days; older details are pruned every hour, and their proofs still verify.${pruned}`;
}

export function RetentionSection({ tenantId, canManage }: { tenantId: string; canManage: boolean }) {
  const [policy, setPolicy] = useState<Retention | null>(null);
  const [days, setDays] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const path = `/api/tenants/${tenantId}/audit-retention`;
  const load = async () => {
    const p = await api<Retention>('GET', path);
    setPolicy(p);
    setDays(p.retention_days === null ? '' : String(p.retention_days));
  };
  useEffect(() => {
    void run(load);
  }, [path]);

  const save = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('PUT', path, { retention_days: Number(days) });
      await load();
      setNotice(`Retention set to ${days} days.`);
    });
  };
  const remove = () =>
    run(async () => {
      await api('DELETE', path);
      await load();
      setNotice('Details are kept forever again.');
    });
  const prune = () =>
    run(async () => {
      const r = await api<{ pruned: number }>('POST', `${path}/prune`);
      await load();
      setNotice(`Pruned the details of ${r.pruned} records.`);
    });

  return (
    <Section title="Retention" id="audit-retention">
      <ErrorBanner error={error} />
      {notice && <Notice>{notice}</Notice>}
      {policy && <p>{retentionSummary(policy)}</p>}
      {policy && canManage && (
        <form className="filters" onSubmit={save} aria-label="Audit retention">
          <Field id="retention-days" label="Keep details for (days)" type="number" min={policy.min_days}
            max={policy.max_days} required value={days} hint={`${policy.min_days} to ${policy.max_days}`}
            onChange={(e) => setDays(e.target.value)} />
          <div className="row-actions">
            <button type="submit" className="primary" disabled={busy}>Save retention</button>
            {policy.retention_days !== null && (
              <>
                <button type="button" onClick={() => void prune()} disabled={busy}>Prune now</button>
                <button type="button" onClick={() => void remove()} disabled={busy}>Keep forever</button>
              </>
            )}
          </div>
        </form>
      )}
    </Section>
  );
}
