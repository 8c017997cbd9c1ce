-- Access reviews: a campaign that snapshots each active user's roles in a tenant for reviewers
-- to certify or revoke; revocations apply at once (through the identity service, audited as
-- user.updated); a completed campaign is kept as evidence.
--   status  open | completed
-- dialect: all
CREATE TABLE access_reviews (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  due_at BIGINT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  completed_at BIGINT,
  completed_by TEXT
);
CREATE INDEX access_reviews_by_tenant ON access_reviews (tenant_id, id);

-- One row per user under review: `roles` as they were when the campaign opened (JSON array);
-- decision certified | revoked (NULL until decided), `revoked_roles` what was taken away.
CREATE TABLE access_review_items (
  review_id TEXT NOT NULL REFERENCES access_reviews (id),
  user_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  roles TEXT NOT NULL,
  decision TEXT,
  revoked_roles TEXT,
  note TEXT,
  decided_by TEXT,
  decided_at BIGINT,
  PRIMARY KEY (review_id, user_id)
);
