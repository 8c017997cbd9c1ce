import { describe, expect, it } from 'vitest';
import { AREAS, findPage, navItems, type PageInfo } from '../src/nav';

const pages: PageInfo[] = [
  { path: '/account', title: 'Account', area: 'Account' },
  { path: '/', title: 'Trust Dashboard', area: 'Dashboard' },
  { path: '/audit', title: 'Audit trail', area: 'Audit', requires: 'audit.read' },
  { path: '/audit/verify', title: 'Verify', area: 'Audit', requires: 'audit.read' },
];

describe('navItems', () => {
  it('lists only areas that have a page, in the fixed area order', () => {
    expect(navItems(pages, ['audit.read']).map((n) => n.area)).toEqual(['Dashboard', 'Audit', 'Account']);
  });

  it('hides an area whose pages need a permission the user lacks', () => {
    expect(navItems(pages, []).map((n) => n.area)).toEqual(['Dashboard', 'Account']);
  });

  it('points an area at its first page', () => {
    expect(navItems(pages, ['audit.read']).find((n) => n.area === 'Audit')?.path).toBe('/audit');
  });

  it('knows the ten trust areas', () => {
    expect(AREAS).toHaveLength(10);
    expect(AREAS[0]).toBe('Dashboard');
    expect(AREAS[AREAS.length - 1]).toBe('Account');
  });
});

describe('findPage', () => {
  it('matches exactly, then by the longest prefix, never by the root', () => {
    expect(findPage(pages, '/audit/verify')?.title).toBe('Verify');
    expect(findPage(pages, '/audit/records/1')?.title).toBe('Audit trail');
    expect(findPage(pages, '/')?.title).toBe('Trust Dashboard');
    expect(findPage(pages, '/nowhere')).toBeUndefined();
  });
});
