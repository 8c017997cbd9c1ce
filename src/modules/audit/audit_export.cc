#include "modules/audit/audit_export.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/canonical_json.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "modules/audit/audit_record.h"

namespace tf::audit {

namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The csv columns: the record as served, then what proves it.
constexpr std::string_view kCsvColumns[] = {
    "leaf_index", "id",          "time",       "tenant_id",  "kind",          "actor_type", "actor_id",
    "actor_user_id", "actor_via", "action",    "event_type", "resource_type", "resource_id", "method",
    "route",      "path",        "status",     "outcome",    "source_ip",     "user_agent", "request_id",
    "trace_id",   "details_sha256", "details", "pruned_at",  "leaf",          "tree_size",  "proof"};

//! One RFC 4180 field; text a spreadsheet would evaluate gets a leading quote.
std::string CsvField(std::string_view text) {
  std::string out;
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' || text[0] == '\t' ||
                        text[0] == '\r')) {
    out = "'";
  }
  out.append(text);
  if (out.find_first_of(",\"\r\n") == std::string::npos) return out;
  std::string quoted = "\"";
  for (char c : out) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string CsvValue(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return CsvField(v.get_ref<const std::string&>());
  if (v.is_number_integer()) return Dump(v);
  return CsvField(CanonicalJson(v).value_or(Dump(v)));
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "json") return ExportFormat::kJson;
  if (name == "jsonl") return ExportFormat::kJsonl;
  if (name == "csv") return ExportFormat::kCsv;
  return std::nullopt;
}

std::string_view ContentTypeOf(ExportFormat format) {
  switch (format) {
    case ExportFormat::kJson: return "application/json";
    case ExportFormat::kJsonl: return "application/jsonl";
    case ExportFormat::kCsv: return "text/csv; charset=utf-8";
  }
  return "application/octet-stream";
}

std::string_view ExtensionOf(ExportFormat format) {
  switch (format) {
    case ExportFormat::kJson: return "json";
    case ExportFormat::kJsonl: return "jsonl";
    case ExportFormat::kCsv: return "csv";
  }
  return "bin";
}

json FilterJson(const RecordFilter& f) {
  json out = json::object();
  auto text = [&](const char* name, const std::optional<std::string>& v) {
    if (v) out[name] = *v;
  };
  text("tenant_id", f.tenant_id);
  if (f.from) out["from"] = FormatRfc3339Exact(*f.from);
  if (f.to) out["to"] = FormatRfc3339Exact(*f.to);
  text("actor", f.actor);
  text("action", f.action);
  text("resource_type", f.resource_type);
  text("resource_id", f.resource_id);
  if (f.status) out["status"] = *f.status;
  text("outcome", f.outcome);
  text("request_id", f.request_id);
  text("kind", f.kind);
  text("q", f.path_contains);
  return out;
}

json HashesJson(const std::vector<merkle::Hash>& hashes) {
  json out = json::array();
  for (const merkle::Hash& h : hashes) out.push_back(merkle::ToHex(h));
  return out;
}

json CheckpointJson(const Checkpoint& c) {
  return {{"tree_size", c.tree_size},
          {"root_hash", c.root_hash},
          {"timestamp", FormatRfc3339Exact(c.timestamp)},
          {"key_id", c.key_id},
          {"note", c.note}};
}

std::string Manifest::Text() const {
  return StrCat(kManifestTitle, "\norigin ", origin, "\ntree_size ", tree_size, "\nrecords ", records,
                "\nleaves_sha256 ", leaves_sha256, "\nfilter ", filter, "\nexported_at ",
                FormatRfc3339Exact(exported_at), "\n");
}

absl::StatusOr<Manifest> Manifest::Parse(std::string_view text) {
  std::vector<std::string> lines = absl::StrSplit(Sv(text), '\n');
  auto bad = [](std::string_view why) { return absl::InvalidArgumentError(StrCat("the manifest is malformed: ", why)); };
  if (lines.size() != 8 || lines[0] != kManifestTitle || !lines[7].empty()) return bad("unexpected lines");
  auto value = [&](size_t i, std::string_view name) -> std::optional<std::string_view> {
    std::string_view line = lines[i];
    if (line.size() <= name.size() || line.substr(0, name.size()) != name || line[name.size()] != ' ') {
      return std::nullopt;
    }
    return line.substr(name.size() + 1);
  };
  Manifest m;
  auto origin = value(1, "origin");
  auto tree_size = value(2, "tree_size");
  auto records = value(3, "records");
  auto leaves = value(4, "leaves_sha256");
  auto filter = value(5, "filter");
  auto exported_at = value(6, "exported_at");
  if (!origin || !tree_size || !records || !leaves || !filter || !exported_at) return bad("a line is missing");
  if (!absl::SimpleAtoi(Sv(*tree_size), &m.tree_size) || !absl::SimpleAtoi(Sv(*records), &m.records) || m.tree_size < 0 ||
      m.records < 0 || m.records > m.tree_size) {
    return bad("tree_size or records is not a count");
  }
  absl::StatusOr<SysTime> at = ParseRfc3339(*exported_at);
  if (!at.ok()) return bad("exported_at is not a time");
  m.origin = std::string(*origin);
  m.leaves_sha256 = std::string(*leaves);
  m.filter = std::string(*filter);
  m.exported_at = at->time_since_epoch().count();
  return m;
}

void LeafDigest::Add(int64_t leaf_index, const merkle::Hash& leaf_hash) {
  char index[8];
  auto v = static_cast<uint64_t>(leaf_index);
  for (int i = 7; i >= 0; --i, v >>= 8) index[i] = static_cast<char>(v & 0xff);
  sha_.Update(std::string_view(index, sizeof(index)));
  sha_.Update(merkle::AsBytes(leaf_hash));
}

std::string LeafDigest::Hex() const { return crypto::HexEncode(sha_.Digest()); }

ExportEncoder::ExportEncoder(ExportFormat format, Checkpoint checkpoint, const RecordFilter& filter,
                             int64_t exported_at, const note::Signer& signer)
    : format_(format),
      checkpoint_(std::move(checkpoint)),
      filter_(FilterJson(filter)),
      exported_at_(exported_at),
      signer_(signer) {}

std::string ExportEncoder::Begin() const {
  switch (format_) {
    case ExportFormat::kJsonl:
      return Dump({{"format", kBundleFormat}, {"checkpoint", CheckpointJson(checkpoint_)}, {"filter", filter_}}) + "\n";
    case ExportFormat::kJson:
      return StrCat("{\"format\":", Dump(kBundleFormat), ",\"checkpoint\":", Dump(CheckpointJson(checkpoint_)),
                    ",\"filter\":", Dump(filter_), ",\"records\":[");
    case ExportFormat::kCsv: {
      std::string header;
      for (std::string_view column : kCsvColumns) StrAppend(&header, header.empty() ? "" : ",", column);
      return header + "\r\n";
    }
  }
  return "";
}

absl::StatusOr<std::string> ExportEncoder::Add(const RecordWithProof& item) {
  digest_.Add(item.record.leaf_index, merkle::LeafHash(item.leaf));
  json record = RecordJson(item.record);
  std::string leaf = crypto::Base64Encode(item.leaf);
  ++count_;
  if (format_ == ExportFormat::kCsv) {
    std::string row;
    for (std::string_view column : kCsvColumns) {
      if (column != kCsvColumns[0]) row += ',';
      if (column == "leaf") {
        row += leaf;
      } else if (column == "tree_size") {
        row += std::to_string(checkpoint_.tree_size);
      } else if (column == "proof") {
        for (size_t i = 0; i < item.proof.size(); ++i) StrAppend(&row, i == 0 ? "" : " ", merkle::ToHex(item.proof[i]));
      } else {
        row += CsvValue(record[std::string(column)]);
      }
    }
    return row + "\r\n";
  }
  std::string line = Dump({{"record", std::move(record)}, {"leaf", std::move(leaf)}, {"proof", HashesJson(item.proof)}});
  if (format_ == ExportFormat::kJsonl) return line + "\n";
  return count_ == 1 ? line : "," + line;
}

std::string ExportEncoder::End() const {
  if (format_ == ExportFormat::kCsv) return "";
  Manifest m{signer_.name(), checkpoint_.tree_size, count_, digest_.Hex(), CanonicalJson(filter_).value_or("{}"),
             exported_at_};
  json manifest = {{"records", m.records},
                   {"tree_size", m.tree_size},
                   {"leaves_sha256", m.leaves_sha256},
                   {"exported_at", FormatRfc3339Exact(m.exported_at)},
                   {"note", signer_.Sign(m.Text())}};
  if (format_ == ExportFormat::kJsonl) return Dump({{"manifest", std::move(manifest)}}) + "\n";
  return StrCat("],\"manifest\":", Dump(manifest), "}\n");
}

}  // namespace tf::audit
