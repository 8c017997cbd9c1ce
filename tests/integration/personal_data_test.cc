// People's data against a real trustd on either backend: users' emails and names and their API
// tokens' names are in no byte of the database, the key store, the log or the audit trail in
// the clear (the SQLite files or a pg_dump); the trail serves them sealed with the opened
// values beside each record; erasure (POST /api/users/{id}/erasure) makes them unreadable in
// every record while the trail still verifies, and a row put back as a restore would is
// erased again when trustd starts.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "core/crypto.h"
#include "core/strings.h"
#include "store/open.h"
#include "support/trustd_process.h"

namespace tf::testing {
namespace {

using nlohmann::json;

// Distinctive, so any copy of them in the store's bytes is found.
constexpr char kEmail[] = "ada.lovelace.q7x@acme.example";
constexpr char kName[] = "Ada Lovelace-q7x";
constexpr char kTokenName[] = "Lovelace-q7x laptop";

//! The string at `key` of an object ("" when absent or not a string).
std::string Text(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

//! The person a served audit record's details name.
std::string SubjectOf(const json& record) {
  const json& details = record["details"];
  return details.is_object() && details.contains("data_subject") ? Text(details["data_subject"], "id") : "";
}

class PersonalDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    std::string error;
    ASSERT_TRUE(server_.Start(&error)) << error;
    ASSERT_EQ(server_.Bootstrap(kRootEmail, kPassword).exit_code, 0);
    root_ = server_.Login(kRootEmail, kPassword);
    ASSERT_FALSE(root_.empty());
    HttpResult t = client().PostJson("/api/tenants", {{"slug", "acme"}, {"name", "Acme"}}, root_);
    ASSERT_EQ(t.status, 201) << t.body;
    tenant_ = t.Json()["id"];
    HttpResult u = client().PostJson("/api/users", {{"email", "admin@acme.example"}, {"password", kPassword},
                                                    {"roles", {"ADMIN"}}, {"tenant_id", tenant_}},
                                     root_);
    ASSERT_EQ(u.status, 201) << u.body;
    admin_ = server_.Login("admin@acme.example", kPassword);
    ASSERT_FALSE(admin_.empty());
  }

  HttpClient client() const { return server_.client(); }

  //! Creates the distinctive person (an ADMIN, who may make tokens) and signs them in.
  std::string CreatePerson() {
    HttpResult u = client().PostJson("/api/users", {{"email", kEmail}, {"password", kPassword},
                                                    {"display_name", kName}, {"roles", {"ADMIN"}}},
                                     admin_);
    EXPECT_EQ(u.status, 201) << u.body;
    person_token_ = server_.Login(kEmail, kPassword);
    EXPECT_FALSE(person_token_.empty());
    HttpResult t = client().PostJson("/api/auth/tokens", {{"name", kTokenName}, {"permissions", {"users.read"}}},
                                     person_token_);
    EXPECT_EQ(t.status, 201) << t.body;
    return u.Json().value("id", "");
  }

  //! The audit records of `route` (newest first), as served.
  std::vector<json> Records(const std::string& route) {
    HttpResult r = client().Get("/api/audit/logs?limit=200", root_);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<json> out;
    json body = r.Json();
    for (const json& item : body["items"]) {
      if (Text(item, "route") == route) out.push_back(item);
    }
    return out;
  }

  //! A whole dump of one store: the SQLite file and its WAL, or pg_dump's data (every
  //! tenant's rows, as the platform scope row-level security lets see them all).
  std::string Bytes(const TestDatabase* db, const std::string& sqlite_file) {
    if (db != nullptr) {
      CommandResult dump = RunCommand({"/usr/bin/pg_dump", "--data-only", "--enable-row-security", db->migration_url()},
                                      "", {{"PGOPTIONS", "-c app.scope=platform"}});
      EXPECT_EQ(dump.exit_code, 0) << dump.err;
      return dump.out;
    }
    std::string base = DataFile(sqlite_file);
    return ReadFileBytes(base) + ReadFileBytes(base + "-wal");
  }

  std::string DataFile(const std::string& name) const { return server_.data_dir() + "/data/" + name; }

  //! Another handle on trustd's database, as an operator's restore would write to it.
  std::unique_ptr<store::Database> Database() {
    if (const TestDatabase* db = server_.Store()) return std::move(db->OpenAnother().value());
    DatabaseConfig c;
    c.url = "sqlite:" + DataFile("trust.db");
    return std::move(store::OpenDatabase(c, server_.data_dir() + "/data").value());
  }

  TrustdProcess server_;
  std::string root_, admin_, tenant_, person_token_;
};

TEST_F(PersonalDataTest, PeoplesDataIsInNoByteOfTheStoresTheLogOrTheTrailInTheClear) {
  std::string id = CreatePerson();
  ASSERT_FALSE(id.empty());
  // Answers carry the plaintext...
  HttpResult got = client().Get("/api/users/" + id, admin_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.Json()["email"], kEmail);
  EXPECT_EQ(got.Json()["display_name"], kName);
  HttpResult found = client().Get(StrCat("/api/users?email=", "ADA.lovelace.q7x%40acme.example"), admin_);
  ASSERT_EQ(found.status, 200) << found.body;
  ASSERT_EQ(found.Json()["items"].size(), 1u) << found.body;
  EXPECT_EQ(found.Json()["items"][0]["id"], id);
  HttpResult tokens = client().Get("/api/auth/tokens", person_token_);
  EXPECT_TRUE(absl::StrContains(tokens.body, kTokenName)) << tokens.body;
  // ...and a failed sign-in, the address alone.
  EXPECT_EQ(client().PostJson("/api/auth/login", {{"email", kEmail}, {"password", "wrong-Password-1"}}).status, 401);

  // The trail keeps the creation's fields sealed, and serves them opened beside the record.
  std::vector<json> created = Records("/api/users");
  auto mine = std::find_if(created.begin(), created.end(), [&](const json& r) {
    return r["method"] == "POST" && SubjectOf(r) == id;
  });
  ASSERT_NE(mine, created.end()) << "no POST /api/users record names the person";
  EXPECT_TRUE(absl::StartsWith((*mine)["details"]["body"]["email"].get<std::string>(), StrCat("tfpd:", id, ":")));
  EXPECT_EQ((*mine)["revealed"]["body.email"], kEmail);
  EXPECT_EQ((*mine)["revealed"]["body.display_name"], kName);
  HttpResult one = client().Get("/api/audit/logs/" + (*mine)["id"].get<std::string>(), root_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.Json()["revealed"]["body.email"], kEmail);

  for (const std::string& bytes :
       {Bytes(server_.Store(), "trust.db"), Bytes(server_.KeyStore(), "subject-keys.db"), server_.Log()}) {
    EXPECT_FALSE(bytes.empty());
    for (const char* plain : {"ada.lovelace.q7x", "Lovelace-q7x"}) {
      EXPECT_FALSE(absl::StrContains(bytes, plain)) << plain << " found in the store's bytes or the log";
    }
  }
  EXPECT_TRUE(absl::StrContains(Bytes(server_.Store(), "trust.db"), StrCat("tfpd:", id, ":")))
      << "the bytes hold the sealed values";
}

TEST_F(PersonalDataTest, ErasureLeavesNothingReadableAndTheTrailStillVerifies) {
  std::string id = CreatePerson();
  ASSERT_FALSE(id.empty());
  std::vector<json> before = Records("/api/users");
  auto record = std::find_if(before.begin(), before.end(), [&](const json& r) {
    return SubjectOf(r) == id;
  });
  ASSERT_NE(record, before.end());
  std::string record_id = (*record)["id"];
  // A backup before the erasure: on SQLite, a copy of the database file, taken with trustd
  // stopped (its WAL checkpointed into the file).
  std::string backup = server_.data_dir() + "/backup";
  if (server_.Store() == nullptr) {
    ASSERT_EQ(server_.Stop(), 0);
    std::filesystem::create_directories(backup);
    std::filesystem::copy_file(DataFile("trust.db"), backup + "/trust.db");
    ASSERT_FALSE(std::filesystem::exists(DataFile("trust.db-wal")) &&
                 std::filesystem::file_size(DataFile("trust.db-wal")) > 0)
        << "a clean stop leaves everything in the file";
    std::string error;
    ASSERT_TRUE(server_.Start(&error)) << error;
  }
  std::unique_ptr<store::Database> db = Database();
  store::Rows row = db->InTx(store::ReadTx(), [&](store::Transaction& tx) {
                        return tx.Query("SELECT email, display_name, email_index FROM users WHERE id = ?", {id});
                      }).value();
  ASSERT_EQ(row.size(), 1u);

  HttpResult unconfirmed = client().PostJson("/api/users/" + id + "/erasure", json::object(), admin_);
  EXPECT_EQ(unconfirmed.status, 422) << unconfirmed.body;
  EXPECT_TRUE(absl::StrContains(unconfirmed.body, "confirm")) << unconfirmed.body;
  EXPECT_EQ(client().Get("/api/users/" + id, admin_).Json()["email"], kEmail) << "an unconfirmed erasure changes nothing";
  HttpResult erased =
      client().PostJson("/api/users/" + id + "/erasure", {{"confirm", true}, {"reference", "DSAR-2026-17"}}, admin_);
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(erased.Json()["status"], "erased");
  EXPECT_EQ(erased.Json()["email"], "[erased]");
  EXPECT_FALSE(erased.Json()["erased_at"].is_null());
  HttpResult again = client().PostJson("/api/users/" + id + "/erasure", {{"confirm", true}}, admin_);
  EXPECT_EQ(again.status, 409) << again.body;

  // The encryption status counts the tenant's sealed values and its erased people.
  HttpResult status = client().Get("/api/security/encryption-status", admin_);
  ASSERT_EQ(status.status, 200) << status.body;
  json personal = status.Json()["at_rest"]["personal_data"];
  EXPECT_EQ(personal["people_erased"], 1) << personal;
  EXPECT_EQ(personal["people_with_keys"], 1) << "the tenant's admin: " << personal;
  EXPECT_EQ(personal["columns"][0]["table"], "users");
  EXPECT_EQ(personal["columns"][0]["column"], "email");
  EXPECT_EQ(personal["columns"][0]["sealed"], 1) << "the admin's; the erased row holds a placeholder: " << personal;
  EXPECT_EQ(personal["columns"][0]["values"], 2) << personal;

  // Gone from every answer, the sign-in refused, the person's sessions and tokens ended.
  EXPECT_EQ(client().Get("/api/users/" + id, admin_).Json()["display_name"], "[erased]");
  EXPECT_EQ(client().PostJson("/api/auth/login", {{"email", kEmail}, {"password", kPassword}}).status, 401);
  EXPECT_EQ(client().Get("/api/auth/me", person_token_).status, 401);
  // The trail's record is byte for byte what it was, its fields now unreadable, and the whole
  // trail still verifies.
  HttpResult after = client().Get("/api/audit/logs/" + record_id, root_);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.Json()["details"], (*record)["details"]);
  EXPECT_EQ(after.Json()["revealed"]["body.email"], "[erased]");
  EXPECT_EQ(after.Json()["revealed"]["body.display_name"], "[erased]");
  CommandResult verify = RunCommand({TF_TRUSTCTL_PATH, "--data-dir", server_.data_dir() + "/data", "audit", "verify"},
                                    "", server_.CommandEnv());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(absl::StrContains(verify.out, "OK")) << verify.out;

  // The backup comes back: on SQLite the copy of the database file replaces it; on PostgreSQL
  // the person's row is put back as it was (sealed, with its index). trustd starts, finds the
  // destroyed key, and erases the row again.
  ASSERT_EQ(server_.Stop(), 0);
  if (server_.Store() == nullptr) {
    db.reset();
    std::filesystem::copy_file(backup + "/trust.db", DataFile("trust.db"),
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(DataFile("trust.db-wal"));
    std::filesystem::remove(DataFile("trust.db-shm"));
  } else {
    auto restored = db->InTx(store::WriteTx(), [&](store::Transaction& tx) {
      return tx.Exec("UPDATE users SET status = 'active', erased_at = NULL, roles = 'ADMIN', email = ?, "
                     "display_name = ?, email_index = ? WHERE id = ?",
                     {row[0].Text(0), row[0].Text(1), row[0].Text(2), id});
    });
    ASSERT_TRUE(restored.ok()) << restored.status();
    ASSERT_EQ(*restored, 1);
    db.reset();
  }
  std::string error;
  ASSERT_TRUE(server_.Start(&error)) << error;
  HttpResult back = client().Get("/api/users/" + id, admin_);
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(back.Json()["status"], "erased") << back.body;
  EXPECT_TRUE(absl::StrContains(server_.Log(), "completed erasures the database did not reflect")) << server_.Log();
}

}  // namespace
}  // namespace tf::testing
