#include "modules/secrets/inventory_service.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/redact.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "core/log.h"
#include "core/utf8.h"

namespace tf::secrets {

namespace {

using audit::Actor;
using audit::AuditEvent;
using nlohmann::json;

constexpr std::string_view kFingerprintPurpose = "secret-fingerprint";
//! A failed automatic rotation is tried again after this long.
constexpr int64_t kAutoRetryMicros = int64_t{3600} * 1'000'000;
constexpr int kSweepBatch = 200;
constexpr int64_t kDefaultLength = 43;  // 256 bits in base64url
//! The value_format of Trust Fabric's own keys (a tenant's data key, the KEK): their values
//! are the keyring's.
constexpr std::string_view kDataKeyFormat = "data-key";
constexpr std::string_view kKekFormat = "kek";
//! The names of Trust Fabric's own keys in the inventory.
constexpr std::string_view kOwnPrefix = "trust-fabric.";

bool IsKek(const Secret& s) { return s.value_format == kKekFormat; }
bool IsOwnKey(const Secret& s) { return IsKek(s) || s.value_format == kDataKeyFormat; }

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

absl::Status ValidName(std::string_view field, std::string_view name) {
  if (name.empty() || name.size() > 128 || !std::all_of(name.begin(), name.end(), IsNameChar) || name[0] == '.' ||
      name[0] == '-') {
    return FieldError(field, "must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  return absl::OkStatus();
}

absl::Status ValidType(std::string_view type) {
  for (std::string_view t : kSecretTypes) {
    if (t == type) return absl::OkStatus();
  }
  std::string list;
  for (std::string_view t : kSecretTypes) StrAppend(&list, list.empty() ? "" : ", ", t);
  return FieldError("type", StrCat("must be one of ", list));
}

absl::Status ValidPolicy(int64_t rotation_days, int64_t grace_days) {
  if (rotation_days < 1 || rotation_days > InventoryService::kMaxRotationDays) {
    return FieldError("rotation_days", StrCat("must be between 1 and ", InventoryService::kMaxRotationDays));
  }
  if (grace_days < 0 || grace_days > InventoryService::kMaxGraceDays) {
    return FieldError("grace_days", StrCat("must be between 0 and ", InventoryService::kMaxGraceDays));
  }
  if (grace_days >= rotation_days) return FieldError("grace_days", "must be shorter than rotation_days");
  return absl::OkStatus();
}

absl::Status ValidValue(std::string_view value) {
  if (value.empty()) return FieldError("value", "must not be empty");
  if (value.size() > InventoryService::kMaxValueBytes) {
    return FieldError("value", StrCat("must be at most ", InventoryService::kMaxValueBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ValidReason(std::string_view reason) {
  if (reason.empty() || reason.size() > 500) return FieldError("reason", "must be 1 to 500 characters");
  return std::string(reason);
}

json PolicyJson(const Secret& s) {
  return {{"rotation_days", s.rotation_days}, {"grace_days", s.grace_days}, {"auto_rotate", s.auto_rotate}};
}

//! Parses "<format>:<length>".
std::pair<std::string, int64_t> SplitFormat(std::string_view value_format) {
  size_t colon = value_format.find(':');
  std::string_view length = value_format.substr(colon + 1);
  int64_t n = 0;
  for (char c : length) n = n * 10 + (c - '0');
  return {std::string(value_format.substr(0, colon)), n};
}

//! Narrows a list's tenant filter to the caller's tenant; false when the caller asked for
//! another tenant's (the list is then empty).
bool Confine(const Principal& caller, std::optional<std::string>& tenant_id) {
  std::optional<std::string> scope = caller.TenantScope();
  if (!scope) return true;
  if (tenant_id && *tenant_id != *scope) return false;
  tenant_id = std::move(scope);
  return true;
}

}  // namespace

std::string_view DueStateName(DueState s) {
  switch (s) {
    case DueState::kOk: return "ok";
    case DueState::kDue: return "due";
    case DueState::kOverdue: return "overdue";
  }
  return "ok";
}

absl::StatusOr<std::string> GenerateValue(std::string_view format, int64_t length) {
  if (length < 16 || length > 512) return FieldError("length", "must be between 16 and 512 characters");
  size_t n = static_cast<size_t>(length);
  std::string out;
  if (format == "base64url") {
    out = crypto::Base64UrlEncode(crypto::RandomBytes(n * 3 / 4 + 3));
  } else if (format == "hex") {
    out = crypto::HexEncode(crypto::RandomBytes(n / 2 + 1));
  } else if (format == "alphanumeric") {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    while (out.size() < n) {
      for (unsigned char b : crypto::RandomBytes(n)) {
        // 248 = 4 * 62: bytes above it would favour the first letters.
        if (b < 248 && out.size() < n) out.push_back(kAlphabet[b % kAlphabet.size()]);
      }
    }
  } else {
    return FieldError("format", "must be one of base64url, hex, alphanumeric");
  }
  out.resize(n);
  return out;
}

InventoryService::InventoryService(store::Database& db, DataKeys& keys, audit::AuditLog& audit, const Clock& clock,
                                   Rng& rng, metrics::Registry& metrics)
    : db_(db),
      keys_(keys),
      audit_(audit),
      clock_(clock),
      rng_(rng),
      due_(metrics.AddGauge("secret_rotation_due",
                            "Secrets whose rotation is due within 7 days (self-rotating ones excluded).", {"type"})),
      overdue_(metrics.AddGauge("secret_rotation_overdue", "Secrets past their rotation date.", {"type"})),
      rotations_(metrics.AddCounter("secret_rotations_total", "Secret rotations, by kind and outcome.",
                                    {"kind", "status"})),
      fetches_(metrics.AddCounter("secret_value_reads_total", "Secret values served to API tokens.").Get()) {}

DueState InventoryService::StateOf(const Secret& s) const {
  int64_t now = clock_.NowMicros();
  if (s.next_rotation_at <= now) return DueState::kOverdue;
  if (s.next_rotation_at <= now + kReminderWindowDays * kMicrosPerDay) return DueState::kDue;
  return DueState::kOk;
}

absl::StatusOr<std::string> InventoryService::TenantFor(const Principal& caller,
                                                        const std::optional<std::string>& requested) const {
  if (!requested) return caller.tenant_id;
  if (!caller.IsPlatform() && *requested != caller.tenant_id) return absl::NotFoundError("no such tenant");
  return *requested;
}

absl::StatusOr<Secret> InventoryService::Find(const std::string& tenant_id, const std::string& name) {
  TF_ASSIGN_OR_RETURN(std::optional<Secret> s, db_.InTx(store::ReadTx(tenant_id), [&](store::Transaction& tx) {
                        return repo_.FindSecret(tx, tenant_id, name);
                      }));
  if (!s) return absl::NotFoundError(StrCat("no secret named '", name, "'"));
  return *s;
}

absl::StatusOr<std::string> InventoryService::Encrypt(const Secret& s, int64_t version, std::string_view value) {
  std::string row = StrCat(s.id, "/", version);
  return keys_.Encrypt({s.tenant_id, "secret_versions", "value", row}, value);
}

absl::StatusOr<std::string> InventoryService::Decrypt(const SecretVersion& v) {
  if (!v.value) return absl::FailedPreconditionError("the version's value was destroyed");
  std::string row = StrCat(v.secret_id, "/", v.version);
  return keys_.Decrypt({v.tenant_id, "secret_versions", "value", row}, *v.value);
}

Rotation InventoryService::LedgerRow(const Secret& s, std::string_view kind, std::string_view status,
                                     const std::string& actor, int64_t now) {
  Rotation row;
  row.id = NewUuidV7(clock_, rng_);
  row.tenant_id = s.tenant_id;
  row.secret_id = s.id;
  row.secret_name = s.name;
  row.secret_type = s.type;
  row.kind = std::string(kind);
  row.status = std::string(status);
  row.actor = actor;
  row.rotated_at = row.status_changed_at = now;
  return row;
}

absl::StatusOr<Secret> InventoryService::Register(const Principal& caller, NewSecret n) {
  TF_ASSIGN_OR_RETURN(std::string tenant, TenantFor(caller, n.tenant_id));
  TF_RETURN_IF_ERROR(ValidName("name", n.name));
  if (n.name.starts_with(kOwnPrefix)) {
    return FieldError("name", StrCat("names starting with '", kOwnPrefix, "' are Trust Fabric's own keys"));
  }
  TF_RETURN_IF_ERROR(ValidType(n.type));
  TF_RETURN_IF_ERROR(ValidPolicy(n.rotation_days, n.grace_days));
  if (!n.managed && (n.value || n.format || n.length)) {
    return FieldError(n.value ? "value" : "format",
                      "is for managed secrets only: an external secret's value is never held here");
  }
  if (n.managed && n.location) return FieldError("location", "is for external secrets only");
  if (n.value && (n.format || n.length)) return FieldError("format", "is for generated values: omit it with a value");
  if (n.value) TF_RETURN_IF_ERROR(ValidValue(*n.value));
  bool generated = n.managed && !n.value;
  if (n.auto_rotate.value_or(false) && !generated) {
    return FieldError("auto_rotate", "needs a value Trust Fabric generates (managed, without a value)");
  }

  int64_t now = clock_.NowMicros();
  Secret s;
  s.id = NewUuidV7(clock_, rng_);
  s.tenant_id = tenant;
  s.name = n.name;
  s.type = n.type;
  s.owner = n.owner;
  s.description = n.description;
  s.managed = n.managed;
  s.location = n.location;
  s.auto_rotate = generated && n.auto_rotate.value_or(true);
  s.rotation_days = n.rotation_days;
  s.grace_days = n.grace_days;
  s.current_version = 1;
  s.next_rotation_at = now + n.rotation_days * kMicrosPerDay;
  s.created_at = s.updated_at = now;
  s.created_by = caller.Actor();

  TF_ASSIGN_OR_RETURN(bool exists, db_.InTx(store::ReadTx(tenant), [&](store::Transaction& tx) {
                        return repo_.TenantExists(tx, tenant);
                      }));
  if (!exists) return absl::NotFoundError("no such tenant");
  std::optional<SecretVersion> version;
  if (n.managed) {
    std::string value;
    if (generated) {
      std::string format = n.format.value_or("base64url");
      int64_t length = n.length.value_or(kDefaultLength);
      TF_ASSIGN_OR_RETURN(value, GenerateValue(format, length));
      s.value_format = StrCat(format, ":", length);
    } else {
      value = std::move(*n.value);
    }
    // Before the transaction: a tenant's first use of its keys stores them in one of its own.
    TF_ASSIGN_OR_RETURN(std::string encrypted, Encrypt(s, 1, value));
    TF_ASSIGN_OR_RETURN(std::string fingerprint, keys_.KeyedHash(tenant, kFingerprintPurpose, value));
    version = SecretVersion{s.id, 1, tenant, std::move(encrypted), std::move(fingerprint), now, std::nullopt};
  }
  Rotation first = LedgerRow(s, kRegistered, kActive, caller.Actor(), now);
  first.version = 1;
  first.next_due_at = s.next_rotation_at;

  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(tenant), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(bool inserted, repo_.InsertSecret(tx, s));
    if (!inserted) return absl::AlreadyExistsError(StrCat("a secret named '", s.name, "' already exists"));
    if (version) TF_RETURN_IF_ERROR(repo_.InsertVersion(tx, *version));
    TF_RETURN_IF_ERROR(repo_.InsertRotation(tx, first));
    return audit_.RecordEvent(tx, tenant, Actor::Of(caller),
                              {"secret.registered", "CREATE", "secret", s.name,
                               {{"type", s.type},
                                {"managed", s.managed},
                                {"generated", generated},
                                {"policy", PolicyJson(s)},
                                {"owner", s.owner ? json(*s.owner) : json(nullptr)}}});
  }));
  return s;
}

absl::StatusOr<std::vector<Secret>> InventoryService::List(const Principal& caller, SecretFilter filter,
                                                           std::optional<DueState> state) {
  if (!Confine(caller, filter.tenant_id)) return std::vector<Secret>{};
  int64_t now = clock_.NowMicros();
  int64_t window_end = now + kReminderWindowDays * kMicrosPerDay;
  if (state == DueState::kOverdue) filter.due_before = now;
  if (state == DueState::kDue) {
    filter.due_after = now;
    filter.due_before = window_end;
  }
  if (state == DueState::kOk) filter.due_after = window_end;
  return db_.InTx(store::ReadTx(caller.TxTenant()),
                  [&](store::Transaction& tx) { return repo_.ListSecrets(tx, filter); });
}

absl::StatusOr<std::vector<Secret>> InventoryService::Due(const Principal& caller,
                                                          const std::optional<std::string>& tenant_id, int64_t within,
                                                          const std::optional<std::pair<int64_t, std::string>>& after,
                                                          int limit) {
  std::optional<std::string> tenant = tenant_id;
  if (!Confine(caller, tenant)) return std::vector<Secret>{};
  int64_t before = clock_.NowMicros() + within;
  return db_.InTx(store::ReadTx(caller.TxTenant()),
                  [&](store::Transaction& tx) { return repo_.DueSecrets(tx, tenant, before, after, limit); });
}

absl::StatusOr<FetchedSecret> InventoryService::Fetch(const Principal& caller,
                                                      const std::optional<std::string>& tenant_id,
                                                      const std::string& name) {
  if (caller.kind != Principal::Kind::kApiToken) {
    return absl::PermissionDeniedError("secret values are served to API tokens only");
  }
  TF_ASSIGN_OR_RETURN(std::string tenant, TenantFor(caller, tenant_id));
  // One transaction: a rotation committing meanwhile must not pair a secret with versions
  // it no longer has.
  std::optional<Secret> found;
  std::optional<SecretVersion> current, previous;
  TF_RETURN_IF_ERROR(db_.InTx(store::ReadTx(tenant), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(found, repo_.FindSecret(tx, tenant, name));
    if (!found || !found->managed) return absl::OkStatus();
    TF_ASSIGN_OR_RETURN(current, repo_.Version(tx, found->id, found->current_version));
    if (found->current_version > 1) {
      TF_ASSIGN_OR_RETURN(previous, repo_.Version(tx, found->id, found->current_version - 1));
    }
    return absl::OkStatus();
  }));
  if (!found) return absl::NotFoundError(StrCat("no secret named '", name, "'"));
  const Secret& s = *found;
  if (!s.managed) {
    return absl::FailedPreconditionError(
        StrCat("'", name, "' is an external secret: its value is held ", s.location.value_or("elsewhere")));
  }
  if (IsOwnKey(s)) {
    return absl::FailedPreconditionError(StrCat("'", name, "' is one of Trust Fabric's keys: it never leaves the keyring"));
  }
  if (!current) return absl::InternalError("the secret's current version is missing");
  FetchedSecret out{s, "", std::nullopt};
  TF_ASSIGN_OR_RETURN(out.value, Decrypt(*current));
  int64_t now = clock_.NowMicros();
  if (previous && previous->value && previous->valid_until && *previous->valid_until > now) {
    TF_ASSIGN_OR_RETURN(std::string value, Decrypt(*previous));
    out.previous = FetchedSecret::Previous{previous->version, std::move(value), *previous->valid_until};
  }
  fetches_.Inc();
  return out;
}

absl::StatusOr<Rotation> InventoryService::Rotate(const Principal& caller, RotationRequest r) {
  TF_ASSIGN_OR_RETURN(std::string tenant, TenantFor(caller, r.tenant_id));
  TF_RETURN_IF_ERROR(ValidName("secret_name", r.secret_name));
  TF_ASSIGN_OR_RETURN(r.reason, ValidReason(r.reason));
  r.metadata = RedactJson(r.metadata);
  TF_ASSIGN_OR_RETURN(Secret s, Find(tenant, r.secret_name));
  if (r.failed && s.managed) {
    return FieldError("result", "is for recording external rotations: a managed secret's failures are recorded here");
  }
  if (r.error && !r.failed) return FieldError("error", "is for failed rotations only");
  const std::string actor = caller.Actor();
  if (!s.managed) {
    if (r.value) return FieldError("value", "is not held for external secrets: record the rotation without it");
    if (r.failed) return RecordFailure(s, kExternal, actor, Actor::Of(caller), r, r.error.value_or("reported failed"));
    return Apply(s, kExternal, actor, Actor::Of(caller), r, std::nullopt);
  }
  if (IsOwnKey(s)) {
    if (r.value) return FieldError("value", "is one of Trust Fabric's keys, made by the keyring: omit it");
    return RotateOwnKey(s, kManual, actor, Actor::Of(caller), r);
  }
  std::string value;
  if (s.value_format) {
    if (r.value) return FieldError("value", "is generated for this secret: omit it");
    auto [format, length] = SplitFormat(*s.value_format);
    TF_ASSIGN_OR_RETURN(value, GenerateValue(format, length));
  } else {
    if (!r.value) return FieldError("value", "is required: people supply this secret's values");
    TF_RETURN_IF_ERROR(ValidValue(*r.value));
    value = std::move(*r.value);  // Apply refuses the current value
  }
  return Apply(s, kManual, actor, Actor::Of(caller), r, value);
}

absl::StatusOr<Rotation> InventoryService::RecordFailure(const Secret& s, std::string_view kind,
                                                         const std::string& actor, const Actor& audit_actor,
                                                         const RotationRequest& r, std::string error) {
  Rotation row = LedgerRow(s, kind, kFailed, actor, clock_.NowMicros());
  row.previous_version = s.current_version;
  row.reason = r.reason;
  row.error = std::string(TruncateUtf8(RedactString(error), 500));
  row.next_due_at = s.next_rotation_at;
  row.metadata = r.metadata.dump();
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(s.tenant_id), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(repo_.InsertRotation(tx, row));
    return audit_.RecordEvent(tx, s.tenant_id, audit_actor,
                              {"secret.rotation_failed", "ROTATE", "secret", s.name,
                               {{"type", s.type}, {"kind", row.kind}, {"reason", r.reason}, {"error", *row.error}},
                               "failure"});
  }));
  rotations_.WithLabels({std::string(kind), std::string(kFailed)}).Inc();
  return row;
}

absl::StatusOr<Rotation> InventoryService::Apply(const Secret& s, std::string_view kind, const std::string& actor,
                                                 const Actor& audit_actor, const RotationRequest& r,
                                                 const std::optional<std::string>& value,
                                                 std::optional<int64_t> new_version) {
  int64_t now = clock_.NowMicros();
  int64_t version = new_version.value_or(s.current_version + 1);
  int64_t grace_end = now + s.grace_days * kMicrosPerDay;
  std::optional<SecretVersion> stored;
  if (value) {
    absl::StatusOr<std::string> encrypted = Encrypt(s, version, *value);
    absl::StatusOr<std::string> fingerprint =
        encrypted.ok() ? keys_.KeyedHash(s.tenant_id, kFingerprintPurpose, *value) : encrypted.status();
    if (!fingerprint.ok()) {
      TF_RETURN_IF_ERROR(RecordFailure(s, kind, actor, audit_actor, r, std::string(fingerprint.status().message()))
                             .status());
      return absl::FailedPreconditionError(
          StrCat("the new version could not be stored: ", fingerprint.status().message()));
    }
    stored = SecretVersion{s.id, version, s.tenant_id, std::move(*encrypted), std::move(*fingerprint), now,
                           std::nullopt};
  }
  Secret after = s;
  after.current_version = version;
  after.last_rotated_at = now;
  after.next_rotation_at = now + s.rotation_days * kMicrosPerDay;
  after.reminder_state = std::nullopt;
  after.reminded_at = std::nullopt;
  after.updated_at = now;

  Rotation row = LedgerRow(s, kind, kActive, actor, now);
  row.version = version;
  row.previous_version = s.current_version;
  row.reason = r.reason;
  row.grace_until = grace_end;
  row.next_due_at = after.next_rotation_at;
  row.metadata = r.metadata.dump();

  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(s.tenant_id), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(std::optional<SecretVersion> previous, repo_.Version(tx, s.id, s.current_version));
    if (stored && previous && crypto::ConstantTimeEquals(previous->fingerprint, stored->fingerprint)) {
      return FieldError("value", "is the current value: a rotation needs a new one");
    }
    if (previous) row.previous_fingerprint = previous->fingerprint;
    TF_ASSIGN_OR_RETURN(bool applied, repo_.UpdateRotated(tx, after, s));
    if (!applied) {
      return absl::AbortedError(StrCat("'", s.name, "' was rotated or its policy changed meanwhile; try again"));
    }
    // Only the current version and the one it supersedes stay valid.
    TF_ASSIGN_OR_RETURN(std::vector<Rotation> older, repo_.DeprecatedBelow(tx, s.id, s.current_version));
    for (const Rotation& o : older) TF_RETURN_IF_ERROR(repo_.SetRotationStatus(tx, o.id, kDeprecated, kRotated, now, now).status());
    TF_RETURN_IF_ERROR(repo_.EndVersionsBelow(tx, s.id, s.current_version, now));
    if (s.grace_days == 0) {
      TF_RETURN_IF_ERROR(repo_.EndVersionsBelow(tx, s.id, version, now));
    } else {
      TF_RETURN_IF_ERROR(repo_.EndVersion(tx, s.id, s.current_version, grace_end));
    }
    TF_ASSIGN_OR_RETURN(std::optional<Rotation> superseded, repo_.RotationOf(tx, s.id, s.current_version));
    if (superseded) {
      TF_RETURN_IF_ERROR(repo_.SetRotationStatus(tx, superseded->id, kActive,
                                                 s.grace_days == 0 ? kRotated : kDeprecated, now, grace_end)
                             .status());
    }
    if (stored) TF_RETURN_IF_ERROR(repo_.InsertVersion(tx, *stored));
    TF_RETURN_IF_ERROR(repo_.InsertRotation(tx, row));
    return audit_.RecordEvent(tx, s.tenant_id, audit_actor,
                              {kind == kExternal ? "secret.rotation_recorded" : "secret.rotated", "ROTATE", "secret",
                               s.name,
                               {{"type", s.type},
                                {"kind", row.kind},
                                {"version", version},
                                {"previous_version", s.current_version},
                                {"previous_valid_until", FormatRfc3339Exact(grace_end)},
                                {"next_due_at", FormatRfc3339Exact(after.next_rotation_at)},
                                {"reason", r.reason}}});
  }));
  rotations_.WithLabels({std::string(kind), std::string(kActive)}).Inc();
  return row;
}

absl::StatusOr<std::vector<Rotation>> InventoryService::Rotations(const Principal& caller, RotationFilter filter) {
  if (!Confine(caller, filter.tenant_id)) return std::vector<Rotation>{};
  return db_.InTx(store::ReadTx(caller.TxTenant()),
                  [&](store::Transaction& tx) { return repo_.ListRotations(tx, filter); });
}

absl::StatusOr<std::vector<Secret>> InventoryService::SetPolicy(const Principal& caller, const PolicyChange& change) {
  TF_ASSIGN_OR_RETURN(std::string tenant, TenantFor(caller, change.tenant_id));
  if (change.secret_name.has_value() == change.type.has_value()) {
    return FieldError("secret_name", "name one secret (secret_name) or a type of secret (type), not both");
  }
  if (change.secret_name) TF_RETURN_IF_ERROR(ValidName("secret_name", *change.secret_name));
  if (change.type) TF_RETURN_IF_ERROR(ValidType(*change.type));
  int64_t now = clock_.NowMicros();
  return db_.InTx(store::WriteTx(tenant), [&](store::Transaction& tx) -> absl::StatusOr<std::vector<Secret>> {
    std::vector<Secret> targets;
    if (change.secret_name) {
      TF_ASSIGN_OR_RETURN(std::optional<Secret> s, repo_.FindSecret(tx, tenant, *change.secret_name));
      if (!s) return absl::NotFoundError(StrCat("no secret named '", *change.secret_name, "'"));
      targets.push_back(std::move(*s));
    } else {
      SecretFilter f;
      f.tenant_id = tenant;
      f.type = change.type;
      f.limit = 1000;
      for (;;) {
        TF_ASSIGN_OR_RETURN(std::vector<Secret> page, repo_.ListSecrets(tx, f));
        if (page.empty()) break;
        f.after_id = page.back().id;
        for (Secret& s : page) targets.push_back(std::move(s));
      }
      if (targets.empty()) return absl::NotFoundError(StrCat("the tenant has no ", *change.type, " secrets"));
    }
    for (Secret& s : targets) {
      Secret before = s;
      s.rotation_days = change.rotation_days;
      s.grace_days = change.grace_days.value_or(s.grace_days);
      TF_RETURN_IF_ERROR(ValidPolicy(s.rotation_days, s.grace_days));
      if (change.auto_rotate) {
        if (*change.auto_rotate && !s.value_format) {
          return FieldError("auto_rotate", StrCat("'", s.name, "' does not have values Trust Fabric generates"));
        }
        s.auto_rotate = *change.auto_rotate;
      }
      s.next_rotation_at = s.last_rotated_at.value_or(s.created_at) + s.rotation_days * kMicrosPerDay;
      if (s.next_rotation_at != before.next_rotation_at) {
        s.reminder_state = std::nullopt;  // the reminders apply to the new date afresh
        s.reminded_at = std::nullopt;
      }
      s.updated_at = now;
      TF_RETURN_IF_ERROR(repo_.UpdatePolicy(tx, s));
      TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, tenant, Actor::Of(caller),
                                            {"secret.policy_updated", "UPDATE", "secret", s.name,
                                             {{"before", PolicyJson(before)},
                                              {"after", PolicyJson(s)},
                                              {"next_rotation_at", FormatRfc3339Exact(s.next_rotation_at)}}}));
    }
    return targets;
  });
}

absl::StatusOr<SweepResult> InventoryService::Sweep() {
  SweepResult result;
  int64_t now = clock_.NowMicros();
  for (;;) {
    TF_ASSIGN_OR_RETURN(std::vector<Rotation> ended, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                          return repo_.GraceEnded(tx, now, kSweepBatch);
                        }));
    for (const Rotation& r : ended) {
      bool applied = false;
      TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(r.tenant_id).Retryable(), [&](store::Transaction& tx) -> absl::Status {
        TF_ASSIGN_OR_RETURN(applied, repo_.SetRotationStatus(tx, r.id, kDeprecated, kRotated, now));
        if (!applied) return absl::OkStatus();  // another instance ended it
        return audit_.RecordEvent(tx, r.tenant_id, Actor::System(),
                                  {"secret.version_expired", "UPDATE", "secret", r.secret_name,
                                   {{"version", r.version ? json(*r.version) : json(nullptr)},
                                    {"valid_until", FormatRfc3339Exact(r.valid_until.value_or(now))}}});
      }));
      result.grace_ended += applied ? 1 : 0;
    }
    if (ended.size() < static_cast<size_t>(kSweepBatch)) break;
  }
  TF_ASSIGN_OR_RETURN(result.values_destroyed, db_.InTx(store::WriteTx().Retryable(), [&](store::Transaction& tx) {
                        return repo_.DestroyExpiredValues(tx, now);
                      }));

  TF_RETURN_IF_ERROR(SweepOwnKeys(now));
  TF_RETURN_IF_ERROR(SweepAutomaticRotations(now, result));
  TF_RETURN_IF_ERROR(SweepReminders(now, result));
  return result;
}

absl::StatusOr<Rotation> InventoryService::RotateOwnKey(const Secret& s, std::string_view kind,
                                                        const std::string& actor, const Actor& audit_actor,
                                                        const RotationRequest& r) {
  // A new KEK version: the next sweep rewraps every data key under it (RewrapKeys).
  absl::StatusOr<int> version = IsKek(s) ? keys_.kms().Rotate() : keys_.Rotate(s.tenant_id);
  if (!version.ok()) {
    TF_RETURN_IF_ERROR(RecordFailure(s, kind, actor, audit_actor, r, std::string(version.status().message())).status());
    return absl::FailedPreconditionError(StrCat("the key could not be rotated: ", version.status().message()));
  }
  return Apply(s, kind, actor, audit_actor, r, std::nullopt, *version);
}

absl::Status InventoryService::SweepOwnKeys(int64_t now) {
  TF_ASSIGN_OR_RETURN(std::vector<KeyState> states, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                        return SecretsRepo().States(tx);
                      }));
  for (const KeyState& k : states) {
    if (k.latest_version < 1) continue;  // no data key yet
    TF_ASSIGN_OR_RETURN(bool tenant, db_.InTx(store::ReadTx(k.tenant_id), [&](store::Transaction& tx) {
                          return repo_.TenantExists(tx, k.tenant_id);
                        }));
    if (!tenant) continue;  // the platform's own keys (blind indexes) belong to no tenant
    OwnKey key{k.tenant_id, kDataKeySecret, kDataKeyFormat, k.latest_version, kDataKeyRotationDays,
               "The tenant's data-encryption key: it encrypts the tenant's fields and its people's keys, and is "
               "held only wrapped by the key-encryption key",
               [&]() -> absl::StatusOr<int64_t> {
                 TF_ASSIGN_OR_RETURN(auto stored, keys_.Stored(k.tenant_id));
                 for (const StoredDataKey& d : stored.second) {
                   if (d.version == k.latest_version) return d.created_at;
                 }
                 return now;
               }};
    TF_RETURN_IF_ERROR(SweepOwnKey(key, now));
  }
  TF_ASSIGN_OR_RETURN(std::optional<std::string> system, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                        return repo_.TenantIdBySlug(tx, kSystemTenantSlug);
                      }));
  if (!system) return absl::OkStatus();  // not bootstrapped yet
  KmsStatus kms = keys_.kms().Status();
  OwnKey kek{*system, kKekSecret, kKekFormat, kms.latest_version, kKekRotationDays,
             StrCat("The key-encryption key (", kms.provider, "): it wraps every tenant's data keys"),
             [&]() -> absl::StatusOr<int64_t> { return kms.versions.empty() ? now : kms.versions.back().created_at; }};
  TF_RETURN_IF_ERROR(SweepOwnKey(kek, now));
  return RewrapKeys(kms.latest_version);
}

absl::Status InventoryService::RewrapKeys(int kek_version) {
  TF_ASSIGN_OR_RETURN(auto counts, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                        return SecretsRepo().CountByKekVersion(tx);
                      }));
  bool behind = std::any_of(counts.begin(), counts.end(), [&](const auto& c) { return c.first < kek_version; });
  if (!behind) return absl::OkStatus();
  TF_ASSIGN_OR_RETURN(RewrapResult r, keys_.RewrapAll());
  log::Info("data keys rewrapped under the latest KEK version", {{"rewrapped", r.rewrapped}, {"kek_version", r.kek_version}});
  return absl::OkStatus();
}

absl::Status InventoryService::SweepOwnKey(const OwnKey& key, int64_t now) {
  absl::StatusOr<Secret> s = Find(key.tenant_id, std::string(key.name));
  if (absl::IsNotFound(s.status())) return RegisterOwnKey(key, now);
  TF_RETURN_IF_ERROR(s.status());
  if (s->value_format != key.format || key.version <= s->current_version) return absl::OkStatus();
  RotationRequest outside;
  outside.reason = "rotated outside the inventory (trustctl keys rotate)";
  absl::StatusOr<Rotation> row = Apply(*s, kExternal, "system", Actor::System(), outside, std::nullopt, key.version);
  if (!row.ok() && !absl::IsAborted(row.status())) return row.status();  // Aborted: recorded meanwhile
  return absl::OkStatus();
}

absl::Status InventoryService::RegisterOwnKey(const OwnKey& key, int64_t now) {
  TF_ASSIGN_OR_RETURN(int64_t made_at, key.made_at());
  Secret s;
  s.id = NewUuidV7(clock_, rng_);
  s.tenant_id = key.tenant_id;
  s.name = std::string(key.name);
  s.type = "ENCRYPTION_KEY";
  s.owner = "Trust Fabric";
  s.description = key.description;
  s.managed = true;
  s.value_format = std::string(key.format);
  s.auto_rotate = true;
  s.rotation_days = key.rotation_days;
  s.grace_days = 0;  // older versions keep decrypting until they are retired
  s.current_version = key.version;
  s.last_rotated_at = made_at;
  s.next_rotation_at = made_at + s.rotation_days * kMicrosPerDay;
  s.created_at = s.updated_at = now;
  s.created_by = "system";
  Rotation first = LedgerRow(s, kRegistered, kActive, "system", now);
  first.version = s.current_version;
  first.next_due_at = s.next_rotation_at;
  return db_.InTx(store::WriteTx(key.tenant_id).Retryable(), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(bool inserted, repo_.InsertSecret(tx, s));
    if (!inserted) return absl::OkStatus();  // another instance registered it
    TF_RETURN_IF_ERROR(repo_.InsertRotation(tx, first));
    return audit_.RecordEvent(tx, key.tenant_id, Actor::System(),
                              {"secret.registered", "CREATE", "secret", s.name,
                               {{"type", s.type}, {"managed", true}, {"generated", true}, {"policy", PolicyJson(s)},
                                {"owner", *s.owner}, {"key_version", s.current_version}}});
  });
}

absl::Status InventoryService::SweepAutomaticRotations(int64_t now, SweepResult& result) {
  RotationRequest automatic;
  automatic.reason = "due by its rotation policy";
  std::optional<std::pair<int64_t, std::string>> after;
  for (;;) {
    TF_ASSIGN_OR_RETURN(std::vector<Secret> due, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                          return repo_.AutoRotationsDue(tx, now, after, kSweepBatch);
                        }));
    for (const Secret& s : due) {
      after = {s.next_rotation_at, s.id};
      TF_ASSIGN_OR_RETURN(std::optional<Rotation> last, db_.InTx(store::ReadTx(s.tenant_id), [&](store::Transaction& tx) {
                            return repo_.LatestRotation(tx, s.id);
                          }));
      if (last && last->status == kFailed && now - last->rotated_at < kAutoRetryMicros) continue;
      absl::StatusOr<Rotation> row = absl::UnknownError("");
      if (IsOwnKey(s)) {
        row = RotateOwnKey(s, kAutomatic, "system", Actor::System(), automatic);
      } else {
        auto [format, length] = SplitFormat(s.value_format.value_or("base64url:43"));
        absl::StatusOr<std::string> value = GenerateValue(format, length);
        row = value.ok() ? Apply(s, kAutomatic, "system", Actor::System(), automatic, *value) : value.status();
      }
      if (row.ok()) ++result.rotated;
      else if (row.status().code() == absl::StatusCode::kFailedPrecondition) ++result.failed;
      // Aborted: rotated meanwhile by someone else. Anything else stops this run.
      else if (row.status().code() != absl::StatusCode::kAborted) return row.status();
    }
    if (due.size() < static_cast<size_t>(kSweepBatch)) return absl::OkStatus();
  }
}

absl::Status InventoryService::SweepReminders(int64_t now, SweepResult& result) {
  TF_ASSIGN_OR_RETURN(std::vector<Secret> secrets, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                        return repo_.DueOrReminded(tx, now + kReminderWindowDays * kMicrosPerDay);
                      }));
  std::map<std::string, std::pair<int64_t, int64_t>> counts;  // type -> (due, overdue)
  for (std::string_view t : kSecretTypes) counts[std::string(t)];
  for (const Secret& s : secrets) {
    DueState state = StateOf(s);
    // Self-rotating secrets rotate when due: only their failures (overdue) need people.
    if (state == DueState::kDue && s.auto_rotate) state = DueState::kOk;
    if (state == DueState::kDue) ++counts[s.type].first;
    if (state == DueState::kOverdue) ++counts[s.type].second;
    std::optional<std::string> target;
    if (state != DueState::kOk) target = std::string(DueStateName(state));
    if (target == s.reminder_state) continue;
    bool raised = false;
    TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(s.tenant_id).Retryable(), [&](store::Transaction& tx) -> absl::Status {
      TF_ASSIGN_OR_RETURN(bool applied, repo_.SetReminder(tx, s, target, now));
      raised = applied && target;
      if (!raised) return absl::OkStatus();
      return audit_.RecordEvent(tx, s.tenant_id, Actor::System(),
                                {StrCat("secret.rotation_", *target), "NOTIFY", "secret", s.name,
                                 {{"type", s.type},
                                  {"owner", s.owner ? json(*s.owner) : json(nullptr)},
                                  {"next_rotation_at", FormatRfc3339Exact(s.next_rotation_at)}}});
    }));
    result.reminders += raised ? 1 : 0;
  }
  for (const auto& [type, n] : counts) {
    due_.WithLabels({type}).Set(static_cast<double>(n.first));
    overdue_.WithLabels({type}).Set(static_cast<double>(n.second));
  }
  return absl::OkStatus();
}

}  // namespace tf::secrets
