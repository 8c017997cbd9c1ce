#pragma once
// List queries for repos: a WHERE clause built from optional conditions, each value a bound
// parameter (never text in the SQL), and SelectRows, which runs
// "SELECT <columns> FROM <table> <where><tail>" and maps every row to a value.
// Thread-safety: plain values and a function of the caller's transaction.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/strings.h"
#include "store/database.h"

namespace tf::store {

struct Where {
  std::string sql = " WHERE 1 = 1";
  Params params;

  //! Appends " AND <cond>" with one `?` bound to `v`.
  void Add(std::string_view cond, Value v) {
    StrAppend(&sql, " AND ", cond);
    params.push_back(std::move(v));
  }
  template <typename T>
  void AddIf(std::string_view cond, const std::optional<T>& v) {
    if (v) Add(cond, *v);
  }
};

//! `s` for a LIKE pattern with ESCAPE '\\': the wildcards % and _ (and \\) match themselves.
inline std::string EscapeLike(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

//! " ORDER BY id LIMIT n", or newest first (ids are UUIDv7) with `newest_first`.
inline std::string OrderByIdLimit(int limit, bool newest_first = false) {
  return StrCat(newest_first ? " ORDER BY id DESC LIMIT " : " ORDER BY id LIMIT ", limit);
}

template <typename F>
auto SelectRows(Transaction& tx, std::string_view columns, std::string_view table, const Where& where,
                std::string_view tail, F&& from_row)
    -> absl::StatusOr<std::vector<decltype(from_row(std::declval<const Row&>()))>> {
  auto rows = tx.Query(StrCat("SELECT ", columns, " FROM ", table, where.sql, tail), where.params);
  if (!rows.ok()) return rows.status();
  std::vector<decltype(from_row(std::declval<const Row&>()))> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(from_row(r));
  return out;
}

}  // namespace tf::store
