#include "modules/identity/personal_fields.h"

namespace tf::identity {

namespace {

constexpr std::string_view kEmailPurpose = "users.email";

secrets::FieldContext TotpField(const TotpFactor& f) { return {f.tenant_id, "mfa_totp", "secret", f.user_id}; }

}  // namespace

absl::StatusOr<std::string> PersonalFields::EmailIndex(std::string_view email) {
  return data_.BlindIndex(kEmailPurpose, email);
}

absl::Status PersonalFields::Seal(User& u) {
  TF_ASSIGN_OR_RETURN(u.email_index, EmailIndex(u.email));
  TF_ASSIGN_OR_RETURN(u.email, data_.Seal({u.tenant_id, "users", "email", u.id}, u.id, u.email));
  TF_ASSIGN_OR_RETURN(u.display_name, SealDisplayName(u, u.display_name));
  return absl::OkStatus();
}

absl::StatusOr<std::string> PersonalFields::SealDisplayName(const User& u, std::string_view display_name) {
  return data_.Seal({u.tenant_id, "users", "display_name", u.id}, u.id, display_name);
}

absl::Status PersonalFields::Seal(ApiToken& t) {
  TF_ASSIGN_OR_RETURN(t.name, data_.Seal({t.tenant_id, "api_tokens", "name", t.id}, t.user_id, t.name));
  return absl::OkStatus();
}

absl::StatusOr<std::string> PersonalFields::EncryptTotpSecret(const TotpFactor& f, std::string_view secret) {
  return keys_.Encrypt(TotpField(f), secret);
}

absl::StatusOr<std::string> PersonalFields::DecryptTotpSecret(const TotpFactor& f) {
  if (!IsEncrypted(f.secret)) return f.secret;
  return keys_.Decrypt(TotpField(f), f.secret);
}

bool PersonalFields::IsEncrypted(std::string_view value) {
  return value.starts_with(secrets::kFieldPrefix) && value.substr(secrets::kFieldPrefix.size()).starts_with(":");
}

absl::Status PersonalFields::OpenField(std::string& value, const secrets::FieldContext& where) {
  if (!IsSealed(value)) return absl::OkStatus();
  absl::StatusOr<std::string> plain = data_.Open(where, value);
  if (secrets::PersonalData::IsErased(plain.status())) {
    value = kErased;
    return absl::OkStatus();
  }
  if (!plain.ok()) return plain.status();
  value = std::move(*plain);
  return absl::OkStatus();
}

absl::Status PersonalFields::Open(User& u) {
  if (u.erased_at) {
    u.email = u.display_name = std::string(kErased);
    return absl::OkStatus();
  }
  TF_RETURN_IF_ERROR(OpenField(u.email, {u.tenant_id, "users", "email", u.id}));
  return OpenField(u.display_name, {u.tenant_id, "users", "display_name", u.id});
}

absl::Status PersonalFields::Open(ApiToken& t) { return OpenField(t.name, {t.tenant_id, "api_tokens", "name", t.id}); }

}  // namespace tf::identity
