#include "core/config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <system_error>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/status.h"
#include "core/strings.h"

namespace tf {
namespace {

// ---------------------------------------------------------------------------------------------
// The key table

//! Where a key's value lives inside a Config; the alternative also gives the key's type.
using FieldRef = std::variant<std::string*, int*, int64_t*, bool*>;
//! A value read from a file, the environment or a flag, before it is stored.
using Value = std::variant<std::string, int64_t, bool>;
//! Returns "" when the value is acceptable, else the reason ("must be greater than 0").
using Check = std::function<std::string(const Value&)>;

struct KeyDef {
  std::string_view name;
  FieldRef (*field)(Config&);
  std::string_view help;
  bool secret;
  Check check;  //!< may be empty
};

// The name of a key is its member path, so the two cannot drift apart.
// clang-format off
#define TF_CONFIG_KEY(path) #path, [](Config& c) -> FieldRef { return &c.path; }
// clang-format on

std::string NonEmpty(const Value& v) { return std::get<std::string>(v).empty() ? "must not be empty" : ""; }

Check Range(int64_t lo, int64_t hi) {
  return [lo, hi](const Value& v) -> std::string {
    int64_t n = std::get<int64_t>(v);
    if (n >= lo && n <= hi) return "";
    if (hi == std::numeric_limits<int>::max() || hi == std::numeric_limits<int64_t>::max()) {
      return lo == 1 ? "must be greater than 0" : absl::StrCat("must be at least ", lo);
    }
    return absl::StrCat("must be between ", lo, " and ", hi);
  };
}

constexpr int64_t kMaxInt = std::numeric_limits<int>::max();

//! A signed-note key name: no '+', spaces or control characters.
std::string AuditOriginCheck(const Value& v) {
  const std::string& s = std::get<std::string>(v);
  if (s.empty() || s.size() > 255) return "must be 1-255 characters";
  for (unsigned char c : s) {
    if (c == '+' || c <= 0x20 || c == 0x7F) return "must not contain '+', spaces or control characters";
  }
  return "";
}
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

std::string HostPort(const Value& v) {
  const std::string& s = std::get<std::string>(v);
  constexpr char kExpected[] = "expected HOST:PORT";
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return kExpected;
  std::string_view host = std::string_view(s).substr(0, colon);
  std::string_view port = std::string_view(s).substr(colon + 1);
  if (host.front() == '[') {  // [IPv6]
    if (host.size() < 3 || host.back() != ']') return kExpected;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return kExpected;
      }
    }
  } else {
    for (char c : host) {
      if (!IsHostChar(c)) return kExpected;
    }
  }
  if (port.empty() || port.size() > 5) return "expected HOST:PORT with a port from 0 to 65535";
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return "expected HOST:PORT with a port from 0 to 65535";
    }
  }
  int port_number = 0;
  if (!absl::SimpleAtoi(Sv(port), &port_number) || port_number > 65535) {
    return "expected HOST:PORT with a port from 0 to 65535";
  }
  return "";
}

}  // namespace

bool IsPostgresUrl(std::string_view url) {
  return absl::StartsWith(Sv(url), "postgresql://") || absl::StartsWith(Sv(url), "postgres://");
}

namespace {

std::string DatabaseUrl(const Value& v) {
  std::string_view url = std::get<std::string>(v);
  if (url.empty() || IsPostgresUrl(url) ||
      absl::StartsWith(Sv(url), "sqlite:")) {
    return "";
  }
  return "expected a postgresql://, postgres:// or sqlite: URL (or nothing for SQLite in data_dir)";
}

std::string OptionalPostgresUrl(const Value& v) {
  std::string_view url = std::get<std::string>(v);
  if (url.empty() || IsPostgresUrl(url)) {
    return "";
  }
  return "expected a postgresql:// or postgres:// URL (or nothing)";
}

std::string KmsCheck(const Value& v) {
  const std::string& s = std::get<std::string>(v);
  return s == "local" || s == "vault-transit" ? "" : "expected local or vault-transit";
}

//! A Vault path segment (mount or key name).
std::string VaultNameCheck(const Value& v) {
  const std::string& s = std::get<std::string>(v);
  if (s.empty() || s.size() > 128) return "must be 1-128 characters";
  for (char c : s) {
    if (!IsHostChar(c) && c != '/') return "must be letters, digits, '.', '-', '_' or '/'";
  }
  return s.front() == '/' || s.back() == '/' ? "must not start or end with '/'" : "";
}

std::string LogLevelCheck(const Value& v) {
  return ParseLogLevel(std::get<std::string>(v)).ok() ? "" : "expected debug, info, warn or error";
}

const std::vector<KeyDef>& Keys() {
  static const std::vector<KeyDef>* keys = new std::vector<KeyDef>{
      {TF_CONFIG_KEY(data_dir),
       "Directory for the server's state, e.g. the SQLite database (unless database.url is set).", false,
       NonEmpty},

      {TF_CONFIG_KEY(server.listen),
       "Address to listen on as HOST:PORT; [IPv6]:PORT for IPv6; port 0 picks a free port.", false, HostPort},
      {TF_CONFIG_KEY(server.io_threads), "Network I/O threads; 0 = one per core.", false, Range(0, 1024)},
      {TF_CONFIG_KEY(server.worker_threads),
       "Threads for blocking work (database, crypto, files); 0 = sixteen per core.", false, Range(0, 4096)},
      {TF_CONFIG_KEY(server.max_connections), "Most client connections open at once.", false,
       Range(1, kMaxInt)},
      {TF_CONFIG_KEY(server.header_limit_bytes), "Largest request header block accepted, in bytes.", false,
       Range(1, kMaxInt64)},
      {TF_CONFIG_KEY(server.body_limit_bytes), "Largest request body accepted, in bytes (413 beyond).", false,
       Range(1, kMaxInt64)},
      {TF_CONFIG_KEY(server.header_timeout_ms),
       "Time allowed to receive a request's headers, in milliseconds.", false, Range(1, kMaxInt)},
      {TF_CONFIG_KEY(server.body_timeout_ms), "Time allowed to receive a request's body, in milliseconds.",
       false, Range(1, kMaxInt)},
      {TF_CONFIG_KEY(server.idle_timeout_ms),
       "Time an idle keep-alive connection stays open, in milliseconds.", false, Range(1, kMaxInt)},
      {TF_CONFIG_KEY(server.shutdown_grace_ms),
       "On SIGTERM, time in-flight requests get to finish, in milliseconds.", false, Range(0, kMaxInt)},
      {TF_CONFIG_KEY(server.tls_cert_file),
       "PEM certificate chain for HTTPS; set together with server.tls_key_file. Empty = HTTP.",
       false,
       {}},
      {TF_CONFIG_KEY(server.tls_key_file),
       "PEM private key for HTTPS; set together with server.tls_cert_file.",
       false,
       {}},
      {TF_CONFIG_KEY(server.console_dir),
       "Folder of the built web console (make builds web/dist), served at /; relative to the working "
       "directory. Empty = no console.",
       false,
       {}},

      {TF_CONFIG_KEY(database.url),
       "Empty for the SQLite file trust.db in data_dir, sqlite:PATH, or a postgresql:// URL of the "
       "role trustd serves with (it must own no tables and may not bypass row-level security). "
       "Prefer TRUST_DATABASE_URL for secrets.",
       true, DatabaseUrl},
      {TF_CONFIG_KEY(database.migration_url),
       "PostgreSQL: URL of the role that owns the tables. When set, trustd applies pending migrations "
       "with it at start-up and grants the serving role access; when empty, trustd only checks that "
       "the schema is current (run `trustctl db migrate`).",
       true, OptionalPostgresUrl},
      {TF_CONFIG_KEY(database.pool_size), "PostgreSQL: most connections this trustd opens.", false,
       Range(1, 1000)},
      {TF_CONFIG_KEY(database.replica_url),
       "PostgreSQL: URL of a read replica for list and report queries; empty = the primary serves all.",
       true, OptionalPostgresUrl},
      {TF_CONFIG_KEY(database.replica_max_lag_ms),
       "Reads go to the primary while the replica is down or lags by more than this, in milliseconds.",
       false, Range(0, kMaxInt)},
      {TF_CONFIG_KEY(database.lease_ttl_ms),
       "Work that must run on one instance only (the scheduler) is held under a lease in the database; "
       "a holder that stops renewing loses it after this many milliseconds.",
       false, Range(1000, kMaxInt)},

      {TF_CONFIG_KEY(auth.session_idle_timeout_s),
       "A session ends after this many seconds without a request.", false, Range(1, kMaxInt)},
      {TF_CONFIG_KEY(auth.session_absolute_lifetime_s),
       "A session ends this many seconds after login, active or not.", false, Range(1, kMaxInt)},
      {TF_CONFIG_KEY(auth.login_delay_after_failures),
       "Consecutive failed logins after which each further attempt is slowed down.", false,
       Range(1, kMaxInt)},
      {TF_CONFIG_KEY(auth.login_lock_after_failures),
       "Consecutive failed logins after which the account is locked.", false, Range(1, kMaxInt)},
      {TF_CONFIG_KEY(auth.api_token_max_lifetime_days),
       "Longest lifetime an API token may be given, in days.", false, Range(1, 36500)},

      {TF_CONFIG_KEY(audit.origin),
       "Name of the audit log: the first line of every checkpoint and the name of its signing key "
       "(a URL-like name without scheme, unique to this deployment).",
       false, AuditOriginCheck},
      {TF_CONFIG_KEY(audit.signing_key_file),
       "File holding the audit checkpoint signing key (created on first start, owner-only); empty = "
       "audit-signing.key in data_dir. Instances sharing a database share this file.",
       false, {}},
      {TF_CONFIG_KEY(audit.checkpoint_every_records), "A signed checkpoint is issued every this many audit records.",
       false, Range(1, kMaxInt)},
      {TF_CONFIG_KEY(audit.checkpoint_interval_ms),
       "A signed checkpoint is also issued this many milliseconds after the last one, when records were added.",
       false, Range(1000, kMaxInt)},
      {TF_CONFIG_KEY(audit.fail_open_reads),
       "Answer read-only requests whose audit record cannot be written (state changes always need theirs).", false,
       {}},

      {TF_CONFIG_KEY(secrets.kms),
       "Where the key-encryption key lives: local (secrets.kek_file or secrets.kek) or vault-transit (a key "
       "of HashiCorp Vault's or OpenBao's Transit engine, secrets.vault_*).",
       false, KmsCheck},
      {TF_CONFIG_KEY(secrets.kek_file),
       "File holding the versions of the key-encryption key that wraps every data key (created on first "
       "start, owner-only; back it up apart from the database); empty = kek.keys in data_dir. Instances "
       "sharing a database share this file.",
       false, {}},
      {TF_CONFIG_KEY(secrets.kek),
       "The key-encryption key itself, base64 of 32 bytes, instead of secrets.kek_file (one version that "
       "cannot be rotated; see docs/operations.md, Keys). Prefer TRUST_SECRETS_KEK.",
       true, {}},
      {TF_CONFIG_KEY(secrets.vault_address),
       "vault-transit: the Vault or OpenBao server, https://HOST:PORT (http:// only for a local test server).",
       false, {}},
      {TF_CONFIG_KEY(secrets.vault_token),
       "vault-transit: the token trustd authenticates with (policy: the Transit key's encrypt, decrypt, "
       "rewrap, read, rotate and config paths). Prefer TRUST_SECRETS_VAULT_TOKEN.",
       true, {}},
      {TF_CONFIG_KEY(secrets.vault_namespace), "vault-transit: the namespace (Vault Enterprise, OpenBao); empty = none.",
       false, {}},
      {TF_CONFIG_KEY(secrets.vault_mount), "vault-transit: where the Transit engine is mounted.", false,
       VaultNameCheck},
      {TF_CONFIG_KEY(secrets.vault_key), "vault-transit: the Transit key that wraps the data keys.", false,
       VaultNameCheck},
      {TF_CONFIG_KEY(secrets.vault_ca_file),
       "vault-transit: PEM file of the CA that signed Vault's certificate; empty = the system's CAs.", false, {}},
      {TF_CONFIG_KEY(secrets.vault_timeout_ms), "vault-transit: time one Vault request may take, in milliseconds.",
       false, Range(100, 600000)},
      {TF_CONFIG_KEY(secrets.subject_keys_url),
       "The personal-data key store: one key per person, destroyed when the person is erased, so their data "
       "becomes unreadable in every copy of the database. Kept apart from the database so that its backups "
       "do not carry the keys: empty = subject-keys.db in data_dir, sqlite:PATH, or a postgresql:// URL of a "
       "database other than database.url (instances sharing a database share it).",
       true, {}},
      {TF_CONFIG_KEY(secrets.subject_keys_migration_url),
       "PostgreSQL: the key store tables' owner, who applies its migrations (like database.migration_url); "
       "empty = the schema must already be current.",
       true, {}},

      {TF_CONFIG_KEY(security.rules_file),
       "YAML file of detection rules used instead of the shipped ones (docs/security-operations.md); empty = "
       "the shipped rules. Read at start-up: trustd refuses to start on a rule it cannot parse.",
       false, {}},

      {TF_CONFIG_KEY(log.level), "Lowest level logged: debug, info, warn or error.", false, LogLevelCheck},
      {TF_CONFIG_KEY(log.file), "File the JSON-lines log is appended to; empty = stderr.", false, {}},
      {TF_CONFIG_KEY(log.access_log), "Log one line per HTTP request.", false, {}},
  };
  return *keys;
}

#undef TF_CONFIG_KEY

const KeyDef* FindKey(std::string_view name) {
  for (const KeyDef& def : Keys()) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

//! True when `name` is a table of keys ("server"), i.e. some key starts with "name.".
bool IsSection(std::string_view name) {
  for (const KeyDef& def : Keys()) {
    if (def.name.size() > name.size() && absl::StartsWith(Sv(def.name), Sv(name)) &&
        def.name[name.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string EnvVarName(std::string_view key) {
  std::string out = "TRUST_";
  for (char c : key) out.push_back(c == '.' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c)));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Values

//! The field of `def` in a const Config (FieldRef points into a mutable one; we only read).
FieldRef FieldOf(const KeyDef& def, const Config& config) { return def.field(const_cast<Config&>(config)); }

//! The field of `def` in a Config that is never written, to learn the key's type.
FieldRef TypeOf(const KeyDef& def) {
  static Config* prototype = new Config();
  return def.field(*prototype);
}

std::string_view TypeName(const FieldRef& ref) {
  if (std::holds_alternative<std::string*>(ref)) return "string";
  if (std::holds_alternative<bool*>(ref)) return "boolean";
  return "integer";
}

std::string_view TypeNameWithArticle(const FieldRef& ref) {
  if (std::holds_alternative<std::string*>(ref)) return "a string";
  if (std::holds_alternative<bool*>(ref)) return "a boolean";
  return "an integer";
}

Value Read(const KeyDef& def, const Config& config) {
  return std::visit(
      [](auto* p) -> Value {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, int>) {
          return static_cast<int64_t>(*p);
        } else {
          return *p;
        }
      },
      FieldOf(def, config));
}

std::string ToString(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return absl::StrCat(std::get<int64_t>(v));
}

//! What an error message may show of a value: nothing of a secret key's, and only the redacted
//! and shortened form of any other.
std::string Shown(const KeyDef& def, std::string_view value) {
  if (def.secret) return std::string(kRedacted);
  constexpr size_t kMaxShown = 200;
  std::string shown = RedactString(value.substr(0, kMaxShown));
  if (value.size() > kMaxShown) shown += "...";
  return shown;
}

//! Parses the string form of a value for `def` (environment variables and flags).
absl::StatusOr<Value> Parse(const KeyDef& def, std::string_view text) {
  FieldRef ref = TypeOf(def);
  if (std::holds_alternative<std::string*>(ref)) return Value(std::string(text));
  absl::string_view trimmed = absl::StripAsciiWhitespace(Sv(text));
  if (std::holds_alternative<bool*>(ref)) {
    std::string lower = absl::AsciiStrToLower(trimmed);
    if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return Value(true);
    if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return Value(false);
    return absl::InvalidArgumentError(absl::StrCat("expected true or false, got '", Shown(def, text), "'"));
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(trimmed, &n)) {
    return absl::InvalidArgumentError(absl::StrCat("expected an integer, got '", Shown(def, text), "'"));
  }
  return Value(n);
}

//! Stores `value` (of the key's type) into `config`.
absl::Status Store(const KeyDef& def, Config& config, Value value) {
  FieldRef ref = def.field(config);
  if (auto* p = std::get_if<std::string*>(&ref)) {
    **p = std::move(std::get<std::string>(value));
  } else if (auto* p = std::get_if<bool*>(&ref)) {
    **p = std::get<bool>(value);
  } else if (auto* p = std::get_if<int64_t*>(&ref)) {
    **p = std::get<int64_t>(value);
  } else {
    int64_t n = std::get<int64_t>(value);
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("integer ", n, " is out of range"));
    }
    *std::get<int*>(ref) = static_cast<int>(n);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// TOML

std::string_view TomlTypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

std::string Where(std::string_view source, const toml::source_region& region) {
  return absl::StrCat(Sv(source), ":", region.begin.line);
}

absl::StatusOr<Value> FromToml(const KeyDef& def, const toml::node& node) {
  FieldRef ref = TypeOf(def);
  if (std::holds_alternative<std::string*>(ref)) {
    if (const auto* s = node.as_string()) return Value(s->get());
  } else if (std::holds_alternative<bool*>(ref)) {
    if (const auto* b = node.as_boolean()) return Value(b->get());
  } else {
    if (const auto* i = node.as_integer()) return Value(i->get());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", Sv(TypeNameWithArticle(ref)), ", got ", Sv(TomlTypeName(node.type()))));
}

absl::Status ApplyTable(Config& config, const toml::table& table, const std::string& prefix,
                        std::string_view source) {
  for (auto&& [key, node] : table) {
    std::string name = prefix.empty() ? std::string(key.str()) : absl::StrCat(prefix, ".", Sv(key.str()));
    const toml::source_region& where = key.source().begin.line != 0 ? key.source() : node.source();
    if (const KeyDef* def = FindKey(name)) {
      absl::StatusOr<Value> value = FromToml(*def, node);
      absl::Status stored = value.ok() ? Store(*def, config, *std::move(value)) : value.status();
      if (!stored.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("invalid value for configuration key '", name, "' in ",
                                                       Where(source, where), ": ", stored.message()));
      }
    } else if (IsSection(name)) {
      const toml::table* sub = node.as_table();
      if (sub == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("configuration key '", name, "' in ",
                                                       Where(source, where), " must be a table, got ",
                                                       Sv(TomlTypeName(node.type()))));
      }
      TF_RETURN_IF_ERROR(ApplyTable(config, *sub, name, source));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown configuration key '", RedactString(name), "' in ", Where(source, where)));
    }
  }
  return absl::OkStatus();
}

//! TOML basic string: quotes, backslash and control characters escaped; invalid UTF-8 replaced
//! by U+FFFD so the document always parses back.
std::string TomlQuote(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04X", c);
            out += buf;
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // Multi-byte UTF-8: copy a well-formed sequence, replace anything else.
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    bool ok = len != 0 && i + len <= s.size();
    uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok) {
      ok = (len == 2 && cp >= 0x80) || (len == 3 && cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) ||
           (len == 4 && cp >= 0x10000 && cp <= 0x10FFFF);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out += "\"";
  return out;
}

absl::Status SyntaxError(std::string_view source, const toml::parse_error& e) {
  return absl::InvalidArgumentError(absl::StrCat("invalid TOML in ", Sv(source), ":", e.source().begin.line,
                                                 ":", e.source().begin.column, ": ",
                                                 RedactString(e.description())));
}

//! The code point of the well-formed UTF-8 sequence at text[i] (a byte >= 0x80) and its length,
//! or length 0 when the bytes there are not UTF-8.
std::pair<uint32_t, size_t> DecodeUtf8(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (len == 0 || i + len > text.size()) return {0, 0};
  uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {0, 0};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  bool ok = (len == 2) || (len == 3 && cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) ||
            (len == 4 && cp >= 0x10000 && cp <= 0x10FFFF);
  return ok ? std::pair<uint32_t, size_t>{cp, len} : std::pair<uint32_t, size_t>{0, 0};
}

//! toml++ 3.3 (Debian 12) hits a failed assertion or __builtin_unreachable -- an abort, or
//! undefined behaviour under NDEBUG -- instead of reporting a parse error when it classifies
//! many non-ASCII characters (U+00A1..U+0499, U+FB26..U+FEFE; marzer/tomlplusplus#190, #295,
//! fixed by #305) and on a table header whose name starts with a character that cannot start a
//! key ("[~x]", "[[[1]]]"; #301). So toml++ only ever gets pure ASCII with the same meaning and
//! the same line numbers: non-ASCII characters in basic strings become \uXXXX escapes, literal
//! strings become basic strings, non-ASCII characters in comments become '?'. Non-ASCII outside
//! strings and comments and invalid UTF-8 are never valid TOML and are rejected here, as are
//! such table headers. Header-like lines inside multi-line arrays are checked too; that can only
//! misreport documents that our keys (no arrays) reject anyway.
absl::StatusOr<std::string> ToAsciiToml(std::string_view text, std::string_view source) {
  enum class State { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  State state = State::kCode;
  size_t line = 1;
  bool line_start = true;  // only blanks so far on this line
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  auto error = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid TOML in ", Sv(source), ":", line, ": ", Sv(what)));
  };
  auto at = [&](size_t i, std::string_view s) { return text.compare(i, s.size(), s) == 0; };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      auto [cp, len] = DecodeUtf8(text, i);
      if (len == 0) return error("invalid UTF-8");
      if (state == State::kCode) return error("non-ASCII character outside a string or comment");
      if (state == State::kComment) {
        out.push_back('?');
      } else {
        char buf[16];
        std::snprintf(buf, sizeof buf, cp > 0xFFFF ? "\\U%08X" : "\\u%04X", static_cast<unsigned>(cp));
        out += buf;
      }
      i += len;
      continue;
    }
    if (c == '\n') {
      ++line;
      line_start = true;
      if (state != State::kMultiBasic && state != State::kMultiLiteral) state = State::kCode;
      out.push_back(c);
      ++i;
      continue;
    }
    switch (state) {
      case State::kCode:
        if (c == ' ' || c == '\t' || c == '\r') {
          out.push_back(c);
          break;
        }
        if (c == '#') {
          state = State::kComment;
        } else if (at(i, "\"\"\"")) {
          state = State::kMultiBasic;
          out += "\"\"";
          i += 2;
        } else if (c == '"') {
          state = State::kBasic;
        } else if (at(i, "'''")) {
          state = State::kMultiLiteral;
          out += "\"\"\"";
          i += 3;
          line_start = false;
          continue;
        } else if (c == '\'') {
          state = State::kLiteral;
          out.push_back('"');
          ++i;
          line_start = false;
          continue;
        } else if (c == '[' && line_start) {
          size_t k = i + 1;
          if (k < text.size() && text[k] == '[') ++k;
          while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
          char first = k < text.size() ? text[k] : '\n';
          if (!absl::ascii_isalnum(static_cast<unsigned char>(first)) && first != '_' && first != '-' &&
              first != '"' && first != '\'' && first != ']') {
            return error("expected a table name after '['");
          }
        }
        line_start = false;
        out.push_back(c);
        break;
      case State::kComment:
        out.push_back(c);
        break;
      case State::kBasic:
      case State::kMultiBasic:
        if (c == '\\' && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80) {
          return error("invalid escape sequence");
        }
        if (c == '\\' && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0x80) {
          out.push_back(c);
          out.push_back(text[i + 1]);  // the escaped character (or the newline it continues)
          if (text[i + 1] == '\n') ++line;
          i += 2;
          continue;
        }
        if (state == State::kBasic && c == '"') {
          state = State::kCode;
        } else if (state == State::kMultiBasic && at(i, "\"\"\"")) {
          size_t run = 3;
          while (run < 5 && at(i + run, "\"")) ++run;  // """" and """"" end with quotes
          out.append(run, '"');
          i += run;
          state = State::kCode;
          continue;
        }
        out.push_back(c);
        break;
      case State::kLiteral:
      case State::kMultiLiteral:
        // Literal content written as basic-string content.
        if (state == State::kLiteral && c == '\'') {
          out.push_back('"');
          state = State::kCode;
        } else if (state == State::kMultiLiteral && at(i, "'''")) {
          size_t run = 3;
          while (run < 5 && at(i + run, "'")) ++run;
          out.append(run - 3, '\'');
          out += "\"\"\"";
          i += run;
          state = State::kCode;
          continue;
        } else if (c == '\\' || c == '"') {
          out.push_back('\\');
          out.push_back(c);
        } else {
          out.push_back(c);
        }
        break;
    }
    ++i;
  }
  return out;
}

//! The toml++ adapter: parse errors come back as values whether or not toml++ throws.
absl::StatusOr<toml::table> ParseToml(std::string_view text, std::string_view source) {
  TF_ASSIGN_OR_RETURN(std::string ascii, ToAsciiToml(text, source));
#if TOML_EXCEPTIONS
  try {
    return toml::parse(ascii, source);
  } catch (const toml::parse_error& e) {
    return SyntaxError(source, e);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse ", Sv(source), ": ", e.what()));
  }
#else
  toml::parse_result result = toml::parse(ascii, source);
  if (!result) return SyntaxError(source, result.error());
  return std::move(result).table();
#endif
}

}  // namespace

std::vector<ConfigKeyInfo> ConfigKeys() {
  Config defaults;
  std::vector<ConfigKeyInfo> out;
  out.reserve(Keys().size());
  for (const KeyDef& def : Keys()) {
    ConfigKeyInfo info;
    info.name = std::string(def.name);
    info.env_var = EnvVarName(def.name);
    info.type = std::string(TypeName(FieldOf(def, defaults)));
    info.default_value = ToString(Read(def, defaults));
    info.help = std::string(def.help);
    info.secret = def.secret;
    out.push_back(std::move(info));
  }
  return out;
}

absl::Status ApplyTomlString(Config& config, std::string_view toml_text, std::string_view source) {
  TF_ASSIGN_OR_RETURN(toml::table table, ParseToml(toml_text, source));
  Config next = config;
  TF_RETURN_IF_ERROR(ApplyTable(next, table, "", source));
  config = std::move(next);
  return absl::OkStatus();
}

absl::Status ApplyTomlFile(Config& config, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string message =
        absl::StrCat("cannot read configuration file '", path,
                     "': ", err != 0 ? std::generic_category().message(err) : "open failed");
    return err == ENOENT ? absl::NotFoundError(message) : absl::InvalidArgumentError(message);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read configuration file '", path, "'"));
  }
  return ApplyTomlString(config, text.str(), path);
}

absl::Status ApplyEnv(Config& config, const Env& env) {
  Config next = config;
  for (const KeyDef& def : Keys()) {
    std::string var = EnvVarName(def.name);
    std::optional<std::string> text = env.Get(var);
    if (!text.has_value()) continue;
    absl::StatusOr<Value> value = Parse(def, *text);
    absl::Status stored = value.ok() ? Store(def, next, *std::move(value)) : value.status();
    if (!stored.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid value in environment variable ", var, " (",
                                                     Sv(def.name), "): ", stored.message()));
    }
  }
  config = std::move(next);
  return absl::OkStatus();
}

absl::Status Set(Config& config, std::string_view key, std::string_view text) {
  const KeyDef* def = FindKey(key);
  if (def == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown configuration key '", RedactString(key), "'"));
  }
  absl::StatusOr<Value> value = Parse(*def, text);
  absl::Status stored = value.ok() ? Store(*def, config, *std::move(value)) : value.status();
  if (!stored.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value for configuration key '", Sv(key), "': ", stored.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Get(const Config& config, std::string_view key) {
  const KeyDef* def = FindKey(key);
  if (def == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown configuration key '", RedactString(key), "'"));
  }
  return ToString(Read(*def, config));
}

absl::Status Validate(const Config& config) {
  std::vector<std::string> problems;
  for (const KeyDef& def : Keys()) {
    if (!def.check) continue;
    Value value = Read(def, config);
    std::string reason = def.check(value);
    if (!reason.empty()) {
      problems.push_back(
          absl::StrCat(Sv(def.name), ": ", reason, ", got '", Shown(def, ToString(value)), "'"));
    }
  }
  const ServerConfig& server = config.server;
  if (server.tls_cert_file.empty() != server.tls_key_file.empty()) {
    problems.push_back("server.tls_cert_file, server.tls_key_file: set both (HTTPS) or neither (HTTP)");
  }
  const DatabaseConfig& database = config.database;
  if (!IsPostgresUrl(database.url) && (!database.migration_url.empty() || !database.replica_url.empty())) {
    problems.push_back("database.migration_url, database.replica_url: only for a postgresql:// database.url");
  }
  const AuthConfig& auth = config.auth;
  if (auth.session_idle_timeout_s > auth.session_absolute_lifetime_s) {
    problems.push_back(
        absl::StrCat("auth.session_idle_timeout_s: must not exceed "
                     "auth.session_absolute_lifetime_s (",
                     auth.session_idle_timeout_s, " > ", auth.session_absolute_lifetime_s, ")"));
  }
  if (auth.login_delay_after_failures > auth.login_lock_after_failures) {
    problems.push_back(
        absl::StrCat("auth.login_delay_after_failures: must not exceed "
                     "auth.login_lock_after_failures (",
                     auth.login_delay_after_failures, " > ", auth.login_lock_after_failures, ")"));
  }
  const SecretsConfig& secrets = config.secrets;
  if (secrets.kms == "vault-transit") {
    if (!absl::StartsWith(Sv(secrets.vault_address), "https://") &&
        !absl::StartsWith(Sv(secrets.vault_address), "http://")) {
      problems.push_back("secrets.vault_address: expected an https:// URL of the Vault server (secrets.kms is vault-transit)");
    }
    if (secrets.vault_token.empty()) {
      problems.push_back("secrets.vault_token: required with secrets.kms = vault-transit (TRUST_SECRETS_VAULT_TOKEN)");
    }
    if (!secrets.kek.empty()) problems.push_back("secrets.kek: only for secrets.kms = local");
  }
  if (IsPostgresUrl(config.database.url) && !IsPostgresUrl(secrets.subject_keys_url)) {
    problems.push_back(
        "secrets.subject_keys_url: required with a PostgreSQL database.url: a postgresql:// URL of another "
        "database, the personal-data key store every instance shares (TRUST_SECRETS_SUBJECT_KEYS_URL)");
  } else if (!secrets.subject_keys_url.empty() && secrets.subject_keys_url == config.database.url) {
    problems.push_back(
        "secrets.subject_keys_url: must name another database than database.url (its backups must not carry the keys)");
  } else if (!secrets.subject_keys_url.empty() && !IsPostgresUrl(secrets.subject_keys_url) &&
             !absl::StartsWith(Sv(secrets.subject_keys_url), "sqlite:")) {
    problems.push_back("secrets.subject_keys_url: expected sqlite:PATH or a postgresql:// URL");
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid configuration: ", absl::StrJoin(problems, "; ")));
}

std::string ToToml(const Config& config) {
  std::string out = "# trustd configuration: effective values (secrets redacted).\n";
  auto append_key = [&](const KeyDef& def, std::string_view short_name) {
    Value value = Read(def, config);
    std::string rendered;
    if (const auto* s = std::get_if<std::string>(&value)) {
      // A secret URL keeps all but its credentials; any other secret value is hidden whole.
      bool hidden = def.secret && !s->empty() && !absl::StrContains(*s, "://");
      rendered = TomlQuote(hidden ? std::string(kRedacted) : RedactString(*s));
    } else {
      rendered = ToString(value);
    }
    absl::StrAppend(&out, "# ", Sv(def.help), "\n", Sv(short_name), " = ", rendered, "\n");
  };
  // Top-level keys must precede the first [table].
  for (const KeyDef& def : Keys()) {
    if (def.name.find('.') == std::string_view::npos) append_key(def, def.name);
  }
  std::string_view section;
  for (const KeyDef& def : Keys()) {
    size_t dot = def.name.find('.');
    if (dot == std::string_view::npos) continue;
    std::string_view this_section = def.name.substr(0, dot);
    if (this_section != section) {
      section = this_section;
      absl::StrAppend(&out, "\n[", Sv(section), "]\n");
    }
    append_key(def, def.name.substr(dot + 1));
  }
  return out;
}

absl::StatusOr<Config> LoadConfig(const ConfigSources& sources) {
  Config config;
  if (!sources.toml_file.empty()) TF_RETURN_IF_ERROR(ApplyTomlFile(config, sources.toml_file));
  if (sources.env != nullptr) TF_RETURN_IF_ERROR(ApplyEnv(config, *sources.env));
  for (const auto& [key, value] : sources.overrides) TF_RETURN_IF_ERROR(Set(config, key, value));
  TF_RETURN_IF_ERROR(Validate(config));
  return config;
}

}  // namespace tf
