#include "modules/audit/bundle_verifier.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/canonical_json.h"
#include "core/crypto.h"
#include "core/merkle.h"
#include "core/strings.h"
#include "modules/audit/audit_export.h"
#include "modules/audit/audit_record.h"
#include "nlohmann/json.hpp"

namespace tf::audit {

namespace {

using Kind = TrailProblem::Kind;
using nlohmann::json;

const std::string* StringMember(const json& j, const char* name) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

std::optional<int64_t> IntMember(const json& j, const char* name) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

//! The checks, fed the bundle's parts in order; the first problem sticks.
class Checker {
 public:
  Checker(const note::Verifier& key, const std::function<void(int64_t)>& progress) : key_(key), progress_(progress) {}

  bool failed() const { return report_.problem.has_value(); }

  void Format(const json& value) {
    if (failed()) return;
    if (!value.is_string() || value.get_ref<const std::string&>() != kBundleFormat) {
      Fail(Kind::kMalformed, -1, "", StrCat("this is not an audit bundle of format ", kBundleFormat));
    }
    format_seen_ = true;
  }

  void CheckpointPart(const json& c) {
    if (failed()) return;
    if (checkpoint_seen_) return Fail(Kind::kMalformed, -1, "", "the bundle has two checkpoints");
    std::optional<int64_t> size = IntMember(c, "tree_size");
    const std::string* root_hex = StringMember(c, "root_hash");
    const std::string* note_text = StringMember(c, "note");
    if (!size || *size < 0 || !root_hex || !note_text) {
      return Fail(Kind::kMalformed, -1, "", "the bundle's checkpoint lacks tree_size, root_hash or note");
    }
    absl::StatusOr<std::string> text = note::Open(*note_text, key_);
    if (!text.ok()) {
      return Fail(Kind::kCheckpoint, *size, "",
                  StrCat("the checkpoint's signature does not verify with key ", key_.name(), " (",
                         text.status().message(), ")"));
    }
    std::vector<std::string> lines = absl::StrSplit(*text, '\n');
    absl::StatusOr<merkle::Hash> root = merkle::HashFromHex(*root_hex);
    if (lines.size() < 3 || lines[0] != key_.name() || lines[1] != std::to_string(*size) || !root.ok() ||
        lines[2] != crypto::Base64Encode(merkle::AsBytes(*root))) {
      return Fail(Kind::kCheckpoint, *size, "", "the checkpoint's tree_size or root_hash is not what its note signs");
    }
    root_ = *root;
    report_.tree_size = *size;
    checkpoint_seen_ = true;
  }

  void FilterPart(const json& f) {
    if (failed()) return;
    if (filter_seen_) return Fail(Kind::kMalformed, -1, "", "the bundle has two filters");
    absl::StatusOr<std::string> canonical = CanonicalJson(f);
    if (!f.is_object() || !canonical.ok()) return Fail(Kind::kMalformed, -1, "", "the bundle's filter is not an object");
    report_.filter = *canonical;
    whole_trail_ = f.empty();
    filter_seen_ = true;
  }

  void Record(const json& item) {
    if (failed()) return;
    if (!format_seen_ || !checkpoint_seen_ || !filter_seen_) {
      return Fail(Kind::kMalformed, -1, "", "the bundle's format, checkpoint and filter must come before its records");
    }
    if (manifest_seen_) return Fail(Kind::kInserted, -1, "", "a record follows the manifest");
    const json* record = item.is_object() && item.contains("record") ? &item["record"] : nullptr;
    std::optional<int64_t> index = record ? IntMember(*record, "leaf_index") : std::nullopt;
    const std::string* id = record ? StringMember(*record, "id") : nullptr;
    const std::string* leaf_b64 = StringMember(item, "leaf");
    auto proof_it = item.is_object() ? item.find("proof") : item.end();
    if (!index || !id || !leaf_b64 || proof_it == item.end() || !proof_it->is_array()) {
      return Fail(Kind::kMalformed, -1, "",
                  StrCat("record ", report_.records + 1, " of the bundle lacks its leaf_index, id, leaf or proof"));
    }
    int64_t i = *index;
    if (i <= last_index_) {
      return i == last_index_ ? Fail(Kind::kInserted, i, *id, StrCat("leaf index ", i, " appears twice"))
                              : Fail(Kind::kReordered, i, *id,
                                     StrCat("record ", *id, " at leaf index ", i, " comes after leaf index ",
                                            last_index_, ": the records were reordered"));
    }
    if (i >= report_.tree_size) {
      return Fail(Kind::kInserted, i, *id,
                  StrCat("record ", *id, " has leaf index ", i, ", beyond the checkpoint's ", report_.tree_size,
                         " records"));
    }
    if (FailOnGap()) return;
    // A skipped index is a deletion unless the next record steps back to it (a reordering).
    if (whole_trail_ && i != last_index_ + 1) gap_ = last_index_ + 1;
    if (const std::string* problem = CheckRecord(*record, *leaf_b64, *proof_it, i)) {
      return Fail(Kind::kModified, i, *id, StrCat("record ", *id, " at leaf index ", i, " was modified: ", *problem));
    }
    last_index_ = i;
    ++report_.records;
    if (progress_ && report_.records % 4096 == 0) progress_(report_.records);
  }

  void ManifestPart(const json& m) {
    if (failed() || FailOnGap()) return;
    if (manifest_seen_) return Fail(Kind::kMalformed, -1, "", "the bundle has two manifests");
    manifest_seen_ = true;
    if (!checkpoint_seen_ || !filter_seen_) return Fail(Kind::kMalformed, -1, "", "the manifest comes before the checkpoint");
    const std::string* note_text = StringMember(m, "note");
    if (!note_text) return Fail(Kind::kMalformed, -1, "", "the manifest has no note");
    absl::StatusOr<std::string> text = note::Open(*note_text, key_);
    if (!text.ok()) {
      return Fail(Kind::kCheckpoint, -1, "",
                  StrCat("the manifest's signature does not verify (", text.status().message(), ")"));
    }
    absl::StatusOr<Manifest> manifest = Manifest::Parse(*text);
    if (!manifest.ok()) return Fail(Kind::kMalformed, -1, "", std::string(manifest.status().message()));
    if (manifest->origin != key_.name() || manifest->tree_size != report_.tree_size ||
        manifest->filter != report_.filter) {
      return Fail(Kind::kCheckpoint, -1, "", "the manifest was signed for another checkpoint or filter");
    }
    if (manifest->records > report_.records) {
      return Fail(Kind::kDeleted, -1, "",
                  StrCat("the manifest lists ", manifest->records, " records but the bundle holds ", report_.records,
                         ": records were deleted"));
    }
    if (manifest->records < report_.records) {
      return Fail(Kind::kInserted, -1, "",
                  StrCat("the manifest lists ", manifest->records, " records but the bundle holds ", report_.records,
                         ": records were inserted"));
    }
    if (manifest->leaves_sha256 != digest_.Hex()) {
      return Fail(Kind::kModified, -1, "", "the records are not the ones the manifest lists");
    }
  }

  BundleReport Finish() {
    if (!failed()) FailOnGap();
    if (!failed() && !manifest_seen_) {
      Fail(Kind::kDeleted, -1, "", "the bundle ends before its manifest: it was cut short");
    }
    if (!failed() && whole_trail_ && last_index_ + 1 != report_.tree_size) {
      Fail(Kind::kDeleted, last_index_ + 1, "",
           StrCat("an export of the whole trail ends at leaf index ", last_index_, " of ", report_.tree_size));
    }
    return report_;
  }

  void Fail(Kind kind, int64_t index, std::string id, std::string message) {
    if (!failed()) report_.problem = TrailProblem{kind, index, std::move(id), std::move(message)};
  }

 private:
  bool FailOnGap() {
    if (!gap_) return false;
    Fail(Kind::kDeleted, *gap_, "", StrCat("the record at leaf index ", *gap_, " is missing from an export of the whole trail"));
    return true;
  }

  //! Why the record is not what the log holds at `index`, or null.
  const std::string* CheckRecord(const json& record, const std::string& leaf_b64, const json& proof_json,
                                 int64_t index) {
    auto why = [this](std::string text) {
      why_ = std::move(text);
      return &why_;
    };
    auto details = record.find("details");
    const std::string* details_sha256 = StringMember(record, "details_sha256");
    if (details != record.end() && !details->is_null()) {
      absl::StatusOr<std::string> canonical = CanonicalJson(*details);
      if (!details_sha256 || !canonical.ok() || crypto::Sha256Hex(*canonical) != *details_sha256) {
        return why("its details do not give its details_sha256");
      }
    }
    absl::StatusOr<std::string> leaf = LeafOfServed(record);
    if (!leaf.ok()) return why(StrCat("its fields cannot be made canonical (", leaf.status().message(), ")"));
    absl::StatusOr<std::string> stated = crypto::Base64Decode(leaf_b64);
    if (!stated.ok() || *stated != *leaf) return why("its fields do not give the leaf stated beside them");
    std::vector<merkle::Hash> proof;
    for (const json& h : proof_json) {
      absl::StatusOr<merkle::Hash> hash = h.is_string() ? merkle::HashFromHex(h.get_ref<const std::string&>())
                                                        : absl::InvalidArgumentError("not a string");
      if (!hash.ok()) return why("its proof holds a value that is not a hash");
      proof.push_back(*hash);
    }
    merkle::Hash leaf_hash = merkle::LeafHash(*leaf);
    if (!merkle::VerifyInclusion(static_cast<uint64_t>(index), static_cast<uint64_t>(report_.tree_size), leaf_hash,
                                 proof, root_)) {
      return why("its inclusion proof does not lead to the checkpoint's root");
    }
    digest_.Add(index, leaf_hash);
    return nullptr;
  }

  const note::Verifier& key_;
  const std::function<void(int64_t)>& progress_;
  BundleReport report_;
  merkle::Hash root_{};
  LeafDigest digest_;
  int64_t last_index_ = -1;
  std::optional<int64_t> gap_;  //!< an index a whole-trail export skipped
  bool format_seen_ = false, checkpoint_seen_ = false, filter_seen_ = false, manifest_seen_ = false;
  bool whole_trail_ = false;
  std::string why_;
};

void ReadJsonl(std::istream& in, Checker& checker) {
  std::string line;
  int64_t number = 0;
  while (!checker.failed() && std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    json part = json::parse(line, nullptr, false);
    if (part.is_discarded() || !part.is_object()) {
      return checker.Fail(Kind::kMalformed, -1, "", StrCat("line ", number, " of the bundle is not a JSON object"));
    }
    if (part.contains("record")) {
      checker.Record(part);
    } else if (part.contains("manifest")) {
      checker.ManifestPart(part["manifest"]);
    } else {
      checker.Format(part.contains("format") ? part["format"] : json());
      checker.CheckpointPart(part.contains("checkpoint") ? part["checkpoint"] : json());
      checker.FilterPart(part.contains("filter") ? part["filter"] : json());
    }
  }
}

//! Thrown from the parser's callback to stop at the first problem.
struct StopParsing {};

//! One JSON document, parsed with a callback that checks each record as it ends and drops it.
void ReadJson(std::istream& in, Checker& checker) {
  std::string key;  // the top-level member being read
  json::parser_callback_t callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if (checker.failed()) throw StopParsing{};
    if (depth == 1 && event == json::parse_event_t::key) key = parsed.get<std::string>();
    bool done = event == json::parse_event_t::value || event == json::parse_event_t::object_end ||
                event == json::parse_event_t::array_end;
    if (depth == 2 && key == "records" && event == json::parse_event_t::object_end) {
      checker.Record(parsed);
      return false;
    }
    if (depth == 1 && done) {
      if (key == "format") checker.Format(parsed);
      if (key == "checkpoint") checker.CheckpointPart(parsed);
      if (key == "filter") checker.FilterPart(parsed);
      if (key == "manifest") checker.ManifestPart(parsed);
      return key != "records";
    }
    return true;
  };
  try {
    json rest = json::parse(in, callback);  // the header members; the records were dropped
    (void)rest;
  } catch (const StopParsing&) {
  } catch (const json::exception& e) {
    checker.Fail(Kind::kMalformed, -1, "", StrCat("the bundle is not valid JSON (", e.what(), ")"));
  }
}

}  // namespace

BundleReport VerifyBundle(std::istream& in, BundleFormat format, const note::Verifier& key,
                          const std::function<void(int64_t)>& progress) {
  Checker checker(key, progress);
  if (format == BundleFormat::kJsonl) {
    ReadJsonl(in, checker);
  } else {
    ReadJson(in, checker);
  }
  return checker.Finish();
}

}  // namespace tf::audit
