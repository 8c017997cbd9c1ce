// List pagination: limit bounds and default, opaque cursors, and the list answer shape.
#include "http/pagination.h"

#include <gtest/gtest.h>

#include <cstdio>

#include <string>
#include <vector>

#include "http/problem.h"

namespace tf::http {
namespace {

Request WithQuery(std::string_view target) {
  Request r;
  r.method = "GET";
  r.target = std::string(target);
  EXPECT_TRUE(ParseTarget(target, &r.path, &r.query)) << target;
  return r;
}

//! A UUID-shaped id that sorts by i (ids of this server are UUIDv7).
std::string Id(int i) {
  char buf[37];
  std::snprintf(buf, sizeof buf, "0190a5e0-0000-7000-8000-%012d", i);
  return buf;
}

nlohmann::json Items(int n) {
  nlohmann::json items = nlohmann::json::array();
  for (int i = 1; i <= n; ++i) items.push_back({{"id", Id(i)}, {"n", i}});
  return items;
}

TEST(PaginationTest, DefaultsWithoutParameters) {
  auto page = ParsePageRequest(WithQuery("/api/users"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->limit, kDefaultPageSize);
  EXPECT_EQ(page->limit, 50);
  EXPECT_FALSE(page->after_id.has_value());
  EXPECT_EQ(kMaxPageSize, 500);
}

TEST(PaginationTest, AcceptsLimitsFromOneToMax) {
  for (const auto& [q, want] : std::vector<std::pair<std::string, int>>{
           {"limit=1", 1}, {"limit=50", 50}, {"limit=499", 499}, {"limit=500", 500}, {"limit=007", 7}}) {
    auto page = ParsePageRequest(WithQuery("/x?" + q));
    ASSERT_TRUE(page.ok()) << q << ": " << page.status();
    EXPECT_EQ(page->limit, want) << q;
  }
}

TEST(PaginationTest, RejectsLimitsOutOfRangeOrNotIntegers) {
  for (const char* q : {"limit=0", "limit=501", "limit=-1", "limit=", "limit=abc", "limit=10abc", "limit=1.5",
                        "limit=+5", "limit=%205", "limit=5%20", "limit=99999999999999999999", "limit=0x10",
                        "limit=1e2"}) {
    auto page = ParsePageRequest(WithQuery(std::string("/x?") + q));
    ASSERT_FALSE(page.ok()) << q;
    EXPECT_EQ(HttpStatusFor(page.status()), 400) << q;
    EXPECT_NE(page.status().message().find("limit must be an integer from 1 to 500"), std::string::npos);
  }
}

TEST(PaginationTest, FirstRepeatedLimitWins) {
  auto page = ParsePageRequest(WithQuery("/x?limit=5&limit=9999"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->limit, 5);
}

TEST(PaginationTest, CursorRoundTrip) {
  const std::string id = "0190a5e0-1234-7000-8000-00000000abcd";
  std::string cursor = EncodeCursor(id);
  EXPECT_NE(cursor, id) << "cursors are opaque";
  EXPECT_EQ(cursor.find_first_of("+/="), std::string::npos) << "base64url, safe in a query: " << cursor;
  auto page = ParsePageRequest(WithQuery("/x?limit=10&cursor=" + cursor));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->limit, 10);
  EXPECT_EQ(page->after_id, id);
}

TEST(PaginationTest, EmptyCursorMeansTheFirstPage) {
  auto page = ParsePageRequest(WithQuery("/x?cursor="));
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->after_id.has_value());
}

TEST(PaginationTest, RejectsBadCursors) {
  for (std::string q : std::vector<std::string>{"cursor=!!!!", "cursor=a", "cursor=%C3%A9%C3%A9", "cursor=ab%2Fcd",
                        "cursor=" + std::string(300, 'A')}) {
    auto page = ParsePageRequest(WithQuery("/x?" + q));
    ASSERT_FALSE(page.ok()) << q;
    EXPECT_EQ(HttpStatusFor(page.status()), 400) << q;
    EXPECT_EQ(page.status().message(), "cursor is not one this server issued");
  }
}

TEST(PaginationTest, OnlyCursorsOfIdsAreAccepted) {
  auto page = ParsePageRequest(WithQuery("/x?cursor=" + EncodeCursor(Id(7))));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->after_id, Id(7));
  for (std::string forged : {EncodeCursor("id-7"), EncodeCursor(Id(7)) + "=", std::string(256, 'A')}) {
    EXPECT_FALSE(ParsePageRequest(WithQuery("/x?cursor=" + forged)).ok()) << forged;
  }
}

TEST(PaginationTest, KeyedCursorsCarryANumberAndAnId) {
  auto page = ParseKeyedPageRequest(WithQuery("/x?limit=5&cursor=" + EncodeKeyedCursor(1767225600000000, Id(3))));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->limit, 5);
  ASSERT_TRUE(page->after.has_value());
  EXPECT_EQ(page->after->first, 1767225600000000);
  EXPECT_EQ(page->after->second, Id(3));
  EXPECT_FALSE(ParseKeyedPageRequest(WithQuery("/x")).value().after.has_value());
  for (std::string forged : {EncodeCursor(Id(3)), EncodeCursor("12/" + std::string("id-3")),
                             EncodeCursor("-1/" + Id(3)), EncodeCursor("x/" + Id(3)), EncodeCursor("/" + Id(3))}) {
    auto bad = ParseKeyedPageRequest(WithQuery("/x?cursor=" + forged));
    ASSERT_FALSE(bad.ok()) << forged;
    EXPECT_EQ(HttpStatusFor(bad.status()), 400);
  }
}

TEST(PaginationTest, PageResponseKeepsAShortPage) {
  nlohmann::json out = PageResponse(Items(3), 5);
  ASSERT_EQ(out["items"].size(), 3u);
  EXPECT_TRUE(out["next_cursor"].is_null());
  EXPECT_EQ(out.size(), 2u);
}

TEST(PaginationTest, PageResponseWithExactlyLimitItemsHasNoNextPage) {
  nlohmann::json out = PageResponse(Items(5), 5);
  EXPECT_EQ(out["items"].size(), 5u);
  EXPECT_TRUE(out["next_cursor"].is_null());
}

TEST(PaginationTest, PageResponseDropsTheExtraItemAndPointsAtTheLastKept) {
  nlohmann::json out = PageResponse(Items(6), 5);
  ASSERT_EQ(out["items"].size(), 5u);
  EXPECT_EQ(out["items"].back()["id"], Id(5));
  ASSERT_TRUE(out["next_cursor"].is_string());
  EXPECT_EQ(out["next_cursor"], EncodeCursor(Id(5)));

  // The cursor, fed back, continues after the last item shown.
  auto next = ParsePageRequest(WithQuery("/x?limit=5&cursor=" + out["next_cursor"].get<std::string>()));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->after_id, Id(5));
}

TEST(PaginationTest, PageResponseOfNothing) {
  nlohmann::json out = PageResponse(nlohmann::json::array(), 50);
  EXPECT_TRUE(out["items"].is_array());
  EXPECT_TRUE(out["items"].empty());
  EXPECT_TRUE(out["next_cursor"].is_null());
}

TEST(PaginationTest, WalkingAllPagesVisitsEveryItemOnce) {
  nlohmann::json all = Items(12);
  std::vector<std::string> seen;
  std::string target = "/x?limit=5";
  for (int guard = 0; guard < 10; ++guard) {
    auto page = ParsePageRequest(WithQuery(target));
    ASSERT_TRUE(page.ok());
    nlohmann::json slice = nlohmann::json::array();
    for (const auto& item : all) {
      if (page->after_id && item["id"].get<std::string>() <= *page->after_id) continue;
      if (slice.size() == static_cast<size_t>(page->limit) + 1) break;
      slice.push_back(item);
    }
    nlohmann::json out = PageResponse(slice, page->limit);
    for (const auto& item : out["items"]) seen.push_back(item["id"]);
    if (out["next_cursor"].is_null()) break;
    target = "/x?limit=5&cursor=" + out["next_cursor"].get<std::string>();
  }
  ASSERT_EQ(seen.size(), 12u);
  EXPECT_EQ(seen.front(), Id(1));
  EXPECT_EQ(seen.back(), Id(12));
}

}  // namespace
}  // namespace tf::http
