#include "modules/audit/trail_verifier.h"

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/crypto.h"
#include "core/merkle.h"
#include "core/signed_note.h"
#include "core/status.h"
#include "core/strings.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/audit_repo.h"

namespace tf::audit {

namespace {

using Kind = TrailProblem::Kind;

//! One page of the trail: what the records give and what the tree holds, by leaf index.
struct Page {
  int64_t begin = 0, end = 0;
  std::map<int64_t, AuditRecord> records;
  std::map<int64_t, merkle::Hash> recomputed;  // leaf hash of the record at that index
  std::vector<merkle::Hash> stored;            // the tree's leaf hashes, begin..end
};

absl::StatusOr<Page> ReadPage(AuditRepo& repo, store::Transaction& tx, int64_t begin, int64_t end) {
  Page page{begin, end, {}, {}, {}};
  TF_ASSIGN_OR_RETURN(std::vector<AuditRecord> records, repo.Range(tx, begin, static_cast<int>(end - begin)));
  for (AuditRecord& r : records) {
    TF_ASSIGN_OR_RETURN(std::string leaf, LeafBytes(r));
    page.recomputed[r.leaf_index] = merkle::LeafHash(leaf);
    page.records.emplace(r.leaf_index, std::move(r));
  }
  TF_ASSIGN_OR_RETURN(std::vector<Tile> tiles, repo.LoadTileRange(tx, 0, begin / kTileWidth, (end - 1) / kTileWidth));
  std::map<int64_t, const Tile*> by_index;
  for (const Tile& t : tiles) by_index[t.key.index] = &t;
  for (int64_t i = begin; i < end; ++i) {
    auto it = by_index.find(i / kTileWidth);
    size_t pos = static_cast<size_t>(i % kTileWidth);
    if (it == by_index.end() || pos >= it->second->rows[0].size()) {
      return absl::DataLossError(StrCat("the audit tree holds no leaf hash for index ", i));
    }
    page.stored.push_back(it->second->rows[0][pos]);
  }
  return page;
}

//! What happened at index `i`, the first whose record does not give the tree's leaf.
TrailProblem Classify(const Page& page, int64_t i) {
  auto stored = [&](int64_t j) -> std::optional<merkle::Hash> {
    if (j < page.begin || j >= page.end) return std::nullopt;
    return page.stored[static_cast<size_t>(j - page.begin)];
  };
  auto found = [&](int64_t j) -> std::optional<merkle::Hash> {
    auto it = page.recomputed.find(j);
    return it == page.recomputed.end() ? std::nullopt : std::optional<merkle::Hash>(it->second);
  };
  TrailProblem p;
  p.leaf_index = i;
  auto record = page.records.find(i);
  if (record == page.records.end()) {
    p.kind = Kind::kDeleted;
    p.message = StrCat("the record at leaf index ", i, " is missing: it was deleted");
    return p;
  }
  p.record_id = record->second.id;
  std::optional<merkle::Hash> here = found(i);
  if (here && here == stored(i + 1)) {
    p.kind = Kind::kDeleted;
    p.message = StrCat("the record that was at leaf index ", i, " was deleted and the later ones moved up");
  } else if (found(i + 1) && found(i + 1) == stored(i)) {
    p.kind = Kind::kInserted;
    p.message = StrCat("record ", p.record_id, " was inserted at leaf index ", i, "; the tree never held it");
  } else {
    for (const auto& [j, hash] : page.recomputed) {
      if (j != i && hash == stored(i) && here == stored(j)) {
        p.kind = Kind::kReordered;
        p.message = StrCat("the records at leaf indexes ", i, " and ", j, " were swapped");
        return p;
      }
    }
    p.kind = Kind::kModified;
    p.message = StrCat("record ", p.record_id, " at leaf index ", i, " was modified: it no longer gives the leaf the "
                       "tree holds for it");
  }
  return p;
}

//! Checks a stored checkpoint against the root the records give at its size.
std::optional<TrailProblem> CheckCheckpoint(const Checkpoint& c, const merkle::Hash& root,
                                            const std::map<std::string, note::Verifier>& keys) {
  TrailProblem p{Kind::kCheckpoint, c.tree_size, "", ""};
  auto key = keys.find(c.key_id);
  if (key == keys.end()) {
    p.message = StrCat("checkpoint ", c.tree_size, " is signed by key ", c.key_id,
                       ", which is not a trusted key (an earlier signing key of this log is trusted when given "
                       "with --public-key)");
    return p;
  }
  absl::StatusOr<std::string> text = note::Open(c.note, key->second);
  if (!text.ok()) {
    p.message = StrCat("checkpoint ", c.tree_size, ": the signature does not verify (", text.status().message(), ")");
    return p;
  }
  std::vector<std::string> lines = absl::StrSplit(*text, '\n');
  std::string b64 = crypto::Base64Encode(merkle::AsBytes(root));
  if (lines.size() < 3 || lines[1] != std::to_string(c.tree_size) || lines[2] != b64 ||
      c.root_hash != merkle::ToHex(root)) {
    p.message = StrCat("checkpoint ", c.tree_size, " does not match the records: the first ", c.tree_size,
                       " records no longer give its root");
    return p;
  }
  return std::nullopt;
}

}  // namespace

std::string_view KindName(TrailProblem::Kind kind) {
  switch (kind) {
    case Kind::kModified: return "modified";
    case Kind::kDeleted: return "deleted";
    case Kind::kInserted: return "inserted";
    case Kind::kReordered: return "reordered";
    case Kind::kCheckpoint: return "checkpoint";
    case Kind::kHead: return "tree head";
    case Kind::kMalformed: return "malformed";
  }
  return "?";
}

TrailVerifier::TrailVerifier(store::Database& db, std::vector<note::Verifier> trusted) : db_(db) {
  for (note::Verifier& v : trusted) trusted_.emplace(absl::StrFormat("%08x", v.key_id()), std::move(v));
}

absl::StatusOr<TrailReport> TrailVerifier::Run(const std::function<void(int64_t, int64_t)>& progress) {
  AuditRepo repo;
  // One snapshot for the whole check: records, tiles and checkpoints agree with each other.
  return db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::StatusOr<TrailReport> {
    TrailReport report;
    TF_ASSIGN_OR_RETURN(TreeHead head, repo.Head(tx));
    TF_ASSIGN_OR_RETURN(int64_t end, repo.EndOfRecords(tx));
    report.pending = std::max<int64_t>(0, end - head.tree_size);
    TF_ASSIGN_OR_RETURN(std::vector<Checkpoint> checkpoints, repo.CheckpointsFrom(tx, 0, 1000));
    size_t next_checkpoint = 0;
    merkle::CompactRange range;
    for (int64_t begin = 0; begin < head.tree_size; begin += kPage) {
      TF_ASSIGN_OR_RETURN(Page page, ReadPage(repo, tx, begin, std::min<int64_t>(begin + kPage, head.tree_size)));
      for (int64_t i = page.begin; i < page.end; ++i) {
        auto found = page.recomputed.find(i);
        if (found == page.recomputed.end() || found->second != page.stored[static_cast<size_t>(i - page.begin)]) {
          report.problem = Classify(page, i);
          return report;
        }
        range.Append(found->second);
        ++report.records;
        if (next_checkpoint == checkpoints.size() && checkpoints.size() == 1000) {
          TF_ASSIGN_OR_RETURN(checkpoints, repo.CheckpointsFrom(tx, checkpoints.back().tree_size + 1, 1000));
          next_checkpoint = 0;
        }
        while (next_checkpoint < checkpoints.size() &&
               checkpoints[next_checkpoint].tree_size == static_cast<int64_t>(range.size())) {
          if (auto problem = CheckCheckpoint(checkpoints[next_checkpoint], range.Root(), trusted_)) {
            report.problem = problem;
            return report;
          }
          ++report.checkpoints;
          ++next_checkpoint;
        }
      }
      if (progress) progress(report.records, head.tree_size);
    }
    if (next_checkpoint < checkpoints.size()) {
      const Checkpoint& beyond = checkpoints[next_checkpoint];
      report.problem = TrailProblem{Kind::kCheckpoint, beyond.tree_size, "",
                                    StrCat("checkpoint ", beyond.tree_size, " covers more records than the tree's ",
                                           head.tree_size, ": records were removed from the end")};
      return report;
    }
    if (merkle::ToHex(range.Root()) != head.root_hash) {
      report.problem = TrailProblem{Kind::kHead, head.tree_size, "", "the tree head's root does not match the records"};
    }
    return report;
  });
}

}  // namespace tf::audit
