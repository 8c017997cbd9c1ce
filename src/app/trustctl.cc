// trustctl: the Trust Fabric operator CLI.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "app/cli_config.h"
#include "app/trustctl_keys.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/strings.h"
#include "core/metrics.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "modules/audit/audit_log.h"
#include "modules/audit/bundle_verifier.h"
#include "modules/audit/signing_key.h"
#include "modules/audit/trail_verifier.h"
#include "modules/identity/identity_module.h"
#include "modules/secrets/secrets_module.h"
#include "store/migrator.h"
#include "store/open.h"
#include "store/postgres/pg_schema.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "trustctl: %s\n", std::string(status.message()).c_str());
  return status.code() == absl::StatusCode::kFailedPrecondition ? 3 : 1;
}

//! Opens the store as the serving role, brings its schema up to date where the configuration
//! allows it and checks it is ready to serve.
absl::StatusOr<std::unique_ptr<tf::store::Database>> OpenReady(const tf::Config& config) {
  auto db = tf::store::OpenDatabase(config.database, config.data_dir);
  if (!db.ok()) return db.status();
  auto applied = tf::store::MigrateSchema(**db, config.database, tf::SystemClock::Instance());
  if (!applied.ok()) return applied.status();
  if (absl::Status ready = tf::store::CheckReadyToServe(**db); !ready.ok()) return ready;
  return db;
}

//! `db migrate`: SQLite, or PostgreSQL as the owner (database.migration_url, granting the
//! serving role of database.url access; or database.url itself when it is the owner).
//! Applies one store's pending migrations (see store::MigrateSchema); without a migration URL
//! on PostgreSQL the serving URL is taken as the tables' owner.
absl::StatusOr<std::vector<int>> Migrate(const tf::DatabaseConfig& c, const std::string& data_dir,
                                         const tf::store::StoreSpec& spec) {
  const tf::Clock& clock = tf::SystemClock::Instance();
  auto db = tf::store::OpenDatabase(c, data_dir, spec);
  if (!db.ok()) return db.status();
  if (tf::IsPostgresUrl(c.url) && c.migration_url.empty()) {
    auto applied = tf::store::ApplyMigrations(**db, clock, spec.migrations);
    if (!applied.ok()) return applied.status();
    if (absl::Status s = tf::store::SecureSchema(**db, ""); !s.ok()) return s;
    std::printf("note: %s is not set, so %s was used as the tables' owner and no serving role was granted access\n",
                std::string(spec.migration_url_key).c_str(), std::string(spec.url_key).c_str());
    return applied;
  }
  return tf::store::MigrateSchema(**db, c, clock, spec);
}

//! The verifier key given as a key string, or a file holding one or GET /api/audit/public-key's answer.
absl::StatusOr<tf::note::Verifier> ReadPublicKey(const std::string& arg) {
  std::string text = arg;
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    std::ifstream in(arg);
    std::stringstream content;
    content << in.rdbuf();
    text = content.str();
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("verifier_key") && j["verifier_key"].is_string()) {
      text = j["verifier_key"].get<std::string>();
    }
  }
  return tf::note::Verifier::FromKeyString(tf::Sv(absl::StripAsciiWhitespace(text)));
}

//! The keys `audit verify` trusts against the store: the public half of the signing key file, when
//! it is here, and each --public-key. Never the store's own list of keys.
absl::StatusOr<std::vector<tf::note::Verifier>> TrustedKeys(const tf::Config& config,
                                                             const std::vector<std::string>& public_keys) {
  std::vector<tf::note::Verifier> trusted;
  std::string key_file = tf::audit::SigningKeyFile(config);
  auto signer = tf::audit::ReadSigningKey(key_file, config.audit.origin);
  if (!signer.ok()) return signer.status();
  if (*signer) trusted.push_back((*signer)->verifier());
  for (const std::string& arg : public_keys) {
    auto key = ReadPublicKey(arg);
    if (!key.ok()) return absl::InvalidArgumentError(tf::StrCat("--public-key ", arg, ": ", key.status().message()));
    trusted.push_back(*key);
  }
  if (trusted.empty()) {
    return absl::InvalidArgumentError(tf::StrCat("no trusted key: the signing key file ", key_file,
                                                  " is not here; give the log's verifier key with --public-key"));
  }
  return trusted;
}

//! `audit verify --bundle`: an exported bundle, offline, with the public key alone.
int VerifyBundleFile(const std::string& path, std::string format, const std::string& public_key, bool quiet) {
  if (public_key.empty()) {
    std::fprintf(stderr, "trustctl: --bundle needs --public-key (the verifier key of GET /api/audit/public-key)\n");
    return 1;
  }
  auto key = ReadPublicKey(public_key);
  if (!key.ok()) return Fail(key.status());
  if (format.empty()) format = absl::EndsWith(path, ".jsonl") ? "jsonl" : absl::EndsWith(path, ".json") ? "json" : "";
  if (format != "json" && format != "jsonl") {
    std::fprintf(stderr, "trustctl: say --format json or --format jsonl for %s\n", path.c_str());
    return 1;
  }
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "trustctl: cannot read %s\n", path.c_str());
      return 1;
    }
  }
  std::istream& in = path == "-" ? std::cin : file;
  tf::audit::BundleReport report = tf::audit::VerifyBundle(
      in, format == "json" ? tf::audit::BundleFormat::kJson : tf::audit::BundleFormat::kJsonl, *key,
      [quiet](int64_t done) {
        if (!quiet) std::fprintf(stderr, "verified %lld records\n", static_cast<long long>(done));
      });
  if (report.problem) {
    const tf::audit::TrailProblem& p = *report.problem;
    std::printf("TAMPERED: %s", std::string(tf::audit::KindName(p.kind)).c_str());
    if (p.leaf_index >= 0) std::printf(" at leaf index %lld", static_cast<long long>(p.leaf_index));
    std::printf(": %s\nverified before it: %lld records\n", p.message.c_str(), static_cast<long long>(report.records));
    return 2;
  }
  std::printf("OK: %lld records verified against the signed checkpoint of tree size %lld; the signed manifest "
              "lists exactly these records (filter %s)\n",
              static_cast<long long>(report.records), static_cast<long long>(report.tree_size), report.filter.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"trustctl: operate a Trust Fabric installation"};
  cli.require_subcommand(1);
  tf::CommonFlags flags;
  tf::AddCommonFlags(cli, flags);

  auto* bootstrap = cli.add_subcommand("bootstrap", "Create the system tenant and the first SUPER_ADMIN");
  std::string email;
  bool password_stdin = false, if_needed = false;
  bootstrap->add_option("--email", email, "The administrator's email")->required();
  bootstrap->add_flag("--password-stdin", password_stdin,
                      "Read the password from standard input (no forced change); otherwise a one-time "
                      "password is printed and must be changed at first sign-in");
  bootstrap->add_flag("--if-needed", if_needed, "Succeed quietly when a SUPER_ADMIN already exists");

  auto* db_cmd = cli.add_subcommand("db", "Database schema operations");
  db_cmd->require_subcommand(1);
  auto* migrate = db_cmd->add_subcommand("migrate", "Apply pending schema migrations (the database's and the personal-data key store's)");
  auto* status = db_cmd->add_subcommand("status", "Show the schema version and pending migrations");

  auto* audit_cmd = cli.add_subcommand("audit", "Audit trail operations");
  audit_cmd->require_subcommand(1);
  auto* verify = audit_cmd->add_subcommand(
      "verify",
      "Recompute the audit tree from the stored records and check every checkpoint and its signature (by the "
      "signing key file's key or a --public-key, never a key the store lists), or check an exported bundle "
      "offline (--bundle); exits 0 when intact, 2 naming the first record modified, deleted, inserted or "
      "reordered");
  bool quiet = false;
  std::string bundle, bundle_format;
  std::vector<std::string> public_keys;
  verify->add_flag("--quiet", quiet, "No progress lines, only the result");
  verify->add_option("--bundle", bundle,
                     "An export of GET /api/audit/export (json or jsonl; - for standard input), checked with the "
                     "public key alone: no database is opened");
  verify->add_option("--public-key", public_keys,
                     "A verifier key whose checkpoint signatures are trusted: the key string, or a file holding it "
                     "or the answer of GET /api/audit/public-key. Needed once with --bundle; against the store, the "
                     "signing key file's own key is trusted too, and earlier keys of the log are given this way "
                     "(repeatable)");
  verify->add_option("--format", bundle_format, "With --bundle: json or jsonl (default: from the file name)")
      ->check(CLI::IsMember({"json", "jsonl"}));

  auto* keys_cmd = cli.add_subcommand("keys", "The keyring: the key-encryption key (KEK) and the tenants' data keys");
  keys_cmd->require_subcommand(1);
  auto* keys_status = keys_cmd->add_subcommand(
      "status", "Show the KEK's versions and ages, and how many data keys each version wraps (rewrap progress)");
  auto* keys_rotate = keys_cmd->add_subcommand(
      "rotate", "Add a KEK version for new data keys, or with --tenant a data key version for that tenant's new values");
  std::string rotate_tenant;
  keys_rotate->add_option("--tenant", rotate_tenant, "Rotate this tenant's data key instead of the KEK");
  auto* keys_rewrap = keys_cmd->add_subcommand(
      "rewrap", "Rewrap every data key under the KEK's latest version, in batches, printing progress");
  bool retire = false, rewrap_quiet = false;
  keys_rewrap->add_flag("--retire", retire, "Afterwards retire the older KEK versions (min_decryption_version)");
  keys_rewrap->add_flag("--quiet", rewrap_quiet, "No progress lines, only the result");
  auto* keys_reencrypt = keys_cmd->add_subcommand(
      "reencrypt",
      "Re-encrypt every value still under an older data key version with its tenant's latest, printing progress");
  std::string reencrypt_tenant;
  bool reencrypt_retire = false, reencrypt_quiet = false;
  keys_reencrypt->add_option("--tenant", reencrypt_tenant, "Only this tenant's values");
  keys_reencrypt->add_flag("--retire", reencrypt_retire,
                           "Afterwards retire the older data key versions of each tenant left with none under them");
  keys_reencrypt->add_flag("--quiet", reencrypt_quiet, "No progress lines, only the result");

  CLI11_PARSE(cli, argc, argv);
  if (*verify && !bundle.empty()) {
    if (absl::Status s = tf::crypto::InitCrypto(); !s.ok()) return Fail(s);
    if (public_keys.size() > 1) {
      std::fprintf(stderr, "trustctl: --bundle takes one --public-key (the bundle's checkpoint names one key)\n");
      return 1;
    }
    return VerifyBundleFile(bundle, bundle_format, public_keys.empty() ? "" : public_keys[0], quiet);
  }
  auto config = tf::LoadConfigFromFlags(flags);
  if (!config.ok()) return Fail(config.status());
  if (absl::Status s = tf::crypto::InitCrypto(); !s.ok()) return Fail(s);

  auto optional_tenant = [](const std::string& t) { return t.empty() ? std::nullopt : std::optional(t); };
  if (*keys_status || *keys_rotate || *keys_rewrap || *keys_reencrypt) {
    absl::Status done = *keys_status ? tf::keys_cli::Status(*config)
                        : *keys_rotate ? tf::keys_cli::Rotate(*config, optional_tenant(rotate_tenant))
                        : *keys_rewrap
                            ? tf::keys_cli::Rewrap(*config, retire, rewrap_quiet)
                            : tf::keys_cli::Reencrypt(*config, optional_tenant(reencrypt_tenant), reencrypt_retire,
                                                      reencrypt_quiet);
    return done.ok() ? 0 : Fail(done);
  }
  if (*status) {
    auto db = tf::store::OpenDatabase(config->database, config->data_dir);
    if (!db.ok()) return Fail(db.status());
    auto st = tf::store::GetMigrationStatus(**db, tf::store::BuiltinMigrations());
    if (!st.ok()) return Fail(st.status());
    std::printf("database: %s\nschema version: %d\nlatest known: %d\npending: %zu\n", (*db)->Describe().c_str(),
                st->current_version, st->latest_version, st->pending.size());
    absl::Status ready = tf::store::CheckReadyToServe(**db);
    std::printf("ready to serve: %s\n", ready.ok() ? "yes" : std::string(ready.message()).c_str());
    return 0;
  }
  if (*verify) {
    auto trusted = TrustedKeys(*config, public_keys);
    if (!trusted.ok()) return Fail(trusted.status());
    auto db = tf::store::OpenDatabase(config->database, config->data_dir);
    if (!db.ok()) return Fail(db.status());
    tf::audit::TrailVerifier verifier(**db, std::move(*trusted));
    auto report = verifier.Run([quiet](int64_t done, int64_t total) {
      if (!quiet) std::fprintf(stderr, "verified %lld of %lld records\n", static_cast<long long>(done),
                               static_cast<long long>(total));
    });
    if (!report.ok()) return Fail(report.status());
    if (report->problem) {
      const tf::audit::TrailProblem& p = *report->problem;
      std::printf("TAMPERED: %s at leaf index %lld: %s\n", std::string(tf::audit::KindName(p.kind)).c_str(),
                  static_cast<long long>(p.leaf_index), p.message.c_str());
      std::printf("verified before it: %lld records, %lld checkpoints\n", static_cast<long long>(report->records),
                  static_cast<long long>(report->checkpoints));
      return 2;
    }
    std::printf("OK: %lld records and %lld signed checkpoints verified; %lld records not yet in the tree\n",
                static_cast<long long>(report->records), static_cast<long long>(report->checkpoints),
                static_cast<long long>(report->pending));
    return 0;
  }
  if (*migrate) {
    auto applied = Migrate(config->database, config->data_dir, {});
    if (!applied.ok()) return Fail(applied.status());
    std::printf("applied %zu migration(s)\n", applied->size());
    auto key_store = Migrate(tf::secrets::SubjectKeyStoreConfig(*config), config->data_dir,
                             tf::secrets::SubjectKeyStoreSpec());
    if (!key_store.ok()) return Fail(key_store.status());
    std::printf("personal-data key store: applied %zu migration(s)\n", key_store->size());
    return 0;
  }
  if (*bootstrap) {
    auto db = OpenReady(*config);
    if (!db.ok()) return Fail(db.status());
    tf::metrics::Registry metrics;
    tf::audit::AuditLog audit(**db, tf::SystemClock::Instance(), metrics);
    auto keys = tf::secrets::OpenKeyServices(*config, **db, tf::SystemClock::Instance());
    if (!keys.ok()) return Fail(keys.status());
    tf::identity::IdentityService service(**db, tf::SystemClock::Instance(), tf::SystemRng::Instance(),
                                          tf::identity::IdentityOptionsFrom(*config), audit, *keys->personal_data);
    if (if_needed) {
      auto done = service.IsBootstrapped();
      if (!done.ok()) return Fail(done.status());
      if (*done) {
        std::printf("already bootstrapped: a SUPER_ADMIN exists\n");
        return 0;
      }
    }
    std::optional<std::string> password;
    if (password_stdin) {
      std::string line;
      std::getline(std::cin, line);
      password = line;
    }
    auto result = service.Bootstrap(email, password);
    if (!result.ok()) return Fail(result.status());
    std::printf("Created SUPER_ADMIN %s in the system tenant.\n", result->user.email.c_str());
    if (result->one_time_password) {
      std::printf("One-time password: %s\n", result->one_time_password->c_str());
      std::printf("It is shown once; it must be changed at first sign-in (POST /api/auth/password).\n");
    }
    return 0;
  }
  return 0;
}
