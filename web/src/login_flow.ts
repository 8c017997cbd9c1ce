// The sign-in steps as the API defines them: password, then a second factor when the user has
// one, then approval when the tenant requires it for a new device.

export type LoginStep =
  | { step: 'password' }
  | { step: 'mfa'; mfaToken: string; expiresAt: string }
  | { step: 'device'; approvalToken: string; deviceId: string; expiresAt: string }
  | { step: 'signed_in'; mustChangePassword: boolean; mfaEnrollmentRequired: boolean };

export interface LoginAnswer {
  mfa_required?: boolean;
  mfa_token?: string;
  device_approval_required?: boolean;
  approval_token?: string;
  device_id?: string;
  expires_at?: string;
  token?: string;
  mfa_enrollment_required?: boolean;
  user?: { must_change_password?: boolean };
}

/** The step after an answer of /api/auth/login, /login/mfa or /login/device. */
export function nextStep(answer: LoginAnswer): LoginStep {
  if (answer.mfa_required && answer.mfa_token) {
    return { step: 'mfa', mfaToken: answer.mfa_token, expiresAt: answer.expires_at ?? '' };
  }
  if (answer.device_approval_required && answer.approval_token) {
    return {
      step: 'device',
      approvalToken: answer.approval_token,
      deviceId: answer.device_id ?? '',
      expiresAt: answer.expires_at ?? '',
    };
  }
  if (answer.token) {
    return {
      step: 'signed_in',
      mustChangePassword: answer.user?.must_change_password ?? false,
      mfaEnrollmentRequired: answer.mfa_enrollment_required ?? false,
    };
  }
  throw new Error('The server answered the sign-in in a way this console does not understand.');
}

/** A code as typed: spaces dropped; TOTP codes are digits, recovery codes keep their dashes. */
export function normalizeCode(typed: string): string {
  return typed.replace(/\s+/g, '');
}
