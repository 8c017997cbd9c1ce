// libFuzzer target: raw bytes as a JSON request body through JsonReader (Parse, every
// accessor, Finish) and the problem+json mapper for every error it returns; the same bytes as a
// request target through http::ParseTarget and the pagination parsers.
//
// Oracles besides the sanitizers: errors are 400 or 422 only, their problem documents parse,
// strings read back are valid UTF-8 within their byte limits, and ParseTarget never yields a
// path that is not "/..." or that holds invalid UTF-8 or NUL.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/log.h"
#include "core/utf8.h"
#include "http/json_body.h"
#include "http/message.h"
#include "http/pagination.h"
#include "http/problem.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "oracle failed: %s: %.*s\n", what, static_cast<int>(detail.size() > 2000 ? 2000 : detail.size()),
               detail.data());
  std::abort();
}

void CheckError(const absl::Status& s) {
  if (s.ok()) return;
  int code = tf::http::HttpStatusFor(s);
  if (code != 400 && code != 422) Fail("JsonReader error is not 400/422", s.ToString());
  tf::http::Response r = tf::http::ProblemResponse(s, "/fuzz", "fuzz-request");
  if (r.status != code) Fail("problem status");
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (!body.is_object() || body.value("status", 0) != code) Fail("problem body", r.body);
  if (!tf::IsValidUtf8(r.body)) Fail("problem body UTF-8", r.body);
}

void CheckString(const absl::StatusOr<std::optional<std::string>>& v, size_t max_bytes) {
  if (!v.ok()) return CheckError(v.status());
  if (!v->has_value()) return;
  if ((*v)->size() > max_bytes) Fail("string over its limit", **v);
  if (!tf::IsValidUtf8(**v)) Fail("string not UTF-8", **v);
}

void FuzzJsonReader(std::string_view in) {
  auto reader = tf::http::JsonReader::Parse(in);
  if (!reader.ok()) return CheckError(reader.status());

  auto required = reader->RequiredString("name", 64);
  if (required.ok()) {
    CheckString(std::optional<std::string>(*required), 64);
  } else {
    CheckError(required.status());
  }
  CheckString(reader->OptionalString("description"), 1024);
  CheckString(reader->OptionalString("", 8), 8);
  auto tags = reader->OptionalStringArray("tags", 8, 16);
  if (!tags.ok()) {
    CheckError(tags.status());
  } else if (tags->has_value()) {
    if ((*tags)->size() > 8) Fail("array over its item limit");
    for (const auto& t : **tags) {
      if (t.size() > 16 || !tf::IsValidUtf8(t)) Fail("array item", t);
    }
  }
  auto count = reader->OptionalInt("count");
  if (!count.ok()) CheckError(count.status());
  auto active = reader->OptionalBool("active");
  if (!active.ok()) CheckError(active.status());
  auto metadata = reader->OptionalObject("metadata", 64);
  if (!metadata.ok()) {
    CheckError(metadata.status());
  } else if (metadata->has_value() && (!(*metadata)->is_object() || (*metadata)->dump().size() > 64)) {
    Fail("object over its limit or not an object", (*metadata)->dump());
  }
  // Reading the same key twice and as another type must be harmless.
  CheckString(reader->OptionalString("count", 4), 4);
  // A key taken from the input itself, so the fuzzer can reach "every field read" (Finish ok).
  size_t colon = in.find(':');
  if (colon != std::string_view::npos && colon > 2 && in[0] == '{' && in[1] == '"') {
    std::string key(in.substr(2, std::min<size_t>(colon - 3, 32)));
    auto by_key = reader->OptionalString(key, 32);
    if (!by_key.ok()) CheckError(by_key.status());
  }
  CheckError(reader->Finish());
}

void FuzzTarget(std::string_view in) {
  std::string path;
  std::multimap<std::string, std::string> query;
  if (!tf::http::ParseTarget(in, &path, &query)) return;
  if (path.empty() || path[0] != '/') Fail("path does not start with /", path);
  if (!tf::IsValidUtf8(path) || path.find('\0') != std::string::npos) Fail("path not clean", path);
  for (const auto& [k, v] : query) {
    if (!tf::IsValidUtf8(k) || !tf::IsValidUtf8(v)) Fail("query not UTF-8", k + "=" + v);
    if (k.find('\0') != std::string::npos || v.find('\0') != std::string::npos) Fail("query has NUL", k + "=" + v);
  }
  tf::http::Request request;
  request.method = "GET";
  request.target = std::string(in);
  request.path = path;
  request.query = query;
  auto keyed = tf::http::ParseKeyedPageRequest(request);
  if (!keyed.ok() && tf::http::HttpStatusFor(keyed.status()) != 400) Fail("keyed pagination error is not 400");
  if (keyed.ok() && keyed->after) {
    tf::http::Request again;
    again.query.emplace("cursor", tf::http::EncodeKeyedCursor(keyed->after->first, keyed->after->second));
    auto round = tf::http::ParseKeyedPageRequest(again);
    if (!round.ok() || round->after != keyed->after) Fail("keyed cursor round trip", keyed->after->second);
  }
  auto page = tf::http::ParsePageRequest(request);
  if (!page.ok()) {
    if (tf::http::HttpStatusFor(page.status()) != 400) Fail("pagination error is not 400");
    return;
  }
  if (page->limit < 1 || page->limit > tf::http::kMaxPageSize) Fail("limit out of range");
  if (page->after_id) {
    std::string cursor = tf::http::EncodeCursor(*page->after_id);
    tf::http::Request again;
    again.query.emplace("cursor", cursor);
    auto round = tf::http::ParsePageRequest(again);
    if (cursor.size() <= 256 && (!round.ok() || round->after_id != page->after_id)) Fail("cursor round trip", cursor);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tf::log::InitForTest([](std::string_view) {}, tf::LogLevel::kDebug);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  FuzzJsonReader(in);
  FuzzTarget(in);
  return 0;
}
