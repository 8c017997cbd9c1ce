#pragma once
// Opens the configured store: SQLite (the default, `data_dir/trust.db`, or a `sqlite:PATH`
// URL). Creates the data directory when missing.
// Thread-safety: call at start-up.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/database.h"

namespace tf::store {

[[nodiscard]] absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const std::string& url,
                                                                     const std::string& data_dir);

}  // namespace tf::store
