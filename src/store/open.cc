#include "store/open.h"
#include "core/strings.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/redact.h"
#include "store/sqlite/sqlite_database.h"

namespace tf::store {

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const std::string& url, const std::string& data_dir) {
  std::string path;
  if (url.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return absl::UnavailableError(StrCat("cannot create the data directory ", data_dir, ": ", ec.message()));
    path = (std::filesystem::path(data_dir) / "trust.db").string();
  } else if (absl::StartsWith(url, "sqlite:")) {
    path = url.substr(7);
  } else if (absl::StartsWith(url, "postgres://") || absl::StartsWith(url, "postgresql://")) {
    return absl::UnimplementedError("database.url: this trustd serves SQLite only; PostgreSQL is not supported yet");
  } else {
    return absl::InvalidArgumentError(StrCat("database.url: unsupported database URL '", RedactString(url),
                                             "' (expected empty or sqlite:PATH)"));
  }
  auto db = SqliteDatabase::Open({path});
  if (!db.ok()) return db.status();
  return std::unique_ptr<Database>(std::move(*db));
}

}  // namespace tf::store
