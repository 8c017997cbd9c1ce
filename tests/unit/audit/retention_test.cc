// Tests of audit retention on both backends: a tenant's policy prunes the details of its
// records older than the policy allows and nothing else (newer records, other tenants' and
// records without a tenant keep theirs), each batch is recorded as an audit.pruned event, the
// trail still verifies afterwards, and policies are validated, scoped to the caller's tenant
// and recorded with their value before and after.

#include "modules/audit/retention.h"

#include <map>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "core/crypto.h"
#include "core/signed_note.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/trail_verifier.h"
#include "modules/audit/tree_builder.h"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "unit/store/test_db.h"

namespace tf::audit {
namespace {

using tf::testing::Backend;
using tf::testing::TestDatabase;

using store::testing::kTenantA;
using store::testing::kTenantB;
constexpr auto kDay = std::chrono::hours(24);

Principal AdminOf(std::string tenant) {
  Principal p;
  p.user_id = "0190f000-0000-7000-8000-0000000000ff";
  p.tenant_id = std::move(tenant);
  p.permissions.set(static_cast<size_t>(Permission::kAuditManage));
  return p;
}

class RetentionTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    TF_ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(GetParam(), clock_));
    log_ = std::make_unique<AuditLog>(db_->db(), clock_, metrics_);
    retention_ = std::make_unique<RetentionService>(db_->db(), clock_, *log_, metrics_);
    TF_ASSERT_OK(db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
      for (const char* id : {kTenantA, kTenantB}) {
        TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO tenants (id, slug, name, data_region, status, created_at, updated_at) "
                                   "VALUES (?, ?, ?, 'eu', 'active', 0, 0)",
                                   {std::string(id), std::string(id).substr(30), "Tenant"})
                               .status());
      }
      const note::Verifier& v = signer_.verifier();
      return AuditRepo().InsertKeyIfAbsent(tx, {absl::StrFormat("%08x", v.key_id()), v.name(),
                                                crypto::Base64Encode(v.public_key()), v.KeyString(), 0});
    }));
  }

  void Append(const std::optional<std::string>& tenant, int n) {
    for (int i = 0; i < n; ++i) {
      AuditRecord r = log_->NewRecord("request", Actor::System());
      r.tenant_id = tenant;
      r.action = "READ";
      r.outcome = "success";
      SetDetails(r, {{"i", i}});
      TF_ASSERT_OK(log_->AppendDurable(std::move(r)));
    }
  }

  std::vector<AuditRecord> All() {
    return db_->db()
        .InTx(store::ReadTx(), [&](store::Transaction& tx) { return AuditRepo().Range(tx, 0, 1 << 20); })
        .value();
  }

  FakeClock clock_{store::testing::TestEpoch()};
  metrics::Registry metrics_;
  note::Signer signer_ = note::Signer::Generate("retention.test/log").value();
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<AuditLog> log_;
  std::unique_ptr<RetentionService> retention_;
};

TEST_P(RetentionTest, PruningTakesOnlyTheTenantsOldDetailsAndRecordsItself) {
  Append(kTenantA, 7);  // 100 days old by the time of pruning
  Append(kTenantB, 3);
  Append(std::nullopt, 2);
  clock_.Advance(60 * kDay);
  Append(kTenantA, 4);  // 40 days old
  clock_.Advance(40 * kDay);

  std::map<int64_t, std::string> hash_before;
  for (const AuditRecord& r : All()) hash_before[r.leaf_index] = r.details_sha256;
  TF_ASSERT_OK(retention_->Set(AdminOf(kTenantA), kTenantA, 90).status());
  TF_ASSERT_OK(retention_->Set(AdminOf(kTenantB), kTenantB, 3650).status());
  TF_ASSERT_OK_AND_ASSIGN(PruneResult result, retention_->Prune(AdminOf(kTenantA), kTenantA));
  EXPECT_EQ(result.pruned, 7);

  int pruned = 0, kept = 0;
  for (const AuditRecord& r : All()) {
    bool old_of_a = r.tenant_id == kTenantA && r.time < result.cutoff && r.kind == "request";
    if (old_of_a) {
      EXPECT_FALSE(r.details.has_value()) << r.leaf_index;
      EXPECT_EQ(r.pruned_at, clock_.NowMicros());
      EXPECT_EQ(r.details_sha256, hash_before.at(r.leaf_index)) << "the leaf keeps the details' hash";
      ++pruned;
    } else {
      EXPECT_TRUE(r.details.has_value()) << r.leaf_index;
      EXPECT_FALSE(r.pruned_at.has_value());
      ++kept;
    }
  }
  EXPECT_EQ(pruned, 7);
  EXPECT_GE(kept, 3 + 2 + 4);

  // The pruning is itself in the trail, naming what it pruned.
  RecordFilter events;
  events.tenant_id = kTenantA;
  events.action = "PRUNE";
  auto recorded = db_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) { return AuditRepo().List(tx, events); });
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->size(), 1u);
  nlohmann::json details = nlohmann::json::parse(*(*recorded)[0].details);
  EXPECT_EQ((*recorded)[0].event_type, "audit.pruned");
  EXPECT_EQ(details["records"], 7);
  EXPECT_EQ(details["retention_days"], 90);
  EXPECT_EQ(details["first_leaf_index"], 0);

  // A second run finds nothing left to prune; the policy remembers the last run.
  TF_ASSERT_OK_AND_ASSIGN(PruneResult again, retention_->Prune(AdminOf(kTenantA), kTenantA));
  EXPECT_EQ(again.pruned, 0);
  TF_ASSERT_OK_AND_ASSIGN(std::optional<RetentionPolicy> policy, retention_->Get(AdminOf(kTenantA), kTenantA));
  ASSERT_TRUE(policy.has_value());
  EXPECT_EQ(policy->last_pruned_count, 0);
  EXPECT_EQ(policy->last_pruned_at, clock_.NowMicros());

  // The tree built over the pruned records still verifies, checkpoints and all.
  TreeBuilder builder(db_->db(), clock_, signer_, CheckpointPolicy{"retention.test/log", 5, std::chrono::hours(1)},
                      metrics_);
  TF_ASSERT_OK(builder.Run().status());
  TF_ASSERT_OK_AND_ASSIGN(TrailReport report, TrailVerifier(db_->db(), {signer_.verifier()}).Run());
  EXPECT_TRUE(report.ok()) << report.problem->message;
  EXPECT_GT(report.checkpoints, 0);
}

TEST_P(RetentionTest, PruneAllAppliesEveryPolicyInBatches) {
  Append(kTenantB, RetentionService::kBatch + 10);
  clock_.Advance(31 * kDay);
  TF_ASSERT_OK(retention_->Set(AdminOf(kTenantB), kTenantB, 30).status());
  TF_ASSERT_OK_AND_ASSIGN(std::vector<PruneResult> results, retention_->PruneAll());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].tenant_id, kTenantB);
  EXPECT_EQ(results[0].pruned, RetentionService::kBatch + 10);
  RecordFilter events;
  events.action = "PRUNE";
  auto recorded = db_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) { return AuditRepo().List(tx, events); });
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->size(), 2u) << "one event per batch, each in its batch's transaction";
  EXPECT_TRUE(absl::StrContains(metrics_.Render(),
                                "audit_records_pruned_total " + std::to_string(RetentionService::kBatch + 10)))
      << metrics_.Render();
  EXPECT_EQ((*recorded)[0].actor_type, "system");
}

TEST_P(RetentionTest, PoliciesAreValidatedScopedAndRecorded) {
  Principal admin = AdminOf(kTenantA);
  EXPECT_EQ(retention_->Set(admin, kTenantA, 29).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(retention_->Set(admin, kTenantA, 3651).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(retention_->Set(admin, kTenantB, 365).status().code(), absl::StatusCode::kNotFound)
      << "another tenant's policy is out of reach";
  EXPECT_EQ(retention_->Get(admin, kTenantB).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(retention_->Prune(admin, kTenantA).status().code(), absl::StatusCode::kFailedPrecondition)
      << "no policy, nothing to prune by";
  EXPECT_EQ(retention_->Remove(admin, kTenantA).code(), absl::StatusCode::kNotFound);

  Principal platform;  // a platform operator: no tenant scope
  platform.user_id = "0190f000-0000-7000-8000-0000000000ee";
  EXPECT_EQ(retention_->Set(platform, "0190f000-0000-7000-8000-000000000999", 365).status().code(),
            absl::StatusCode::kNotFound);

  TF_ASSERT_OK(retention_->Set(admin, kTenantA, 400).status());
  TF_ASSERT_OK(retention_->Set(admin, kTenantA, 365).status());
  TF_ASSERT_OK(retention_->Remove(admin, kTenantA));
  TF_ASSERT_OK_AND_ASSIGN(std::optional<RetentionPolicy> gone, retention_->Get(admin, kTenantA));
  EXPECT_FALSE(gone.has_value());

  RecordFilter events;
  events.tenant_id = kTenantA;
  events.kind = "event";
  auto recorded = db_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) { return AuditRepo().List(tx, events); });
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->size(), 3u);  // newest first
  auto change = [&](size_t i) { return nlohmann::json::parse(*(*recorded)[i].details); };
  EXPECT_EQ(change(2), nlohmann::json({{"before", nullptr}, {"after", 400}}));
  EXPECT_EQ(change(1), nlohmann::json({{"before", 400}, {"after", 365}}));
  EXPECT_EQ(change(0), nlohmann::json({{"before", 365}, {"after", nullptr}}));
}

TF_INSTANTIATE_BACKENDS(RetentionTest);

}  // namespace
}  // namespace tf::audit
