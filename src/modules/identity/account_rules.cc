#include "modules/identity/account_rules.h"

#include <cctype>

#include "core/crypto.h"
#include "core/redact.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/totp.h"

namespace tf::identity {

namespace {

std::string FoldRecoveryCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

bool IsTotpCode(std::string_view code) {
  if (code.size() != totp::kDigits) return false;
  for (char c : code) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::optional<OpenedTotp>> ReadTotp(store::Database& db, AccountRepo& repo, PersonalFields& fields,
                                                   const std::string& tenant_id, const std::string& user_id) {
  TF_ASSIGN_OR_RETURN(std::optional<TotpFactor> factor,
                      db.InTx(store::ReadTx(tenant_id), [&](store::Transaction& tx)
                                  -> absl::StatusOr<std::optional<TotpFactor>> {
    absl::StatusOr<TotpFactor> f = repo.GetTotp(tx, user_id);
    if (absl::IsNotFound(f.status())) return std::nullopt;
    if (!f.ok()) return f.status();
    return std::optional<TotpFactor>(std::move(*f));
  }));
  if (!factor) return std::optional<OpenedTotp>();
  TF_ASSIGN_OR_RETURN(std::string secret, fields.DecryptTotpSecret(*factor));
  return std::optional<OpenedTotp>(OpenedTotp{factor->created_at, std::move(secret)});
}

absl::StatusOr<std::optional<SecondFactor>> UseSecondFactor(store::Transaction& tx, AccountRepo& repo,
                                                            const std::optional<OpenedTotp>& totp,
                                                            const std::string& user_id, std::string_view code,
                                                            int64_t now_micros) {
  if (code.size() > 64) return std::optional<SecondFactor>();
  if (IsTotpCode(code)) {
    auto factor = repo.GetTotp(tx, user_id);
    if (absl::IsNotFound(factor.status())) return std::optional<SecondFactor>();
    TF_RETURN_IF_ERROR(factor.status());
    if (!factor->confirmed_at || !totp || totp->created_at != factor->created_at) {
      return std::optional<SecondFactor>();
    }
    TF_ASSIGN_OR_RETURN(std::string key, totp::Base32Decode(totp->secret));
    std::optional<int64_t> step = totp::MatchStep(key, code, now_micros / 1'000'000, factor->last_used_step);
    if (!step) return std::optional<SecondFactor>();
    TF_ASSIGN_OR_RETURN(bool fresh, repo.UseTotpStep(tx, user_id, *step));
    if (!fresh) return std::optional<SecondFactor>();
    return std::optional<SecondFactor>(SecondFactor::kTotp);
  }
  TF_ASSIGN_OR_RETURN(bool used, repo.UseRecoveryCode(tx, user_id, RecoveryCodeHash(user_id, code), now_micros));
  if (!used) return std::optional<SecondFactor>();
  return std::optional<SecondFactor>(SecondFactor::kRecoveryCode);
}

std::vector<std::string> NewRecoveryCodes(Rng& rng) {
  std::vector<std::string> codes;
  for (int i = 0; i < kRecoveryCodeCount; ++i) {
    std::string b32 = totp::Base32Encode(rng.Bytes(10));  // 80 bits -> 16 characters
    codes.push_back(StrCat(b32.substr(0, 4), "-", b32.substr(4, 4), "-", b32.substr(8, 4), "-", b32.substr(12, 4)));
  }
  return codes;
}

std::string RecoveryCodeHash(std::string_view user_id, std::string_view code) {
  return crypto::Sha256Hex(StrCat(user_id, ":", FoldRecoveryCode(code)));
}

std::string DescribeUserAgent(std::string_view ua) {
  auto has = [&](std::string_view s) { return ua.find(s) != std::string_view::npos; };
  std::string browser;
  if (has("Firefox/")) browser = "Firefox";
  else if (has("Edg/")) browser = "Edge";
  else if (has("HeadlessChrome/")) browser = "Headless Chrome";
  else if (has("Chromium/")) browser = "Chromium";
  else if (has("Chrome/")) browser = "Chrome";
  else if (has("Safari/")) browser = "Safari";
  else if (ua.rfind("curl/", 0) == 0) return "curl";
  std::string os;
  if (has("Android")) os = "Android";
  else if (has("iPhone") || has("iPad")) os = "iOS";
  else if (has("Windows")) os = "Windows";
  else if (has("Mac OS X") || has("Macintosh")) os = "macOS";
  else if (has("CrOS")) os = "ChromeOS";
  else if (has("Linux")) os = "Linux";
  if (browser.empty() && os.empty()) return "Unknown device";
  if (browser.empty()) return StrCat("Browser on ", os);
  if (os.empty()) return browser;
  return StrCat(browser, " on ", os);
}

AccountEvent MakeAccountEvent(std::string id, std::string tenant_id, std::string_view user_id, std::string actor,
                              std::string_view type, std::string_view source_ip, std::string_view user_agent,
                              const nlohmann::json& detail, int64_t now_micros) {
  AccountEvent e;
  e.id = std::move(id);
  e.tenant_id = std::move(tenant_id);
  if (!user_id.empty()) e.user_id = std::string(user_id);
  e.actor = std::move(actor);
  e.type = std::string(type);
  e.source_ip = std::string(source_ip.substr(0, 64));
  e.user_agent = std::string(user_agent.substr(0, 512));
  e.detail = RedactJson(detail.is_object() ? detail : nlohmann::json::object()).dump();
  e.created_at = now_micros;
  return e;
}

audit::AuditEvent AccountAuditEvent(const AccountEvent& e) {
  std::string_view t = e.type;
  std::string action = "UPDATE";
  if (t.starts_with("login_") || t == "account_locked") action = "LOGIN";
  else if (t == "logout") action = "LOGOUT";
  else if (t == "device_new" || t == "mfa_enrollment_started") action = "CREATE";
  else if (t.ends_with("_removed") || t.ends_with("_revoked") || t == "mfa_disabled") action = "DELETE";
  audit::AuditEvent out{e.type, action, "users", e.user_id, nlohmann::json::parse(e.detail, nullptr, false)};
  if (!e.user_id) {
    out.resource_type = "tenants";
    out.resource_id = e.tenant_id;
  }
  if (out.details.is_discarded()) out.details = nlohmann::json::object();
  if (t == "login_failed") out.outcome = "failure";
  return out;
}

audit::Actor AuditActorOf(std::string_view actor) {
  if (actor.starts_with("user:")) {
    std::string id(actor.substr(5));
    return {"user", id, id, std::nullopt};
  }
  if (actor.starts_with("token:")) return {"api_token", std::string(actor.substr(6)), std::nullopt, std::nullopt};
  if (actor == "system") return audit::Actor::System();
  return {};
}

}  // namespace tf::identity
