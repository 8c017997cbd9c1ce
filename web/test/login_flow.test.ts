import { describe, expect, it } from 'vitest';
import { nextStep, normalizeCode } from '../src/login_flow';

describe('nextStep', () => {
  it('asks for the second factor when the password answer says so', () => {
    expect(nextStep({ mfa_required: true, mfa_token: 'tfc_x', expires_at: '2026-12-01T10:00:00Z' })).toEqual({
      step: 'mfa',
      mfaToken: 'tfc_x',
      expiresAt: '2026-12-01T10:00:00Z',
    });
  });

  it('waits for device approval after the second factor', () => {
    expect(nextStep({ device_approval_required: true, approval_token: 'tfc_y', device_id: 'd1' })).toEqual({
      step: 'device',
      approvalToken: 'tfc_y',
      deviceId: 'd1',
      expiresAt: '',
    });
  });

  it('is signed in once a session token arrives, carrying what must be set up', () => {
    expect(
      nextStep({ token: 'tfs_z', mfa_enrollment_required: true, user: { must_change_password: false } }),
    ).toEqual({ step: 'signed_in', mustChangePassword: false, mfaEnrollmentRequired: true });
  });

  it('refuses an answer it cannot place rather than guessing', () => {
    expect(() => nextStep({ mfa_required: true })).toThrow(/does not understand/);
    expect(() => nextStep({})).toThrow();
  });
});

describe('normalizeCode', () => {
  it('drops spaces people type or paste', () => {
    expect(normalizeCode(' 123 456 ')).toBe('123456');
    expect(normalizeCode('ABCD-EFGH IJKL-MNOP')).toBe('ABCD-EFGHIJKL-MNOP');
  });
});
