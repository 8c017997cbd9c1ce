#include "modules/audit/audit_repo.h"

#include <map>

#include "absl/strings/str_replace.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "modules/audit/audit_record.h"
#include "store/where.h"

namespace tf::audit {

namespace {

constexpr std::string_view kRecordColumns =
    "leaf_index, id, tenant_id, time, kind, actor_type, actor_id, actor_user_id, actor_via, action, event_type, "
    "resource_type, resource_id, method, route, path, status, outcome, source_ip, user_agent, request_id, "
    "trace_id, details, details_sha256, pruned_at";

//! kRecordColumns with the details read only where their hash is not stored: all a leaf needs.
const std::string& ColumnsWithoutDetails() {
  static const std::string columns = absl::StrReplaceAll(
      Sv(kRecordColumns), {{" details,", " CASE WHEN details_sha256 = '' THEN details END,"}});
  return columns;
}

AuditRecord RecordFromRow(const store::Row& r) {
  AuditRecord a;
  a.leaf_index = r.Int(0);
  a.id = r.Text(1);
  a.tenant_id = r.OptText(2);
  a.time = r.Int(3);
  a.kind = r.Text(4);
  a.actor_type = r.Text(5);
  a.actor_id = r.OptText(6);
  a.actor_user_id = r.OptText(7);
  a.actor_via = r.OptText(8);
  a.action = r.Text(9);
  a.event_type = r.OptText(10);
  a.resource_type = r.OptText(11);
  a.resource_id = r.OptText(12);
  a.method = r.OptText(13);
  a.route = r.OptText(14);
  a.path = r.OptText(15);
  a.status = r.OptInt(16);
  a.outcome = r.Text(17);
  a.source_ip = r.OptText(18);
  a.user_agent = r.OptText(19);
  a.request_id = r.OptText(20);
  a.trace_id = r.OptText(21);
  a.details = r.OptText(22);
  // While the details are held their hash is taken from them (rows written before migration 0016
  // also stored it: an edit of their details then shows in the leaf all the same); stored once
  // they are pruned.
  a.details_sha256 = a.details ? crypto::Sha256Hex(*a.details) : r.Text(23);
  a.pruned_at = r.OptInt(24);
  return a;
}

//! The bytes of a hash column: a byte string as it is; text as the hex that SQLite rows written
//! before migration 0016 hold (SQLite keeps a column's declared type; PostgreSQL's were converted).
absl::StatusOr<std::string> StoredBytes(const store::Row& r, size_t i) {
  if (const auto* bytes = std::get_if<store::Bytes>(&r.at(i))) return bytes->data;
  return crypto::HexDecode(r.Text(i));
}

constexpr store::Sequence kLeafIndexes{"audit_leaf_index", "audit_records", "leaf_index"};

constexpr std::string_view kInsert =
    "INSERT INTO audit_records (leaf_index, id, tenant_id, time, kind, actor_type, actor_id, actor_user_id, "
    "actor_via, action, event_type, resource_type, resource_id, method, route, path, status, outcome, source_ip, "
    "user_agent, request_id, trace_id, details, details_sha256, pruned_at, leaf_hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

//! The parameters of kInsert, in its column order. details_sha256 is stored only when the
//! details are not (readers hash the details), and the leaf hash as its 32 bytes: each
//! group commit writes fewer pages.
store::Params ParamsOf(const AuditRecord& a) {
  store::Params p;
  p.reserve(26);
  p.emplace_back(a.leaf_index);
  p.emplace_back(a.id);
  p.push_back(store::OptText(a.tenant_id));
  p.emplace_back(a.time);
  p.emplace_back(a.kind);
  p.emplace_back(a.actor_type);
  for (const auto* v : {&a.actor_id, &a.actor_user_id, &a.actor_via}) p.push_back(store::OptText(*v));
  p.emplace_back(a.action);
  for (const auto* v : {&a.event_type, &a.resource_type, &a.resource_id, &a.method, &a.route, &a.path}) {
    p.push_back(store::OptText(*v));
  }
  p.push_back(store::OptInt(a.status));
  p.emplace_back(a.outcome);
  for (const auto* v : {&a.source_ip, &a.user_agent, &a.request_id, &a.trace_id, &a.details}) {
    p.push_back(store::OptText(*v));
  }
  p.emplace_back(a.details ? std::string() : a.details_sha256);
  p.push_back(store::OptInt(a.pruned_at));
  p.emplace_back(store::Bytes{std::string(merkle::AsBytes(*a.leaf_hash))});
  return p;
}

Checkpoint CheckpointFromRow(const store::Row& r) {
  return {r.Int(0), r.Text(1), r.Int(2), r.Text(3), r.Text(4)};
}

constexpr std::string_view kCheckpointColumns = "tree_size, root_hash, timestamp, key_id, note";

absl::StatusOr<std::optional<Checkpoint>> OneCheckpoint(store::Transaction& tx, std::string_view tail,
                                                        const store::Params& params) {
  TF_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query(StrCat("SELECT ", kCheckpointColumns, " FROM audit_checkpoints ", tail), params));
  if (rows.empty()) return std::nullopt;
  return CheckpointFromRow(rows[0]);
}

}  // namespace

absl::Status AuditRepo::Append(Tx& tx, std::vector<AuditRecord>& records) {
  if (records.empty()) return absl::OkStatus();
  TF_ASSIGN_OR_RETURN(std::vector<int64_t> indexes,
                      tx.NextValues(kLeafIndexes, static_cast<int>(records.size())));
  for (size_t i = 0; i < records.size(); ++i) {
    AuditRecord& a = records[i];
    a.leaf_index = indexes.at(i);
    if (!a.leaf_hash) TF_RETURN_IF_ERROR(SetLeafHash(a));
    TF_RETURN_IF_ERROR(tx.Exec(kInsert, ParamsOf(a)).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LeafHashAt>> AuditRepo::LeafHashes(Tx& tx, int64_t from, int limit) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT leaf_index, leaf_hash FROM audit_records WHERE leaf_index >= ? "
                                                 "AND leaf_index < ? ORDER BY leaf_index",
                                                 {from, from + limit}));
  std::vector<LeafHashAt> out;
  out.reserve(rows.size());
  std::optional<int64_t> first_missing, last_missing;
  for (const store::Row& r : rows) {
    LeafHashAt& leaf = out.emplace_back(LeafHashAt{r.Int(0), {}});
    if (r.IsNull(1)) {
      if (!first_missing) first_missing = leaf.leaf_index;
      last_missing = leaf.leaf_index;
      continue;
    }
    absl::StatusOr<std::string> stored = StoredBytes(r, 1);
    absl::StatusOr<merkle::Hash> hash = stored.ok() ? merkle::HashFromBytes(*stored) : stored.status();
    if (!hash.ok()) {
      return absl::DataLossError(StrCat("the audit record at leaf index ", leaf.leaf_index,
                                        " holds a malformed leaf hash"));
    }
    leaf.hash = *hash;
  }
  if (!first_missing) return out;
  // Records written before leaf hashes were stored: recomputed from their fields.
  TF_ASSIGN_OR_RETURN(std::vector<AuditRecord> older,
                      Range(tx, *first_missing, static_cast<int>(*last_missing - *first_missing + 1), false));
  std::map<int64_t, const AuditRecord*> by_index;
  for (const AuditRecord& r : older) by_index[r.leaf_index] = &r;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].IsNull(1)) continue;
    const AuditRecord& r = *by_index.at(out[i].leaf_index);
    TF_ASSIGN_OR_RETURN(std::string leaf, LeafBytes(r));
    out[i].hash = merkle::LeafHash(leaf);
  }
  return out;
}

absl::StatusOr<std::vector<AuditRecord>> AuditRepo::Range(Tx& tx, int64_t from, int limit, bool with_details) {
  store::Where where;
  where.Add("leaf_index >= ?", from);
  where.Add("leaf_index < ?", from + limit);
  return store::SelectRows(tx, with_details ? kRecordColumns : ColumnsWithoutDetails(), "audit_records", where,
                           " ORDER BY leaf_index", RecordFromRow);
}

namespace {

//! The conditions of a filter, without its cursor.
store::Where WhereOf(const RecordFilter& f) {
  store::Where where;
  where.AddIf("tenant_id = ?", f.tenant_id);
  where.AddIf("time >= ?", f.from);
  where.AddIf("time < ?", f.to);
  if (f.actor) {
    where.Add("(actor_id = ?", *f.actor);
    where.sql += " OR actor_user_id = ?)";
    where.params.push_back(*f.actor);
  }
  where.AddIf("action = ?", f.action);
  where.AddIf("resource_type = ?", f.resource_type);
  where.AddIf("resource_id = ?", f.resource_id);
  where.AddIf("status = ?", f.status);
  where.AddIf("outcome = ?", f.outcome);
  where.AddIf("request_id = ?", f.request_id);
  where.AddIf("kind = ?", f.kind);
  if (f.path_contains) where.Add("LOWER(path) LIKE LOWER(?) ESCAPE '\\'", "%" + store::EscapeLike(*f.path_contains) + "%");
  return where;
}

}  // namespace

absl::StatusOr<std::vector<AuditRecord>> AuditRepo::List(Tx& tx, const RecordFilter& f) {
  store::Where where = WhereOf(f);
  where.AddIf("leaf_index < (SELECT c.leaf_index FROM audit_records c WHERE c.id = ?)", f.after_id);
  return store::SelectRows(tx, kRecordColumns, "audit_records", where,
                           StrCat(" ORDER BY leaf_index DESC LIMIT ", f.limit), RecordFromRow);
}

absl::StatusOr<std::vector<AuditRecord>> AuditRepo::Scan(Tx& tx, const RecordFilter& f, int64_t from, int64_t end,
                                                         int limit) {
  store::Where where = WhereOf(f);
  where.Add("leaf_index >= ?", from);
  where.Add("leaf_index < ?", end);
  return store::SelectRows(tx, kRecordColumns, "audit_records", where, StrCat(" ORDER BY leaf_index LIMIT ", limit),
                           RecordFromRow);
}

absl::StatusOr<AuditRecord> AuditRepo::Get(Tx& tx, const std::optional<std::string>& tenant_scope,
                                           const std::string& id) {
  store::Where where;
  where.Add("id = ?", id);
  where.AddIf("tenant_id = ?", tenant_scope);
  TF_ASSIGN_OR_RETURN(auto rows, store::SelectRows(tx, kRecordColumns, "audit_records", where, "", RecordFromRow));
  if (rows.empty()) return absl::NotFoundError("no such audit record");
  return std::move(rows[0]);
}

absl::StatusOr<AuditStats> AuditRepo::Stats(Tx& tx, const std::optional<std::string>& tenant, int64_t from,
                                            int64_t to) {
  AuditStats stats;
  stats.from = from;
  stats.to = to;
  store::Where where;
  where.AddIf("tenant_id = ?", tenant);
  where.Add("time >= ?", from);
  where.Add("time < ?", to);
  where.sql += " AND kind <> 'gap'";
  auto counts = [&](std::string_view key, std::string_view tail) -> absl::StatusOr<std::vector<AuditStats::Count>> {
    return store::SelectRows(tx, StrCat(key, ", COUNT(*)"), "audit_records", where,
                             StrCat(" GROUP BY ", key, tail), [](const store::Row& r) {
                               return AuditStats::Count{r.IsNull(0) ? "" : r.Text(0), r.Int(1)};
                             });
  };
  TF_ASSIGN_OR_RETURN(stats.by_action, counts("action", " ORDER BY 2 DESC, 1"));
  TF_ASSIGN_OR_RETURN(stats.by_outcome, counts("outcome", " ORDER BY 2 DESC, 1"));
  TF_ASSIGN_OR_RETURN(stats.by_status_class, counts("status / 100", " ORDER BY 1"));
  for (AuditStats::Count& c : stats.by_status_class) c.key = c.key.empty() ? "none" : c.key + "xx";
  TF_ASSIGN_OR_RETURN(stats.by_actor,
                      counts("COALESCE(actor_user_id, actor_id, actor_type)", " ORDER BY 2 DESC, 1 LIMIT 20"));
  for (const AuditStats::Count& c : stats.by_action) stats.total += c.count;
  TF_ASSIGN_OR_RETURN(
      auto days,
      store::SelectRows(tx,
                        StrCat("time / ", kMicrosPerDay,
                               ", COUNT(*), SUM(CASE WHEN outcome = 'denied' THEN 1 ELSE 0 END), "
                               "SUM(CASE WHEN outcome IN ('failure', 'error') THEN 1 ELSE 0 END)"),
                        "audit_records", where, StrCat(" GROUP BY time / ", kMicrosPerDay, " ORDER BY 1"),
                        [&](const store::Row& r) {
                          return AuditStats::Day{FormatRfc3339Exact(r.Int(0) * kMicrosPerDay).substr(0, 10),
                                                 r.Int(1), r.Int(2), r.Int(3)};
                        }));
  stats.by_day = std::move(days);
  return stats;
}

absl::StatusOr<int64_t> AuditRepo::EndOfRecords(Tx& tx) {
  TF_ASSIGN_OR_RETURN(store::Row row, tx.QueryOne("SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM audit_records", {},
                                                  "audit records"));
  return row.Int(0);
}

absl::StatusOr<bool> AuditRepo::InsertGap(Tx& tx, AuditRecord gap) {
  std::string sql(kInsert);
  sql += " ON CONFLICT (leaf_index) DO NOTHING";
  if (!gap.leaf_hash) TF_RETURN_IF_ERROR(SetLeafHash(gap));
  TF_ASSIGN_OR_RETURN(int64_t inserted, tx.Exec(sql, ParamsOf(gap)));
  return inserted == 1;
}

namespace {

absl::StatusOr<std::string> TileBytes(const TileKey& key, const store::Row& r, size_t i) {
  absl::StatusOr<std::string> bytes = StoredBytes(r, i);
  if (!bytes.ok()) return absl::DataLossError(StrCat("tile ", key.level, "/", key.index, " holds a non-hex digit"));
  return bytes;
}

}  // namespace

absl::StatusOr<std::vector<StoredTile>> AuditRepo::LoadTiles(Tx& tx, const std::vector<TileKey>& keys) {
  std::vector<StoredTile> out;
  if (keys.empty()) return out;
  std::string sql = "SELECT level, tile_index, width, hashes FROM audit_tiles WHERE ";
  store::Params params;
  for (size_t i = 0; i < keys.size(); ++i) {
    StrAppend(&sql, i == 0 ? "" : " OR ", "(level = ? AND tile_index = ?)");
    params.push_back(int64_t{keys[i].level});
    params.push_back(keys[i].index);
  }
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params));
  for (const store::Row& r : rows) {
    TileKey key{static_cast<int>(r.Int(0)), r.Int(1)};
    TF_ASSIGN_OR_RETURN(std::string bytes, TileBytes(key, r, 3));
    out.push_back({key, static_cast<int>(r.Int(2)), std::move(bytes)});
  }
  return out;
}

absl::StatusOr<std::vector<Tile>> AuditRepo::LoadTileRange(Tx& tx, int level, int64_t first, int64_t last) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT tile_index, width, hashes FROM audit_tiles WHERE level = ? "
                                                 "AND tile_index >= ? AND tile_index <= ? ORDER BY tile_index",
                                                 {int64_t{level}, first, last}));
  std::vector<Tile> out;
  for (const store::Row& r : rows) {
    TileKey key{level, r.Int(0)};
    TF_ASSIGN_OR_RETURN(std::string bytes, TileBytes(key, r, 2));
    TF_ASSIGN_OR_RETURN(Tile tile, Tile::Decode(key, static_cast<int>(r.Int(1)), bytes));
    out.push_back(std::move(tile));
  }
  return out;
}

absl::Status AuditRepo::SaveTile(Tx& tx, const StoredTile& tile) {
  return tx.Exec("INSERT INTO audit_tiles (level, tile_index, width, hashes) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (level, tile_index) DO UPDATE SET width = excluded.width, hashes = excluded.hashes "
                 "WHERE audit_tiles.width < excluded.width",
                 {int64_t{tile.key.level}, tile.key.index, int64_t{tile.width}, store::Bytes{tile.bytes}})
      .status();
}

absl::StatusOr<TreeHead> AuditRepo::Head(Tx& tx) {
  TF_ASSIGN_OR_RETURN(store::Row row, tx.QueryOne("SELECT tree_size, root_hash, updated_at FROM audit_tree_head "
                                                  "WHERE id = 1",
                                                  {}, "audit tree head"));
  return TreeHead{row.Int(0), row.Text(1), row.Int(2)};
}

absl::StatusOr<bool> AuditRepo::AdvanceHead(Tx& tx, int64_t expected_size, const TreeHead& head) {
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      tx.Exec("UPDATE audit_tree_head SET tree_size = ?, root_hash = ?, updated_at = ? "
                              "WHERE id = 1 AND tree_size = ?",
                              {head.tree_size, head.root_hash, head.updated_at, expected_size}));
  return changed == 1;
}

absl::Status AuditRepo::InsertCheckpoint(Tx& tx, const Checkpoint& c) {
  return tx.Exec(StrCat("INSERT INTO audit_checkpoints (", kCheckpointColumns, ") VALUES (?, ?, ?, ?, ?)"),
                 {c.tree_size, c.root_hash, c.timestamp, c.key_id, c.note})
      .status();
}

absl::StatusOr<std::optional<Checkpoint>> AuditRepo::LatestCheckpoint(Tx& tx) {
  return OneCheckpoint(tx, "ORDER BY tree_size DESC LIMIT 1", {});
}

absl::StatusOr<std::vector<Checkpoint>> AuditRepo::ListCheckpoints(Tx& tx, std::optional<int64_t> before_size,
                                                                    int limit) {
  store::Where where;
  where.AddIf("tree_size < ?", before_size);
  return store::SelectRows(tx, kCheckpointColumns, "audit_checkpoints", where,
                           StrCat(" ORDER BY tree_size DESC LIMIT ", limit), CheckpointFromRow);
}

absl::StatusOr<std::vector<Checkpoint>> AuditRepo::CheckpointsFrom(Tx& tx, int64_t from_size, int limit) {
  store::Where where;
  where.Add("tree_size >= ?", from_size);
  return store::SelectRows(tx, kCheckpointColumns, "audit_checkpoints", where,
                           StrCat(" ORDER BY tree_size LIMIT ", limit), CheckpointFromRow);
}

namespace {

constexpr std::string_view kRetentionColumns =
    "tenant_id, retention_days, updated_at, updated_by, last_pruned_at, last_pruned_count";

RetentionPolicy RetentionFromRow(const store::Row& r) {
  return {r.Text(0), r.Int(1), r.Int(2), r.OptText(3), r.OptInt(4), r.Int(5)};
}

}  // namespace

absl::StatusOr<bool> AuditRepo::TenantExists(Tx& tx, const std::string& tenant_id) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT 1 FROM tenants WHERE id = ?", {tenant_id}));
  return !rows.empty();
}

absl::StatusOr<std::optional<RetentionPolicy>> AuditRepo::Retention(Tx& tx, const std::string& tenant_id) {
  store::Where where;
  where.Add("tenant_id = ?", tenant_id);
  TF_ASSIGN_OR_RETURN(auto rows, store::SelectRows(tx, kRetentionColumns, "audit_retention_policies", where, "",
                                                   RetentionFromRow));
  if (rows.empty()) return std::nullopt;
  return rows[0];
}

absl::StatusOr<std::vector<RetentionPolicy>> AuditRepo::RetentionPolicies(Tx& tx) {
  return store::SelectRows(tx, kRetentionColumns, "audit_retention_policies", store::Where{}, " ORDER BY tenant_id",
                           RetentionFromRow);
}

absl::Status AuditRepo::PutRetention(Tx& tx, const RetentionPolicy& p) {
  return tx.Exec("INSERT INTO audit_retention_policies (tenant_id, retention_days, updated_at, updated_by, "
                 "last_pruned_count) VALUES (?, ?, ?, ?, 0) ON CONFLICT (tenant_id) DO UPDATE SET "
                 "retention_days = excluded.retention_days, updated_at = excluded.updated_at, "
                 "updated_by = excluded.updated_by",
                 {p.tenant_id, p.retention_days, p.updated_at, store::OptText(p.updated_by)})
      .status();
}

absl::StatusOr<bool> AuditRepo::DeleteRetention(Tx& tx, const std::string& tenant_id) {
  TF_ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM audit_retention_policies WHERE tenant_id = ?", {tenant_id}));
  return n > 0;
}

absl::Status AuditRepo::NotePruned(Tx& tx, const std::string& tenant_id, int64_t at, int64_t count) {
  return tx.Exec("UPDATE audit_retention_policies SET last_pruned_at = ?, last_pruned_count = ? WHERE tenant_id = ?",
                 {at, count, tenant_id})
      .status();
}

absl::StatusOr<PrunedRange> AuditRepo::PruneBatch(Tx& tx, const std::string& tenant_id, int64_t cutoff, int64_t now,
                                                 int limit) {
  TF_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query(StrCat("SELECT leaf_index, details, details_sha256 FROM audit_records "
                                      "WHERE tenant_id = ? AND time < ? AND details IS NOT NULL "
                                      "ORDER BY leaf_index LIMIT ",
                                      limit),
                               {tenant_id, cutoff}));
  PrunedRange range;
  if (rows.empty()) return range;
  range.first = rows.front().Int(0);
  range.last = rows.back().Int(0);
  // The details' hash stays in their place (stored now if it was not): the leaf does not change.
  for (const store::Row& r : rows) {
    std::string sha256 = r.Text(2).empty() ? crypto::Sha256Hex(r.Text(1)) : r.Text(2);
    TF_ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE audit_records SET details = NULL, details_sha256 = ?, "
                                                 "pruned_at = ? WHERE leaf_index = ? AND details IS NOT NULL",
                                                 {std::move(sha256), now, r.Int(0)}));
    range.count += changed;
  }
  return range;
}

absl::Status AuditRepo::InsertKeyIfAbsent(Tx& tx, const SigningKey& k) {
  return tx.Exec("INSERT INTO audit_signing_keys (key_id, name, public_key, verifier_key, created_at) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING",
                 {k.key_id, k.name, k.public_key, k.verifier_key, k.created_at})
      .status();
}

}  // namespace tf::audit
