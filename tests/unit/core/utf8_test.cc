// UTF-8 validation and truncation on character boundaries.
#include "core/utf8.h"

#include <gtest/gtest.h>

namespace tf {
namespace {

TEST(Utf8Test, ValidatesEncodings) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));  // overlong '/'
}

TEST(Utf8Test, TruncatesBeforeACharacterNeverInsideOne) {
  const std::string s = "ab\xe2\x82\xac" "cd";  // "ab€cd", € is three bytes
  EXPECT_EQ(TruncateUtf8(s, 100), s);
  EXPECT_EQ(TruncateUtf8(s, 5), "ab\xe2\x82\xac");
  for (size_t n : {2u, 3u, 4u}) {
    EXPECT_EQ(TruncateUtf8(s, n), "ab") << n;
    EXPECT_TRUE(IsValidUtf8(TruncateUtf8(s, n)));
  }
  EXPECT_EQ(TruncateUtf8(s, 0), "");
}

}  // namespace
}  // namespace tf
