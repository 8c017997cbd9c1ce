// Tests of the secret inventory on both backends, driven by a fake clock: managed values are
// stored only encrypted and served to API tokens only; a rotation keeps the previous version
// valid through the grace period and then destroys it, its ledger row holding a keyed hash of
// the previous value; policies move secrets through due and overdue, each reminder raised
// once; self-rotating secrets rotate when due; tenants see only their own; racing rotations
// each make one version; after a data key rotation the values are re-encrypted in batches and
// the old version retired.

#include "modules/secrets/inventory_service.h"
#include "modules/secrets/personal_data.h"
#include "modules/secrets/reencrypt.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "modules/audit/audit_repo.h"
#include "support/audit_events.h"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "support/test_keys.h"
#include "unit/store/test_db.h"

namespace tf::secrets {
namespace {

using tf::testing::Backend;
using tf::testing::TestDatabase;
using tf::testing::FieldOf;

using store::testing::kTenantA;
using store::testing::kTenantB;
constexpr auto kDay = std::chrono::hours(24);

Principal With(std::string tenant, Principal::Kind kind, std::initializer_list<Permission> permissions) {
  Principal p;
  p.kind = kind;
  p.user_id = "0190f000-0000-7000-8000-0000000001ff";
  p.credential_id = "0190f000-0000-7000-8000-0000000001ee";
  p.tenant_id = std::move(tenant);
  for (Permission x : permissions) p.permissions.set(static_cast<size_t>(x));
  return p;
}

//! A platform operator (acts on any tenant).
Principal Operator() {
  return With(kTenantA, Principal::Kind::kSession,
              {Permission::kTenantsRead, Permission::kSecretsRead, Permission::kSecretsManage});
}
Principal AdminOf(const char* tenant) {
  return With(tenant, Principal::Kind::kSession, {Permission::kSecretsRead, Permission::kSecretsFetch});
}
Principal TokenOf(const char* tenant) {
  return With(tenant, Principal::Kind::kApiToken, {Permission::kSecretsRead, Permission::kSecretsFetch});
}

class InventoryTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    TF_ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(GetParam(), clock_));
    TF_ASSERT_OK_AND_ASSIGN(test_keys_, tf::testing::TestKeys::Create(GetParam(), db_->db(), clock_));
    key_store_ = &test_keys_->key_store();
    kms_ = &test_keys_->kms();
    keys_ = &test_keys_->data_keys();
    audit_ = std::make_unique<audit::AuditLog>(db_->db(), clock_, metrics_);
    service_ = std::make_unique<InventoryService>(db_->db(), *keys_, *audit_, clock_, rng_, metrics_);
    TF_ASSERT_OK(db_->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
      for (const char* id : {kTenantA, kTenantB}) {
        TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO tenants (id, slug, name, data_region, status, created_at, updated_at) "
                                   "VALUES (?, ?, ?, 'eu', 'active', 0, 0)",
                                   {std::string(id), std::string(id).substr(30), "Tenant"})
                               .status());
      }
      return absl::OkStatus();
    }));
  }

  NewSecret Managed(std::string name, std::optional<std::string> value, int64_t rotation_days = 30,
                    int64_t grace_days = 3) {
    NewSecret n;
    n.tenant_id = kTenantA;
    n.name = std::move(name);
    n.type = "WEBHOOK_SECRET";
    n.managed = true;
    n.value = std::move(value);
    n.rotation_days = rotation_days;
    n.grace_days = grace_days;
    return n;
  }

  NewSecret External(std::string name, int64_t rotation_days = 30) {
    NewSecret n;
    n.tenant_id = kTenantA;
    n.name = std::move(name);
    n.type = "DATABASE";
    n.location = "aws-secrets-manager:prod/db";
    n.rotation_days = rotation_days;
    n.grace_days = 1;
    return n;
  }

  RotationRequest Rotation(std::string name, std::optional<std::string> value = std::nullopt) {
    RotationRequest r;
    r.tenant_id = kTenantA;
    r.secret_name = std::move(name);
    r.reason = "quarterly rotation";
    r.value = std::move(value);
    return r;
  }

  //! Every stored version of the secret, as the store holds it.
  std::vector<std::pair<int64_t, std::optional<std::string>>> StoredValues(const std::string& secret_id) {
    return db_->owner_db()
        .InTx(store::ReadTx(),
              [&](store::Transaction& tx) -> absl::StatusOr<std::vector<std::pair<int64_t, std::optional<std::string>>>> {
                TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT version, value FROM secret_versions WHERE "
                                                               "secret_id = ? ORDER BY version",
                                                               {secret_id}));
                std::vector<std::pair<int64_t, std::optional<std::string>>> out;
                for (const store::Row& r : rows) out.emplace_back(r.Int(0), r.OptText(1));
                return out;
              })
        .value();
  }

  //! The audit trail's events of `type`.
  std::vector<audit::AuditRecord> Events(std::string_view type) {
    return tf::testing::AuditEventsOf(db_->owner_db(), type);
  }

  std::vector<secrets::Rotation> Ledger(const std::string& name) {
    RotationFilter f;
    f.secret_name = name;
    f.limit = 500;
    return service_->Rotations(Operator(), f).value();
  }

  double Gauge(const std::string& name, const std::string& type) {
    std::string text = metrics_.Render();
    std::string key = name + "{type=\"" + type + "\"} ";
    size_t at = text.find(key);
    return at == std::string::npos ? -1 : std::stod(text.substr(at + key.size()));
  }

  FakeClock clock_{store::testing::TestEpoch()};
  metrics::Registry metrics_;
  metrics::Registry other_metrics_;  // a second service's
  Rng& rng_ = SystemRng::Instance();  // thread-safe: the racing test shares it
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<tf::testing::TestKeys> test_keys_;
  TestDatabase* key_store_ = nullptr;  // the personal-data key store, beside the database
  LocalKms* kms_ = nullptr;
  DataKeys* keys_ = nullptr;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<InventoryService> service_;
};

TEST_P(InventoryTest, AGeneratedValueIsStoredOnlyEncryptedAndServedToApiTokensOnly) {
  NewSecret n = Managed("billing-webhook", std::nullopt);
  n.format = "hex";
  n.length = 64;
  TF_ASSERT_OK_AND_ASSIGN(Secret s, service_->Register(Operator(), n));
  EXPECT_TRUE(s.auto_rotate) << "generated values rotate themselves by default";
  EXPECT_EQ(s.value_format, "hex:64");
  EXPECT_EQ(s.next_rotation_at, clock_.NowMicros() + std::chrono::microseconds(30 * kDay).count());

  TF_ASSERT_OK_AND_ASSIGN(FetchedSecret f, service_->Fetch(TokenOf(kTenantA), std::nullopt, "billing-webhook"));
  EXPECT_EQ(f.value.size(), 64u);
  EXPECT_EQ(f.value.find_first_not_of("0123456789abcdef"), std::string::npos) << f.value;
  EXPECT_FALSE(f.previous.has_value());

  auto stored = StoredValues(s.id);
  ASSERT_EQ(stored.size(), 1u);
  ASSERT_TRUE(stored[0].second.has_value());
  EXPECT_TRUE(stored[0].second->starts_with("tfenc:v1:")) << *stored[0].second;
  EXPECT_EQ(stored[0].second->find(f.value), std::string::npos);

  absl::StatusOr<FetchedSecret> by_session = service_->Fetch(AdminOf(kTenantA), std::nullopt, "billing-webhook");
  EXPECT_EQ(by_session.status().code(), absl::StatusCode::kPermissionDenied) << by_session.status();
  EXPECT_EQ(service_->Fetch(TokenOf(kTenantB), std::nullopt, "billing-webhook").status().code(),
            absl::StatusCode::kNotFound)
      << "another tenant's secret does not exist for them";

  std::vector<secrets::Rotation> ledger = Ledger("billing-webhook");
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].kind, kRegistered);
  EXPECT_EQ(ledger[0].status, kActive);
  EXPECT_EQ(ledger[0].version, 1);
  std::vector<audit::AuditRecord> registered = Events("secret.registered");
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(registered[0].tenant_id, kTenantA);
  EXPECT_EQ(registered[0].details->find(f.value), std::string::npos);
}

TEST_P(InventoryTest, ARotationKeepsThePreviousValueThroughTheGracePeriodThenDestroysIt) {
  TF_ASSERT_OK_AND_ASSIGN(Secret s, service_->Register(Operator(), Managed("partner-api", "first-value-0001")));
  EXPECT_FALSE(s.auto_rotate) << "people supply this secret's values";

  absl::StatusOr<secrets::Rotation> same = service_->Rotate(Operator(), Rotation("partner-api", "first-value-0001"));
  EXPECT_EQ(same.status().code(), absl::StatusCode::kInvalidArgument) << "a rotation needs a new value";
  EXPECT_EQ(service_->Rotate(Operator(), Rotation("partner-api")).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "no value to rotate to";

  clock_.Advance(kDay);
  TF_ASSERT_OK_AND_ASSIGN(secrets::Rotation row, service_->Rotate(Operator(), Rotation("partner-api", "second-value-0002")));
  EXPECT_EQ(row.kind, kManual);
  EXPECT_EQ(row.status, kActive);
  EXPECT_EQ(row.version, 2);
  EXPECT_EQ(row.previous_version, 1);
  TF_ASSERT_OK_AND_ASSIGN(std::string fingerprint, keys_->KeyedHash(kTenantA, "secret-fingerprint", "first-value-0001"));
  EXPECT_EQ(row.previous_fingerprint, fingerprint) << "a keyed hash of the previous value, never the value";
  int64_t grace_end = clock_.NowMicros() + std::chrono::microseconds(3 * kDay).count();
  EXPECT_EQ(row.grace_until, grace_end);

  TF_ASSERT_OK_AND_ASSIGN(FetchedSecret f, service_->Fetch(TokenOf(kTenantA), std::nullopt, "partner-api"));
  EXPECT_EQ(f.value, "second-value-0002");
  ASSERT_TRUE(f.previous.has_value()) << "the previous version is valid through the grace period";
  EXPECT_EQ(f.previous->version, 1);
  EXPECT_EQ(f.previous->value, "first-value-0001");
  EXPECT_EQ(f.previous->valid_until, grace_end);
  std::vector<secrets::Rotation> ledger = Ledger("partner-api");
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[1].status, kDeprecated) << "the first version, superseded, in its grace period";
  EXPECT_EQ(ledger[1].valid_until, grace_end);

  clock_.Advance(3 * kDay);
  TF_ASSERT_OK_AND_ASSIGN(SweepResult swept, service_->Sweep());
  EXPECT_EQ(swept.grace_ended, 1);
  EXPECT_EQ(swept.values_destroyed, 1);
  TF_ASSERT_OK_AND_ASSIGN(f, service_->Fetch(TokenOf(kTenantA), std::nullopt, "partner-api"));
  EXPECT_FALSE(f.previous.has_value());
  auto stored = StoredValues(s.id);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_FALSE(stored[0].second.has_value()) << "an ended version's value is destroyed";
  EXPECT_TRUE(stored[1].second.has_value());
  ledger = Ledger("partner-api");
  EXPECT_EQ(ledger[1].status, kRotated);
  EXPECT_EQ(Events("secret.version_expired").size(), 1u);
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  EXPECT_EQ(swept.grace_ended, 0) << "each version ends once";

  for (const audit::AuditRecord& r : Events("secret.rotated")) {
    EXPECT_EQ(r.details->find("value-000"), std::string::npos) << *r.details;
  }
}

TEST_P(InventoryTest, OnlyTheCurrentAndOnePreviousVersionAreEverValid) {
  TF_ASSERT_OK_AND_ASSIGN(Secret s, service_->Register(Operator(), Managed("signing", "value-number-one")));
  clock_.Advance(std::chrono::minutes(1));
  TF_ASSERT_OK(service_->Rotate(Operator(), Rotation("signing", "value-number-two")).status());
  clock_.Advance(std::chrono::minutes(1));
  TF_ASSERT_OK(service_->Rotate(Operator(), Rotation("signing", "value-number-three")).status());
  TF_ASSERT_OK_AND_ASSIGN(FetchedSecret f, service_->Fetch(TokenOf(kTenantA), std::nullopt, "signing"));
  EXPECT_EQ(f.value, "value-number-three");
  ASSERT_TRUE(f.previous.has_value());
  EXPECT_EQ(f.previous->value, "value-number-two");
  auto stored = StoredValues(s.id);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_FALSE(stored[0].second.has_value()) << "the first version ended when the third arrived";
  std::vector<secrets::Rotation> ledger = Ledger("signing");  // newest first
  ASSERT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger[0].status, kActive);
  EXPECT_EQ(ledger[1].status, kDeprecated);
  EXPECT_EQ(ledger[2].status, kRotated);
}

TEST_P(InventoryTest, TheClockMovesASecretThroughDueAndOverdueRaisingEachReminderOnce) {
  TF_ASSERT_OK_AND_ASSIGN(Secret s, service_->Register(Operator(), External("orders-db")));
  EXPECT_EQ(service_->StateOf(s), DueState::kOk);
  TF_ASSERT_OK(service_->Sweep().status());
  EXPECT_EQ(Gauge("secret_rotation_due", "DATABASE"), 0);
  EXPECT_TRUE(Events("secret.rotation_due").empty());

  clock_.Advance(24 * kDay);  // 6 days before its date
  EXPECT_EQ(service_->StateOf(s), DueState::kDue);
  TF_ASSERT_OK_AND_ASSIGN(SweepResult swept, service_->Sweep());
  EXPECT_EQ(swept.reminders, 1);
  EXPECT_EQ(Gauge("secret_rotation_due", "DATABASE"), 1);
  EXPECT_EQ(Gauge("secret_rotation_overdue", "DATABASE"), 0);
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  EXPECT_EQ(swept.reminders, 0) << "raised once per due date";
  EXPECT_EQ(Events("secret.rotation_due").size(), 1u);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Secret> due, service_->Due(AdminOf(kTenantA), std::nullopt,
                                                                 std::chrono::microseconds(7 * kDay).count(),
                                                                 std::nullopt, 50));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].reminder_state, "due");
  TF_ASSERT_OK_AND_ASSIGN(due, service_->Due(AdminOf(kTenantA), std::nullopt,
                                             std::chrono::microseconds(2 * kDay).count(), std::nullopt, 50));
  EXPECT_TRUE(due.empty()) << "not within two days yet";
  TF_ASSERT_OK_AND_ASSIGN(due, service_->Due(AdminOf(kTenantB), std::nullopt,
                                             std::chrono::microseconds(7 * kDay).count(), std::nullopt, 50));
  EXPECT_TRUE(due.empty()) << "another tenant's";

  clock_.Advance(7 * kDay);
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  EXPECT_EQ(swept.reminders, 1);
  EXPECT_EQ(Events("secret.rotation_overdue").size(), 1u);
  EXPECT_EQ(Gauge("secret_rotation_due", "DATABASE"), 0);
  EXPECT_EQ(Gauge("secret_rotation_overdue", "DATABASE"), 1);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Secret> overdue,
                          service_->List(AdminOf(kTenantA), SecretFilter{}, DueState::kOverdue));
  ASSERT_EQ(overdue.size(), 1u);

  // Rotated elsewhere, and recorded here: on time again.
  TF_ASSERT_OK_AND_ASSIGN(secrets::Rotation row, service_->Rotate(Operator(), Rotation("orders-db")));
  EXPECT_EQ(row.kind, kExternal);
  EXPECT_EQ(row.version, 2);
  EXPECT_FALSE(row.previous_fingerprint.has_value()) << "external values are never seen";
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  EXPECT_EQ(Gauge("secret_rotation_overdue", "DATABASE"), 0);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Secret> ok, service_->List(AdminOf(kTenantA), SecretFilter{}, DueState::kOk));
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_FALSE(ok[0].reminder_state.has_value());
  EXPECT_EQ(ok[0].next_rotation_at, clock_.NowMicros() + std::chrono::microseconds(30 * kDay).count());
  EXPECT_EQ(service_->Fetch(TokenOf(kTenantA), std::nullopt, "orders-db").status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "an external secret's value is not held here";
}

TEST_P(InventoryTest, ASelfRotatingSecretRotatesWhenDueWithoutReminders) {
  TF_ASSERT_OK(service_->Register(Operator(), Managed("session-signing", std::nullopt, 30, 2)).status());
  TF_ASSERT_OK_AND_ASSIGN(FetchedSecret before, service_->Fetch(TokenOf(kTenantA), std::nullopt, "session-signing"));
  clock_.Advance(25 * kDay);
  TF_ASSERT_OK_AND_ASSIGN(SweepResult swept, service_->Sweep());
  EXPECT_EQ(swept.reminders, 0) << "it will rotate itself";
  EXPECT_EQ(Gauge("secret_rotation_due", "WEBHOOK_SECRET"), 0);
  clock_.Advance(5 * kDay);
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  EXPECT_EQ(swept.rotated, 1);
  TF_ASSERT_OK_AND_ASSIGN(FetchedSecret after, service_->Fetch(TokenOf(kTenantA), std::nullopt, "session-signing"));
  EXPECT_EQ(after.secret.current_version, 2);
  EXPECT_NE(after.value, before.value);
  ASSERT_TRUE(after.previous.has_value());
  EXPECT_EQ(after.previous->value, before.value);
  std::vector<secrets::Rotation> ledger = Ledger("session-signing");
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[0].kind, kAutomatic);
  EXPECT_EQ(ledger[0].actor, "system");
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  EXPECT_EQ(swept.rotated, 0) << "due again in 30 days";
}

// Trust Fabric's own data key is in each tenant's inventory: registered once the tenant has
// one, rotated by hand or by its policy (the key itself, so values move to the new version),
// rotations made with trustctl recorded, and its value never fetched.
TEST_P(InventoryTest, TheTenantsDataKeyIsInItsInventoryAndRotatesByItsPolicy) {
  const std::string name(InventoryService::kDataKeySecret);
  TF_ASSERT_OK(keys_->KeyedHash(std::string(kPlatformKeysTenant), "blind-index/x", "y").status());  // no tenant's
  TF_ASSERT_OK_AND_ASSIGN(SweepResult swept, service_->Sweep());
  SecretFilter all;
  all.tenant_id = kTenantA;
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Secret> none, service_->List(Operator(), all));
  EXPECT_TRUE(none.empty()) << "no data key yet";
  TF_ASSERT_OK(keys_->Ring(kTenantA).status());
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Secret> listed, service_->List(Operator(), all));
  ASSERT_EQ(listed.size(), 1u);
  const Secret& key = listed[0];
  EXPECT_EQ(key.name, name);
  EXPECT_EQ(key.type, "ENCRYPTION_KEY");
  EXPECT_TRUE(key.managed);
  EXPECT_TRUE(key.auto_rotate);
  EXPECT_EQ(key.rotation_days, InventoryService::kDataKeyRotationDays);
  EXPECT_EQ(key.current_version, 1);
  EXPECT_EQ(Events("secret.registered").size(), 1u);
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  EXPECT_EQ(Events("secret.registered").size(), 1u) << "registered once";
  EXPECT_EQ(service_->Fetch(TokenOf(kTenantA), std::nullopt, name).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(service_->Register(Operator(), Managed("trust-fabric.mine", "v")).status()), "name");

  // By hand: the data key itself rotates.
  clock_.Advance(std::chrono::minutes(1));  // (the ledger lists newest first)
  TF_ASSERT_OK_AND_ASSIGN(secrets::Rotation manual, service_->Rotate(Operator(), Rotation(name)));
  EXPECT_EQ(manual.version, 2);
  TF_ASSERT_OK_AND_ASSIGN(DataKeyRing ring, keys_->Ring(kTenantA));
  EXPECT_EQ(ring.latest, 2);
  EXPECT_EQ(FieldOf(service_->Rotate(Operator(), Rotation(name, "chosen")).status()), "value");
  // With trustctl keys rotate: the next sweep records it.
  clock_.Advance(std::chrono::minutes(1));
  TF_ASSERT_OK_AND_ASSIGN(int outside, keys_->Rotate(kTenantA));
  EXPECT_EQ(outside, 3);
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  std::vector<secrets::Rotation> ledger = Ledger(name);
  ASSERT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger[0].kind, kExternal);
  EXPECT_EQ(ledger[0].version, 3);
  EXPECT_EQ(ledger[1].kind, kManual);
  EXPECT_EQ(ledger[2].kind, kRegistered);
  // By its policy, when due.
  clock_.Advance((InventoryService::kDataKeyRotationDays + 1) * kDay);
  TF_ASSERT_OK_AND_ASSIGN(swept, service_->Sweep());
  EXPECT_EQ(swept.rotated, 1);
  TF_ASSERT_OK_AND_ASSIGN(ring, keys_->Ring(kTenantA));
  EXPECT_EQ(ring.latest, 4);
  ledger = Ledger(name);
  EXPECT_EQ(ledger[0].kind, kAutomatic);
  EXPECT_EQ(ledger[0].version, 4);
  EXPECT_EQ(ledger[0].previous_version, 3);
}

// The KEK is in the system tenant's inventory; after its rotation the sweep rewraps every
// tenant's data key under the new version.
TEST_P(InventoryTest, TheKekIsInTheSystemTenantsInventoryAndItsRotationRewrapsEveryDataKey) {
  constexpr char kSystem[] = "0190f000-0000-7000-8000-0000000001cc";
  TF_ASSERT_OK(db_->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return tx.Exec("INSERT INTO tenants (id, slug, name, data_region, status, created_at, updated_at) "
                   "VALUES (?, 'system', 'Platform operators', 'us', 'active', 0, 0)",
                   {std::string(kSystem)})
        .status();
  }));
  TF_ASSERT_OK(keys_->Ring(kTenantA).status());
  TF_ASSERT_OK(keys_->Ring(kTenantB).status());
  TF_ASSERT_OK(service_->Sweep().status());
  const std::string name(InventoryService::kKekSecret);
  SecretFilter system;
  system.tenant_id = kSystem;
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Secret> listed, service_->List(Operator(), system));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, name);
  EXPECT_EQ(listed[0].current_version, 1);
  EXPECT_EQ(listed[0].rotation_days, InventoryService::kKekRotationDays);
  EXPECT_EQ(service_->Fetch(TokenOf(kSystem), kSystem, name).status().code(), absl::StatusCode::kFailedPrecondition);

  clock_.Advance(std::chrono::minutes(1));
  RotationRequest r = Rotation(name);
  r.tenant_id = kSystem;
  TF_ASSERT_OK_AND_ASSIGN(secrets::Rotation row, service_->Rotate(Operator(), r));
  EXPECT_EQ(row.version, 2);
  EXPECT_EQ(kms_->Status().latest_version, 2);
  TF_ASSERT_OK(service_->Sweep().status());
  for (const char* tenant : {kTenantA, kTenantB}) {
    TF_ASSERT_OK_AND_ASSIGN(auto stored, keys_->Stored(tenant));
    for (const StoredDataKey& k : stored.second) EXPECT_EQ(k.kek_version, 2) << tenant << " v" << k.version;
  }
  // A rotation by trustctl keys rotate is recorded by the next sweep.
  clock_.Advance(std::chrono::minutes(1));
  TF_ASSERT_OK(kms_->Rotate().status());
  TF_ASSERT_OK(service_->Sweep().status());
  RotationFilter f;
  f.tenant_id = kSystem;
  f.secret_name = name;
  TF_ASSERT_OK_AND_ASSIGN(std::vector<secrets::Rotation> ledger, service_->Rotations(Operator(), f));
  ASSERT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger[0].kind, kExternal);
  EXPECT_EQ(ledger[0].version, 3);
  EXPECT_EQ(ledger[1].kind, kManual);
}

TEST_P(InventoryTest, AFailedExternalRotationIsRecordedAndChangesNothing) {
  TF_ASSERT_OK_AND_ASSIGN(Secret s, service_->Register(Operator(), External("crm-oauth")));
  RotationRequest r = Rotation("crm-oauth");
  r.failed = true;
  r.error = "the provider refused the new client secret";
  r.metadata = {{"ticket", "OPS-42"}, {"password", "hunter2-hunter2"}};
  TF_ASSERT_OK_AND_ASSIGN(secrets::Rotation row, service_->Rotate(Operator(), r));
  EXPECT_EQ(row.status, kFailed);
  EXPECT_FALSE(row.version.has_value());
  EXPECT_NE(row.metadata.find("OPS-42"), std::string::npos);
  EXPECT_EQ(row.metadata.find("hunter2"), std::string::npos) << "metadata is redacted: " << row.metadata;
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Secret> list, service_->List(Operator(), SecretFilter{}));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].current_version, 1);
  EXPECT_EQ(list[0].next_rotation_at, s.next_rotation_at);
  ASSERT_EQ(Events("secret.rotation_failed").size(), 1u);
  EXPECT_EQ(Events("secret.rotation_failed")[0].outcome, "failure");
}

TEST_P(InventoryTest, BadRegistrationsAreRefusedAndNameWhatIsWrong) {
  auto field_of = [&](NewSecret n) {
    absl::StatusOr<Secret> s = service_->Register(Operator(), std::move(n));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
    return std::string(s.status().message().substr(0, s.status().message().find(':')));
  };
  NewSecret n = External("ok-name");
  n.name = "has/slash";
  EXPECT_EQ(field_of(n), "name");
  n = External("ok-name");
  n.type = "PASSWORDS";
  EXPECT_EQ(field_of(n), "type");
  n = External("ok-name", 0);
  EXPECT_EQ(field_of(n), "rotation_days");
  n = External("ok-name", 5);
  n.grace_days = 5;
  EXPECT_EQ(field_of(n), "grace_days");
  n = External("ok-name");
  n.value = "held elsewhere";
  EXPECT_EQ(field_of(n), "value");
  n = Managed("ok-name", "people-supplied-value");
  n.auto_rotate = true;
  EXPECT_EQ(field_of(n), "auto_rotate");
  n = Managed("ok-name", std::nullopt);
  n.length = 8;
  EXPECT_EQ(field_of(n), "length");
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Secret> none, service_->List(Operator(), SecretFilter{}));
  EXPECT_TRUE(none.empty()) << "nothing was stored";

  TF_ASSERT_OK(service_->Register(Operator(), External("ok-name")).status());
  EXPECT_EQ(service_->Register(Operator(), External("ok-name")).status().code(), absl::StatusCode::kAlreadyExists);
  NewSecret elsewhere = External("ok-name");
  elsewhere.tenant_id = kTenantB;
  EXPECT_TRUE(service_->Register(Operator(), elsewhere).ok()) << "names are per tenant";
  elsewhere.tenant_id = "0190f000-0000-7000-8000-00000000dead";
  EXPECT_EQ(service_->Register(Operator(), elsewhere).status().code(), absl::StatusCode::kNotFound);
  elsewhere.tenant_id = kTenantB;
  Principal tenant_admin = AdminOf(kTenantA);
  tenant_admin.permissions.set(static_cast<size_t>(Permission::kSecretsManage));
  EXPECT_EQ(service_->Register(tenant_admin, elsewhere).status().code(), absl::StatusCode::kNotFound)
      << "only platform operators name another tenant";
}

TEST_P(InventoryTest, APolicyChangeMovesTheDueDatesOfOneSecretOrEveryOneOfAType) {
  TF_ASSERT_OK(service_->Register(Operator(), External("db-one", 90)).status());
  TF_ASSERT_OK(service_->Register(Operator(), External("db-two", 90)).status());
  TF_ASSERT_OK(service_->Register(Operator(), Managed("hook", "a-webhook-secret", 90)).status());
  PolicyChange c;
  c.tenant_id = kTenantA;
  c.type = "DATABASE";
  c.rotation_days = 30;
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Secret> changed, service_->SetPolicy(Operator(), c));
  ASSERT_EQ(changed.size(), 2u);
  for (const Secret& s : changed) {
    EXPECT_EQ(s.rotation_days, 30);
    EXPECT_EQ(s.next_rotation_at, s.created_at + std::chrono::microseconds(30 * kDay).count());
  }
  std::vector<audit::AuditRecord> events = Events("secret.policy_updated");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].details->find("\"rotation_days\":90"), std::string::npos) << *events[0].details;
  EXPECT_NE(events[0].details->find("\"rotation_days\":30"), std::string::npos) << *events[0].details;

  c.type = std::nullopt;
  c.secret_name = "hook";
  c.auto_rotate = true;
  EXPECT_EQ(service_->SetPolicy(Operator(), c).status().code(), absl::StatusCode::kInvalidArgument)
      << "people supply the hook's values: it cannot rotate itself";
  c.auto_rotate = std::nullopt;
  c.rotation_days = 60;
  c.grace_days = 60;
  EXPECT_EQ(service_->SetPolicy(Operator(), c).status().code(), absl::StatusCode::kInvalidArgument);
  c.type = "DATABASE";
  EXPECT_EQ(service_->SetPolicy(Operator(), c).status().code(), absl::StatusCode::kInvalidArgument)
      << "a secret or a type, not both";
}

TEST_P(InventoryTest, RacingRotationsEachMakeOneVersion) {
  TF_ASSERT_OK(service_->Register(Operator(), External("shared-db")).status());
  metrics::Registry other_metrics;  // another instance's
  InventoryService other(db_->db(), *keys_, *audit_, clock_, rng_, other_metrics);
  std::atomic<int> made{0}, conflicts{0};
  auto run = [&](InventoryService& service) {
    for (int i = 0; i < 15; ++i) {
      absl::StatusOr<secrets::Rotation> r = service.Rotate(Operator(), Rotation("shared-db"));
      if (r.ok()) ++made;
      else if (r.status().code() == absl::StatusCode::kAborted) ++conflicts;
      else ADD_FAILURE() << r.status();
    }
  };
  std::thread a([&] { run(*service_); });
  std::thread b([&] { run(other); });
  a.join();
  b.join();
  EXPECT_EQ(made + conflicts, 30);
  std::vector<secrets::Rotation> ledger = Ledger("shared-db");
  ASSERT_EQ(ledger.size(), static_cast<size_t>(made) + 1);
  std::set<int64_t> versions;
  for (const secrets::Rotation& r : ledger) versions.insert(*r.version);
  EXPECT_EQ(versions.size(), ledger.size()) << "no version was made twice";
  EXPECT_EQ(*versions.rbegin(), made + 1);
  int active = 0;
  for (const secrets::Rotation& r : ledger) active += r.status == kActive;
  EXPECT_EQ(active, 1);
}

TEST_P(InventoryTest, AfterADataKeyRotationValuesAreReencryptedAndTheOldVersionRetired) {
  for (int i = 0; i < 7; ++i) {
    TF_ASSERT_OK(service_->Register(Operator(), Managed("hook-" + std::to_string(i), "value-of-hook-" + std::to_string(i)))
                     .status());
  }
  Reencryptor reencryptor(Stores{db_->db(), key_store_->db()}, *keys_);
  TF_ASSERT_OK_AND_ASSIGN(int v2, keys_->Rotate(kTenantA));
  ASSERT_EQ(v2, 2);
  TF_ASSERT_OK_AND_ASSIGN(int64_t before, reencryptor.Remaining(kTenantA, 2));
  EXPECT_EQ(before, 7);

  std::vector<int64_t> progress;
  TF_ASSERT_OK_AND_ASSIGN(std::vector<ReencryptResult> limited,
                          reencryptor.Run(std::string(kTenantA), 2, 4,
                                          [&](const std::string&, int64_t done) { progress.push_back(done); }));
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0].reencrypted, 4) << "at most the limit per run";
  EXPECT_EQ(limited[0].remaining, 3);
  EXPECT_EQ(progress, (std::vector<int64_t>{2, 4}));

  TF_ASSERT_OK_AND_ASSIGN(std::vector<ReencryptResult> all, reencryptor.Run(std::nullopt));
  ASSERT_EQ(all.size(), 1u) << "every tenant with data keys";
  EXPECT_EQ(all[0].reencrypted, 3);
  EXPECT_EQ(all[0].remaining, 0);
  for (const auto& [version, value] : StoredValues(service_->List(Operator(), SecretFilter{}).value()[0].id)) {
    EXPECT_TRUE(value->starts_with("tfenc:v2:")) << *value;
  }
  TF_ASSERT_OK(keys_->Retire(kTenantA, 2));
  DataKeys fresh(db_->db(), *kms_, clock_);
  InventoryService after(db_->db(), fresh, *audit_, clock_, rng_, other_metrics_);
  for (int i = 0; i < 7; ++i) {
    TF_ASSERT_OK_AND_ASSIGN(FetchedSecret f, after.Fetch(TokenOf(kTenantA), std::nullopt, "hook-" + std::to_string(i)));
    EXPECT_EQ(f.value, "value-of-hook-" + std::to_string(i));
  }

  // A value that no longer decrypts is counted and left, never retried forever.
  TF_ASSERT_OK_AND_ASSIGN(int v3, keys_->Rotate(kTenantA));
  ASSERT_EQ(v3, 3);
  TF_ASSERT_OK(db_->owner_db()
                   .InTx(store::WriteTx(),
                         [&](store::Transaction& tx) {
                           return tx.Exec("UPDATE secret_versions SET value = 'tfenc:v2:AAAA' WHERE version = 1 AND "
                                          "secret_id = (SELECT id FROM secrets WHERE name = 'hook-0')");
                         })
                   .status());
  TF_ASSERT_OK_AND_ASSIGN(all, reencryptor.Run(std::string(kTenantA), 2));
  EXPECT_EQ(all[0].failed, 1);
  EXPECT_EQ(all[0].reencrypted, 6);
  EXPECT_EQ(all[0].remaining, 1);
}

TF_INSTANTIATE_BACKENDS(InventoryTest);

}  // namespace
}  // namespace tf::secrets
