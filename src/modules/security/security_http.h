#pragma once
// What the security module's route files share: the body limit of their state changes and the
// id path parameter.
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/ids.h"
#include "core/strings.h"
#include "http/context.h"

namespace tf::security {

//! The body limit of the security routes' state changes: small JSON documents.
inline constexpr uint64_t kSmallBody = 16 * 1024;

//! The `{id}` path parameter; ids that are not UUIDs cannot exist, so they are NotFound
//! ("no such <what>").
inline absl::StatusOr<std::string> IdParam(const http::RequestContext& ctx, std::string_view what) {
  const std::string& id = ctx.PathParam("id");
  if (!IsUuid(id)) return absl::NotFoundError(StrCat("no such ", what));
  return id;
}

}  // namespace tf::security
