#pragma once
// Test support for the security module's tests, on both backends with a fake clock: tenants
// acme, globex and the system tenant with users, the audit trail with its tree builder, the
// event, rule and incident services and a detector over the shipped rules, and helpers that
// record audit events as the identity module does.
// Thread-safety: one test's fixture, used from its thread.

#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "core/crypto.h"
#include "core/signed_note.h"
#include "modules/audit/audit_repo.h"
#include "modules/audit/tree_builder.h"
#include "modules/security/access_service.h"
#include "modules/security/detector.h"
#include "modules/security/event_service.h"
#include "modules/security/incident_service.h"
#include "modules/security/rule_service.h"
#include "support/audit_events.h"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "unit/store/test_db.h"

namespace tf::security {

using tf::testing::Backend;
using tf::testing::TestDatabase;

inline constexpr char kTenantA[] = "0190f000-0000-7000-8000-0000000002aa";
inline constexpr char kTenantB[] = "0190f000-0000-7000-8000-0000000002bb";
inline constexpr char kSystem[] = "0190f000-0000-7000-8000-0000000002cc";
inline constexpr char kUserA[] = "0190f000-0000-7000-8000-0000000002a1";
inline constexpr char kUserA2[] = "0190f000-0000-7000-8000-0000000002a2";
inline constexpr char kUserB[] = "0190f000-0000-7000-8000-0000000002b1";

inline Principal With(std::string tenant, std::string user, std::initializer_list<Permission> permissions) {
  Principal p;
  p.user_id = std::move(user);
  p.tenant_id = std::move(tenant);
  for (Permission x : permissions) p.permissions.set(static_cast<size_t>(x));
  return p;
}
inline Principal AdminOf(const char* tenant, const char* user) {
  return With(tenant, user, {Permission::kSecurityRead, Permission::kSecurityRespond, Permission::kSecurityPolicyWrite});
}
inline Principal Operator() {
  return With(kSystem, "0190f000-0000-7000-8000-0000000002c1",
              {Permission::kTenantsRead, Permission::kSecurityRead, Permission::kSecurityRespond});
}

class SecurityFixture : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    TF_ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(GetParam(), clock_));
    log_ = std::make_unique<audit::AuditLog>(db_->db(), clock_, metrics_);
    builder_ = std::make_unique<audit::TreeBuilder>(
        db_->db(), clock_, signer_, audit::CheckpointPolicy{"security.test/audit", 100000, std::chrono::hours(1)},
        metrics_);
    events_ = std::make_unique<EventService>(db_->db(), *log_, clock_, rng_);
    TF_ASSERT_OK_AND_ASSIGN(rules_, ParseRules(DefaultRulesYaml()));
    rule_service_ = std::make_unique<RuleService>(db_->db(), rules_, *log_, clock_);
    detector_ = NewDetector(metrics_);
    incidents_ = std::make_unique<IncidentService>(db_->db(), *log_, clock_, rng_);
    grants_ = std::make_unique<GrantCache>(clock_, [this](int64_t now) { return access_->ActiveGrants(now); });
    access_ = std::make_unique<AccessService>(db_->db(), *log_, clock_, rng_, *grants_);
    TF_ASSERT_OK(db_->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
      for (auto [id, slug] : {std::pair{kTenantA, "acme"}, {kTenantB, "globex"}, {kSystem, "system"}}) {
        TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO tenants (id, slug, name, data_region, status, created_at, updated_at) "
                                   "VALUES (?, ?, ?, 'eu', 'active', 0, 0)",
                                   {std::string(id), std::string(slug), "Tenant"})
                               .status());
      }
      for (auto [id, tenant] : {std::pair{kUserA, kTenantA}, {kUserA2, kTenantA}, {kUserB, kTenantB}}) {
        TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO users (id, tenant_id, email, display_name, password_hash, roles, "
                                   "status, must_change_password, password_changed_at, created_at, updated_at) "
                                   "VALUES (?, ?, ?, 'A user', 'x', 'ADMIN', 'active', 0, 0, 0, 0)",
                                   {std::string(id), std::string(tenant), std::string(id) + "@example.com"})
                               .status());
      }
      const note::Verifier& v = signer_.verifier();
      return audit::AuditRepo().InsertKeyIfAbsent(tx, {absl::StrFormat("%08x", v.key_id()), v.name(),
                                                       crypto::Base64Encode(v.public_key()), v.KeyString(), 0});
    }));
  }

  std::unique_ptr<Detector> NewDetector(metrics::Registry& metrics) {
    return std::make_unique<Detector>(db_->db(), rules_, *events_, clock_, metrics);
  }

  //! An audit event as the identity module records it, from `ip`.
  void Record(const std::optional<std::string>& tenant, const std::string& type,
              const std::optional<std::string>& user, const std::string& ip = "198.51.100.7",
              audit::Actor actor = audit::Actor{}) {
    audit::RequestInfo info{"req", "", "POST", "/api/auth/login", "/api/auth/login", ip, "test-agent"};
    audit::RequestScope scope(info);
    TF_ASSERT_OK(db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) {
      return log_->RecordEvent(tx, tenant, actor,
                               {type, "LOGIN", user ? std::optional<std::string>("users") : std::nullopt, user,
                                {{"reason", "wrong password"}}, "failure"});
    }));
  }
  void FailedLogin(const char* tenant, const char* user, const std::string& ip = "198.51.100.7") {
    Record(std::string(tenant), "login_failed", std::string(user), ip);
  }

  //! Builds the tree and runs the detector over it.
  DetectResult Detect(Detector* detector = nullptr) {
    EXPECT_TRUE(builder_->Run().ok());
    absl::StatusOr<DetectResult> r = (detector ? detector : detector_.get())->Run();
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(DetectResult{});
  }

  std::vector<SecurityEvent> Events(const Principal& who, std::optional<std::string> rule = "failed_logins") {
    EventFilter f;
    f.rule = std::move(rule);
    f.limit = 100;
    return events_->List(who, f).value();
  }

  std::vector<audit::AuditRecord> AuditEvents(std::string_view type) {
    return tf::testing::AuditEventsOf(db_->owner_db(), type);
  }

  NewEvent Suspicious(std::string severity = "high") {
    NewEvent n;
    n.type = "malware_detected";
    n.severity = std::move(severity);
    n.description = "the scanner flagged an upload";
    n.source = "upload-scanner";
    n.metadata = {{"file", "invoice.pdf"}, {"api_key", "sk_live_abcdefghijklmnop"}};
    return n;
  }

  FakeClock clock_{store::testing::TestEpoch()};
  metrics::Registry metrics_;
  Rng& rng_ = SystemRng::Instance();
  note::Signer signer_ = note::Signer::Generate("security.test/audit").value();
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<audit::AuditLog> log_;
  std::unique_ptr<audit::TreeBuilder> builder_;
  std::unique_ptr<EventService> events_;
  std::vector<DetectionRule> rules_;
  std::unique_ptr<RuleService> rule_service_;
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<IncidentService> incidents_;
  std::unique_ptr<GrantCache> grants_;
  std::unique_ptr<AccessService> access_;
};

}  // namespace tf::security
