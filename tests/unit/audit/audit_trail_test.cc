// Tests of the audit trail on both backends: appends by group commit and in the caller's
// transaction, gap-free leaf indexes under concurrency, the tree built into tiles matching an
// independent in-memory tree (also after a step that wrote tiles ahead of the head), signed
// checkpoints on their schedule, inclusion and consistency proofs from the stored tiles, tenant
// scope, and the store refusing changes to records.

#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/canonical_json.h"
#include "core/crypto.h"
#include "core/merkle.h"
#include "core/signed_note.h"
#include "modules/audit/audit_log.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/audit_service.h"
#include "modules/audit/tile_tree.h"
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

Principal Caller(std::string tenant, std::vector<Permission> permissions) {
  Principal p;
  p.user_id = "0190f000-0000-7000-8000-0000000000ff";
  p.tenant_id = std::move(tenant);
  for (Permission perm : permissions) p.permissions.set(static_cast<size_t>(perm));
  return p;
}

class AuditTrailTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    TF_ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(GetParam(), clock_));
    signer_.emplace(note::Signer::Generate("trust-fabric.test/audit").value());
    log_ = std::make_unique<AuditLog>(db_->db(), clock_, metrics_);
    service_ = std::make_unique<AuditService>(db_->db(), clock_, *signer_);
    builder_ = std::make_unique<TreeBuilder>(db_->db(), clock_, *signer_,
                                             CheckpointPolicy{"trust-fabric.test/audit", 10, std::chrono::seconds(5)},
                                             metrics_, &log_->leaf_feed());
    ASSERT_TRUE(db_->db()
                    .InTx(store::WriteTx(),
                          [&](store::Transaction& tx) {
                            const note::Verifier& v = signer_->verifier();
                            return AuditRepo().InsertKeyIfAbsent(
                                tx, {absl::StrFormat("%08x", v.key_id()), v.name(),
                                     crypto::Base64Encode(v.public_key()), v.KeyString(), 0});
                          })
                    .ok());
  }

  AuditRecord Request(const std::string& tenant, std::string path, int status = 200) {
    RequestInfo info{"req-" + path, "4bf92f3577b34da6a3ce929d0e0e4736", "GET", "/api/things/{id}", path,
                     "192.0.2.7", "test-agent"};
    RequestScope scope(info);
    AuditRecord r = log_->NewRecord("request", Actor::Of(Caller(tenant, {})));
    r.tenant_id = tenant;
    r.action = "READ";
    r.status = status;
    r.outcome = status < 400 ? "success" : "failure";
    SetDetails(r, {{"query", {{"n", path}}}});
    return r;
  }

  void AppendMany(int n, const std::string& tenant = kTenantA) {
    for (int i = 0; i < n; ++i) TF_ASSERT_OK(log_->AppendDurable(Request(tenant, "/api/things/" + std::to_string(i))));
  }

  std::vector<AuditRecord> AllRecords() {
    return db_->db()
        .InTx(store::ReadTx(), [&](store::Transaction& tx) { return AuditRepo().Range(tx, 0, 1 << 20); })
        .value();
  }

  //! An independent tree over the records' recomputed leaves.
  merkle::MemoryTree Reference() {
    merkle::MemoryTree tree;
    for (const AuditRecord& r : AllRecords()) tree.Append(merkle::LeafHash(LeafBytes(r).value()));
    return tree;
  }

  //! Runs the builder until the tree holds every record, filling gaps as it does after its grace.
  void BuildAll() {
    for (int round = 0; round < 50; ++round) {
      auto built = builder_->Run();
      ASSERT_TRUE(built.ok()) << built.status();
      int64_t end = db_->db()
                        .InTx(store::ReadTx(), [&](store::Transaction& tx) { return AuditRepo().EndOfRecords(tx); })
                        .value();
      if (built->tree_size == end) return;
      clock_.Advance(TreeBuilder::kGapGrace);
    }
    FAIL() << "the tree never caught up with the records";
  }

  absl::StatusOr<int64_t> Exec(std::string_view sql) {
    return db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) { return tx.Exec(sql); });
  }

  FakeClock clock_{store::testing::TestEpoch()};
  metrics::Registry metrics_;
  std::unique_ptr<TestDatabase> db_;
  std::optional<note::Signer> signer_;
  std::unique_ptr<AuditLog> log_;
  std::unique_ptr<AuditService> service_;
  std::unique_ptr<TreeBuilder> builder_;
};

TEST_P(AuditTrailTest, ConcurrentAppendsGetGapFreeDistinctIndexes) {
  constexpr int kThreads = 8, kEach = 60;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        EXPECT_TRUE(log_->AppendDurable(Request(kTenantA, "/api/t" + std::to_string(t) + "/" + std::to_string(i))).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<AuditRecord> records = AllRecords();
  ASSERT_EQ(records.size(), static_cast<size_t>(kThreads * kEach));
  std::set<std::string> ids;
  std::set<int64_t> indexes;
  for (const AuditRecord& r : records) {
    ids.insert(r.id);
    indexes.insert(r.leaf_index);
  }
  EXPECT_EQ(ids.size(), records.size());
  EXPECT_EQ(indexes.size(), records.size()) << "no leaf index is handed out twice";
  if (GetParam() == Backend::kSqlite) {
    EXPECT_EQ(*indexes.rbegin(), kThreads * kEach - 1) << "SQLite's indexes are gap-free";
  }

  // PostgreSQL skips the indexes of retried group commits; the builder fills them once they
  // have been missing for its grace period, and the tree then covers every index.
  BuildAll();
  records = AllRecords();
  for (size_t i = 0; i < records.size(); ++i) ASSERT_EQ(records[i].leaf_index, static_cast<int64_t>(i));
  TF_ASSERT_OK_AND_ASSIGN(Checkpoint latest, service_->LatestCheckpoint());
  EXPECT_EQ(latest.tree_size, static_cast<int64_t>(records.size()));
  EXPECT_EQ(latest.root_hash, merkle::ToHex(Reference().Root()));
}

TEST_P(AuditTrailTest, AnIndexWhoseTransactionRolledBackIsFilled) {
  absl::Status rolled_back = db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(log_->RecordEvent(tx, std::nullopt, Actor::System(), {"test.event", "UPDATE", std::nullopt, std::nullopt}));
    return absl::AbortedError("the change failed");
  });
  EXPECT_FALSE(rolled_back.ok());
  AppendMany(1);
  TF_ASSERT_OK_AND_ASSIGN(BuildResult first, builder_->Run());
  if (GetParam() == Backend::kSqlite) {
    EXPECT_EQ(first.tree_size, 1) << "SQLite returned the index with the rollback";
    return;
  }
  EXPECT_EQ(first.tree_size, 0) << "index 0 is missing: the builder waits for it";
  clock_.Advance(TreeBuilder::kGapGrace);
  BuildAll();
  std::vector<AuditRecord> records = AllRecords();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].kind, "gap");
  EXPECT_EQ(records[1].kind, "request");
  TF_ASSERT_OK_AND_ASSIGN(Checkpoint latest, service_->LatestCheckpoint());
  EXPECT_EQ(latest.tree_size, 2);
  EXPECT_EQ(latest.root_hash, merkle::ToHex(Reference().Root()));
}

TEST_P(AuditTrailTest, LeavesFromTheFeedAndFromTheStoreMakeOneTree) {
  // Group-commit records reach the builder through the feed; events written in callers'
  // transactions, and records from before a restart, only through the store.
  AuditEvent event{"test.event", "UPDATE", std::nullopt, std::nullopt, {}};
  for (int round = 0; round < 3; ++round) {
    AppendMany(4);
    TF_ASSERT_OK(db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) {
      return log_->RecordEvent(tx, std::nullopt, Actor::System(), event);
    }));
    AppendMany(3);
  }
  BuildAll();
  AppendMany(5);
  // A builder with no feed (another instance, or this one after a restart) carries on from
  // the store alone.
  metrics::Registry restarted_metrics;
  TreeBuilder restarted(db_->db(), clock_, *signer_, {"trust-fabric.test/audit", 10, std::chrono::seconds(5)},
                        restarted_metrics);
  clock_.Advance(std::chrono::seconds(5));  // a checkpoint at each build below
  TF_ASSERT_OK_AND_ASSIGN(BuildResult from_store, restarted.Run());
  EXPECT_EQ(from_store.tree_size, 29);
  EXPECT_EQ(from_store.checkpoints_issued, 1);
  // The feed still holds the last five, which are now behind the head: they are skipped.
  AppendMany(2);
  clock_.Advance(std::chrono::seconds(5));
  BuildAll();
  merkle::MemoryTree reference = Reference();
  ASSERT_EQ(reference.size(), 31u);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Checkpoint> checkpoints, service_->ListCheckpoints(std::nullopt, 100));
  ASSERT_GE(checkpoints.size(), 3u);
  EXPECT_EQ(checkpoints.front().tree_size, 31);
  for (const Checkpoint& c : checkpoints) {
    TF_ASSERT_OK_AND_ASSIGN(merkle::Hash root, merkle::Root(static_cast<uint64_t>(c.tree_size), reference));
    EXPECT_EQ(c.root_hash, merkle::ToHex(root)) << "the checkpoint at " << c.tree_size;
  }
}

TEST_P(AuditTrailTest, AnEventCommitsWithItsTransactionOrNotAtAll) {
  AuditEvent event{"mfa.disabled", "UPDATE", "users", "u-1", {{"password", "hunter2"}, {"reason", "lost phone"}}};
  absl::Status failed = db_->db().InTx(store::WriteTx(kTenantA), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(log_->RecordEvent(tx, std::string(kTenantA), Actor::System(), event));
    return absl::FailedPreconditionError("the change failed");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(AllRecords().empty()) << "a rolled-back change left its record";

  TF_ASSERT_OK(db_->db().InTx(store::WriteTx(kTenantA), [&](store::Transaction& tx) {
    return log_->RecordEvent(tx, std::string(kTenantA), Actor::System(), event);
  }));
  std::vector<AuditRecord> records = AllRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, "event");
  EXPECT_EQ(records[0].event_type, "mfa.disabled");
  EXPECT_EQ(records[0].actor_type, "system");
  ASSERT_TRUE(records[0].details);
  EXPECT_EQ(records[0].details->find("hunter2"), std::string::npos) << *records[0].details;
  EXPECT_NE(records[0].details->find("lost phone"), std::string::npos);
  EXPECT_EQ(records[0].details_sha256, crypto::Sha256Hex(*records[0].details));
}

TEST_P(AuditTrailTest, CheckpointsComeEveryNRecordsAndAfterTheInterval) {
  AppendMany(25);
  TF_ASSERT_OK_AND_ASSIGN(BuildResult first, builder_->Run());
  EXPECT_EQ(first.leaves_added, 25);
  EXPECT_EQ(first.checkpoints_issued, 3) << "at 10 and 20, and at 25 as the first one is due at once";

  AppendMany(3);
  TF_ASSERT_OK_AND_ASSIGN(BuildResult quiet, builder_->Run());
  EXPECT_EQ(quiet.checkpoints_issued, 0) << "fewer than 10 new records, and the interval has not passed";
  clock_.Advance(std::chrono::seconds(5));
  TF_ASSERT_OK_AND_ASSIGN(BuildResult due, builder_->Run());
  EXPECT_EQ(due.checkpoints_issued, 1);
  TF_ASSERT_OK_AND_ASSIGN(BuildResult idle, builder_->Run());
  EXPECT_EQ(idle.checkpoints_issued, 0) << "no new records, no checkpoint";

  merkle::MemoryTree reference = Reference();
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Checkpoint> all, service_->ListCheckpoints(std::nullopt, 100));
  std::vector<int64_t> sizes;
  for (const Checkpoint& c : all) sizes.push_back(c.tree_size);
  EXPECT_EQ(sizes, (std::vector<int64_t>{28, 25, 20, 10}));
  for (const Checkpoint& c : all) {
    // The note opens with the published key; its body is the C2SP checkpoint of that size.
    TF_ASSERT_OK_AND_ASSIGN(std::string body, note::Open(c.note, signer_->verifier()));
    std::vector<std::string> lines = absl::StrSplit(body, '\n');
    ASSERT_GE(lines.size(), 4u) << body;
    EXPECT_EQ(lines[0], "trust-fabric.test/audit");
    EXPECT_EQ(lines[1], std::to_string(c.tree_size));
    merkle::Hash expected = merkle::Root(static_cast<uint64_t>(c.tree_size), reference).value();
    EXPECT_EQ(lines[2], crypto::Base64Encode(merkle::AsBytes(expected)));
    EXPECT_EQ(c.root_hash, merkle::ToHex(expected));
    EXPECT_TRUE(lines[3].starts_with("time ")) << lines[3];
  }
}

TEST_P(AuditTrailTest, ProofsFromStoredTilesMatchAnIndependentTreeAndVerify) {
  // Across tile boundaries (16 and 256 leaves) and several builds.
  for (int batch : {7, 9, 250, 34}) {
    AppendMany(batch);
    TF_ASSERT_OK(builder_->Run().status());
  }
  merkle::MemoryTree reference = Reference();
  ASSERT_EQ(reference.size(), 300u);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Checkpoint> checkpoints, service_->ListCheckpoints(std::nullopt, 100));
  ASSERT_GE(checkpoints.size(), 3u);
  for (const Checkpoint& c : checkpoints) {
    merkle::Hash root = merkle::HashFromHex(c.root_hash).value();
    for (int64_t m = 0; m < c.tree_size; m += 7) {
      TF_ASSERT_OK_AND_ASSIGN(std::vector<merkle::Hash> proof, service_->InclusionProof(m, c.tree_size));
      ASSERT_EQ(proof, merkle::InclusionProof(m, c.tree_size, reference).value()) << m << " in " << c.tree_size;
      ASSERT_TRUE(merkle::VerifyInclusion(m, c.tree_size, reference.Node(0, m), proof, root));
    }
    for (const Checkpoint& older : checkpoints) {
      if (older.tree_size > c.tree_size) continue;
      TF_ASSERT_OK_AND_ASSIGN(std::vector<merkle::Hash> proof, service_->ConsistencyProof(older.tree_size, c.tree_size));
      EXPECT_TRUE(merkle::VerifyConsistency(older.tree_size, c.tree_size, merkle::HashFromHex(older.root_hash).value(),
                                            root, proof))
          << older.tree_size << " -> " << c.tree_size;
    }
  }
  EXPECT_EQ(service_->InclusionProof(0, 301).status().code(), absl::StatusCode::kInvalidArgument)
      << "the tree has not reached 301";
  EXPECT_EQ(service_->ConsistencyProof(5, 4).status().code(), absl::StatusCode::kInvalidArgument);

  // A record comes with its leaf and a proof against the latest checkpoint.
  AuditRecord some = AllRecords()[123];
  TF_ASSERT_OK_AND_ASSIGN(RecordWithProof got, service_->Get(Caller(kTenantA, {Permission::kAuditRead}), some.id));
  ASSERT_TRUE(got.checkpoint);
  EXPECT_EQ(got.leaf, LeafBytes(some).value());
  EXPECT_TRUE(merkle::VerifyInclusion(123, got.checkpoint->tree_size, merkle::LeafHash(got.leaf), got.proof,
                                      merkle::HashFromHex(got.checkpoint->root_hash).value()));
}

TEST_P(AuditTrailTest, TilesWrittenAheadOfTheHeadAreCutToItAndNeverShrink) {
  // A build step writes its tiles before it moves the head; one that stops between the two
  // leaves tiles wider than the tree. The next step must cut its edge tiles to the head.
  AppendMany(40);
  TF_ASSERT_OK(builder_->Run().status());
  AppendMany(300);
  AuditRepo repo;
  TF_ASSERT_OK(db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
    TileTree ahead(repo, tx);
    TF_RETURN_IF_ERROR(ahead.LoadEdge(40));
    TF_ASSIGN_OR_RETURN(std::vector<AuditRecord> records, repo.Range(tx, 40, 300));
    int64_t size = 40;
    for (const AuditRecord& r : records) ahead.Append(size++, merkle::LeafHash(LeafBytes(r).value()));
    for (const Tile* tile : ahead.TakeDirty()) TF_RETURN_IF_ERROR(repo.SaveTile(tx, tile->Stored()));
    return absl::OkStatus();
  }));
  auto stored_width = [&](TileKey key) {
    return db_->db()
        .InTx(store::ReadTx(), [&](store::Transaction& tx) { return repo.LoadTiles(tx, {key}); })
        .value()
        .at(0)
        .width;
  };
  ASSERT_EQ(stored_width({0, 2}), 16) << "the edge tile of the 40-leaf tree, written ahead";

  TF_ASSERT_OK_AND_ASSIGN(BuildResult built, builder_->Run());
  EXPECT_EQ(built.tree_size, 340);
  merkle::MemoryTree reference = Reference();
  TF_ASSERT_OK_AND_ASSIGN(Checkpoint latest, service_->LatestCheckpoint());
  EXPECT_EQ(latest.tree_size, 340);
  EXPECT_EQ(latest.root_hash, merkle::ToHex(merkle::Root(340, reference).value()));
  TF_ASSERT_OK_AND_ASSIGN(std::vector<merkle::Hash> proof, service_->InclusionProof(45, 340));
  EXPECT_EQ(proof, merkle::InclusionProof(45, 340, reference).value());
  for (int64_t t = 0; t * kTileWidth < 340; ++t) {
    EXPECT_EQ(stored_width({0, t}), std::min<int64_t>(kTileWidth, 340 - t * kTileWidth)) << "tile 0/" << t;
  }
  TF_ASSERT_OK_AND_ASSIGN(TrailReport report, TrailVerifier(db_->db(), {signer_->verifier()}).Run());
  EXPECT_FALSE(report.problem) << report.problem->message;

  // A narrower copy of a tile does not replace the wider one.
  Tile narrow{{0, 0}, {}};
  for (int i = 0; i < 3; ++i) narrow.Append(reference.Node(0, static_cast<uint64_t>(i)));
  TF_ASSERT_OK(db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) { return repo.SaveTile(tx, narrow.Stored()); }));
  EXPECT_EQ(stored_width({0, 0}), 16);
}

TEST_P(AuditTrailTest, SearchesStayInTheCallersTenantAndFilter) {
  AppendMany(3, kTenantA);
  AppendMany(2, kTenantB);
  TF_ASSERT_OK(log_->AppendDurable(Request(kTenantA, "/api/things/secret-plans", 404)));
  Principal a = Caller(kTenantA, {Permission::kAuditRead});
  Principal b = Caller(kTenantB, {Permission::kAuditRead});
  Principal platform = Caller(kTenantB, {Permission::kAuditRead, Permission::kTenantsRead});

  RecordFilter all;
  all.limit = 100;
  EXPECT_EQ(service_->List(a, all).value().size(), 4u);
  EXPECT_EQ(service_->List(b, all).value().size(), 2u);
  EXPECT_EQ(service_->List(platform, all).value().size(), 6u);
  RecordFilter other_tenant = all;
  other_tenant.tenant_id = kTenantA;
  EXPECT_EQ(service_->List(b, other_tenant).value().size(), 2u) << "a tenant filter cannot widen the scope";
  EXPECT_EQ(service_->List(platform, other_tenant).value().size(), 4u);

  std::string a_id = service_->List(a, all).value().front().id;
  EXPECT_EQ(service_->Get(b, a_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(service_->Get(platform, a_id).ok());

  RecordFilter failures = all;
  failures.outcome = "failure";
  std::vector<AuditRecord> found = service_->List(a, failures).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, "/api/things/secret-plans");
  RecordFilter text = all;
  text.path_contains = "SECRET";
  EXPECT_EQ(service_->List(a, text).value().size(), 1u) << "free text is case-insensitive";
  text.path_contains = "%";
  EXPECT_EQ(service_->List(a, text).value().size(), 0u) << "wildcards match themselves";

  RecordFilter page = all;
  page.limit = 2;
  std::vector<AuditRecord> first = service_->List(a, page).value();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_GT(first[0].leaf_index, first[1].leaf_index) << "newest first";
  page.after_id = first[1].id;
  std::vector<AuditRecord> second = service_->List(a, page).value();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_LT(second[0].leaf_index, first[1].leaf_index);
}

TEST_P(AuditTrailTest, StatsCountARangeByActionOutcomeStatusActorAndDay) {
  AppendMany(3, kTenantA);
  TF_ASSERT_OK(log_->AppendDurable(Request(kTenantA, "/api/things/x", 403)));
  clock_.Advance(std::chrono::hours(24));
  TF_ASSERT_OK(log_->AppendDurable(Request(kTenantA, "/api/things/y", 500)));
  AppendMany(2, kTenantB);
  Principal a = Caller(kTenantA, {Permission::kAuditRead});
  int64_t start = store::testing::TestEpoch().time_since_epoch().count();

  TF_ASSERT_OK_AND_ASSIGN(AuditStats s, service_->Stats(a, std::nullopt, std::nullopt, std::nullopt));
  EXPECT_EQ(s.total, 5) << "tenant B's records are not counted for A";
  ASSERT_EQ(s.by_day.size(), 2u);
  EXPECT_EQ(s.by_day[0].day, "2026-01-01");
  EXPECT_EQ(s.by_day[0].total, 4);
  EXPECT_EQ(s.by_day[0].failed, 1) << "the 403 is recorded as failure by this test's request helper";
  EXPECT_EQ(s.by_day[1].day, "2026-01-02");
  ASSERT_EQ(s.by_status_class.size(), 3u);
  EXPECT_EQ(s.by_status_class[0].key, "2xx");
  EXPECT_EQ(s.by_status_class[0].count, 3);
  EXPECT_EQ(s.by_status_class[2].key, "5xx");
  ASSERT_EQ(s.by_action.size(), 1u);
  EXPECT_EQ(s.by_action[0].key, "READ");

  TF_ASSERT_OK_AND_ASSIGN(AuditStats first_day,
                          service_->Stats(a, std::nullopt, start, start + int64_t{86400} * 1'000'000));
  EXPECT_EQ(first_day.total, 4);
  Principal platform = Caller(kTenantB, {Permission::kAuditRead, Permission::kTenantsRead});
  TF_ASSERT_OK_AND_ASSIGN(AuditStats all, service_->Stats(platform, std::nullopt, std::nullopt, std::nullopt));
  EXPECT_EQ(all.total, 7);
  EXPECT_EQ(service_->Stats(a, std::nullopt, start, start).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Stats(a, std::nullopt, start - int64_t{400} * 86400 * 1'000'000, start).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(AuditTrailTest, RowsHoldTheLeafHashAsBytesAndTheDetailsHashOnlyOncePruned) {
  AppendMany(3);
  auto rows = db_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) {
    return tx.Query("SELECT details_sha256, leaf_hash FROM audit_records ORDER BY leaf_index");
  });
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<AuditRecord> records = AllRecords();
  ASSERT_EQ(rows->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*rows)[i].Text(0), "") << "not stored while the details are";
    EXPECT_EQ(records[i].details_sha256, crypto::Sha256Hex(*records[i].details)) << "but served";
    EXPECT_EQ((*rows)[i].at(1), store::Value(store::Bytes{std::string(
                                    merkle::AsBytes(merkle::LeafHash(LeafBytes(records[i]).value())))}));
  }
}

TEST_P(AuditTrailTest, TheStoreRefusesToChangeOrRemoveRecords) {
  AppendMany(12);
  TF_ASSERT_OK(builder_->Run().status());
  EXPECT_FALSE(Exec("UPDATE audit_records SET status = 500 WHERE leaf_index = 3").ok());
  EXPECT_FALSE(Exec("UPDATE audit_records SET details = NULL, pruned_at = 1, path = '/x' WHERE leaf_index = 3").ok())
      << "pruning may not touch other columns";
  EXPECT_FALSE(Exec("UPDATE audit_records SET leaf_hash = NULL WHERE leaf_index = 5").ok());
  EXPECT_FALSE(Exec("UPDATE audit_records SET details = NULL, pruned_at = 1, leaf_hash = 'x' WHERE leaf_index = 5").ok())
      << "nor the leaf hash";
  EXPECT_FALSE(Exec("DELETE FROM audit_records WHERE leaf_index = 3").ok());
  EXPECT_FALSE(Exec("DELETE FROM audit_checkpoints").ok());
  EXPECT_FALSE(Exec("UPDATE audit_checkpoints SET root_hash = 'x'").ok());
  EXPECT_FALSE(Exec("UPDATE audit_signing_keys SET verifier_key = 'x'").ok());
  EXPECT_FALSE(Exec("DELETE FROM audit_signing_keys").ok());
  EXPECT_EQ(AllRecords().size(), 12u);
  EXPECT_FALSE(Exec("UPDATE audit_records SET details = NULL, pruned_at = 1 WHERE leaf_index = 3").ok())
      << "pruning must keep the details' hash";
  EXPECT_FALSE(Exec(StrCat("UPDATE audit_records SET details = NULL, pruned_at = 1, details_sha256 = '",
                           std::string(64, 'z'), "' WHERE leaf_index = 3"))
                   .ok())
      << "a hash, not any text";
  if (GetParam() == Backend::kPostgres) {
    EXPECT_FALSE(Exec(StrCat("UPDATE audit_records SET details = NULL, pruned_at = 1, details_sha256 = '",
                             std::string(64, '0'), "' WHERE leaf_index = 3"))
                     .ok())
        << "PostgreSQL's trigger checks it is the details' hash";
  }
  std::string sha256 = crypto::Sha256Hex(*AllRecords()[3].details);
  TF_ASSERT_OK_AND_ASSIGN(int64_t pruned, Exec(StrCat("UPDATE audit_records SET details = NULL, pruned_at = 1, "
                                                      "details_sha256 = '", sha256, "' WHERE leaf_index = 3")));
  EXPECT_EQ(pruned, 1) << "pruning details, keeping their hash, is allowed";
  // A pruned record still hashes to its leaf: the tree verifies.
  merkle::MemoryTree reference = Reference();
  TF_ASSERT_OK_AND_ASSIGN(Checkpoint latest, service_->LatestCheckpoint());
  EXPECT_EQ(latest.root_hash, merkle::ToHex(reference.Root()));
}

TF_INSTANTIATE_BACKENDS(AuditTrailTest);

TEST(AuditRecordTest, LeafIsCanonicalJsonWithoutServedOnlyMembers) {
  AuditRecord r;
  r.id = "0190f000-0000-7000-8000-000000000001";
  r.time = 1767225600000450;
  r.kind = "request";
  r.actor_type = "anonymous";
  r.action = "LOGIN";
  r.outcome = "denied";
  r.status = 401;
  r.leaf_index = 9;
  SetDetails(r, {{"body", {{"email", "a@b.test"}, {"password", "pw"}}}});
  std::string leaf = LeafBytes(r).value();
  EXPECT_EQ(leaf.find("leaf_index"), std::string::npos);
  EXPECT_EQ(leaf.find("a@b.test"), std::string::npos) << "details are in the leaf only as their hash";
  EXPECT_NE(leaf.find("\"details_sha256\":\"" + r.details_sha256 + "\""), std::string::npos);
  EXPECT_NE(leaf.find("\"time\":\"2026-01-01T00:00:00.000450Z\""), std::string::npos) << leaf;
  EXPECT_EQ(r.details->find("\"pw\""), std::string::npos) << "passwords are redacted";
  // What an independent verifier does: take the served JSON, drop the served-only members,
  // canonicalise.
  nlohmann::json served = RecordJson(r);
  for (const char* member : {"leaf_index", "details", "pruned_at"}) served.erase(member);
  EXPECT_EQ(CanonicalJson(served).value(), leaf);
}

TEST(AuditRecordTest, LeafIsTheServedFormCanonicalisedWithEveryMemberSetOrNull) {
  auto served_leaf = [](const AuditRecord& r) { return LeafOfServed(RecordJson(r)); };
  AuditRecord empty;
  EXPECT_EQ(LeafBytes(empty).value(), served_leaf(empty).value());
  AuditRecord r;
  r.id = "0190f000-0000-7000-8000-000000000002";
  r.tenant_id = "t";
  r.time = -1;
  r.kind = "event";
  r.actor_type = "api_token";
  r.actor_id = "tok";
  r.actor_user_id = "u";
  r.actor_via = "jit";
  r.action = "EXPORT";
  r.event_type = "audit.exported";
  r.resource_type = "audit.export";
  r.resource_id = "r\"1\\";
  r.method = "GET";
  r.route = "/api/audit/export";
  r.path = "/api/caf\u00e9/\U0001F600/\uFB33";
  r.status = int64_t{1} << 60;  // beyond 2^53: printed as ECMAScript prints the double
  r.outcome = "success";
  r.source_ip = "::1";
  r.user_agent = "tab\tnl\ncr\rbs\bff\f\x01\x1f\x7f end";
  r.request_id = "";
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  SetDetails(r, {{"q", 1}});
  EXPECT_EQ(LeafBytes(r).value(), served_leaf(r).value());
  r.user_agent = "\xff";
  EXPECT_EQ(LeafBytes(r).status().code(), absl::StatusCode::kInvalidArgument) << "not UTF-8";
}

TEST(AuditRecordTest, OversizedDetailsAreSummarised) {
  AuditRecord r;
  SetDetails(r, {{"body", std::string(20000, 'x')}});
  ASSERT_TRUE(r.details);
  EXPECT_LE(r.details->size(), kMaxDetailsBytes);
  EXPECT_NE(r.details->find("\"truncated\":true"), std::string::npos);
}

}  // namespace
}  // namespace tf::audit
