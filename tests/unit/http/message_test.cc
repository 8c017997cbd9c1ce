// Request/response values: ParseTarget (percent-decoding, queries, rejection of bad escapes,
// NUL and invalid UTF-8), Headers (case-insensitive names) and core/utf8.h IsValidUtf8.
#include "http/message.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/utf8.h"

namespace tf::http {
namespace {

struct Parsed {
  bool ok = false;
  std::string path;
  std::multimap<std::string, std::string> query;
};

Parsed Parse(std::string_view target) {
  Parsed p;
  p.ok = ParseTarget(target, &p.path, &p.query);
  return p;
}

std::vector<std::string> Values(const std::multimap<std::string, std::string>& q, const std::string& key) {
  std::vector<std::string> out;
  auto [begin, end] = q.equal_range(key);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

// ---------------------------------------------------------------------------------------------
// ParseTarget

TEST(HttpParseTargetTest, PlainPathHasNoQuery) {
  Parsed p = Parse("/api/users/42");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.path, "/api/users/42");
  EXPECT_TRUE(p.query.empty());
}

TEST(HttpParseTargetTest, RootPath) {
  Parsed p = Parse("/");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.path, "/");
}

TEST(HttpParseTargetTest, PercentDecodesPathInEitherHexCase) {
  EXPECT_EQ(Parse("/a%20b").path, "/a b");
  EXPECT_EQ(Parse("/caf%C3%A9").path, "/caf\xC3\xA9");
  EXPECT_EQ(Parse("/caf%c3%a9").path, "/caf\xC3\xA9");
  EXPECT_EQ(Parse("/%E2%82%AC").path, "/\xE2\x82\xAC");  // U+20AC
}

TEST(HttpParseTargetTest, EncodedSlashDecodesToASlash) {
  // The router splits the decoded path, so %2F cannot smuggle a '/' into a path parameter.
  EXPECT_EQ(Parse("/files/a%2Fb").path, "/files/a/b");
}

TEST(HttpParseTargetTest, PlusIsLiteralInPathButSpaceInQuery) {
  Parsed p = Parse("/a+b?q=c+d&e%2Bf=g%2Bh");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.path, "/a+b");
  EXPECT_EQ(Values(p.query, "q"), std::vector<std::string>{"c d"});
  EXPECT_EQ(Values(p.query, "e+f"), std::vector<std::string>{"g+h"});
}

TEST(HttpParseTargetTest, QueryKeysAndValuesArePercentDecoded) {
  Parsed p = Parse("/s?na%6De=J%C3%B6rg%20M&x%20y=1");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(Values(p.query, "name"), std::vector<std::string>{"J\xC3\xB6rg M"});
  EXPECT_EQ(Values(p.query, "x y"), std::vector<std::string>{"1"});
}

TEST(HttpParseTargetTest, RepeatedParametersKeepEveryValueInOrder) {
  Parsed p = Parse("/s?a=1&b=x&a=2&a=3");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(Values(p.query, "a"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(p.query.size(), 4u);

  Request r;
  r.query = p.query;
  EXPECT_EQ(r.QueryParam("a"), "1");  // the first one
  EXPECT_EQ(r.QueryParam("b"), "x");
  EXPECT_EQ(r.QueryParam("missing"), std::nullopt);
}

TEST(HttpParseTargetTest, ParameterWithoutValueOrWithEqualsInValue) {
  Parsed p = Parse("/s?flag&empty=&eq=a=b&=v");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(Values(p.query, "flag"), std::vector<std::string>{""});
  EXPECT_EQ(Values(p.query, "empty"), std::vector<std::string>{""});
  EXPECT_EQ(Values(p.query, "eq"), std::vector<std::string>{"a=b"});
  EXPECT_EQ(Values(p.query, ""), std::vector<std::string>{"v"});
}

TEST(HttpParseTargetTest, EmptyPairsAndEmptyQueryAreSkipped) {
  Parsed p = Parse("/s?&&a=1&&");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.query.size(), 1u);
  Parsed q = Parse("/s?");
  ASSERT_TRUE(q.ok);
  EXPECT_EQ(q.path, "/s");
  EXPECT_TRUE(q.query.empty());
}

TEST(HttpParseTargetTest, OnlyTheFirstQuestionMarkSplits) {
  Parsed p = Parse("/s?a=b?c");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(Values(p.query, "a"), std::vector<std::string>{"b?c"});
}

TEST(HttpParseTargetTest, ClearsQueryFromAnEarlierCall) {
  std::string path;
  std::multimap<std::string, std::string> query{{"stale", "1"}};
  ASSERT_TRUE(ParseTarget("/x", &path, &query));
  EXPECT_TRUE(query.empty());
}

TEST(HttpParseTargetTest, RejectsInvalidPercentEscapes) {
  for (const char* target : {"/%zz", "/a%", "/a%4", "/a%4g", "/%g1", "/%%41", "/%-1", "/% 1",
                             "/s?q=%zz", "/s?q=%", "/s?q=%4", "/s?%zz=1", "/s?k%=1", "/s?a=1&b=%"}) {
    EXPECT_FALSE(Parse(target).ok) << target;
  }
}

TEST(HttpParseTargetTest, AcceptsEscapeAtTheVeryEnd) {
  Parsed p = Parse("/a%41");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.path, "/aA");
  Parsed q = Parse("/s?q=%41");
  ASSERT_TRUE(q.ok);
  EXPECT_EQ(Values(q.query, "q"), std::vector<std::string>{"A"});
}

TEST(HttpParseTargetTest, RejectsNul) {
  EXPECT_FALSE(Parse("/a%00b").ok);
  EXPECT_FALSE(Parse("/s?q=%00").ok);
  EXPECT_FALSE(Parse("/s?%00=1").ok);
  EXPECT_FALSE(Parse(std::string_view("/a\0b", 4)).ok);
}

TEST(HttpParseTargetTest, RejectsInvalidUtf8) {
  for (const char* target : {"/%C0%AF",       // overlong '/'
                             "/%ED%A0%80",    // UTF-16 surrogate U+D800
                             "/%C3",          // truncated
                             "/%FF",          // never valid
                             "/%F4%90%80%80", // above U+10FFFF
                             "/s?q=%C0%AF", "/s?q=%ED%A0%80", "/s?%C0%AF=1", "/\xC0\xAF"}) {
    EXPECT_FALSE(Parse(target).ok) << target;
  }
}

TEST(HttpParseTargetTest, RejectsTargetsThatAreNotOriginForm) {
  for (const char* target : {"", "a/b", "*", "?q=1", "http://example.com/", "%2Fa", " /a"}) {
    EXPECT_FALSE(Parse(target).ok) << "'" << target << "'";
  }
}

TEST(HttpParseTargetTest, TraversalSegmentsAreKeptLiterallyNotResolved) {
  Parsed p = Parse("/api/files/..%2F..%2Fetc%2Fpasswd");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.path, "/api/files/../../etc/passwd");
}

// ---------------------------------------------------------------------------------------------
// Headers

TEST(HttpHeadersTest, GetIsCaseInsensitiveAndReturnsTheFirst) {
  Headers h;
  h.Add("Content-Type", "application/json");
  h.Add("X-Thing", "one");
  h.Add("x-thing", "two");
  EXPECT_EQ(h.Get("content-type"), "application/json");
  EXPECT_EQ(h.Get("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(h.Get("X-THING"), "one");
  EXPECT_EQ(h.Get("Missing"), std::nullopt);
  EXPECT_EQ(h.Get(""), std::nullopt);
}

TEST(HttpHeadersTest, CountIsCaseInsensitive) {
  Headers h;
  h.Add("Set-Cookie", "a=1");
  h.Add("set-cookie", "b=2");
  h.Add("SET-COOKIE", "c=3");
  h.Add("Other", "x");
  EXPECT_EQ(h.Count("Set-Cookie"), 3u);
  EXPECT_EQ(h.Count("set-COOKIE"), 3u);
  EXPECT_EQ(h.Count("other"), 1u);
  EXPECT_EQ(h.Count("none"), 0u);
}

TEST(HttpHeadersTest, SetReplacesEveryFieldOfThatNameInAnyCase) {
  Headers h;
  h.Add("X-Request-Id", "a");
  h.Add("Keep", "k");
  h.Add("x-request-id", "b");
  h.Set("X-REQUEST-ID", "c");
  EXPECT_EQ(h.Count("x-request-id"), 1u);
  EXPECT_EQ(h.Get("X-Request-Id"), "c");
  EXPECT_EQ(h.Get("Keep"), "k");
  ASSERT_EQ(h.fields().size(), 2u);
  EXPECT_EQ(h.fields()[0].first, "Keep");
  EXPECT_EQ(h.fields()[1].first, "X-REQUEST-ID");
}

TEST(HttpHeadersTest, SetAddsWhenAbsentAndAddKeepsArrivalOrder) {
  Headers h;
  h.Set("A", "1");
  h.Add("B", "2");
  h.Add("C", "3");
  ASSERT_EQ(h.fields().size(), 3u);
  EXPECT_EQ(h.fields()[0], (std::pair<std::string, std::string>{"A", "1"}));
  EXPECT_EQ(h.fields()[2], (std::pair<std::string, std::string>{"C", "3"}));
}

TEST(HttpHeadersTest, NamesDoNotMatchByPrefix) {
  Headers h;
  h.Add("Content-Type-Extra", "x");
  EXPECT_EQ(h.Get("Content-Type"), std::nullopt);
  EXPECT_EQ(h.Count("Content"), 0u);
}

// ---------------------------------------------------------------------------------------------
// Response helpers

TEST(HttpResponseTest, JsonSetsContentTypeAndBody) {
  Response r = Response::Json(201, {{"id", "x"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"id":"x"})");
}

TEST(HttpResponseTest, JsonWithInvalidUtf8DoesNotThrow) {
  Response r;
  ASSERT_NO_THROW(r = Response::Json(200, {{"v", std::string("a\xC0\xAF" "b")}}));
  EXPECT_EQ(r.body, "{\"v\":\"a\xEF\xBF\xBD\xEF\xBF\xBD" "b\"}");
}

TEST(HttpResponseTest, TextAndNoContent) {
  Response t = Response::Text(200, "hi");
  EXPECT_EQ(t.headers.Get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(t.body, "hi");
  Response n = Response::NoContent();
  EXPECT_EQ(n.status, 204);
  EXPECT_TRUE(n.body.empty());
  EXPECT_TRUE(n.headers.fields().empty());
}

// ---------------------------------------------------------------------------------------------
// IsValidUtf8 (core/utf8.h)

TEST(Utf8ValidityTest, AcceptsWellFormedBoundaries) {
  for (const char* s : {"", "ascii", "\x7F",
                        "\xC2\x80",          // U+0080
                        "\xDF\xBF",          // U+07FF
                        "\xE0\xA0\x80",      // U+0800
                        "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
                        "\xEE\x80\x80",      // U+E000, just above them
                        "\xEF\xBF\xBF",      // U+FFFF
                        "\xF0\x90\x80\x80",  // U+10000
                        "\xF4\x8F\xBF\xBF",  // U+10FFFF
                        "caf\xC3\xA9 \xF0\x9F\x98\x80"}) {
    EXPECT_TRUE(IsValidUtf8(s)) << ::testing::PrintToString(std::string(s));
  }
}

TEST(Utf8ValidityTest, NulIsValidUtf8) { EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3))); }

TEST(Utf8ValidityTest, RejectsOverlongForms) {
  for (const char* s : {"\xC0\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF",
                        "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF"}) {
    EXPECT_FALSE(IsValidUtf8(s)) << ::testing::PrintToString(std::string(s));
  }
}

TEST(Utf8ValidityTest, RejectsSurrogatesAndCodePointsAboveMax) {
  for (const char* s : {"\xED\xA0\x80", "\xED\xAF\xBF", "\xED\xB0\x80", "\xED\xBF\xBF",
                        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF"}) {
    EXPECT_FALSE(IsValidUtf8(s)) << ::testing::PrintToString(std::string(s));
  }
}

TEST(Utf8ValidityTest, RejectsInvalidLeadAndStrayContinuationBytes) {
  for (const char* s : {"\x80", "\xBF", "a\x80", "\xF8\x88\x80\x80\x80", "\xFC\x84\x80\x80\x80\x80",
                        "\xFE", "\xFF"}) {
    EXPECT_FALSE(IsValidUtf8(s)) << ::testing::PrintToString(std::string(s));
  }
}

TEST(Utf8ValidityTest, RejectsTruncatedSequences) {
  for (const char* s : {"\xC3", "\xE2\x82", "\xF0\x9F\x98", "abc\xC3", "\xC3" "A", "\xE2\x82" "A",
                        "\xF0\x9F\x98" "A", "\xE2" "A" "\xAC"}) {
    EXPECT_FALSE(IsValidUtf8(s)) << ::testing::PrintToString(std::string(s));
  }
}

TEST(Utf8ValidityTest, UsesTheViewLengthNotTheNulTerminator) {
  // The view ends in the middle of a sequence that continues in memory: invalid.
  const char buf[] = "\xE2\x82\xAC";
  EXPECT_FALSE(IsValidUtf8(std::string_view(buf, 2)));
  EXPECT_TRUE(IsValidUtf8(std::string_view(buf, 3)));
}

}  // namespace
}  // namespace tf::http
