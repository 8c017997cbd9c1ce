-- Security incidents: their lifecycle, timeline, linked security events, postmortems and the
-- GDPR Art. 33 clock of personal-data breaches. Times are microseconds since the Unix epoch
-- (UTC); ids are UUIDv7 text.
--
-- security_incidents: one row per incident.
--   severity  SEV1 | SEV2 | SEV3 | SEV4
--   status    triage | investigating | identified | monitoring | resolved | closed
--   impact_started_at  when the impact began (told, or unknown)
--   detected_at        when it was detected (told, or the declaration)
--   acknowledged_at    the first move out of triage, or the first commander, whichever first
--   investigating_at .. closed_at: when the incident last entered each status
--   commander, participants (JSON array): user ids of the tenant
--   breach: 1 when it is a personal-data breach; breach_aware_at starts the 72-hour
--   authority-notification clock; breach_report is a JSON object of the notification's content
--   (nature, data subjects, records, consequences, measures, contact); authority_notified_at,
--   authority, authority_reference and late_reason record the notification.
-- dialect: all
CREATE TABLE security_incidents (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  title TEXT NOT NULL,
  summary TEXT,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  commander TEXT,
  participants TEXT NOT NULL,
  impact_started_at BIGINT,
  detected_at BIGINT NOT NULL,
  acknowledged_at BIGINT,
  investigating_at BIGINT,
  identified_at BIGINT,
  monitoring_at BIGINT,
  resolved_at BIGINT,
  closed_at BIGINT,
  breach INTEGER NOT NULL,
  breach_aware_at BIGINT,
  breach_report TEXT,
  authority_notified_at BIGINT,
  authority TEXT,
  authority_reference TEXT,
  late_reason TEXT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX security_incidents_by_tenant ON security_incidents (tenant_id, id);
CREATE INDEX security_incidents_by_detected ON security_incidents (tenant_id, detected_at);

-- The timeline: every status change, assignment, link and note, automatic (kind status,
-- severity, commander, participant, link, breach, notification, postmortem) or by hand (note).
-- `at` is when it happened (a note may be about an earlier moment); `recorded_at` when it was
-- written; `seq` its place among the incident's entries as written, which orders entries of
-- the same moment.
CREATE TABLE security_incident_timeline (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  incident_id TEXT NOT NULL REFERENCES security_incidents (id),
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  actor TEXT NOT NULL,
  at BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  UNIQUE (incident_id, seq)
);

-- Security events linked to an incident.
CREATE TABLE security_incident_events (
  incident_id TEXT NOT NULL REFERENCES security_incidents (id),
  event_id TEXT NOT NULL REFERENCES security_events (id),
  tenant_id TEXT NOT NULL,
  linked_at BIGINT NOT NULL,
  linked_by TEXT NOT NULL,
  PRIMARY KEY (incident_id, event_id)
);

-- One postmortem per incident: a JSON document (summary, impact, root_cause,
-- contributing_factors, timeline, went_well, went_wrong, action_items).
CREATE TABLE security_postmortems (
  incident_id TEXT PRIMARY KEY REFERENCES security_incidents (id),
  tenant_id TEXT NOT NULL,
  document TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);
