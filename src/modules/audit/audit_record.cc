#include "modules/audit/audit_record.h"

#include <cstring>
#include <span>
#include <utility>

#include "core/canonical_json.h"
#include "core/crypto.h"
#include "core/merkle.h"
#include "core/redact.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"

namespace tf::audit {

namespace {

nlohmann::json Opt(const std::optional<std::string>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }
nlohmann::json Opt(const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

nlohmann::json LeafJson(const AuditRecord& r) {
  return {{"id", r.id},
          {"version", 1},
          {"time", FormatRfc3339Exact(r.time)},
          {"tenant_id", Opt(r.tenant_id)},
          {"kind", r.kind},
          {"actor_type", r.actor_type},
          {"actor_id", Opt(r.actor_id)},
          {"actor_user_id", Opt(r.actor_user_id)},
          {"actor_via", Opt(r.actor_via)},
          {"action", r.action},
          {"event_type", Opt(r.event_type)},
          {"resource_type", Opt(r.resource_type)},
          {"resource_id", Opt(r.resource_id)},
          {"method", Opt(r.method)},
          {"route", Opt(r.route)},
          {"path", Opt(r.path)},
          {"status", Opt(r.status)},
          {"outcome", r.outcome},
          {"source_ip", Opt(r.source_ip)},
          {"user_agent", Opt(r.user_agent)},
          {"request_id", Opt(r.request_id)},
          {"trace_id", Opt(r.trace_id)},
          {"details_sha256", r.details_sha256}};
}

namespace {

//! One member of a leaf: its name as JSON text with the colon (`"action":`; the names are ASCII
//! and need no escape) and its value.
struct LeafMember {
  enum class Kind { kText, kNull, kNumber };
  std::string_view name;
  Kind kind;
  std::string_view value;  //!< the string (kText) or the number's text (kNumber)
};

LeafMember Text(std::string_view name, const std::string& value) { return {name, LeafMember::Kind::kText, value}; }
LeafMember Text(std::string_view name, const std::optional<std::string>& value) {
  return value ? Text(name, *value) : LeafMember{name, LeafMember::Kind::kNull, {}};
}

//! An integer as RFC 8785 prints it (beyond 2^53 as the double it becomes), in `storage`.
LeafMember Number(std::string_view name, const std::optional<int64_t>& value, std::string& storage) {
  if (!value) return {name, LeafMember::Kind::kNull, {}};
  storage = *value > -(int64_t{1} << 53) && *value < (int64_t{1} << 53) ? StrCat(*value)
                                                                        : EcmaScriptNumber(static_cast<double>(*value));
  return {name, LeafMember::Kind::kNumber, storage};
}

//! RFC 8785 text of an object whose members are given in the order their names sort.
absl::StatusOr<std::string> WriteObject(std::span<const LeafMember> members) {
  // The usual leaf holds printable ASCII only, so its size is known: it is written into one
  // allocation, each string copied as it is checked. At the first string that needs escaping
  // or validating, the leaf is written again through AppendCanonicalString.
  size_t size = 1;  // '}'
  for (const LeafMember& m : members) {
    size += 1 + m.name.size();  // '{' or ','
    size += m.kind == LeafMember::Kind::kNull ? 4 : m.value.size() + (m.kind == LeafMember::Kind::kText ? 2 : 0);
  }
  std::string out(size, '\0');
  char* p = out.data();
  char separator = '{';
  bool plain = true;
  for (const LeafMember& m : members) {
    *p++ = std::exchange(separator, ',');
    std::memcpy(p, m.name.data(), m.name.size());
    p += m.name.size();
    if (m.kind == LeafMember::Kind::kText) {
      *p++ = '"';
      if (!(plain = CopyPlainAscii(m.value, p))) break;
      p += m.value.size();
      *p++ = '"';
    } else {
      std::string_view value = m.kind == LeafMember::Kind::kNull ? std::string_view("null") : m.value;
      std::memcpy(p, value.data(), value.size());
      p += value.size();
    }
  }
  if (plain) {
    *p = '}';
    return out;
  }
  out.clear();
  for (const LeafMember& m : members) {
    out += out.empty() ? '{' : ',';
    out += m.name;
    if (m.kind == LeafMember::Kind::kText) {
      TF_RETURN_IF_ERROR(AppendCanonicalString(m.value, out));
    } else {
      out += m.kind == LeafMember::Kind::kNull ? std::string_view("null") : m.value;
    }
  }
  out += '}';
  return out;
}

}  // namespace

absl::StatusOr<std::string> LeafBytes(const AuditRecord& r) {
  const std::string time = FormatRfc3339Exact(r.time);
  std::string status, version;
  // The members of LeafJson, sorted by name (ASCII names: byte order is UTF-16 order).
  const LeafMember members[] = {Text(R"("action":)", r.action),
                                Text(R"("actor_id":)", r.actor_id),
                                Text(R"("actor_type":)", r.actor_type),
                                Text(R"("actor_user_id":)", r.actor_user_id),
                                Text(R"("actor_via":)", r.actor_via),
                                Text(R"("details_sha256":)", r.details_sha256),
                                Text(R"("event_type":)", r.event_type),
                                Text(R"("id":)", r.id),
                                Text(R"("kind":)", r.kind),
                                Text(R"("method":)", r.method),
                                Text(R"("outcome":)", r.outcome),
                                Text(R"("path":)", r.path),
                                Text(R"("request_id":)", r.request_id),
                                Text(R"("resource_id":)", r.resource_id),
                                Text(R"("resource_type":)", r.resource_type),
                                Text(R"("route":)", r.route),
                                Text(R"("source_ip":)", r.source_ip),
                                Number(R"("status":)", r.status, status),
                                Text(R"("tenant_id":)", r.tenant_id),
                                Text(R"("time":)", time),
                                Text(R"("trace_id":)", r.trace_id),
                                Text(R"("user_agent":)", r.user_agent),
                                Number(R"("version":)", 1, version)};
  return WriteObject(members);
}

absl::Status SetLeafHash(AuditRecord& record) {
  TF_ASSIGN_OR_RETURN(std::string leaf, LeafBytes(record));
  record.leaf_hash = merkle::LeafHash(leaf);
  return absl::OkStatus();
}

nlohmann::json RecordJson(const AuditRecord& r) {
  nlohmann::json out = LeafJson(r);
  out["leaf_index"] = r.leaf_index;
  out["details"] = nullptr;
  if (r.details) {
    nlohmann::json parsed = nlohmann::json::parse(*r.details, nullptr, false);
    if (!parsed.is_discarded()) out["details"] = std::move(parsed);
  }
  out["pruned_at"] = r.pruned_at ? nlohmann::json(FormatRfc3339Exact(*r.pruned_at)) : nlohmann::json(nullptr);
  return out;
}

absl::StatusOr<std::string> LeafOfServed(nlohmann::json served) {
  if (!served.is_object()) return absl::InvalidArgumentError("a record is a JSON object");
  for (const char* added : {"leaf_index", "details", "pruned_at", "revealed"}) served.erase(added);
  return CanonicalJson(served);
}

void SetDetails(AuditRecord& record, const nlohmann::json& details) {
  absl::StatusOr<std::string> text = CanonicalJson(RedactJson(details));
  if (!text.ok()) {
    text = CanonicalJson(nlohmann::json{{"unrecordable", std::string(text.status().message())}});
  } else if (text->size() > kMaxDetailsBytes) {
    nlohmann::json summary = {{"truncated", true}, {"original_bytes", text->size()}};
    if (details.is_object()) {
      nlohmann::json keys = nlohmann::json::array();
      for (auto it = details.begin(); it != details.end() && keys.size() < 32; ++it) keys.push_back(it.key());
      summary["keys"] = RedactJson(keys);
    }
    text = CanonicalJson(summary);
  }
  record.details = text.ok() ? std::move(*text) : "{}";
  record.details_sha256 = crypto::Sha256Hex(*record.details);
}

AuditRecord GapRecord(int64_t leaf_index, std::string id, int64_t now_micros) {
  AuditRecord r;
  r.leaf_index = leaf_index;
  r.id = std::move(id);
  r.time = now_micros;
  r.kind = "gap";
  r.actor_type = "system";
  r.action = "NONE";
  r.outcome = "error";
  SetDetails(r, {{"reason", "this index was taken by a transaction that rolled back"}});
  return r;
}

}  // namespace tf::audit
