#pragma once
// GoogleTest helpers for absl::Status and absl::StatusOr: TF_ASSERT_OK(expr) and
// TF_ASSERT_OK_AND_ASSIGN(lhs, expr), which print the status when it is not OK, and FieldOf,
// the field a validation error names.
// Thread-safety: as GoogleTest's ASSERT_* (the test's own thread).

#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "core/errors.h"
#include "core/status.h"
#include "core/strings.h"
#include "nlohmann/json.hpp"

namespace tf::testing {

//! The field of the first error in a FieldError status ("" when there is none).
inline std::string FieldOf(const absl::Status& s) {
  auto payload = s.GetPayload(Sv(kProblemFieldsPayload));
  if (!payload) return "";
  auto j = nlohmann::json::parse(std::string(*payload), nullptr, false);
  if (j.is_discarded() || !j.contains("errors")) return "";
  return j["errors"].at(0).value("field", "");
}

}  // namespace tf::testing

#define TF_ASSERT_OK(expr)                                      \
  do {                                                          \
    ::absl::Status tf_assert_status_ = (expr);                  \
    ASSERT_TRUE(tf_assert_status_.ok()) << tf_assert_status_;   \
  } while (0)

#define TF_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  ASSERT_TRUE(tmp.ok()) << tmp.status();              \
  lhs = std::move(tmp).value()
#define TF_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  TF_ASSERT_OK_AND_ASSIGN_IMPL_(TF_CONCAT_(tf_assert_sor_, __LINE__), lhs, expr)
