#pragma once
// Redaction: the ONE place secrets are removed before text or JSON leaves the process through
// logs, audit payloads, error messages or --print-config (DESIGN rule 6). Redaction works by key
// name (IsSecretKey) and by value pattern (LooksLikeSecret / RedactString): our bearer tokens
// (tfs_/tft_), other vendors' well-known token formats, Bearer/Basic credentials, PEM private
// keys, password hashes (argon2 and other PHC/crypt strings), URL passwords, AWS access key ids,
// JWTs, and `secret_key=value` / `"secret_key": "value"` pairs inside free text.
// It errs on the side of safety: an innocent `token_count=3` is redacted too.
// Thread-safety: stateless; every function is safe from any thread.

#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"

namespace tf {

//! What every redacted value or substring is replaced with.
inline constexpr std::string_view kRedacted = "[REDACTED]";

//! True when a field, header, variable or parameter named `key` holds a secret, e.g.
//! "password", "Authorization", "X-Api-Key", "refresh_token", "sessionId", "mfa_code", "dsn".
//! Case-insensitive; '-', '_', '.' and camelCase are treated alike.
bool IsSecretKey(std::string_view key);

//! True when `value` is or contains something RedactString would redact; also true for a whole
//! header value "Bearer <anything>" or "Basic <anything>".
bool LooksLikeSecret(std::string_view value);

//! `s` with every secret-looking substring replaced by kRedacted and everything else kept:
//! "postgresql://app:s3cret@db/trust" -> "postgresql://app:[REDACTED]@db/trust",
//! "Authorization: Bearer tft_abc..." -> "Authorization: Bearer [REDACTED]". Idempotent.
std::string RedactString(std::string_view s);

//! A copy of `v` in which every value under a secret key (IsSecretKey) at any depth becomes
//! kRedacted (null and booleans are kept: they cannot carry a secret), every string (object keys
//! included) goes through RedactString, and subtrees nested deeper than 64 levels are replaced
//! by kRedacted rather than inspected.
nlohmann::json RedactJson(const nlohmann::json& v);

//! `object` with its top-level members named in `names` set to kRedacted: secrets known by
//! where they are (a route's declared secret fields, a sign-in's `code`) rather than by a name
//! or shape IsSecretKey and RedactString would know. Anything but an object is returned as is.
nlohmann::json RedactMembers(nlohmann::json object, const std::vector<std::string>& names);

}  // namespace tf
