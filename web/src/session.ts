// Who is signed in, as GET /api/auth/me describes them.
import { createContext, useContext } from 'react';

export interface Me {
  id: string;
  email: string;
  display_name: string;
  tenant_id: string;
  tenant: { id: string; slug: string; name: string };
  roles: string[];
  permissions: string[];
  must_change_password: boolean;
  mfa_enabled: boolean;
  mfa_enrollment_required: boolean;
  authenticated_by: 'session' | 'api_token';
}

export interface SessionState {
  me: Me;
  /** Reads /api/auth/me again (after a password change or MFA enrolment). */
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in layout');
  return s;
}

export function can(me: Me, permission: string): boolean {
  return me.permissions.includes(permission);
}

/** What the user must do before anything else, if anything. */
export function pendingSetup(me: Me): 'password' | 'mfa' | null {
  if (me.must_change_password) return 'password';
  if (me.mfa_enrollment_required) return 'mfa';
  return null;
}
