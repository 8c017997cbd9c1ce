#include "core/canonical_json.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace tf {
namespace {

TEST(CanonicalJsonTest, Rfc8785Example) {
  // RFC 8785 §3.2.2, the example input and its canonical form.
  auto input = nlohmann::json::parse(R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })");
  EXPECT_EQ(CanonicalJson(input).value(),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

TEST(CanonicalJsonTest, MembersSortByUtf16CodeUnits) {
  // RFC 8785 §3.2.3: the emoji (a surrogate pair) sorts before U+FB33 although its code point is larger.
  auto input = nlohmann::json::parse(
      R"({"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh",)"
      R"("1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"})");
  std::string out = CanonicalJson(input).value();
  std::vector<std::string> order = {"Carriage Return", "One", "Control", "Latin Small", "Euro Sign", "Emoji", "Hebrew"};
  size_t last = 0;
  for (const auto& value : order) {
    size_t at = out.find(value);
    ASSERT_NE(at, std::string::npos) << value;
    EXPECT_GT(at, last) << value << " is out of order in " << out;
    last = at;
  }
}

TEST(CanonicalJsonTest, NumbersPrintAsEcmaScriptDoes) {
  // RFC 8785 Appendix B.
  EXPECT_EQ(EcmaScriptNumber(0.0), "0");
  EXPECT_EQ(EcmaScriptNumber(-0.0), "0");
  EXPECT_EQ(EcmaScriptNumber(5e-324), "5e-324");
  EXPECT_EQ(EcmaScriptNumber(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(EcmaScriptNumber(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(EcmaScriptNumber(9007199254740994.0), "9007199254740994");
  EXPECT_EQ(EcmaScriptNumber(295147905179352830000.0), "295147905179352830000");
  EXPECT_EQ(EcmaScriptNumber(1e21), "1e+21");
  EXPECT_EQ(EcmaScriptNumber(1e23), "1e+23");
  EXPECT_EQ(EcmaScriptNumber(0.000001), "0.000001");
  EXPECT_EQ(EcmaScriptNumber(1e-7), "1e-7");
  EXPECT_EQ(EcmaScriptNumber(-1.5), "-1.5");
  EXPECT_EQ(EcmaScriptNumber(123.0), "123");
  EXPECT_EQ(CanonicalJson(nlohmann::json(int64_t{-42})).value(), "-42");
  // Integers print their digits while a double holds them exactly, and as the double beyond.
  EXPECT_EQ(CanonicalJson(nlohmann::json(int64_t{9007199254740991})).value(), "9007199254740991");
  EXPECT_EQ(CanonicalJson(nlohmann::json(int64_t{-9007199254740991})).value(), "-9007199254740991");
  EXPECT_EQ(CanonicalJson(nlohmann::json(int64_t{9007199254740993})).value(), "9007199254740992");
  EXPECT_EQ(CanonicalJson(nlohmann::json(int64_t{1780000000000000})).value(), "1780000000000000");
  EXPECT_EQ(CanonicalJson(nlohmann::json(uint64_t{18446744073709551615u})).value(), "18446744073709552000");
}

TEST(CanonicalJsonTest, RefusesWhatHasNoCanonicalForm) {
  EXPECT_FALSE(CanonicalJson(nlohmann::json(std::string("\xC3\x28"))).ok());
  EXPECT_FALSE(CanonicalJson(nlohmann::json::object({{std::string("\xFF"), 1}})).ok());
  EXPECT_FALSE(CanonicalJson(nlohmann::json(std::nan(""))).ok());
  EXPECT_EQ(CanonicalJson(nlohmann::json::parse(R"({"b":[],"a":{}})")).value(), R"({"a":{},"b":[]})");
}

TEST(CanonicalJsonTest, StringsEscapeAsJsonStringifyDoes) {
  // Random strings of ASCII, the characters that need escaping and multi-byte characters, at
  // every length around the eight-byte steps: escaped exactly as nlohmann writes them (the
  // escapes of ECMAScript's JSON.stringify, lower-case \u00xx); invalid UTF-8 refused.
  const std::vector<std::string> pieces = {"a", "Z", "0", " ", "~", "\x7f", "\"", "\\", "/", "\n", "\t", "\b",
                                           "\f", "\r", std::string(1, '\0'), "\x01", "\x1f", "\xc3\xa9",
                                           "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbf"};
  std::mt19937 rng(8785);
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    size_t count = rng() % 24;
    bool plain = rng() % 2 == 0;  // half of them printable ASCII only, the fast path
    for (size_t k = 0; k < count; ++k) s += pieces[rng() % (plain ? 5 : pieces.size())];
    std::string out;
    ASSERT_TRUE(AppendCanonicalString(s, out).ok()) << i;
    ASSERT_EQ(out, nlohmann::json(s).dump()) << i;
    if (!s.empty() && rng() % 4 == 0) {
      std::string broken = s;
      broken.insert(rng() % (broken.size() + 1), std::string(1, static_cast<char>(0x80 + rng() % 0x40)));
      std::string ignored;
      EXPECT_FALSE(AppendCanonicalString(broken, ignored).ok()) << i;
    }
  }
}

TEST(CanonicalJsonTest, CopyPlainAsciiCopiesOnlyWhatNeedsNoEscape) {
  // Every length around the eight-byte steps, with each kind of byte that stops it at every place.
  for (size_t n = 0; n <= 20; ++n) {
    std::string clean;
    for (size_t i = 0; i < n; ++i) clean += static_cast<char>(' ' + (i * 7) % 95);  // ' ' .. '~'
    for (char& c : clean) {
      if (c == '"' || c == '\\') c = 'q';
    }
    std::string out(n, '\0');
    EXPECT_TRUE(CopyPlainAscii(clean, out.data())) << clean;
    EXPECT_EQ(out, clean);
    for (size_t at = 0; at < n; ++at) {
      for (char stop : {'"', '\\', '\n', '\x1f', '\x80', '\xff'}) {
        std::string s = clean;
        s[at] = stop;
        std::string sink(n, '\0');
        EXPECT_FALSE(CopyPlainAscii(s, sink.data())) << "byte " << int(static_cast<unsigned char>(stop)) << " at " << at;
        // Its canonical form escapes or validates that byte, which a plain copy would not.
        std::string printed;
        absl::Status status = AppendCanonicalString(s, printed);
        EXPECT_TRUE(!status.ok() || printed != "\"" + s + "\"") << s;
      }
    }
  }
}

}  // namespace
}  // namespace tf
