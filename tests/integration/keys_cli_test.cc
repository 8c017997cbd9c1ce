// `trustctl keys`: the key file is created owner-only, a KEK rotation is followed by a rewrap
// that retires the old version, each change is in the audit trail, an unknown tenant or a key
// file others can read is refused, and --print-config never shows a KEK given in the
// environment.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/config.h"
#include "store/open.h"
#include "support/trustd_process.h"

namespace tf::testing {
namespace {

CommandResult Trustctl(const TempDir& dir, std::vector<std::string> args,
                       const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::vector<std::string> argv = {TF_TRUSTCTL_PATH, "--data-dir", dir.path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, "", env);
}

TEST(KeysCliTest, RotateRewrapAndRetireTheKekWithEveryStepAudited) {
  TempDir dir;
  ASSERT_EQ(Trustctl(dir, {"db", "migrate"}).exit_code, 0);
  CommandResult status = Trustctl(dir, {"keys", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(absl::StrContains(status.out, "KEK latest version: 1")) << status.out;
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() + "/kek.keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  CommandResult rotated = Trustctl(dir, {"keys", "rotate"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_TRUE(absl::StrContains(rotated.out, "v2")) << rotated.out;
  CommandResult rewrap = Trustctl(dir, {"keys", "rewrap", "--retire"});
  ASSERT_EQ(rewrap.exit_code, 0) << rewrap.err;
  EXPECT_TRUE(absl::StrContains(rewrap.out, "wrapped by KEK v2")) << rewrap.out;
  EXPECT_TRUE(absl::StrContains(rewrap.err, "rewrapped 0 data keys")) << "progress: " << rewrap.err;
  status = Trustctl(dir, {"keys", "status"});
  EXPECT_TRUE(absl::StrContains(status.out, "KEK min_decryption_version: 2")) << status.out;
  EXPECT_TRUE(absl::StrContains(status.out, "retired")) << status.out;

  CommandResult nothing = Trustctl(dir, {"keys", "reencrypt", "--retire"});
  EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
  CommandResult stranger = Trustctl(dir, {"keys", "reencrypt", "--tenant", "0190f000-0000-7000-8000-00000000dead"});
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(stranger.err, "no tenant")) << stranger.err;

  CommandResult unknown = Trustctl(dir, {"keys", "rotate", "--tenant", "0190f000-0000-7000-8000-00000000dead"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(unknown.err, "no tenant")) << unknown.err;

  DatabaseConfig config;
  auto db = store::OpenDatabase(config, dir.path());
  ASSERT_TRUE(db.ok()) << db.status();
  auto events = (*db)->InTx(store::ReadTx(), [](store::Transaction& tx) {
    return tx.Query("SELECT event_type, details FROM audit_records WHERE kind = 'event' ORDER BY leaf_index");
  });
  ASSERT_TRUE(events.ok()) << events.status();
  std::vector<std::string> types;
  for (const store::Row& r : *events) types.push_back(r.Text(0));
  EXPECT_EQ(types, (std::vector<std::string>{"key.rotated", "keys.rewrapped"}));
  for (const store::Row& r : *events) EXPECT_FALSE(absl::StrContains(r.Text(1), "ERER")) << "no key material";
}

TEST(KeysCliTest, AKeyFileOthersCanReadIsRefusedAndAnEnvironmentKekIsNeverPrinted) {
  TempDir dir;
  ASSERT_EQ(Trustctl(dir, {"db", "migrate"}).exit_code, 0);
  ASSERT_EQ(Trustctl(dir, {"keys", "status"}).exit_code, 0);
  ASSERT_EQ(::chmod((dir.path() + "/kek.keys").c_str(), 0644), 0);
  CommandResult refused = Trustctl(dir, {"keys", "status"});
  EXPECT_EQ(refused.exit_code, 3) << refused.out;
  EXPECT_TRUE(absl::StrContains(refused.err, "secrets.kek_file")) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "chmod 600")) << refused.err;

  std::string kek = "ERERERERERERERERERERERERERERERERERERERERERE=";
  CommandResult from_env = Trustctl(dir, {"keys", "status"}, {{"TRUST_SECRETS_KEK", kek}});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
  EXPECT_TRUE(absl::StrContains(from_env.out, "KEK latest version: 1")) << from_env.out;
  CommandResult rotate = Trustctl(dir, {"keys", "rotate"}, {{"TRUST_SECRETS_KEK", kek}});
  EXPECT_EQ(rotate.exit_code, 3) << "rotated by changing the variable";
  CommandResult printed = RunCommand({TF_TRUSTD_PATH, "--print-config"}, "", {{"TRUST_SECRETS_KEK", kek}});
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_FALSE(absl::StrContains(printed.out, kek)) << printed.out;
  EXPECT_TRUE(absl::StrContains(printed.out, "kek")) << printed.out;
}

}  // namespace
}  // namespace tf::testing
