#pragma once
// Error handling helpers around absl::Status, the one error type of the code base.
// Fallible functions return absl::Status or absl::StatusOr<T>; these macros propagate them.
// Thread-safety: stateless.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TF_CONCAT_INNER_(a, b) a##b
#define TF_CONCAT_(a, b) TF_CONCAT_INNER_(a, b)

//! Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define TF_RETURN_IF_ERROR(expr)                    \
  do {                                              \
    ::absl::Status tf_status_ = (expr);             \
    if (!tf_status_.ok()) return tf_status_;        \
  } while (0)

#define TF_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

//! `TF_ASSIGN_OR_RETURN(auto x, StatusOrExpr());` binds the value or returns the error.
#define TF_ASSIGN_OR_RETURN(lhs, expr) \
  TF_ASSIGN_OR_RETURN_IMPL_(TF_CONCAT_(tf_statusor_, __LINE__), lhs, expr)
