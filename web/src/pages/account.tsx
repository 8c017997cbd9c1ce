// Account: the signed-in user's own security, and the tenant's policy for administrators.
import { ActivitySection } from './account/activity';
import { MfaSection } from './account/mfa';
import { PasswordSection } from './account/password';
import { PolicySection } from './account/policy';
import { DevicesSection, SessionsSection } from './account/sessions';
import { Section } from '../components/common';
import { can, pendingSetup, useSession } from '../session';

export function AccountPage() {
  const { me, refresh } = useSession();
  const pending = pendingSetup(me);
  if (pending === 'password') return <PasswordSection forced onChanged={refresh} />;
  if (pending === 'mfa') return <MfaSection forced onChanged={refresh} />;
  return (
    <>
      <h1>Account</h1>
      <Section title="Profile" id="profile">
        <dl className="profile">
          <dt>Email</dt>
          <dd>{me.email}</dd>
          <dt>Organisation</dt>
          <dd>{me.tenant.name}</dd>
          <dt>Roles</dt>
          <dd>{me.roles.join(', ')}</dd>
        </dl>
      </Section>
      <PasswordSection forced={false} onChanged={refresh} />
      <MfaSection forced={false} onChanged={refresh} />
      <SessionsSection />
      <DevicesSection />
      <ActivitySection />
      {can(me, 'security_policy.write') && <PolicySection tenantId={me.tenant.id} tenantName={me.tenant.name} />}
    </>
  );
}
