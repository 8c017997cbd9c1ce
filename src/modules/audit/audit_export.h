#pragma once
// Audit exports: the records a filter selects, written as a bundle an auditor verifies offline
// with the log's public key alone (docs/audit.md defines the formats).
//  - json and jsonl: a header with the signed checkpoint the bundle is proven against and the
//    filter; each record exactly as served with its leaf (base64) and inclusion proof; and a
//    signed manifest with the number of records and the SHA-256 of their leaf indexes and leaf
//    hashes, so a record left out, added or changed, or a bundle cut short, is found even when
//    the filter selects only some records.
//  - csv: the same records with their leaf and proof columns, for spreadsheets. Text cells that
//    a spreadsheet would run as a formula (starting with = + - @ tab or CR) are prefixed with '.
// Thread-safety: an ExportEncoder is used by one thread; the functions are stateless.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/crypto.h"
#include "core/signed_note.h"
#include "modules/audit/audit_service.h"
#include "modules/audit/audit_types.h"
#include "nlohmann/json.hpp"

namespace tf::audit {

enum class ExportFormat { kJson, kJsonl, kCsv };
std::optional<ExportFormat> ParseExportFormat(std::string_view name);
std::string_view ContentTypeOf(ExportFormat format);
std::string_view ExtensionOf(ExportFormat format);

//! The bundle format's name, in every json and jsonl bundle's header.
inline constexpr std::string_view kBundleFormat = "trust-fabric-audit-export/1";
//! The first line of a manifest's signed text.
inline constexpr std::string_view kManifestTitle = "trust-fabric audit export";

//! The filter's set members, as the bundle's header and manifest name them.
nlohmann::json FilterJson(const RecordFilter& filter);
nlohmann::json CheckpointJson(const Checkpoint& checkpoint);
//! Proof hashes as the API serves them: hex, in RFC 9162 order.
nlohmann::json HashesJson(const std::vector<merkle::Hash>& hashes);

//! What a manifest signs: how many records, of which tree, selected how, and their digest.
struct Manifest {
  std::string origin;
  int64_t tree_size = 0;
  int64_t records = 0;
  std::string leaves_sha256;  //!< hex SHA-256 of each record's 8-byte big-endian leaf index || leaf hash
  std::string filter;         //!< RFC 8785 JSON of FilterJson
  int64_t exported_at = 0;    //!< microseconds

  std::string Text() const;
  //! InvalidArgument when `text` is not a manifest's text.
  static absl::StatusOr<Manifest> Parse(std::string_view text);
};

//! The running digest of a bundle's leaves (Manifest::leaves_sha256).
class LeafDigest {
 public:
  void Add(int64_t leaf_index, const merkle::Hash& leaf_hash);
  std::string Hex() const;

 private:
  crypto::Sha256Stream sha_;
};

//! Writes one bundle in pieces: Begin, then Add for each record (in leaf order), then End.
class ExportEncoder {
 public:
  ExportEncoder(ExportFormat format, Checkpoint checkpoint, const RecordFilter& filter, int64_t exported_at,
                const note::Signer& signer);

  std::string Begin() const;
  absl::StatusOr<std::string> Add(const RecordWithProof& item);
  //! The signed manifest (nothing for csv).
  std::string End() const;
  int64_t count() const { return count_; }

 private:
  ExportFormat format_;
  Checkpoint checkpoint_;
  nlohmann::json filter_;
  int64_t exported_at_;
  const note::Signer& signer_;
  LeafDigest digest_;
  int64_t count_ = 0;
};

}  // namespace tf::audit
