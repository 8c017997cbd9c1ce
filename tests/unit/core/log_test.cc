#include "core/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "support/sample_secrets.h"

namespace tf {
namespace {

const std::string kToken = testing::kSampleApiToken;

// 2026-11-24T10:42:56.123456Z
const SysTime kFixedTime{std::chrono::microseconds(1795516976123456)};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { Capture(LogLevel::kDebug, &clock_); }
  void TearDown() override { ASSERT_TRUE(log::Init(LogOptions{}).ok()); }

  void Capture(LogLevel level, const Clock* clock) {
    lines_.clear();
    log::InitForTest([this](std::string_view line) { lines_.emplace_back(line); }, level, clock);
  }

  //! The only captured line, parsed; fails the test when there is not exactly one.
  nlohmann::json OnlyLine() {
    EXPECT_EQ(lines_.size(), 1u);
    if (lines_.size() != 1) return nullptr;
    EXPECT_EQ(lines_[0].find('\n'), std::string::npos) << lines_[0];
    return nlohmann::json::parse(lines_[0]);  // throws (fails the test) when not JSON
  }

  FakeClock clock_{kFixedTime};
  std::vector<std::string> lines_;
};

TEST_F(LogTest, LineIsOneJsonObjectWithTimestampLevelMessageAndFields) {
  log::Info("user created", {{"user_id", "u1"}, {"count", 3}, {"nested", {{"ok", true}}}});
  nlohmann::json line = OnlyLine();
  EXPECT_EQ(line["ts"], "2026-11-24T10:42:56.123Z");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["msg"], "user created");
  EXPECT_EQ(line["user_id"], "u1");
  EXPECT_EQ(line["count"], 3);
  EXPECT_EQ(line["nested"]["ok"], true);
  // ts, level and msg lead the line in that order.
  EXPECT_EQ(lines_[0].rfind(R"({"ts":"2026-11-24T10:42:56.123Z","level":"info","msg":"user created")", 0), 0u)
      << lines_[0];
}

TEST_F(LogTest, SystemClockTimestampIsUtcWithMillisecondsAndZ) {
  Capture(LogLevel::kDebug, nullptr);
  log::Warn("now");
  nlohmann::json line = OnlyLine();
  std::string ts = line["ts"];
  EXPECT_TRUE(std::regex_match(ts, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)"))) << ts;
}

TEST_F(LogTest, EachLevelHasItsName) {
  log::Debug("d");
  log::Info("i");
  log::Warn("w");
  log::Error("e");
  log::Write(LogLevel::kWarn, "w2");
  ASSERT_EQ(lines_.size(), 5u);
  std::vector<std::string> levels;
  for (const std::string& l : lines_) levels.push_back(nlohmann::json::parse(l)["level"]);
  EXPECT_EQ(levels, (std::vector<std::string>{"debug", "info", "warn", "error", "warn"}));
}

TEST_F(LogTest, LinesBelowTheLevelAreDropped) {
  Capture(LogLevel::kWarn, &clock_);
  EXPECT_FALSE(log::Enabled(LogLevel::kInfo));
  EXPECT_TRUE(log::Enabled(LogLevel::kError));
  log::Debug("no");
  log::Info("no");
  log::Warn("yes");
  log::Error("yes");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines_[0])["level"], "warn");
  EXPECT_EQ(nlohmann::json::parse(lines_[1])["level"], "error");
}

TEST_F(LogTest, NewlinesAreEscapedSoLinesCannotBeForged) {
  std::string forged = "ok\n{\"ts\":\"2020-01-01T00:00:00.000Z\",\"level\":\"error\",\"msg\":\"fake\"}";
  log::Info(forged, {{"field", "a\r\nb"}});
  nlohmann::json line = OnlyLine();
  EXPECT_EQ(line["msg"], forged);  // intact after decoding
  EXPECT_EQ(line["field"], "a\r\nb");
  EXPECT_NE(lines_[0].find(R"(ok\n{)"), std::string::npos) << lines_[0];
}

TEST_F(LogTest, InvalidUtf8IsReplacedNotThrown) {
  std::string bad = "caf\xC3 \xFF\xFE end";
  log::Info(bad, {{"raw", bad}});
  nlohmann::json line = OnlyLine();
  std::string msg = line["msg"];
  EXPECT_NE(msg.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
  EXPECT_NE(msg.find(" end"), std::string::npos);
  EXPECT_EQ(line["raw"].get<std::string>(), msg);
}

TEST_F(LogTest, MessageAndFieldsAreRedacted) {
  log::Info("auth with Bearer " + kToken,
            {{"password", "hunter2"},
             {"db", "postgresql://app:s3cret@db/trust"},
             {"headers", {{"Authorization", "Basic dXNlcjpwYXNz"}, {"Accept", "*/*"}}}});
  nlohmann::json line = OnlyLine();
  EXPECT_EQ(line["msg"], "auth with Bearer [REDACTED]");
  EXPECT_EQ(line["password"], "[REDACTED]");
  EXPECT_EQ(line["db"], "postgresql://app:[REDACTED]@db/trust");
  EXPECT_EQ(line["headers"]["Authorization"], "[REDACTED]");
  EXPECT_EQ(line["headers"]["Accept"], "*/*");
  for (const char* leaked : {"hunter2", "s3cret", "dXNlcjpwYXNz", "tft_"}) {
    EXPECT_EQ(lines_[0].find(leaked), std::string::npos) << leaked << " in " << lines_[0];
  }
}

TEST_F(LogTest, ContextFieldsComeFromTheScopeAndAreRestored) {
  log::Info("outside");
  {
    ScopedLogContext scope({.request_id = "req-1", .trace_id = "trace-1"});
    log::Info("inside");
    // Middleware fills in who the caller is after authentication.
    ASSERT_NE(CurrentLogContext(), nullptr);
    CurrentLogContext()->tenant = "tenant-a";
    CurrentLogContext()->actor = "user-7";
    log::Info("authenticated");
    {
      ScopedLogContext inner({.request_id = "req-2"});
      log::Info("nested");
    }
    log::Info("back");
  }
  log::Info("after");
  EXPECT_EQ(CurrentLogContext(), nullptr);

  ASSERT_EQ(lines_.size(), 6u);
  std::vector<nlohmann::json> l;
  for (const std::string& s : lines_) l.push_back(nlohmann::json::parse(s));
  EXPECT_FALSE(l[0].contains("request_id"));
  EXPECT_EQ(l[1]["request_id"], "req-1");
  EXPECT_EQ(l[1]["trace_id"], "trace-1");
  EXPECT_FALSE(l[1].contains("tenant"));  // empty fields are left off
  EXPECT_EQ(l[2]["tenant"], "tenant-a");
  EXPECT_EQ(l[2]["actor"], "user-7");
  EXPECT_EQ(l[3]["request_id"], "req-2");
  EXPECT_FALSE(l[3].contains("tenant"));
  EXPECT_EQ(l[4]["request_id"], "req-1");
  EXPECT_EQ(l[4]["tenant"], "tenant-a");
  EXPECT_FALSE(l[5].contains("request_id"));
  EXPECT_FALSE(l[5].contains("actor"));
  // Context fields follow msg and precede the caller's fields.
  EXPECT_LT(lines_[2].find("\"msg\""), lines_[2].find("\"request_id\""));
}

TEST_F(LogTest, ContextIsPerThread) {
  ScopedLogContext scope({.request_id = "main-thread"});
  std::thread other([] {
    EXPECT_EQ(CurrentLogContext(), nullptr);
    log::Info("from other thread");
  });
  other.join();
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_FALSE(nlohmann::json::parse(lines_[0]).contains("request_id"));
}

TEST_F(LogTest, FieldsCannotOverwriteLineFields) {
  ScopedLogContext scope({.request_id = "req-1"});
  log::Info("real", {{"msg", "fake"}, {"level", "debug"}, {"request_id", "other"}, {"x", 1}});
  nlohmann::json line = OnlyLine();
  EXPECT_EQ(line["msg"], "real");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["request_id"], "req-1");
  EXPECT_EQ(line["fields.msg"], "fake");
  EXPECT_EQ(line["fields.level"], "debug");
  EXPECT_EQ(line["fields.request_id"], "other");
  EXPECT_EQ(line["x"], 1);
}

TEST_F(LogTest, NonObjectFieldsAreKeptUnderFields) {
  log::Info("array", nlohmann::json::array({1, kToken}));
  nlohmann::json line = OnlyLine();
  EXPECT_EQ(line["fields"], nlohmann::json::array({1, "[REDACTED]"}));
}

TEST_F(LogTest, BracesInMessagesAreNotFormatStrings) {
  log::Info("{} {:d} %s {0}");
  EXPECT_EQ(OnlyLine()["msg"], "{} {:d} %s {0}");
}

TEST_F(LogTest, InitWithFileAppendsJsonLines) {
  std::string path = ::testing::TempDir() + "/tf_log_test_" + std::to_string(::getpid()) + ".log";
  std::remove(path.c_str());
  ASSERT_TRUE(log::Init({.level = LogLevel::kInfo, .file = path}).ok());
  log::Debug("dropped");
  log::Info("first", {{"n", 1}});
  log::Error("second\nline");
  log::Flush();

  std::ifstream in(path);
  std::vector<std::string> file_lines;
  for (std::string l; std::getline(in, l);) file_lines.push_back(l);
  ASSERT_EQ(file_lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(file_lines[0])["msg"], "first");
  EXPECT_EQ(nlohmann::json::parse(file_lines[0])["n"], 1);
  EXPECT_EQ(nlohmann::json::parse(file_lines[1])["msg"], "second\nline");
  EXPECT_EQ(nlohmann::json::parse(file_lines[1])["level"], "error");
  ASSERT_TRUE(log::Init(LogOptions{}).ok());
  std::remove(path.c_str());
}

TEST_F(LogTest, InitWithUnopenableFileFailsAndKeepsTheOldDestination) {
  absl::Status status = log::Init({.file = "/proc/self/no/such/dir/trust.log"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("/proc/self/no/such/dir/trust.log"), std::string::npos) << status;
  log::Info("still captured");
  EXPECT_EQ(OnlyLine()["msg"], "still captured");
}

TEST_F(LogTest, DefaultDestinationIsStderr) {
  ASSERT_TRUE(log::Init(LogOptions{}).ok());
  ::testing::internal::CaptureStderr();
  log::Debug("below the default level");
  log::Info("to stderr", {{"k", "v"}});
  log::Flush();
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.back(), '\n');
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;  // exactly one line
  nlohmann::json line = nlohmann::json::parse(err);
  EXPECT_EQ(line["msg"], "to stderr");
  EXPECT_EQ(line["k"], "v");
}

TEST(ParseLogLevelTest, AcceptsTheFourLevelsInAnyCase) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("Warning"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  absl::StatusOr<LogLevel> bad = ParseLogLevel("verbose");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'verbose'"), std::string::npos);
  EXPECT_FALSE(ParseLogLevel("").ok());
  EXPECT_EQ(LogLevelName(LogLevel::kWarn), "warn");
}

}  // namespace
}  // namespace tf
