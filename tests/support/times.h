#pragma once
// Fixed instants for tests that drive a fake clock (spans: kMicrosPerSecond etc. in core/clock.h).
// Thread-safety: stateless.

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/time_format.h"

namespace tf::testing {

//! The instant an RFC 3339 text names; a text that does not parse fails the test.
inline SysTime T(std::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : SysTime();
}

}  // namespace tf::testing
