// Password change: the current password is required; other sessions end.
import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { ErrorBanner, Field, Notice, Section, useAction } from '../../components/common';

export function PasswordSection({ forced, onChanged }: { forced: boolean; onChanged: () => Promise<void> }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, run, setError } = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (next !== repeat) {
      setError(new Error('The new passwords do not match.'));
      return;
    }
    void run(async () => {
      await api('POST', '/api/auth/password', { current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
      await onChanged();
    });
  };

  return (
    <Section title="Password" id="password">
      {forced && <Notice>Choose a new password before you continue: the current one was issued for one use.</Notice>}
      {done && <Notice>Password changed. Your other sessions were signed out.</Notice>}
      <ErrorBanner error={error} />
      <form onSubmit={submit}>
        <Field id="current-password" label="Current password" type="password" autoComplete="current-password"
          required value={current} onChange={(e) => setCurrent(e.target.value)} />
        <Field id="new-password" label="New password" type="password" autoComplete="new-password" required
          value={next} onChange={(e) => setNext(e.target.value)}
          hint="12 to 128 characters; not a common password, and not built from your email." />
        <Field id="repeat-password" label="Repeat the new password" type="password" autoComplete="new-password"
          required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </Section>
  );
}
