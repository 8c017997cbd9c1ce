// StaticFiles: the console's files served from memory with their content types, a year of
// caching for hashed assets, ETag revalidation, index.html for client routes, and nothing from
// outside the folder.
#include "modules/console/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/trustd_process.h"

namespace tf::console {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& p, const std::string& body) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << body;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(dir_.path()) / "dist";
    Write(root_ / "index.html", "<!doctype html><title>console</title>");
    Write(root_ / "assets/index-abc123.js", "console.log(1)");
    Write(root_ / "assets/index-abc123.css", "body{}");
    Write(root_ / "favicon.svg", "<svg/>");
    Write(fs::path(dir_.path()) / "secret.txt", "outside the folder");
    auto files = StaticFiles::Load(root_.string());
    ASSERT_TRUE(files.ok()) << files.status();
    files_.emplace(std::move(*files));
  }

  http::Response Get(std::string_view path, std::string_view etag = "") {
    auto r = files_->Serve(path, etag);
    EXPECT_TRUE(r.ok()) << path << ": " << r.status();
    return r.ok() ? *r : http::Response{};
  }

  tf::testing::TempDir dir_;
  fs::path root_;
  std::optional<StaticFiles> files_;
};

TEST_F(StaticFilesTest, ServesFilesWithTheirTypesAndCaching) {
  EXPECT_EQ(files_->file_count(), 4u);
  http::Response js = Get("/assets/index-abc123.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.headers.Get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.headers.Get("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Get("/assets/index-abc123.css").headers.Get("Content-Type"), "text/css; charset=utf-8");
  http::Response svg = Get("/favicon.svg");
  EXPECT_EQ(svg.headers.Get("Content-Type"), "image/svg+xml");
  EXPECT_EQ(svg.headers.Get("Cache-Control"), "no-cache") << "not content-hashed: revalidated";
}

TEST_F(StaticFilesTest, ClientRoutesGetIndexHtmlAndMissingFilesAre404) {
  for (const char* path : {"/", "/account", "/account/devices", "/terms"}) {
    http::Response r = Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.headers.Get("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_EQ(r.headers.Get("Cache-Control"), "no-cache") << path;
  }
  EXPECT_EQ(files_->Serve("/assets/gone-999.js", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(files_->Serve("/../secret.txt", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(files_->Serve("/assets/../../secret.txt", "").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StaticFilesTest, AMatchingETagIsNotModified) {
  http::Response first = Get("/assets/index-abc123.js");
  auto etag = first.headers.Get("ETag");
  ASSERT_TRUE(etag.has_value());
  http::Response again = Get("/assets/index-abc123.js", *etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get("/assets/index-abc123.js", "\"stale\"").status, 200);
}

TEST(StaticFilesLoadTest, AFolderWithoutIndexHtmlIsNotAConsole) {
  tf::testing::TempDir dir;
  EXPECT_EQ(StaticFiles::Load(dir.path()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StaticFiles::Load(dir.path() + "/missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(ContentTypeTest, KnownExtensionsAndAFallback) {
  EXPECT_EQ(ContentTypeFor("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("README"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("archive.tar.gz"), "application/octet-stream");
}

}  // namespace
}  // namespace tf::console
