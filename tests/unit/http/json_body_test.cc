// JsonReader: 400 for malformed bodies, wrong types and unknown fields; 422 (FieldError) for
// well-formed values that break a limit or are missing.
#include "http/json_body.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/errors.h"
#include "http/problem.h"

namespace tf::http {
namespace {

JsonReader MustParse(std::string_view body) {
  auto r = JsonReader::Parse(body);
  EXPECT_TRUE(r.ok()) << r.status() << " for " << body;
  if (!r.ok()) return *JsonReader::Parse("{}");
  return *std::move(r);
}

// The "field" of the first entry of errors[] in the problem answer, or "" when none.
std::string ErrorField(const absl::Status& s) {
  auto body = nlohmann::json::parse(ProblemResponse(s, "/", "r").body);
  if (!body.contains("errors") || !body["errors"].is_array() || body["errors"].empty()) return "";
  return body["errors"][0].value("field", "");
}

TEST(JsonReaderTest, MalformedJsonIs400) {
  for (const char* body : {"{", "}", "{\"a\":}", "{\"a\" 1}", "{'a': 1}", "{\"a\":1,}", "{} x", "{}{}",
                           "nul", "{\"a\":\"\xC3\"}", "{\"a\":\"\\ud800\"}", "{\"a\":01}", "\xEF\xBB"}) {
    auto r = JsonReader::Parse(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(HttpStatusFor(r.status()), 400) << body;
    EXPECT_EQ(r.status().message(), "the body is not valid JSON") << body;
  }
}

TEST(JsonReaderTest, NonObjectIs400) {
  for (const char* body : {"[]", "[{\"a\":1}]", "1", "\"s\"", "null", "true", " 3.5 "}) {
    auto r = JsonReader::Parse(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(HttpStatusFor(r.status()), 400) << body;
    EXPECT_EQ(r.status().message(), "the body must be a JSON object") << body;
  }
}

TEST(JsonReaderTest, EmptyBodyReadsAsEmptyObject) {
  JsonReader r = MustParse("");
  auto name = r.OptionalString("name");
  ASSERT_TRUE(name.ok());
  EXPECT_FALSE(name->has_value());
  EXPECT_TRUE(r.Finish().ok());
}

TEST(JsonReaderTest, WhitespaceOnlyBodyIsMalformed) {
  auto r = JsonReader::Parse("  \n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(HttpStatusFor(r.status()), 400);
}

TEST(JsonReaderTest, ReadsEveryKindOfField) {
  JsonReader r = MustParse(R"({"name":"Ada","note":null,"tags":["a","b"],"count":-7,"active":true})");
  auto name = r.RequiredString("name");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, "Ada");
  auto note = r.OptionalString("note");
  ASSERT_TRUE(note.ok());
  EXPECT_FALSE(note->has_value()) << "null reads as absent";
  auto tags = r.OptionalStringArray("tags");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(**tags, (std::vector<std::string>{"a", "b"}));
  auto count = r.OptionalInt("count");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(**count, -7);
  auto active = r.OptionalBool("active");
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(**active, true);
  EXPECT_TRUE(r.Finish().ok());
}

TEST(JsonReaderTest, MissingRequiredStringIs422NamingTheField) {
  for (const char* body : {"{}", R"({"name":null})"}) {
    JsonReader r = MustParse(body);
    auto name = r.RequiredString("name");
    ASSERT_FALSE(name.ok());
    EXPECT_EQ(HttpStatusFor(name.status()), 422) << body;
    EXPECT_EQ(ErrorField(name.status()), "name");
  }
}

TEST(JsonReaderTest, WrongTypesAre400NamingTheField) {
  struct Case {
    const char* body;
    std::function<absl::Status(JsonReader&)> read;
  };
  const std::vector<Case> cases = {
      {R"({"f":1})", [](JsonReader& r) { return r.RequiredString("f").status(); }},
      {R"({"f":true})", [](JsonReader& r) { return r.OptionalString("f").status(); }},
      {R"({"f":["a"]})", [](JsonReader& r) { return r.OptionalString("f").status(); }},
      {R"({"f":{}})", [](JsonReader& r) { return r.OptionalString("f").status(); }},
      {R"({"f":"1"})", [](JsonReader& r) { return r.OptionalInt("f").status(); }},
      {R"({"f":1.5})", [](JsonReader& r) { return r.OptionalInt("f").status(); }},
      {R"({"f":1.0})", [](JsonReader& r) { return r.OptionalInt("f").status(); }},
      {R"({"f":1e3})", [](JsonReader& r) { return r.OptionalInt("f").status(); }},
      {R"({"f":true})", [](JsonReader& r) { return r.OptionalInt("f").status(); }},
      {R"({"f":"true"})", [](JsonReader& r) { return r.OptionalBool("f").status(); }},
      {R"({"f":1})", [](JsonReader& r) { return r.OptionalBool("f").status(); }},
      {R"({"f":"a"})", [](JsonReader& r) { return r.OptionalStringArray("f").status(); }},
      {R"({"f":{"a":"b"}})", [](JsonReader& r) { return r.OptionalStringArray("f").status(); }},
      {R"({"f":["a",1]})", [](JsonReader& r) { return r.OptionalStringArray("f").status(); }},
      {R"({"f":["a",null]})", [](JsonReader& r) { return r.OptionalStringArray("f").status(); }},
      {R"({"f":[["a"]]})", [](JsonReader& r) { return r.OptionalStringArray("f").status(); }},
  };
  for (const Case& c : cases) {
    JsonReader r = MustParse(c.body);
    absl::Status s = c.read(r);
    ASSERT_FALSE(s.ok()) << c.body;
    EXPECT_EQ(HttpStatusFor(s), 400) << c.body << ": " << s;
    EXPECT_NE(s.message().find("'f'"), std::string::npos) << s;
  }
}

TEST(JsonReaderTest, UnknownFieldsAre400) {
  JsonReader r = MustParse(R"({"name":"a","nmae":"typo"})");
  ASSERT_TRUE(r.RequiredString("name").ok());
  absl::Status s = r.Finish();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(HttpStatusFor(s), 400);
  EXPECT_EQ(s.message(), "unknown field 'nmae'");
}

TEST(JsonReaderTest, AFieldReadAsAbsentOrNullCountsAsRead) {
  JsonReader r = MustParse(R"({"a":null})");
  ASSERT_TRUE(r.OptionalInt("a").ok());
  ASSERT_TRUE(r.OptionalBool("b").ok());
  EXPECT_TRUE(r.Finish().ok());
}

TEST(JsonReaderTest, NullIsStillAnUnknownFieldWhenNotRead) {
  JsonReader r = MustParse(R"({"a":null})");
  EXPECT_FALSE(r.Finish().ok());
}

TEST(JsonReaderTest, UnknownFieldNameIsTruncatedInTheMessage) {
  std::string key(500, 'k');
  JsonReader r = MustParse("{\"" + key + "\":1}");
  absl::Status s = r.Finish();
  ASSERT_FALSE(s.ok());
  EXPECT_LT(s.message().size(), 100u) << s;
}

TEST(JsonReaderTest, TooLongStringIs422FieldError) {
  JsonReader r = MustParse(R"({"name":"abcdef","ok":"abcde"})");
  auto name = r.OptionalString("name", 5);
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(HttpStatusFor(name.status()), 422);
  EXPECT_EQ(ErrorField(name.status()), "name");
  EXPECT_NE(name.status().message().find("at most 5 bytes"), std::string::npos) << name.status();
  auto ok = r.OptionalString("ok", 5);
  ASSERT_TRUE(ok.ok()) << "exactly the limit is fine";
  EXPECT_EQ(**ok, "abcde");
}

TEST(JsonReaderTest, StringLimitsCountBytesNotCharacters) {
  JsonReader r = MustParse("{\"name\":\"\xC3\xA9\xC3\xA9\xC3\xA9\"}");  // 3 characters, 6 bytes
  auto name = r.RequiredString("name", 5);
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(HttpStatusFor(name.status()), 422);
}

TEST(JsonReaderTest, DefaultStringLimitIs1024Bytes) {
  JsonReader ok = MustParse("{\"s\":\"" + std::string(1024, 'x') + "\"}");
  EXPECT_TRUE(ok.RequiredString("s").ok());
  JsonReader big = MustParse("{\"s\":\"" + std::string(1025, 'x') + "\"}");
  auto s = big.RequiredString("s");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(HttpStatusFor(s.status()), 422);
}

TEST(JsonReaderTest, EscapedStringsAreDecodedBeforeTheLimit) {
  JsonReader r = MustParse(R"({"s":"\u00e9\n"})");
  auto s = r.RequiredString("s", 3);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, "\xC3\xA9\n");
}

TEST(JsonReaderTest, StringArrayLimits) {
  JsonReader r = MustParse(R"({"few":[],"many":["a","b","c"],"long":["ok","toolong"]})");
  auto few = r.OptionalStringArray("few", 2, 3);
  ASSERT_TRUE(few.ok());
  EXPECT_TRUE((*few)->empty());
  auto many = r.OptionalStringArray("many", 2, 3);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(HttpStatusFor(many.status()), 422);
  EXPECT_EQ(ErrorField(many.status()), "many");
  auto lng = r.OptionalStringArray("long", 2, 3);
  ASSERT_FALSE(lng.ok());
  EXPECT_EQ(HttpStatusFor(lng.status()), 422);
  EXPECT_EQ(ErrorField(lng.status()), "long");
  EXPECT_TRUE(r.Finish().ok());
}

TEST(JsonReaderTest, AbsentArrayIsNullopt) {
  JsonReader r = MustParse("{}");
  auto v = r.OptionalStringArray("tags");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
}

TEST(JsonReaderTest, IntegerRange) {
  JsonReader r = MustParse(R"({"max":9223372036854775807,"min":-9223372036854775808,"zero":0})");
  EXPECT_EQ(**r.OptionalInt("max"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(**r.OptionalInt("min"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(**r.OptionalInt("zero"), 0);
}

TEST(JsonReaderTest, AbsentIntAndBoolAreNullopt) {
  JsonReader r = MustParse("{}");
  EXPECT_FALSE(r.OptionalInt("n")->has_value());
  EXPECT_FALSE(r.OptionalBool("b")->has_value());
}

TEST(JsonReaderTest, FalseIsAValue) {
  JsonReader r = MustParse(R"({"b":false})");
  auto b = r.OptionalBool("b");
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(b->has_value());
  EXPECT_FALSE(**b);
}

TEST(JsonReaderTest, DuplicateKeysKeepTheLast) {
  JsonReader r = MustParse(R"({"a":"1","a":"2"})");
  EXPECT_EQ(*r.RequiredString("a"), "2");
  EXPECT_TRUE(r.Finish().ok());
}

TEST(JsonReaderTest, DeepNestingDoesNotCrash) {
  std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = JsonReader::Parse(deep);
  if (r.ok()) {
    EXPECT_FALSE(r->OptionalStringArray("a").ok());
    EXPECT_TRUE(r->Finish().ok());
  } else {
    EXPECT_EQ(HttpStatusFor(r.status()), 400);
  }
}

// Integers beyond int64 are refused (422), never wrapped to negative values.
TEST(JsonReaderTest, IntegerAboveInt64MaxIsRejected) {
  for (const char* body : {R"({"n":18446744073709551615})", R"({"n":9223372036854775808})"}) {
    JsonReader r = MustParse(body);
    auto n = r.OptionalInt("n");
    EXPECT_FALSE(n.ok()) << body << " read as " << (n.ok() && n->has_value() ? **n : 0);
    if (!n.ok()) {
      EXPECT_GE(HttpStatusFor(n.status()), 400);
    }
  }
}

TEST(JsonReaderTest, IntegerBeyondUint64IsNotAnInteger) {
  JsonReader r = MustParse(R"({"n":184467440737095516160})");  // parsed as a float
  auto n = r.OptionalInt("n");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(HttpStatusFor(n.status()), 400);
}

}  // namespace
}  // namespace tf::http
