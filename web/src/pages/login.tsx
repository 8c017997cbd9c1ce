// Sign-in: password, then the second factor, then device approval, as the tenant requires.
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { ErrorBanner, Field, Notice, useAction } from '../components/common';
import { formatTime } from '../format';
import { nextStep, normalizeCode, type LoginAnswer, type LoginStep } from '../login_flow';
import { Link } from '../router';

export function LoginPage({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const [step, setStep] = useState<LoginStep>({ step: 'password' });
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction();

  const advance = async (answer: LoginAnswer) => {
    const next = nextStep(answer);
    setCode('');
    if (next.step === 'signed_in') await onSignedIn();
    else setStep(next);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      if (step.step === 'password') {
        await advance(await api<LoginAnswer>('POST', '/api/auth/login', { email, password }));
        setPassword('');
      } else if (step.step === 'mfa') {
        await advance(
          await api<LoginAnswer>('POST', '/api/auth/login/mfa', { mfa_token: step.mfaToken, code: normalizeCode(code) }),
        );
      } else if (step.step === 'device') {
        const body: Record<string, string> = { approval_token: step.approvalToken };
        if (code.trim()) body.code = normalizeCode(code);
        await advance(await api<LoginAnswer>('POST', '/api/auth/login/device', body));
      }
    });
  };

  return (
    <main className="login" id="main">
      <div className="login-card card">
        <h1>Trust Fabric</h1>
        <p className="hint">Sign in to the trust console of your firm.</p>
        <ErrorBanner error={error} />
        <form onSubmit={submit} noValidate>
          {step.step === 'password' && (
            <>
              <Field id="email" label="Email" type="email" autoComplete="username" required value={email}
                onChange={(e) => setEmail(e.target.value)} autoFocus />
              <Field id="password" label="Password" type="password" autoComplete="current-password" required
                value={password} onChange={(e) => setPassword(e.target.value)} />
              <button type="submit" className="primary" disabled={busy}>
                {busy ? 'Signing in…' : 'Sign in'}
              </button>
            </>
          )}
          {step.step === 'mfa' && (
            <>
              <Notice>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</Notice>
              <Field id="code" label="Authentication code" inputMode="text" autoComplete="one-time-code" required
                value={code} onChange={(e) => setCode(e.target.value)} autoFocus
                hint={step.expiresAt ? `This sign-in expires at ${formatTime(step.expiresAt)}.` : undefined} />
              <button type="submit" className="primary" disabled={busy}>
                {busy ? 'Checking…' : 'Verify'}
              </button>
            </>
          )}
          {step.step === 'device' && (
            <>
              <Notice>
                Your organisation approves new devices before they are used. Open Trust Fabric where you are
                already signed in: Account, Devices shows an approval code for this device. Enter it here, or
                ask an administrator to approve the device and then choose “Continue”.
              </Notice>
              <Field id="code" label="Approval code" inputMode="numeric" autoComplete="one-time-code" value={code}
                onChange={(e) => setCode(e.target.value)} autoFocus
                hint={step.expiresAt ? `Waiting until ${formatTime(step.expiresAt)}.` : undefined} />
              <button type="submit" className="primary" disabled={busy}>
                {busy ? 'Checking…' : 'Continue'}
              </button>
            </>
          )}
        </form>
        {step.step !== 'password' && (
          <p>
            <button type="button" className="link" onClick={() => setStep({ step: 'password' })}>
              Start again
            </button>
          </p>
        )}
        <p className="hint">
          By signing in you accept the <Link to="/terms">Terms of Service</Link>.
        </p>
      </div>
    </main>
  );
}
