#include "core/redact.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace tf {
namespace {

// ---------------------------------------------------------------------------------------------
// Key names

//! Fragments matched anywhere in the key after lower-casing it and dropping every character
//! that is not a letter or digit ("X-Api-Key" -> "xapikey", "sessionId" -> "sessionid").
constexpr std::string_view kSecretKeyFragments[] = {
    "password",      "passwd",           "passphrase",   "passcode",   "secret",
    "token",         "authorization",    "cookie",       "apikey",     "privatekey",
    "credential",    "sessionid",        "sessid",       "csrf",       "xsrf",
    "mfacode",       "otpcode",          "recoverycode", "backupcode", "signingkey",
    "encryptionkey", "masterkey",        "hmackey",      "accesskey",  "clientkey",
    "sshkey",        "connectionstring", "bearer",       "jwt",        "authcode",
};

//! Short names matched only as a whole word of the key (words are split at non-alphanumerics and
//! at camelCase humps), so "dsn" matches "database_dsn" but not "fields_name".
constexpr std::string_view kSecretKeyWords[] = {"otp", "totp", "hotp", "pwd", "pin", "dsn", "pat"};

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsB64UrlChar(char c) { return IsAlnum(c) || c == '-' || c == '_'; }
//! RFC 6750 b64token characters.
bool IsB64TokenChar(char c) {
  return IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool StartsWithIgnoreCase(std::string_view s, size_t pos, std::string_view prefix) {
  if (s.size() - pos < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (ToLower(s[pos + i]) != prefix[i]) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Value patterns. Each detector appends the [begin, end) spans of `s` to replace.

struct Span {
  size_t begin;
  size_t end;
};
using Spans = std::vector<Span>;

size_t RunEnd(std::string_view s, size_t pos, bool (*pred)(char)) {
  while (pos < s.size() && pred(s[pos])) ++pos;
  return pos;
}

//! Token formats recognised by their prefix: ours first, then other vendors' documented ones.
struct TokenPrefix {
  std::string_view prefix;
  size_t min_body;  //!< characters required after the prefix
};
constexpr std::array<TokenPrefix, 17> kTokenPrefixes = {{
    {"tfs_", 8},          // Trust Fabric session token
    {"tft_", 8},          // Trust Fabric API token
    {"ghp_", 20},         // GitHub personal access token
    {"gho_", 20},         // GitHub OAuth token
    {"ghu_", 20},         // GitHub user-to-server token
    {"ghs_", 20},         // GitHub server-to-server token
    {"ghr_", 20},         // GitHub refresh token
    {"github_pat_", 20},  // GitHub fine-grained token
    {"glpat-", 20},       // GitLab personal access token
    {"xoxb-", 10},        // Slack bot token
    {"xoxp-", 10},        // Slack user token
    {"xoxa-", 10},        // Slack app token
    {"xoxr-", 10},        // Slack refresh token
    {"sk_live_", 16},     // Stripe secret key
    {"rk_live_", 16},     // Stripe restricted key
    {"sk_test_", 16},     // Stripe test secret key
    {"AIza", 30},         // Google API key
}};

void FindPrefixedTokens(std::string_view s, Spans& out) {
  for (const TokenPrefix& tp : kTokenPrefixes) {
    for (size_t pos = s.find(tp.prefix); pos != std::string_view::npos; pos = s.find(tp.prefix, pos + 1)) {
      if (pos > 0 && IsAlnum(s[pos - 1])) continue;  // part of a longer word
      size_t body = pos + tp.prefix.size();
      size_t end = RunEnd(s, body, IsB64UrlChar);
      if (end - body >= tp.min_body) {
        out.push_back({pos, end});
        pos = end - 1;
      }
    }
  }
}

//! Standard base64 (padding optional) decodes, and the result contains ':' (user:password).
bool IsBase64UserPass(std::string_view b64) {
  uint32_t acc = 0;
  int bits = 0;
  bool colon = false;
  size_t data_chars = 0;
  for (size_t i = 0; i < b64.size(); ++i) {
    char c = b64[i];
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=') {
      // Only padding may follow.
      for (size_t j = i; j < b64.size(); ++j) {
        if (b64[j] != '=') return false;
      }
      break;
    } else {
      return false;
    }
    ++data_chars;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (static_cast<char>((acc >> bits) & 0xFF) == ':') colon = true;
    }
  }
  return colon && data_chars % 4 != 1;
}

//! "Bearer <token>" and "Basic <base64(user:pass)>" (scheme case-insensitive). In free text a
//! Bearer credential must be at least 8 characters and a Basic one must decode to user:pass, so
//! prose like "bearer of news" survives; a string that is nothing but "Bearer x" / "Basic x"
//! (a header value) is always redacted.
void FindAuthSchemes(std::string_view s, Spans& out) {
  size_t first = RunEnd(s, 0, IsSpace);
  size_t last = s.size();
  while (last > first && IsSpace(s[last - 1])) --last;
  for (size_t pos = 0; pos < s.size(); ++pos) {
    char c = ToLower(s[pos]);
    if (c != 'b') continue;
    if (pos > 0 && IsAlnum(s[pos - 1])) continue;
    bool bearer = StartsWithIgnoreCase(s, pos, "bearer");
    bool basic = !bearer && StartsWithIgnoreCase(s, pos, "basic");
    if (!bearer && !basic) continue;
    size_t after = pos + (bearer ? 6 : 5);
    size_t cred = after;
    while (cred < s.size() && (s[cred] == ' ' || s[cred] == '\t')) ++cred;
    if (cred == after) continue;  // no separator: "bearers", "basically"
    size_t end = RunEnd(s, cred, IsB64TokenChar);
    if (end == cred) continue;
    bool whole_value = pos == first && end == last;
    bool secret = whole_value || (bearer ? end - cred >= 8 : IsBase64UserPass(s.substr(cred, end - cred)));
    if (secret) out.push_back({cred, end});
  }
}

//! PEM blocks whose label contains "PRIVATE KEY", up to the END line or the end of the text.
void FindPemPrivateKeys(std::string_view s, Spans& out) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  for (size_t pos = s.find(kBegin); pos != std::string_view::npos; pos = s.find(kBegin, pos + 1)) {
    size_t label_begin = pos + kBegin.size();
    size_t label_end = s.find("-----", label_begin);
    if (label_end == std::string_view::npos) label_end = s.size();
    std::string_view label = s.substr(label_begin, label_end - label_begin);
    if (label.find("PRIVATE KEY") == std::string_view::npos) continue;
    size_t end = s.size();
    size_t end_marker = s.find("-----END ", label_end);
    if (end_marker != std::string_view::npos) {
      size_t close = s.find("-----", end_marker + 9);
      end = close == std::string_view::npos ? s.size() : close + 5;
    }
    out.push_back({pos, end});
    pos = end - 1;
  }
}

bool IsPhcChar(char c) {
  return IsAlnum(c) || c == '$' || c == '=' || c == ',' || c == '+' || c == '/' || c == '.' || c == '-';
}

//! Password hashes: argon2 PHC strings and the other crypt(3)-style formats.
void FindPasswordHashes(std::string_view s, Spans& out) {
  constexpr std::array<std::string_view, 6> kPrefixes = {"$argon2", "$2a$",     "$2b$",
                                                         "$2y$",    "$scrypt$", "$pbkdf2"};
  for (std::string_view prefix : kPrefixes) {
    for (size_t pos = s.find(prefix); pos != std::string_view::npos; pos = s.find(prefix, pos + 1)) {
      size_t end = RunEnd(s, pos + 1, IsPhcChar);
      out.push_back({pos, end});
      pos = end - 1;
    }
  }
}

bool IsSchemeChar(char c) { return IsAlnum(c) || c == '+' || c == '-' || c == '.'; }

//! scheme://user:password@host -> the password. The authority ends at '/', '?', '#', whitespace
//! or a quote; the last '@' in it ends the userinfo (RFC 3986 requires '/', '?', '#' and '@' in
//! a password to be percent-encoded).
void FindUrlPasswords(std::string_view s, Spans& out) {
  for (size_t pos = s.find("://"); pos != std::string_view::npos; pos = s.find("://", pos + 1)) {
    if (pos == 0 || !IsSchemeChar(s[pos - 1])) continue;
    size_t auth_begin = pos + 3;
    size_t auth_end = auth_begin;
    while (auth_end < s.size()) {
      char c = s[auth_end];
      if (c == '/' || c == '?' || c == '#' || IsSpace(c) || c == '"' || c == '\'' || c == '<' || c == '>' ||
          c == '`') {
        break;
      }
      ++auth_end;
    }
    std::string_view authority = s.substr(auth_begin, auth_end - auth_begin);
    size_t at = authority.rfind('@');
    if (at == std::string_view::npos) continue;
    size_t colon = authority.find(':');
    if (colon == std::string_view::npos || colon >= at || colon + 1 == at) continue;
    out.push_back({auth_begin + colon + 1, auth_begin + at});
  }
}

bool IsUpperAlnum(char c) { return IsUpper(c) || (c >= '0' && c <= '9'); }

//! AWS access key ids: AKIA (long-term) or ASIA (temporary) + 16 of [0-9A-Z].
void FindAwsKeyIds(std::string_view s, Spans& out) {
  for (std::string_view prefix : {std::string_view("AKIA"), std::string_view("ASIA")}) {
    for (size_t pos = s.find(prefix); pos != std::string_view::npos; pos = s.find(prefix, pos + 1)) {
      if (pos > 0 && IsAlnum(s[pos - 1])) continue;
      size_t end = pos + 4 + 16;
      if (end > s.size()) break;
      bool ok = true;
      for (size_t i = pos + 4; i < end; ++i) ok = ok && IsUpperAlnum(s[i]);
      if (!ok || (end < s.size() && IsAlnum(s[end]))) continue;
      out.push_back({pos, end});
    }
  }
}

//! JWT / JWS compact form: eyJ<b64url>.eyJ<b64url>.<b64url, possibly empty>.
void FindJwts(std::string_view s, Spans& out) {
  for (size_t pos = s.find("eyJ"); pos != std::string_view::npos; pos = s.find("eyJ", pos + 1)) {
    if (pos > 0 && IsB64UrlChar(s[pos - 1])) continue;
    size_t header_end = RunEnd(s, pos, IsB64UrlChar);
    if (header_end >= s.size() || s[header_end] != '.') continue;
    size_t payload = header_end + 1;
    if (s.compare(payload, 3, "eyJ") != 0) continue;
    size_t payload_end = RunEnd(s, payload, IsB64UrlChar);
    if (payload_end >= s.size() || s[payload_end] != '.') continue;
    size_t end = RunEnd(s, payload_end + 1, IsB64UrlChar);
    out.push_back({pos, end});
    pos = end - 1;
  }
}

bool IsKeyChar(char c) { return IsAlnum(c) || c == '_' || c == '-' || c == '.'; }
bool EndsUnquotedValue(char c) {
  return IsSpace(c) || c == '&' || c == ',' || c == ';' || c == ')' || c == ']' || c == '}' || c == '"' ||
         c == '\'' || c == '<' || c == '>' || c == '`';
}

//! `secret_key=value`, `secret_key = "value"` and quoted `"secret_key": "value"` in free text
//! (query strings, libpq DSNs, form bodies, JSON echoed into messages): the value.
void FindKeyValuePairs(std::string_view s, Spans& out) {
  for (size_t sep = 0; sep < s.size(); ++sep) {
    char sc = s[sep];
    if (sc != '=' && sc != ':') continue;
    if (sc == '=' && sep + 1 < s.size() && s[sep + 1] == '=') {  // "==" comparison
      ++sep;
      continue;
    }
    // The key, ending just before the separator (spaces allowed in between).
    size_t key_end = sep;
    while (key_end > 0 && (s[key_end - 1] == ' ' || s[key_end - 1] == '\t')) --key_end;
    bool quoted = key_end > 0 && (s[key_end - 1] == '"' || s[key_end - 1] == '\'');
    char quote = quoted ? s[key_end - 1] : '\0';
    if (quoted) --key_end;
    size_t key_begin = key_end;
    while (key_begin > 0 && IsKeyChar(s[key_begin - 1])) --key_begin;
    if (key_begin == key_end) continue;
    if (quoted && (key_begin == 0 || s[key_begin - 1] != quote)) continue;
    if (sc == ':' && !quoted) continue;  // "invalid token: expired" is prose, not a pair
    if (!IsSecretKey(s.substr(key_begin, key_end - key_begin))) continue;
    // The value.
    size_t v = sep + 1;
    while (v < s.size() && (s[v] == ' ' || s[v] == '\t')) ++v;
    if (v >= s.size()) continue;
    if (s.compare(v, kRedacted.size(), kRedacted) == 0) continue;  // done already
    size_t begin = v;
    size_t end = v;
    if (s[v] == '"' || s[v] == '\'') {
      char q = s[v];
      begin = end = v + 1;
      while (end < s.size() && s[end] != q) end += (s[end] == '\\' && end + 1 < s.size()) ? 2 : 1;
      end = std::min(end, s.size());
    } else {
      while (end < s.size() && !EndsUnquotedValue(s[end])) ++end;
    }
    if (end > begin) out.push_back({begin, end});
    sep = std::max(sep, end == 0 ? 0 : end - 1);
  }
}

Spans FindSecretSpans(std::string_view s) {
  Spans spans;
  FindPrefixedTokens(s, spans);
  FindAuthSchemes(s, spans);
  FindPemPrivateKeys(s, spans);
  FindPasswordHashes(s, spans);
  FindUrlPasswords(s, spans);
  FindAwsKeyIds(s, spans);
  FindJwts(s, spans);
  FindKeyValuePairs(s, spans);
  return spans;
}

bool IsAlreadyRedacted(std::string_view s, const Span& span) {
  return s.substr(span.begin, span.end - span.begin) == kRedacted;
}

constexpr int kMaxJsonDepth = 64;
constexpr int kMaxPasses = 8;

std::string RedactOnce(std::string_view s) {
  Spans spans = FindSecretSpans(s);
  if (spans.empty()) return std::string(s);
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(s.size());
  size_t copied = 0;  // s[0, copied) has been handled
  size_t i = 0;
  while (i < spans.size()) {
    Span merged = spans[i++];
    while (i < spans.size() && spans[i].begin <= merged.end) {
      merged.end = std::max(merged.end, spans[i].end);
      ++i;
    }
    out.append(s.substr(copied, merged.begin - copied));
    out.append(kRedacted);
    copied = merged.end;
  }
  out.append(s.substr(copied));
  return out;
}

nlohmann::json RedactJsonAt(const nlohmann::json& v, int depth) {
  if (depth > kMaxJsonDepth) return std::string(kRedacted);
  switch (v.type()) {
    case nlohmann::json::value_t::object: {
      nlohmann::json out = nlohmann::json::object();
      for (auto it = v.begin(); it != v.end(); ++it) {
        const nlohmann::json& child = it.value();
        std::string key = RedactString(it.key());
        if (IsSecretKey(it.key()) && !child.is_null() && !child.is_boolean()) {
          out[key] = std::string(kRedacted);
        } else {
          out[key] = RedactJsonAt(child, depth + 1);
        }
      }
      return out;
    }
    case nlohmann::json::value_t::array: {
      nlohmann::json out = nlohmann::json::array();
      for (const nlohmann::json& child : v) out.push_back(RedactJsonAt(child, depth + 1));
      return out;
    }
    case nlohmann::json::value_t::string:
      return RedactString(v.get_ref<const std::string&>());
    case nlohmann::json::value_t::binary:
      return std::string(kRedacted);  // opaque bytes: cannot be inspected
    default:
      return v;
  }
}

}  // namespace

bool IsSecretKey(std::string_view key) {
  std::string flat;
  flat.reserve(key.size());
  std::vector<std::string> words(1);
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (!IsAlnum(c)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    // camelCase hump: "mfaOtp" -> "mfa", "otp"; "userPIN" -> "user", "pin".
    if (IsUpper(c) && i > 0 && IsLower(key[i - 1]) && !words.back().empty()) words.emplace_back();
    flat.push_back(ToLower(c));
    words.back().push_back(ToLower(c));
  }
  for (std::string_view fragment : kSecretKeyFragments) {
    if (flat.find(fragment) != std::string::npos) return true;
  }
  for (const std::string& word : words) {
    for (std::string_view secret_word : kSecretKeyWords) {
      if (word == secret_word) return true;
    }
  }
  return false;
}

bool LooksLikeSecret(std::string_view value) {
  Spans spans = FindSecretSpans(value);
  return std::any_of(spans.begin(), spans.end(),
                     [&](const Span& span) { return !IsAlreadyRedacted(value, span); });
}

std::string RedactString(std::string_view s) {
  std::string out = RedactOnce(s);
  if (out == s) return out;
  // Redacting can expose a pattern the first pass could not see (a hash swallowed the start of
  // a URL), so repeat until nothing changes, within a bound.
  for (int pass = 1; pass < kMaxPasses; ++pass) {
    std::string next = RedactOnce(out);
    if (next == out) break;
    out = std::move(next);
  }
  return out;
}

nlohmann::json RedactJson(const nlohmann::json& v) { return RedactJsonAt(v, 0); }

nlohmann::json RedactMembers(nlohmann::json object, const std::vector<std::string>& names) {
  if (!object.is_object()) return object;
  for (const std::string& name : names) {
    auto it = object.find(name);
    if (it != object.end()) *it = std::string(kRedacted);
  }
  return object;
}

}  // namespace tf
