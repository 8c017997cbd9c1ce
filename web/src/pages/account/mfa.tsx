// Two-factor authentication: enrol an authenticator (QR code or secret), confirm with a first
// code, keep the recovery codes, or turn it off with password and code.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { ErrorBanner, Field, Notice, Section, useAction } from '../../components/common';
import { formatTime } from '../../format';
import { normalizeCode } from '../../login_flow';

interface MfaStatus {
  enabled: boolean;
  enrollment_pending: boolean;
  confirmed_at: string | null;
  recovery_codes_left: number;
  required_by_tenant: boolean;
}

interface Enrollment {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="recovery" aria-labelledby="recovery-title">
      <h3 id="recovery-title">Recovery codes</h3>
      <p>
        Each code signs you in once if you lose your authenticator. Store them somewhere safe now: they are not shown
        again.
      </p>
      <ul className="codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <button type="button" className="primary" onClick={onDone}>
        I have stored them
      </button>
    </div>
  );
}

export function MfaSection({ forced, onChanged }: { forced: boolean; onChanged: () => Promise<void> }) {
  const [status, setStatus] = useState<MfaStatus | null>(null);
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();

  const load = useCallback(async () => setStatus(await api<MfaStatus>('GET', '/api/auth/mfa')), []);
  useEffect(() => {
    void run(load);
  }, [load]);

  const enrol = () =>
    run(async () => {
      setEnrollment(await api<Enrollment>('POST', '/api/auth/mfa/totp/enroll', {}));
      setCode('');
    });
  const confirm = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await api<{ recovery_codes: string[] }>('POST', '/api/auth/mfa/totp/confirm', {
        code: normalizeCode(code),
      });
      setEnrollment(null);
      setCode('');
      setCodes(r.recovery_codes);
      await load();
    });
  };
  const disable = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('POST', '/api/auth/mfa/totp/disable', { password, code: normalizeCode(code) });
      setPassword('');
      setCode('');
      await load();
      await onChanged();
    });
  };
  const regenerate = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await api<{ recovery_codes: string[] }>('POST', '/api/auth/mfa/recovery-codes', {
        code: normalizeCode(code),
      });
      setCode('');
      setCodes(r.recovery_codes);
      await load();
    });
  };

  return (
    <Section title="Two-factor authentication" id="mfa">
      {forced && <Notice>Your organisation requires two-factor authentication. Set it up to continue.</Notice>}
      <ErrorBanner error={error} />
      {codes && (
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(null);
            void onChanged();
          }}
        />
      )}
      {!codes && status && !status.enabled && !enrollment && (
        <>
          <p>
            Status: <strong>off</strong>. Sign-in then needs only your password.
            {status.required_by_tenant && ' Your organisation requires a second factor.'}
          </p>
          <button type="button" className="primary" onClick={() => void enrol()} disabled={busy}>
            Set up an authenticator app
          </button>
        </>
      )}
      {!codes && enrollment && (
        <form onSubmit={confirm}>
          <p>Scan the QR code with an authenticator app (such as FreeOTP, Aegis or Google Authenticator):</p>
          <img className="qr" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrollment.qr_svg)}`}
            alt="QR code of the authenticator secret" width={200} height={200} />
          <p>
            Or enter this key by hand: <code data-testid="totp-secret">{enrollment.secret}</code>
          </p>
          <Field id="confirm-code" label="Code shown by the app" inputMode="numeric" autoComplete="one-time-code"
            required value={code} onChange={(e) => setCode(e.target.value)} />
          <button type="submit" className="primary" disabled={busy}>
            Turn on two-factor authentication
          </button>
        </form>
      )}
      {!codes && status?.enabled && (
        <>
          <p>
            Status: <strong>on</strong> since {formatTime(status.confirmed_at)}. {status.recovery_codes_left} of 10
            recovery codes left.
          </p>
          <form onSubmit={regenerate} className="inline-form" aria-label="New recovery codes">
            <Field id="regen-code" label="Current code" inputMode="numeric" autoComplete="one-time-code" required
              value={code} onChange={(e) => setCode(e.target.value)} />
            <button type="submit" disabled={busy}>
              New recovery codes
            </button>
          </form>
          <details>
            <summary>Turn off two-factor authentication</summary>
            <form onSubmit={disable}>
              <Field id="disable-password" label="Password" type="password" autoComplete="current-password" required
                value={password} onChange={(e) => setPassword(e.target.value)} />
              <Field id="disable-code" label="Code or recovery code" autoComplete="one-time-code" required value={code}
                onChange={(e) => setCode(e.target.value)} />
              <button type="submit" className="danger" disabled={busy}>
                Turn off
              </button>
            </form>
          </details>
        </>
      )}
    </Section>
  );
}
