// Tests of TrailVerifier on both backends: an intact trail verifies, and each way of editing
// the database behind the server's back (the immutability triggers dropped, as someone with the
// database's files or its owner's password could) is reported at the first record it touches,
// also when it came before the tree held the record.

#include "modules/audit/trail_verifier.h"

#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "core/crypto.h"
#include "core/signed_note.h"
#include "modules/audit/audit_log.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/tree_builder.h"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "unit/store/test_db.h"

namespace tf::audit {
namespace {

using tf::testing::Backend;
using tf::testing::TestDatabase;
using Kind = TrailProblem::Kind;

struct Tampering {
  std::string name;
  std::vector<std::string> sql;  //!< run as the tables' owner with the triggers off
  Kind kind;
  int64_t leaf_index;
};

class TrailVerifierTest : public ::testing::TestWithParam<Backend> {
 protected:
  //! A fresh trail of 40 records, built, with checkpoints at 10, 20, 30 and 40; then
  //! `unbuilt` more records that the tree does not hold yet.
  void MakeTrail(int unbuilt = 0) {
    TF_ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(GetParam(), clock_));
    metrics_ = std::make_unique<metrics::Registry>();
    signer_.emplace(note::Signer::Generate("verify.test/log").value());
    const note::Verifier& v = signer_->verifier();
    TF_ASSERT_OK(db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) {
      return AuditRepo().InsertKeyIfAbsent(tx, {absl::StrFormat("%08x", v.key_id()), v.name(),
                                                crypto::Base64Encode(v.public_key()), v.KeyString(), 0});
    }));
    AuditLog log(db_->db(), clock_, *metrics_);
    auto append = [&](int from, int to) {
      for (int i = from; i < to; ++i) {
        AuditRecord r = log.NewRecord("request", Actor::System());
        r.action = "READ";
        r.status = 200;
        r.outcome = "success";
        r.path = "/api/things/" + std::to_string(i);
        SetDetails(r, {{"i", i}});
        TF_ASSERT_OK(log.AppendDurable(std::move(r)));
      }
    };
    builder_ = std::make_unique<TreeBuilder>(db_->db(), clock_, *signer_,
                                             CheckpointPolicy{"verify.test/log", 10, std::chrono::hours(1)}, *metrics_);
    append(0, 40);
    TF_ASSERT_OK(Build().status());
    append(40, 40 + unbuilt);
  }

  absl::StatusOr<BuildResult> Build() { return builder_->Run(); }

  void Tamper(const std::vector<std::string>& statements) {
    std::string sql = GetParam() == Backend::kSqlite
                          ? "DROP TRIGGER audit_records_immutable; DROP TRIGGER audit_records_no_delete; "
                            "DROP TRIGGER audit_checkpoints_immutable;"
                          : "ALTER TABLE audit_records DISABLE TRIGGER USER; "
                            "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER;";
    for (const std::string& s : statements) sql += s + ";";
    TF_ASSERT_OK(db_->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) { return tx.ExecScript(sql); }));
  }

  absl::StatusOr<TrailReport> Verify() { return TrailVerifier(db_->db(), {signer_->verifier()}).Run(); }

  FakeClock clock_{store::testing::TestEpoch()};
  std::unique_ptr<metrics::Registry> metrics_;
  std::unique_ptr<TestDatabase> db_;
  std::optional<note::Signer> signer_;
  std::unique_ptr<TreeBuilder> builder_;
};

TEST_P(TrailVerifierTest, AnIntactTrailVerifiesWithEveryCheckpoint) {
  ASSERT_NO_FATAL_FAILURE(MakeTrail());
  std::vector<int64_t> progress;
  TF_ASSERT_OK_AND_ASSIGN(TrailReport report, TrailVerifier(db_->db(), {signer_->verifier()})
                                                  .Run([&](int64_t done, int64_t) { progress.push_back(done); }));
  EXPECT_TRUE(report.ok()) << report.problem->message;
  EXPECT_EQ(report.records, 40);
  EXPECT_EQ(report.checkpoints, 4);
  EXPECT_EQ(progress, std::vector<int64_t>{40});
}

TEST_P(TrailVerifierTest, EachTamperingIsReportedAtTheFirstRecordItTouches) {
  // Moves rows in two steps, since each step must keep leaf indexes unique.
  auto shift = [](std::string where, int delta) {
    return std::vector<std::string>{
        "UPDATE audit_records SET leaf_index = leaf_index + 1000000 WHERE " + where,
        "UPDATE audit_records SET leaf_index = leaf_index - 1000000 + (" + std::to_string(delta) +
            ") WHERE leaf_index >= 1000000"};
  };
  std::vector<Tampering> cases = {
      {"a column changed", {"UPDATE audit_records SET status = 201 WHERE leaf_index = 17"}, Kind::kModified, 17},
      {"details changed", {"UPDATE audit_records SET details = '{\"i\":99}' WHERE leaf_index = 5"}, Kind::kModified, 5},
      {"a row deleted", {"DELETE FROM audit_records WHERE leaf_index = 12"}, Kind::kDeleted, 12},
      {"the last rows deleted", {"DELETE FROM audit_records WHERE leaf_index >= 38"}, Kind::kDeleted, 38},
      {"a checkpoint's root changed",
       {"UPDATE audit_checkpoints SET root_hash = '" + std::string(64, '0') + "' WHERE tree_size = 20"},
       Kind::kCheckpoint, 20},
  };
  {
    Tampering deleted_and_closed{"a row deleted and the gap closed", {"DELETE FROM audit_records WHERE leaf_index = 12"},
                                 Kind::kDeleted, 12};
    for (auto& s : shift("leaf_index > 12", -1)) deleted_and_closed.sql.push_back(s);
    cases.push_back(deleted_and_closed);

    Tampering inserted{"a row inserted", shift("leaf_index >= 12", 1), Kind::kInserted, 12};
    inserted.sql.push_back(
        "INSERT INTO audit_records (leaf_index, id, tenant_id, time, kind, actor_type, action, outcome, details, "
        "details_sha256) SELECT 12, '0190f000-0000-7000-8000-0000000000aa', tenant_id, time, kind, actor_type, "
        "'DELETE', outcome, details, details_sha256 FROM audit_records WHERE leaf_index = 3");
    cases.push_back(inserted);

    cases.push_back({"two rows swapped",
                     {"UPDATE audit_records SET leaf_index = 1000020 WHERE leaf_index = 20",
                      "UPDATE audit_records SET leaf_index = 20 WHERE leaf_index = 25",
                      "UPDATE audit_records SET leaf_index = 25 WHERE leaf_index = 1000020"},
                     Kind::kReordered, 20});
  }
  for (const Tampering& t : cases) {
    SCOPED_TRACE(t.name);
    ASSERT_NO_FATAL_FAILURE(MakeTrail());
    Tamper(t.sql);
    TF_ASSERT_OK_AND_ASSIGN(TrailReport report, Verify());
    ASSERT_FALSE(report.ok()) << "not detected";
    EXPECT_EQ(KindName(report.problem->kind), KindName(t.kind)) << report.problem->message;
    EXPECT_EQ(report.problem->leaf_index, t.leaf_index) << report.problem->message;
    EXPECT_FALSE(report.problem->message.empty());
  }
}

TEST_P(TrailVerifierTest, ATrailRebuiltAndSignedWithAKeyAddedToTheStoreIsNotTrusted) {
  // Someone who can edit the store changes a record, rebuilds the tree from the records and
  // signs new checkpoints with a key of their own, which they list among the log's keys.
  ASSERT_NO_FATAL_FAILURE(MakeTrail());
  std::string no_delete = GetParam() == Backend::kSqlite ? "DROP TRIGGER audit_checkpoints_no_delete" : "SELECT 1";
  Tamper({"UPDATE audit_records SET status = 500, leaf_hash = NULL WHERE leaf_index = 17", no_delete,
          "DELETE FROM audit_checkpoints", "DELETE FROM audit_tiles",
          "UPDATE audit_tree_head SET tree_size = 0, root_hash = '" + merkle::ToHex(merkle::EmptyRoot()) + "'"});
  note::Signer forger = note::Signer::Generate("verify.test/log").value();
  const note::Verifier& f = forger.verifier();
  TF_ASSERT_OK(db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return AuditRepo().InsertKeyIfAbsent(tx, {absl::StrFormat("%08x", f.key_id()), f.name(),
                                              crypto::Base64Encode(f.public_key()), f.KeyString(), 0});
  }));
  metrics::Registry forger_metrics;
  TreeBuilder forged(db_->db(), clock_, forger, CheckpointPolicy{"verify.test/log", 10, std::chrono::hours(1)},
                     forger_metrics);
  TF_ASSERT_OK_AND_ASSIGN(BuildResult rebuilt, forged.Run());
  ASSERT_EQ(rebuilt.checkpoints_issued, 4);

  TF_ASSERT_OK_AND_ASSIGN(TrailReport report, Verify());
  ASSERT_FALSE(report.ok()) << "the forged checkpoints were trusted";
  EXPECT_EQ(KindName(report.problem->kind), KindName(Kind::kCheckpoint));
  EXPECT_EQ(report.problem->leaf_index, 10);
  EXPECT_NE(report.problem->message.find("not a trusted key"), std::string::npos) << report.problem->message;
  // Only the key decides: trusting the forger's key, the same trail verifies.
  TF_ASSERT_OK_AND_ASSIGN(TrailReport trusting_forger, TrailVerifier(db_->db(), {f}).Run());
  EXPECT_TRUE(trusting_forger.ok()) << trusting_forger.problem->message;
}

TEST_P(TrailVerifierTest, ARecordChangedBeforeTheTreeHeldItIsReported) {
  // The tree is built from the leaf hashed when the record was appended, so an edit made
  // before the builder reached the record does not become part of the tree.
  ASSERT_NO_FATAL_FAILURE(MakeTrail(/*unbuilt=*/10));
  Tamper({"UPDATE audit_records SET outcome = 'failure' WHERE leaf_index = 44"});
  TF_ASSERT_OK_AND_ASSIGN(BuildResult built, Build());
  EXPECT_EQ(built.tree_size, 50);
  TF_ASSERT_OK_AND_ASSIGN(TrailReport report, Verify());
  ASSERT_FALSE(report.ok()) << "not detected";
  EXPECT_EQ(KindName(report.problem->kind), KindName(Kind::kModified)) << report.problem->message;
  EXPECT_EQ(report.problem->leaf_index, 44);
}

TEST_P(TrailVerifierTest, RecordsWithoutAStoredLeafHashAreBuiltFromTheirFields) {
  // Records written before leaf hashes were stored have none: the builder recomputes theirs.
  ASSERT_NO_FATAL_FAILURE(MakeTrail(/*unbuilt=*/10));
  Tamper({"UPDATE audit_records SET leaf_hash = NULL WHERE leaf_index IN (41, 42, 43, 47)"});
  TF_ASSERT_OK_AND_ASSIGN(BuildResult built, Build());
  EXPECT_EQ(built.tree_size, 50);
  TF_ASSERT_OK_AND_ASSIGN(TrailReport report, Verify());
  EXPECT_TRUE(report.ok()) << report.problem->message;
  EXPECT_EQ(report.records, 50);

  // A stored hash that is not one stops the builder rather than entering the tree.
  ASSERT_NO_FATAL_FAILURE(MakeTrail(/*unbuilt=*/5));
  Tamper({"UPDATE audit_records SET leaf_hash = 'not hex' WHERE leaf_index = 42"});
  EXPECT_EQ(Build().status().code(), absl::StatusCode::kDataLoss);
}

TEST_P(TrailVerifierTest, RecordsAppendedBeforeRowsWereCompactedBuildAndVerify) {
  // Before migration 0016 a record stored its details' hash beside its details, and (SQLite,
  // whose columns keep their declared type) its leaf hash and the tiles their hashes as hex.
  ASSERT_NO_FATAL_FAILURE(MakeTrail(/*unbuilt=*/10));
  std::vector<std::string> legacy;
  auto records = db_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) { return AuditRepo().Range(tx, 38, 6); });
  ASSERT_TRUE(records.ok()) << records.status();
  for (const AuditRecord& r : *records) {
    legacy.push_back(absl::StrFormat("UPDATE audit_records SET details_sha256 = '%s' WHERE leaf_index = %d",
                                     r.details_sha256, r.leaf_index));
  }
  if (GetParam() == Backend::kSqlite) {
    legacy.push_back("UPDATE audit_records SET leaf_hash = lower(hex(leaf_hash)) "
                     "WHERE leaf_index >= 38 AND leaf_index < 44");
    legacy.push_back("UPDATE audit_tiles SET hashes = lower(hex(hashes))");
  }
  Tamper(legacy);
  TF_ASSERT_OK_AND_ASSIGN(BuildResult built, Build());
  EXPECT_EQ(built.tree_size, 50);
  TF_ASSERT_OK_AND_ASSIGN(TrailReport report, Verify());
  EXPECT_TRUE(report.ok()) << report.problem->message;

  // Such a record's details changed while its stored hash stays are caught all the same (the
  // triggers are already off).
  TF_ASSERT_OK(db_->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return tx.ExecScript("UPDATE audit_records SET details = '{\"i\":1000}' WHERE leaf_index = 41");
  }));
  TF_ASSERT_OK_AND_ASSIGN(report, Verify());
  ASSERT_FALSE(report.ok()) << "not detected";
  EXPECT_EQ(KindName(report.problem->kind), KindName(Kind::kModified)) << report.problem->message;
  EXPECT_EQ(report.problem->leaf_index, 41);
}

TF_INSTANTIATE_BACKENDS(TrailVerifierTest);

}  // namespace
}  // namespace tf::audit
