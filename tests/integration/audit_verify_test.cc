// `trustctl audit verify` against the store a real trustd wrote: intact after a crash in the
// middle of a burst of requests (kill -9, restart, the tree catches up), and tampered with by
// editing the database directly with the triggers dropped, which it reports at the record; and
// it trusts checkpoint signatures by the signing key file and keys given by hand alone.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "core/config.h"
#include "core/signed_note.h"
#include "store/open.h"
#include "support/test_database.h"
#include "support/trustd_process.h"
#include "support/wait.h"

namespace tf::testing {
namespace {

class AuditVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TrustdProcess>(
        TrustdProcess::Options{{}, {{"TRUST_AUDIT_CHECKPOINT_INTERVAL_MS", "1000"}}});
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    ASSERT_EQ(server_->Bootstrap(kRootEmail, kPassword).exit_code, 0);
    root_ = server_->Login(kRootEmail, kPassword);
    ASSERT_FALSE(root_.empty());
  }

  CommandResult Verify(const std::vector<std::string>& public_keys = {}) const {
    std::vector<std::string> argv = {TF_TRUSTCTL_PATH, "--data-dir", server_->data_dir() + "/data", "audit", "verify",
                                     "--quiet"};
    for (const std::string& key : public_keys) {
      argv.push_back("--public-key");
      argv.push_back(key);
    }
    return RunCommand(argv, "", server_->DatabaseEnv());
  }

  //! Waits until a checkpoint covers every record written so far (the polls add records of
  //! their own, which later checkpoints cover).
  void WaitForTheTree() {
    auto newest = server_->client().Get("/api/audit/logs?limit=1", root_).Json();
    ASSERT_FALSE(newest["items"].empty());
    int64_t last = newest["items"][0]["leaf_index"];
    ASSERT_TRUE(WaitFor(
        [&] {
          auto latest = server_->client().Get("/api/audit/checkpoints/latest", root_).Json();
          return latest.is_object() && latest.value("tree_size", int64_t{0}) > last;
        },
        std::chrono::seconds(30)));
  }

  //! Runs `sql` on the database as its owner, with the audit triggers dropped first.
  void EditDatabase(const std::string& sql) {
    std::string script = server_->backend() == Backend::kSqlite
                             ? "DROP TRIGGER IF EXISTS audit_records_immutable; DROP TRIGGER IF EXISTS audit_records_no_delete; "
                             : "ALTER TABLE audit_records DISABLE TRIGGER USER; ";
    script += sql;
    if (const TestDatabase* store = server_->Store()) {
      ASSERT_TRUE(const_cast<TestDatabase*>(store)
                      ->owner_db()
                      .InTx(store::WriteTx(), [&](store::Transaction& tx) { return tx.ExecScript(script); })
                      .ok());
      return;
    }
    // SQLite: the file in the data directory, opened directly.
    DatabaseConfig config;
    auto db = store::OpenDatabase(config, server_->data_dir() + "/data");
    ASSERT_TRUE(db.ok()) << db.status();
    absl::Status s = (*db)->InTx(store::WriteTx(), [&](store::Transaction& tx) { return tx.ExecScript(script); });
    ASSERT_TRUE(s.ok()) << s;
  }

  std::unique_ptr<TrustdProcess> server_;
  std::string root_;
};

TEST_F(AuditVerifyTest, TheTreeSurvivesACrashInTheMiddleOfABurst) {
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      HttpClient c = server_->client();
      while (!stop) {
        if (c.Get("/api/auth/me", root_).status == 200) ++answered;
      }
    });
  }
  ASSERT_TRUE(WaitFor([&] { return answered > 200; }, std::chrono::seconds(30)));
  server_->Kill();  // kill -9: group commits and the tree builder are cut off mid-way
  stop = true;
  for (auto& c : clients) c.join();

  std::string error;
  ASSERT_TRUE(server_->Start(&error)) << error;
  WaitForTheTree();
  ASSERT_EQ(server_->Stop(), 0);
  CommandResult r = Verify();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "OK: ")) << r.out;
}

TEST_F(AuditVerifyTest, EditingARecordInTheDatabaseIsReportedAtThatRecord) {
  for (int i = 0; i < 30; ++i) ASSERT_EQ(server_->client().Get("/api/auth/me", root_).status, 200);
  WaitForTheTree();
  ASSERT_EQ(server_->Stop(), 0);
  CommandResult intact = Verify();
  ASSERT_EQ(intact.exit_code, 0) << intact.out << intact.err;

  EditDatabase("UPDATE audit_records SET status = 404 WHERE leaf_index = 7;");
  CommandResult modified = Verify();
  EXPECT_EQ(modified.exit_code, 2) << modified.out << modified.err;
  EXPECT_TRUE(absl::StrContains(modified.out, "TAMPERED: modified at leaf index 7")) << modified.out;

  EditDatabase("UPDATE audit_records SET status = 200 WHERE leaf_index = 7; "
               "DELETE FROM audit_records WHERE leaf_index = 9;");
  CommandResult deleted = Verify();
  EXPECT_EQ(deleted.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(deleted.out, "TAMPERED: deleted at leaf index 9")) << deleted.out;
}

TEST_F(AuditVerifyTest, OnlyTheSigningKeyFileAndKeysGivenByHandAreTrusted) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(server_->client().Get("/api/auth/me", root_).status, 200);
  WaitForTheTree();
  std::string verifier_key = server_->client().Get("/api/audit/public-key", root_).Json()["verifier_key"];
  ASSERT_EQ(server_->Stop(), 0);

  // Where the signing key file is not (an auditor's copy of the database), a key must be given.
  std::string key_file = server_->data_dir() + "/data/audit-signing.key";
  std::filesystem::rename(key_file, key_file + ".away");
  CommandResult no_key = Verify();
  EXPECT_EQ(no_key.exit_code, 1) << no_key.out;
  EXPECT_TRUE(absl::StrContains(no_key.err, "no trusted key")) << no_key.err;

  CommandResult given = Verify({verifier_key});
  EXPECT_EQ(given.exit_code, 0) << given.out << given.err;
  EXPECT_TRUE(absl::StartsWith(given.out, "OK: ")) << given.out;

  std::string other = note::Signer::Generate("trust-fabric.local/audit").value().verifier().KeyString();
  CommandResult wrong = Verify({other});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out << wrong.err;
  EXPECT_TRUE(absl::StrContains(wrong.out, "TAMPERED: checkpoint")) << wrong.out;
  EXPECT_TRUE(absl::StrContains(wrong.out, "not a trusted key")) << wrong.out;

  // The key file's own key is trusted without being given.
  std::filesystem::rename(key_file + ".away", key_file);
  CommandResult from_file = Verify({other});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.out << from_file.err;
}

}  // namespace
}  // namespace tf::testing
