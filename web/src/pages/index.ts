// THE list of the console's signed-in pages. A new page is one entry here: its path, title,
// area (the navigation shows an area once it has a page) and the permission it needs.
import type { ComponentType } from 'react';
import type { PageInfo } from '../nav';
import { AccessPage } from './access';
import { AccountPage } from './account';
import { AuditPage } from './audit';
import { DashboardPage } from './dashboard';
import { IncidentsPage } from './incidents';
import { SecurityPage } from './security';
import { SecurityEventsPage } from './security_events';

export interface PageDef extends PageInfo {
  component: ComponentType;
}

export const PAGES: readonly PageDef[] = [
  { path: '/', title: 'Trust Dashboard', area: 'Dashboard', component: DashboardPage },
  {
    path: '/security/events',
    title: 'Security events',
    area: 'Security',
    requires: 'security.read',
    component: SecurityEventsPage,
  },
  { path: '/security/access', title: 'Access requests', area: 'Security', component: AccessPage },
  { path: '/incidents', title: 'Incidents', area: 'Incidents', requires: 'security.read', component: IncidentsPage },
  { path: '/security', title: 'Security Center', area: 'Secrets', requires: 'secrets.read', component: SecurityPage },
  { path: '/audit', title: 'Audit trail', area: 'Audit', requires: 'audit.read', component: AuditPage },
  { path: '/account', title: 'Account', area: 'Account', component: AccountPage },
];
