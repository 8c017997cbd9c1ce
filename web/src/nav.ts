// The console's areas in their fixed order, and which of them a user sees: an area appears only
// when a page for it exists and the user holds the permission that page needs.

export const AREAS = [
  'Dashboard',
  'Security',
  'Incidents',
  'Audit',
  'Secrets',
  'Monitoring',
  'Backups',
  'Models',
  'Compliance',
  'Account',
] as const;

export type Area = (typeof AREAS)[number];

export interface PageInfo {
  path: string;
  title: string;
  area: Area;
  /** A permission the page needs; absent = any signed-in user. */
  requires?: string;
}

export interface NavItem {
  area: Area;
  path: string;
  title: string;
}

/** One entry per area, in AREAS order, pointing at the area's first page the user may open. */
export function navItems(pages: readonly PageInfo[], permissions: readonly string[]): NavItem[] {
  const out: NavItem[] = [];
  for (const area of AREAS) {
    const page = pages.find((p) => p.area === area && (!p.requires || permissions.includes(p.requires)));
    if (page) out.push({ area, path: page.path, title: page.title });
  }
  return out;
}

/** The page for a path: exact match, else the longest registered prefix ("/account/x" -> "/account"). */
export function findPage<T extends PageInfo>(pages: readonly T[], path: string): T | undefined {
  const exact = pages.find((p) => p.path === path);
  if (exact) return exact;
  return pages
    .filter((p) => p.path !== '/' && path.startsWith(p.path + '/'))
    .sort((a, b) => b.path.length - a.path.length)[0];
}
