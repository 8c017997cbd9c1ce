// Health and metrics endpoints against a real trustd process.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "support/trustd_process.h"

namespace tf::testing {
namespace {

class HealthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new TrustdProcess();
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static TrustdProcess* server_;
};
TrustdProcess* HealthTest::server_ = nullptr;

TEST_F(HealthTest, LivenessAnswersOk) {
  HttpResult r = server_->client().Get("/health");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["status"], "ok");
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("X-Request-Id").size(), 32u);
}

TEST_F(HealthTest, ReadinessReportsChecks) {
  HttpResult r = server_->client().Get("/health/ready");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = r.Json();
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["checks"]["database"]["status"], "ok");
  EXPECT_EQ(body["checks"]["disk"]["status"], "ok");
}

TEST_F(HealthTest, DatabaseHealthShowsSchemaVersion) {
  HttpResult r = server_->client().Get("/health/database");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = r.Json();
  EXPECT_EQ(body["backend"], server_->backend() == Backend::kSqlite ? "sqlite" : "postgresql");
  EXPECT_GE(body["schema_version"].get<int>(), 2);
  EXPECT_EQ(body["schema_version"], body["schema_latest"]);
}

TEST_F(HealthTest, DetailedHealthNeedsAuthentication) {
  HttpResult r = server_->client().Get("/health/detailed");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
}

TEST_F(HealthTest, DetailedHealthShowsChecksServerSchedulerAndJobs) {
  ASSERT_EQ(server_->Bootstrap("health-admin@example.com", "correct-Horse-7-battery").exit_code, 0);
  std::string token = server_->Login("health-admin@example.com", "correct-Horse-7-battery");
  ASSERT_FALSE(token.empty());
  HttpResult r = server_->client().Get("/health/detailed", token);
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = r.Json();
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["checks"]["database"]["status"], "ok");
  EXPECT_GE(body["server"]["connections"].get<int>(), 1);
  EXPECT_GE(body["server"]["worker_threads"].get<int>(), 1);
  EXPECT_GE(body["uptime_seconds"].get<double>(), 0.0);
  std::vector<std::string> tasks;
  for (const auto& t : body["scheduler"]) tasks.push_back(t["name"]);
  EXPECT_NE(std::find(tasks.begin(), tasks.end(), "identity.purge_ended_sessions"), tasks.end());
  EXPECT_NE(std::find(tasks.begin(), tasks.end(), "jobs.purge_succeeded"), tasks.end());
  EXPECT_EQ(body["jobs"]["dead"], 0);
}

TEST_F(HealthTest, MetricsUseRoutePatternsAndPassPromtool) {
  auto c = server_->client();
  c.Get("/api/users/0190a5e0-0000-7000-8000-000000000000");
  c.Get("/no/such/path/12345");
  HttpResult r = c.Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("http_requests_total{method=\"GET\",route=\"/api/users/{id}\",status=\"401\"}"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("route=\"unmatched\",status=\"404\""), std::string::npos);
  EXPECT_EQ(r.body.find("12345"), std::string::npos) << "raw paths must never become labels";
  for (const char* family : {"http_request_duration_seconds_bucket", "http_requests_in_flight",
                             "process_resident_memory_bytes", "process_open_fds", "store_query_duration_seconds",
                             "trustd_build_info", "jobs_queued"}) {
    EXPECT_NE(r.body.find(family), std::string::npos) << family;
  }
  // The connection pool is PostgreSQL's alone.
  bool pooled = server_->backend() == Backend::kPostgres;
  EXPECT_EQ(r.body.find("\nstore_pool_connections_in_use ") != std::string::npos, pooled) << r.body;
  std::string path = server_->data_dir() + "/metrics.txt";
  std::ofstream(path) << r.body;
  CommandResult check = RunCommand({"/bin/sh", "-c", "promtool check metrics < " + path});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace tf::testing
