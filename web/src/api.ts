// The console's one way to call trustd: JSON in and out, the session cookie sent by the
// browser, the CSRF header on every state change, and RFC 9457 problems turned into messages a
// person can act on.

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
  request_id?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem, retryAfter?: number) {
    super(describeProblem(status, problem, retryAfter));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

const STATUS_TEXT: Record<number, string> = {
  401: 'You are not signed in, or your session has ended. Sign in again.',
  403: 'Your role does not allow this.',
  404: 'It was not found; it may have been removed.',
  409: 'That conflicts with the current state; reload and try again.',
  413: 'That is too large.',
  429: 'Too many attempts.',
  500: 'Trust Fabric hit an internal error. The request id below helps support find it.',
  503: 'Trust Fabric cannot reach its database right now. Try again shortly.',
};

/** A sentence for the user: the server's detail, its field errors, and what to do next. */
export function describeProblem(status: number, problem: Problem, retryAfter?: number): string {
  const parts: string[] = [];
  const detail = problem.detail?.trim();
  if (detail) {
    parts.push(detail.charAt(0).toUpperCase() + detail.slice(1) + (/[.!?]$/.test(detail) ? '' : '.'));
  } else {
    parts.push(STATUS_TEXT[status] ?? `The request failed (HTTP ${status}).`);
  }
  for (const e of problem.errors ?? []) {
    if (!detail || !detail.includes(e.message)) parts.push(`${e.field.replace(/_/g, ' ')}: ${e.message}.`);
  }
  if (status === 429 && retryAfter && retryAfter > 0 && !(detail ?? '').includes('second')) {
    parts.push(`Try again in ${retryAfter} seconds.`);
  }
  if (status >= 500 && problem.request_id) parts.push(`(Request id ${problem.request_id}.)`);
  return parts.join(' ');
}

/** The value of a cookie readable by scripts (only tf_csrf is). */
export function readCookie(name: string, cookies: string = document.cookie): string | undefined {
  for (const part of cookies.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = readCookie('tf_csrf');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, { detail: 'Cannot reach Trust Fabric. Check the network connection and try again' });
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const retry = Number(response.headers.get('Retry-After') ?? '') || undefined;
    throw new ApiError(response.status, (parsed as Problem) ?? {}, retry);
  }
  return parsed as T;
}

/** A page of a list answer. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
