-- Security events, their status history, and the detection rules that raise them.
-- Times are microseconds since the Unix epoch (UTC); ids are UUIDv7 text.
--
-- security_events: something suspicious, reported by a service (source: what reported it) or
-- raised by a detection rule (source 'detection', `rule` its name, `dedup_key` the group it
-- counted, such as "source_ip=203.0.113.9"). A rule keeps one unresolved event per key: later
-- matches raise `occurrences` and `last_seen_at` instead of raising another.
--   severity  low | medium | high | critical
--   status    open | investigating | resolved | false_positive
--   affected_resources  JSON array of {"type", "id"}; affected_users JSON array of user ids
--   metadata  JSON object; created_by user:<id>, token:<id> or system
--   reported_to / reported_at / report_reference: the authority the event was reported to
-- dialect: all
CREATE TABLE security_events (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  type TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  rule TEXT,
  dedup_key TEXT,
  description TEXT NOT NULL,
  affected_resources TEXT NOT NULL,
  affected_users TEXT NOT NULL,
  metadata TEXT NOT NULL,
  assignee TEXT,
  resolution_notes TEXT,
  occurrences BIGINT NOT NULL,
  first_seen_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  reported_to TEXT,
  reported_at BIGINT,
  report_reference TEXT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  status_changed_at BIGINT NOT NULL,
  resolved_at BIGINT
);
CREATE INDEX security_events_by_tenant ON security_events (tenant_id, id);
CREATE INDEX security_events_by_status ON security_events (tenant_id, status, id);
CREATE UNIQUE INDEX security_events_one_open_per_key ON security_events (tenant_id, rule, dedup_key)
  WHERE status IN ('open', 'investigating');

-- Every status change of an event: who, when and why. The first row of each event records its
-- creation (from_status NULL).
CREATE TABLE security_event_transitions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  event_id TEXT NOT NULL REFERENCES security_events (id),
  from_status TEXT,
  to_status TEXT NOT NULL,
  actor TEXT NOT NULL,
  note TEXT,
  at BIGINT NOT NULL
);
CREATE INDEX security_event_transitions_by_event ON security_event_transitions (event_id, id);

-- A tenant's settings of a detection rule, over the rule file's: enabled or not, and the
-- thresholds, window and severity it raises with (NULL = the rule file's). working_hours is
-- a JSON object {"timezone", "start", "end", "days"} for rules about work outside them.
CREATE TABLE security_rule_settings (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  rule TEXT NOT NULL,
  enabled INTEGER,
  threshold BIGINT,
  window_seconds BIGINT,
  severity TEXT,
  working_hours TEXT,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (tenant_id, rule)
);

-- How far detection has read the audit trail: every record below `next_leaf_index` has been
-- evaluated. One row; moved with a conditional update so two instances never both evaluate
-- a record.
CREATE TABLE security_detection_cursor (
  id INTEGER PRIMARY KEY,
  next_leaf_index BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
INSERT INTO security_detection_cursor (id, next_leaf_index, updated_at) VALUES (1, 0, 0);
