// Inclusion and consistency proofs from the stored tiles of a large audit tree on SQLite, through
// AuditService as GET /api/audit/proof/* serve them: builds a tree of N synthetic leaves
// (default 10 million) straight into audit_tiles, then times proofs for random leaves against
// the full size, and checks them.
//
//   build/bench/bench_audit_proofs [--leaves N] [--proofs P]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/merkle.h"
#include "core/signed_note.h"
#include "modules/audit/audit_repo.h"
#include "modules/audit/audit_service.h"
#include "store/migrator.h"
#include "store/open.h"

namespace {

using Clock = std::chrono::steady_clock;
using tf::audit::Tile;

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  int64_t leaves = 10'000'000;
  int proofs = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--leaves") leaves = std::atoll(argv[i + 1]);
    else if (flag == "--proofs") proofs = std::atoi(argv[i + 1]);
  }
  if (!tf::crypto::InitCrypto().ok()) return 1;
  std::string dir = (std::filesystem::temp_directory_path() / "tf-bench-proofs").string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  tf::DatabaseConfig config;
  auto opened = tf::store::OpenDatabase(config, dir);
  if (!opened.ok()) return 1;
  std::unique_ptr<tf::store::Database> db = std::move(*opened);
  if (!tf::store::ApplyMigrations(*db, tf::SystemClock::Instance(), tf::store::BuiltinMigrations()).ok()) return 1;
  tf::audit::AuditRepo repo;

  // Build: the edge tile of each level in memory; full tiles are written as they fill.
  auto build_start = Clock::now();
  std::vector<Tile> edge;
  std::vector<Tile> full;
  tf::merkle::CompactRange range;
  auto flush = [&] {
    auto s = db->InTx(tf::store::WriteTx(), [&](tf::store::Transaction& tx) -> absl::Status {
      for (const Tile& t : full) {
        if (absl::Status saved = repo.SaveTile(tx, t.Stored()); !saved.ok()) return saved;
      }
      return absl::OkStatus();
    });
    if (!s.ok()) std::exit(1);
    full.clear();
  };
  for (int64_t i = 0; i < leaves; ++i) {
    tf::merkle::Hash h = tf::merkle::LeafHash("leaf " + std::to_string(i));
    range.Append(h);
    std::optional<tf::merkle::Hash> node = h;
    uint64_t index = static_cast<uint64_t>(i);
    for (int level = 0; node; ++level, index >>= tf::audit::kTileHeight) {
      if (static_cast<int>(edge.size()) <= level) edge.push_back(Tile{{level, 0}, {}});
      Tile& t = edge[static_cast<size_t>(level)];
      t.key.index = static_cast<int64_t>(index >> tf::audit::kTileHeight);
      node = t.Append(*node);
      if (node) {
        full.push_back(std::move(t));
        t = Tile{{level, 0}, {}};
      }
    }
    if (full.size() >= 8192) flush();
  }
  for (const Tile& t : edge) {
    if (t.width() > 0) full.push_back(t);
  }
  flush();
  tf::merkle::Hash root = range.Root();
  if (!db->InTx(tf::store::WriteTx(), [&](tf::store::Transaction& tx) {
        return repo.AdvanceHead(tx, 0, {leaves, tf::merkle::ToHex(root), 0}).status();
      }).ok()) {
    return 1;
  }
  double build_seconds = std::chrono::duration<double>(Clock::now() - build_start).count();

  tf::note::Signer signer = tf::note::Signer::Generate("bench.local/audit").value();
  tf::audit::AuditService service(*db, tf::SystemClock::Instance(), signer);
  std::mt19937_64 random(42);
  std::vector<double> inclusion_us, consistency_us;
  for (int p = 0; p < proofs; ++p) {
    int64_t m = static_cast<int64_t>(random() % static_cast<uint64_t>(leaves));
    auto a = Clock::now();
    auto proof = service.InclusionProof(m, leaves);
    inclusion_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    if (!proof.ok()) return 1;
    if (p < 100 && !tf::merkle::VerifyInclusion(m, leaves, tf::merkle::LeafHash("leaf " + std::to_string(m)), *proof,
                                                root)) {
      std::fprintf(stderr, "proof for %lld does not verify\n", static_cast<long long>(m));
      return 1;
    }
  }
  for (int p = 0; p < proofs / 10; ++p) {
    int64_t first = 1 + static_cast<int64_t>(random() % static_cast<uint64_t>(leaves - 1));
    auto a = Clock::now();
    auto proof = service.ConsistencyProof(first, leaves);
    consistency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    if (!proof.ok()) return 1;
  }
  std::printf("tree of %lld leaves built into tiles in %.1f s (%.0f leaves/s)\n\n", static_cast<long long>(leaves),
              build_seconds, static_cast<double>(leaves) / build_seconds);
  std::printf("| proof | count | median µs | p99 µs |\n|---|---:|---:|---:|\n");
  std::printf("| inclusion, random leaf, full size | %zu | %.1f | %.1f |\n", inclusion_us.size(),
              Percentile(inclusion_us, 0.5), Percentile(inclusion_us, 0.99));
  std::printf("| consistency, random first size, full size | %zu | %.1f | %.1f |\n", consistency_us.size(),
              Percentile(consistency_us, 0.5), Percentile(consistency_us, 0.99));
  std::filesystem::remove_all(dir);
  return 0;
}
