// The tenant's sign-in rules, for administrators with security_policy.write.
import { useEffect, useState } from 'react';
import { api } from '../../api';
import { ErrorBanner, Notice, Section, useAction } from '../../components/common';

interface Policy {
  require_mfa: boolean;
  require_device_approval: boolean;
}

export function PolicySection({ tenantId, tenantName }: { tenantId: string; tenantName: string }) {
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const path = `/api/tenants/${tenantId}/security-policy`;
  useEffect(() => {
    void run(async () => setPolicy(await api<Policy>('GET', path)));
  }, [path]);

  const change = (patch: Partial<Policy>) =>
    run(async () => {
      setPolicy(await api<Policy>('PATCH', path, patch));
      setSaved(true);
    });

  return (
    <Section title={`Sign-in policy of ${tenantName}`} id="policy">
      <ErrorBanner error={error} />
      {saved && <Notice>Policy saved; it applies from the next request.</Notice>}
      {policy && (
        <fieldset disabled={busy}>
          <legend className="visually-hidden">Sign-in requirements</legend>
          <label className="inline">
            <input type="checkbox" checked={policy.require_mfa}
              onChange={(e) => void change({ require_mfa: e.target.checked })} /> Require two-factor
            authentication (users without it can only set it up)
          </label>
          <label className="inline">
            <input type="checkbox" checked={policy.require_device_approval}
              onChange={(e) => void change({ require_device_approval: e.target.checked })} /> Require approval of new
            devices
          </label>
        </fieldset>
      )}
    </Section>
  );
}
