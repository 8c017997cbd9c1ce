// Migration 0016 on a trail written before it, on both backends: records that hold their
// details' hash beside the details and their leaf hash as hex (PostgreSQL converts it to bytea,
// SQLite keeps the text) are built into the tree, verify, and keep their hash when pruned.

#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "core/crypto.h"
#include "core/signed_note.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/audit_repo.h"
#include "modules/audit/trail_verifier.h"
#include "modules/audit/tree_builder.h"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "unit/store/test_db.h"

namespace tf::audit {
namespace {

using tf::testing::Backend;
using tf::testing::TestDatabase;

class CompactRowsMigrationTest : public ::testing::TestWithParam<Backend> {};

TEST_P(CompactRowsMigrationTest, ATrailWrittenBeforeItBuildsVerifiesAndPrunes) {
  FakeClock clock(store::testing::TestEpoch());
  auto all = store::BuiltinMigrations();
  auto compact = std::find_if(all.begin(), all.end(), [](const store::Migration& m) { return m.version == 16; });
  ASSERT_NE(compact, all.end());
  auto before = all.first(static_cast<size_t>(compact - all.begin()));
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestDatabase> db, TestDatabase::Create(GetParam(), clock, before));

  // Twenty records as the earlier schema held them.
  std::vector<AuditRecord> written;
  TF_ASSERT_OK(db->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
    for (int i = 0; i < 20; ++i) {
      AuditRecord r;
      r.leaf_index = i;
      r.id = absl::StrFormat("0190f000-0000-7000-8000-%012d", i);
      r.tenant_id = std::string(store::testing::kTenantA);
      r.time = clock.NowMicros() + i;
      r.kind = "request";
      r.actor_type = "system";
      r.action = "READ";
      r.outcome = "success";
      r.path = "/api/things/" + std::to_string(i);
      SetDetails(r, {{"i", i}});
      TF_RETURN_IF_ERROR(SetLeafHash(r));
      TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO audit_records (leaf_index, id, tenant_id, time, kind, actor_type, "
                                 "action, path, outcome, details, details_sha256, leaf_hash) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 {r.leaf_index, r.id, *r.tenant_id, r.time, r.kind, r.actor_type, r.action, *r.path,
                                  r.outcome, *r.details, r.details_sha256, merkle::ToHex(*r.leaf_hash)})
                             .status());
      written.push_back(r);
    }
    return absl::OkStatus();
  }));
  TF_ASSERT_OK(store::ApplyMigrations(db->owner_db(), clock, all).status());

  note::Signer signer = note::Signer::Generate("migrate.test/log").value();
  const note::Verifier& v = signer.verifier();
  TF_ASSERT_OK(db->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return AuditRepo().InsertKeyIfAbsent(
        tx, {absl::StrFormat("%08x", v.key_id()), v.name(), crypto::Base64Encode(v.public_key()), v.KeyString(), 0});
  }));
  metrics::Registry metrics;
  TreeBuilder builder(db->owner_db(), clock, signer, CheckpointPolicy{"migrate.test/log", 10, std::chrono::hours(1)},
                      metrics);
  TF_ASSERT_OK_AND_ASSIGN(BuildResult built, builder.Run());
  EXPECT_EQ(built.tree_size, 20);
  auto verify = [&] { return TrailVerifier(db->owner_db(), {v}).Run(); };
  TF_ASSERT_OK_AND_ASSIGN(TrailReport report, verify());
  EXPECT_TRUE(report.ok()) << report.problem->message;

  // Pruning keeps each record's hash as it was stored, and the trail still verifies.
  TF_ASSERT_OK_AND_ASSIGN(PrunedRange pruned, db->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return AuditRepo().PruneBatch(tx, std::string(store::testing::kTenantA), clock.NowMicros() + 10,
                                  clock.NowMicros(), 100);
  }));
  EXPECT_EQ(pruned.count, 10);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<AuditRecord> read,
                          db->owner_db().InTx(store::ReadTx(),
                                              [&](store::Transaction& tx) { return AuditRepo().Range(tx, 0, 20); }));
  ASSERT_EQ(read.size(), 20u);
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].details.has_value(), i >= 10) << i;
    EXPECT_EQ(read[i].details_sha256, written[i].details_sha256) << i;
  }
  TF_ASSERT_OK_AND_ASSIGN(report, verify());
  EXPECT_TRUE(report.ok()) << report.problem->message;
}

TF_INSTANTIATE_BACKENDS(CompactRowsMigrationTest);

}  // namespace
}  // namespace tf::audit
