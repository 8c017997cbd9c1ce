#include "modules/audit/audit_record.h"

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

//! RFC 8785 text of a leaf, written member by member in the order its names sort. Each member
//! is named by its JSON text and colon, `"action":` (the names are ASCII and need no escape).
class LeafWriter {
 public:
  LeafWriter() { out_.reserve(768); }

  void Text(std::string_view key, const std::string& value) { Text(key, std::string_view(value)); }
  void Text(std::string_view key, std::string_view value) {
    Key(key);
    if (status_.ok()) status_ = AppendCanonicalString(value, out_);
  }
  void Text(std::string_view key, const std::optional<std::string>& value) {
    if (value) return Text(key, std::string_view(*value));
    Key(key);
    out_.append("null", 4);
  }
  void Int(std::string_view key, const std::optional<int64_t>& value) {
    Key(key);
    if (!value) {
      out_.append("null", 4);
    } else if (*value > -(int64_t{1} << 53) && *value < (int64_t{1} << 53)) {
      StrAppend(&out_, *value);
    } else {
      out_ += EcmaScriptNumber(static_cast<double>(*value));
    }
  }
  absl::StatusOr<std::string> Finish() && {
    if (!status_.ok()) return status_;
    out_ += '}';
    return std::move(out_);
  }

 private:
  void Key(std::string_view key) {
    out_ += out_.empty() ? '{' : ',';
    out_ += key;
  }

  std::string out_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<std::string> LeafBytes(const AuditRecord& r) {
  // The members of LeafJson, sorted by name (ASCII names: byte order is UTF-16 order).
  LeafWriter w;
  w.Text(R"("action":)", r.action);
  w.Text(R"("actor_id":)", r.actor_id);
  w.Text(R"("actor_type":)", r.actor_type);
  w.Text(R"("actor_user_id":)", r.actor_user_id);
  w.Text(R"("actor_via":)", r.actor_via);
  w.Text(R"("details_sha256":)", r.details_sha256);
  w.Text(R"("event_type":)", r.event_type);
  w.Text(R"("id":)", r.id);
  w.Text(R"("kind":)", r.kind);
  w.Text(R"("method":)", r.method);
  w.Text(R"("outcome":)", r.outcome);
  w.Text(R"("path":)", r.path);
  w.Text(R"("request_id":)", r.request_id);
  w.Text(R"("resource_id":)", r.resource_id);
  w.Text(R"("resource_type":)", r.resource_type);
  w.Text(R"("route":)", r.route);
  w.Text(R"("source_ip":)", r.source_ip);
  w.Int(R"("status":)", r.status);
  w.Text(R"("tenant_id":)", r.tenant_id);
  w.Text(R"("time":)", FormatRfc3339Exact(r.time));
  w.Text(R"("trace_id":)", r.trace_id);
  w.Text(R"("user_agent":)", r.user_agent);
  w.Int(R"("version":)", 1);
  return std::move(w).Finish();
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
