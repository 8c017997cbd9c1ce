import { describe, expect, it } from 'vitest';
import { describeProblem, readCookie } from '../src/api';

describe('describeProblem', () => {
  it('uses the server detail as a sentence', () => {
    expect(describeProblem(409, { detail: 'multi-factor authentication is not on' })).toBe(
      'Multi-factor authentication is not on.',
    );
  });

  it('adds field errors the detail does not already say', () => {
    const text = describeProblem(422, {
      detail: 'the request has invalid fields',
      errors: [{ field: 'new_password', message: 'must be at least 12 characters' }],
    });
    expect(text).toBe('The request has invalid fields. new password: must be at least 12 characters.');
  });

  it('falls back to advice by status when there is no detail', () => {
    expect(describeProblem(401, {})).toMatch(/sign in again/i);
    expect(describeProblem(503, {})).toMatch(/database/);
    expect(describeProblem(418, {})).toBe('The request failed (HTTP 418).');
  });

  it('says when to retry a throttled request unless the detail does', () => {
    expect(describeProblem(429, {}, 30)).toBe('Too many attempts. Try again in 30 seconds.');
    expect(describeProblem(429, { detail: 'too many failed sign-in attempts; try again in 8 seconds' }, 8)).toBe(
      'Too many failed sign-in attempts; try again in 8 seconds.',
    );
  });

  it('quotes the request id of server errors for support', () => {
    expect(describeProblem(500, { request_id: 'abc123' })).toContain('(Request id abc123.)');
    expect(describeProblem(404, { request_id: 'abc123' })).not.toContain('abc123');
  });
});

describe('readCookie', () => {
  it('finds the CSRF cookie among others', () => {
    expect(readCookie('tf_csrf', 'theme=dark; tf_csrf=a%2Bb=c; x=1')).toBe('a+b=c');
    expect(readCookie('tf_csrf', 'theme=dark')).toBeUndefined();
    expect(readCookie('tf_csrf', '')).toBeUndefined();
  });
});
