#include "modules/secrets/vault_kms.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "core/crypto.h"
#include "core/status.h"
#include "core/strings.h"

namespace tf::secrets {

namespace {

using nlohmann::json;

std::string ErrorsOf(const json& reply) {
  std::vector<std::string> out;
  if (reply.is_object() && reply.contains("errors") && reply["errors"].is_array()) {
    for (const json& e : reply["errors"]) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out.empty() ? "no error message" : absl::StrJoin(out, "; ");
}

absl::StatusOr<std::string> StringAt(const json& reply, const char* field, std::string_view what) {
  if (!reply.is_object() || !reply.contains("data") || !reply["data"].is_object() ||
      !reply["data"].contains(field) || !reply["data"][field].is_string()) {
    return absl::DataLossError(StrCat("vault-transit: the answer to ", what, " has no data.", field));
  }
  return reply["data"][field].get<std::string>();
}

}  // namespace

absl::StatusOr<json> VaultTransitKms::Call(std::string_view method, const std::string& path,
                                           const json* body) const {
  HttpRequest request;
  request.method = std::string(method);
  std::string address = options_.address;
  while (!address.empty() && address.back() == '/') address.pop_back();
  request.url = StrCat(address, "/v1/", options_.mount, "/", path);
  request.headers = {{"X-Vault-Token", options_.token}, {"X-Vault-Request", "true"}};
  if (!options_.ns.empty()) request.headers.emplace_back("X-Vault-Namespace", options_.ns);
  if (body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body->dump();
  }
  std::string what = StrCat(method, " /v1/", options_.mount, "/", path);
  TF_ASSIGN_OR_RETURN(HttpReply reply, SendHttp(request, options_.http));
  json parsed = reply.body.empty() ? json::object() : json::parse(reply.body, nullptr, false);
  if (reply.status >= 200 && reply.status < 300) {
    if (parsed.is_discarded()) return absl::DataLossError(StrCat("vault-transit: ", what, " answered non-JSON"));
    return parsed;
  }
  std::string message = StrCat("vault-transit: ", what, " answered ", reply.status, ": ", ErrorsOf(parsed));
  if (reply.status == 403) return absl::PermissionDeniedError(message);
  if (reply.status == 404) return absl::NotFoundError(message);
  if (reply.status == 400) {
    if (absl::StrContains(message, "message authentication failed")) return absl::DataLossError(message);
    if (absl::StrContains(message, "disallowed by policy") || absl::StrContains(message, "too old")) {
      return absl::FailedPreconditionError(message);
    }
    return absl::InvalidArgumentError(message);
  }
  return absl::UnavailableError(message);
}

absl::StatusOr<KmsStatus> VaultTransitKms::ReadKey() const {
  absl::StatusOr<json> reply = Call("GET", StrCat("keys/", options_.key), nullptr);
  if (reply.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(StrCat("vault-transit: the Transit key '", options_.key, "' does not exist at ",
                                      options_.mount, "; create it with `vault write -f ", options_.mount, "/keys/",
                                      options_.key, " type=aes256-gcm96`"));
  }
  if (!reply.ok()) return reply.status();
  auto integer = [](const json& obj, const char* field) -> std::optional<int> {
    auto it = obj.find(field);
    if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
    int64_t v = it->get<int64_t>();
    return v >= 0 && v < (int64_t{1} << 30) ? std::optional<int>(static_cast<int>(v)) : std::nullopt;
  };
  const json* d = reply->is_object() && reply->contains("data") ? &(*reply)["data"] : nullptr;
  if (!d || !d->is_object() || !integer(*d, "latest_version") || !d->contains("keys") || !(*d)["keys"].is_object()) {
    return absl::DataLossError("vault-transit: the key's description lacks latest_version or keys");
  }
  KmsStatus s;
  s.provider = std::string(kProvider);
  s.wrap_prefix = std::string(kPrefix);
  s.latest_version = *integer(*d, "latest_version");
  s.min_decryption_version = std::max(1, integer(*d, "min_decryption_version").value_or(1));
  for (const auto& [version, created] : (*d)["keys"].items()) {
    KekVersion v;
    if (!absl::SimpleAtoi(version, &v.version) || v.version <= 0) continue;
    // AEAD keys give Unix seconds; other key types an object (not usable here).
    int64_t seconds = created.is_number_integer() ? created.get<int64_t>() : 0;
    v.created_at = seconds > 0 && seconds < (int64_t{1} << 40) ? seconds * 1'000'000 : 0;
    s.versions.push_back(v);
  }
  std::sort(s.versions.begin(), s.versions.end(),
            [](const KekVersion& a, const KekVersion& b) { return a.version < b.version; });
  return s;
}

absl::Status VaultTransitKms::Refresh() const {
  TF_ASSIGN_OR_RETURN(KmsStatus s, ReadKey());
  std::lock_guard lock(mu_);
  status_ = std::move(s);
  read_at_ = clock_.NowMicros();
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VaultTransitKms>> VaultTransitKms::Open(VaultOptions options, const Clock& clock) {
  std::unique_ptr<VaultTransitKms> kms(new VaultTransitKms(std::move(options), clock));
  TF_RETURN_IF_ERROR(kms->Refresh());
  TF_RETURN_IF_ERROR(kms->ProbeAssociatedData());
  return kms;
}

absl::Status VaultTransitKms::ProbeAssociatedData() {
  std::string probe = crypto::RandomBytes(32);
  TF_ASSIGN_OR_RETURN(std::string wrapped, Wrap(probe, "trust-fabric/probe/a"));
  absl::StatusOr<std::string> same = Unwrap(wrapped, "trust-fabric/probe/a");
  if (!same.ok()) return same.status();
  if (*same != probe) return absl::DataLossError("vault-transit: the probe did not come back unchanged");
  absl::StatusOr<std::string> other = Unwrap(wrapped, "trust-fabric/probe/b");
  if (other.ok()) {
    return absl::FailedPreconditionError(StrCat(
        "vault-transit: the server ignores associated_data, so wrapped keys would not be bound to their tenant "
        "and version; use an AEAD key type (aes256-gcm96, chacha20-poly1305) on Vault 1.13 or later or OpenBao "
        "(key '",
        options_.key, "')"));
  }
  if (other.status().code() != absl::StatusCode::kDataLoss) return other.status();
  return absl::OkStatus();
}

absl::StatusOr<std::string> VaultTransitKms::Wrap(std::string_view data_key, std::string_view context) {
  json body = {{"plaintext", crypto::Base64Encode(data_key)}, {"associated_data", crypto::Base64Encode(context)}};
  TF_ASSIGN_OR_RETURN(json reply, Call("POST", StrCat("encrypt/", options_.key), &body));
  TF_ASSIGN_OR_RETURN(std::string ciphertext, StringAt(reply, "ciphertext", "encrypt"));
  TF_RETURN_IF_ERROR(ParseVersioned(ciphertext, kPrefix).status());
  return ciphertext;
}

absl::StatusOr<std::string> VaultTransitKms::Unwrap(std::string_view wrapped, std::string_view context) {
  TF_ASSIGN_OR_RETURN(VersionedText parsed, ParseVersioned(wrapped, kPrefix));
  int min_version = Status().min_decryption_version;
  if (parsed.version < min_version) {
    return absl::FailedPreconditionError(StrCat("vault-transit: key version ", parsed.version,
                                                " is retired (min_decryption_version ", min_version, ")"));
  }
  json body = {{"ciphertext", std::string(wrapped)}, {"associated_data", crypto::Base64Encode(context)}};
  TF_ASSIGN_OR_RETURN(json reply, Call("POST", StrCat("decrypt/", options_.key), &body));
  TF_ASSIGN_OR_RETURN(std::string plaintext, StringAt(reply, "plaintext", "decrypt"));
  absl::StatusOr<std::string> key = crypto::Base64Decode(plaintext);
  if (!key.ok()) return absl::DataLossError("vault-transit: decrypt answered a plaintext that is not base64");
  return key;
}

absl::StatusOr<std::string> VaultTransitKms::Rewrap(std::string_view wrapped, std::string_view context) {
  TF_ASSIGN_OR_RETURN(std::string key, Unwrap(wrapped, context));
  absl::StatusOr<std::string> again = Wrap(key, context);
  sodium_memzero(key.data(), key.size());
  return again;
}

absl::StatusOr<int> VaultTransitKms::Rotate() {
  json empty = json::object();
  TF_RETURN_IF_ERROR(Call("POST", StrCat("keys/", options_.key, "/rotate"), &empty).status());
  TF_RETURN_IF_ERROR(Refresh());
  return Status().latest_version;
}

absl::Status VaultTransitKms::SetMinDecryptionVersion(int version) {
  int latest = Status().latest_version;
  if (version < 1 || version > latest) {
    return absl::InvalidArgumentError(StrCat("min_decryption_version must be between 1 and the latest, ", latest));
  }
  json body = {{"min_decryption_version", version}};
  TF_RETURN_IF_ERROR(Call("POST", StrCat("keys/", options_.key, "/config"), &body).status());
  return Refresh();
}

KmsStatus VaultTransitKms::Status() const {
  bool stale = false;
  {
    std::lock_guard lock(mu_);
    stale = clock_.NowMicros() - read_at_ > std::chrono::microseconds(kStatusTtl).count();
  }
  // A server that cannot be reached keeps the versions last read; calls say what failed.
  if (stale) (void)Refresh();
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace tf::secrets
