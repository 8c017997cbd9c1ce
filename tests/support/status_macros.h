#pragma once
// GoogleTest assertions for absl::Status and absl::StatusOr: TF_ASSERT_OK(expr) and
// TF_ASSERT_OK_AND_ASSIGN(lhs, expr), which print the status when it is not OK.
// Thread-safety: as GoogleTest's ASSERT_* (the test's own thread).

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "core/status.h"

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
