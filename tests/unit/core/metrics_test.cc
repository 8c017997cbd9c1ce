#include "core/metrics.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tf::metrics {
namespace {

// Sample lines without labels ("name value"), by name; HELP/TYPE and labelled lines skipped.
std::map<std::string, double> UnlabelledSamples(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.find('{') != std::string::npos) continue;
    const size_t space = line.find(' ');
    samples[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return samples;
}

struct CommandResult {
  int exit_status = -1;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  return result;
}

// Writes text to a fresh temp file and runs `promtool check metrics < file`.
CommandResult PromtoolCheck(const std::string& text) {
  std::string path = (std::filesystem::temp_directory_path() / "tf_metrics_XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) return {};
  close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  CommandResult result = RunCommand("/usr/bin/promtool check metrics < '" + path + "'");
  std::filesystem::remove(path);
  return result;
}

constexpr const char* kPromtool = "/usr/bin/promtool";

TEST(MetricsFormatTest, EscapeLabelValueEscapesBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeLabelValue(""), "");
}

TEST(MetricsFormatTest, EscapeHelpEscapesBackslashAndNewlineOnly) {
  EXPECT_EQ(EscapeHelp("a\\b\"c\nd"), "a\\\\b\"c\\nd");
}

TEST(MetricsFormatTest, FormatValueIntegersExactOtherwiseShortestRoundTrip) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-0.0), "0");
  EXPECT_EQ(FormatValue(1e16), "10000000000000000");
  EXPECT_EQ(FormatValue(9223372036854775808.0), "9223372036854775808");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(0.00012345), "0.00012345");
  EXPECT_EQ(FormatValue(1e-5), "1e-05");
  EXPECT_EQ(FormatValue(1234567.5), "1234567.5");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(2.5), "2.5");
  EXPECT_EQ(FormatValue(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatValue(NAN), "NaN");
  for (double v : {0.1 + 0.2, 1e-300, 6.02214076e23, -123.456, 1e300, 1.5e-7, -4.9e-324,
                   123456789012345678.0, 1.7976931348623157e308}) {
    const std::string s = FormatValue(v);
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;
  }
}

TEST(MetricsRenderTest, CounterWithLabelsRendersExactTextWithEscaping) {
  Registry registry;
  CounterFamily& requests = registry.AddCounter(
      "http_requests_total", "Requests served.\nBy \\route.", {"method", "path"});
  requests.WithLabels({"POST", "/x"}).Inc(0.5);
  requests.WithLabels({"GET", "/a\"b\\c\nd"}).Inc(3);
  requests.WithLabels({"GET", "/"}).Inc();

  EXPECT_EQ(registry.Render(),
            "# HELP http_requests_total Requests served.\\nBy \\\\route.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"GET\",path=\"/\"} 1\n"
            "http_requests_total{method=\"GET\",path=\"/a\\\"b\\\\c\\nd\"} 3\n"
            "http_requests_total{method=\"POST\",path=\"/x\"} 0.5\n");
}

TEST(MetricsRenderTest, FamiliesSortedByNameAndEveryKindTyped) {
  Registry registry;
  registry.AddGauge("zz_queue_depth", "Queue depth.").Get().Set(-4);
  registry.AddCallbackCounter("mm_events_total", "Events.", [] { return 12.0; });
  registry.AddCallbackGauge("bb_temperature_celsius", "Temperature.", [] { return 21.5; });
  registry.AddCounter("aa_jobs_total", "Jobs.").Get().Inc(2);

  EXPECT_EQ(registry.Render(),
            "# HELP aa_jobs_total Jobs.\n"
            "# TYPE aa_jobs_total counter\n"
            "aa_jobs_total 2\n"
            "# HELP bb_temperature_celsius Temperature.\n"
            "# TYPE bb_temperature_celsius gauge\n"
            "bb_temperature_celsius 21.5\n"
            "# HELP mm_events_total Events.\n"
            "# TYPE mm_events_total counter\n"
            "mm_events_total 12\n"
            "# HELP zz_queue_depth Queue depth.\n"
            "# TYPE zz_queue_depth gauge\n"
            "zz_queue_depth -4\n");
}

TEST(MetricsRenderTest, LabelledFamilyWithoutChildrenPrintsOnlyHelpAndType) {
  Registry registry;
  registry.AddCounter("errors_total", "Errors.", {"code"});
  registry.AddHistogram("wait_seconds", "Wait.", {"queue"});
  EXPECT_EQ(registry.Render(),
            "# HELP errors_total Errors.\n"
            "# TYPE errors_total counter\n"
            "# HELP wait_seconds Wait.\n"
            "# TYPE wait_seconds histogram\n");
}

TEST(MetricsRenderTest, UnlabelledFamilyRendersZeroBeforeFirstUse) {
  Registry registry;
  registry.AddCounter("started_total", "Started.");
  EXPECT_EQ(registry.Render(),
            "# HELP started_total Started.\n"
            "# TYPE started_total counter\n"
            "started_total 0\n");
}

TEST(MetricsRenderTest, GaugeSetIncDec) {
  Gauge gauge;
  gauge.Set(10);
  gauge.Inc();
  gauge.Inc(2.5);
  gauge.Dec(4);
  EXPECT_EQ(gauge.Value(), 9.5);
}

TEST(MetricsHistogramTest, BucketsAreCumulativeEndingWithInfThenSumAndCount) {
  Registry registry;
  HistogramFamily& latency =
      registry.AddHistogram("rpc_duration_seconds", "RPC latency.", {"route"}, {0.25, 0.5, 1});
  Histogram& h = latency.WithLabels({"/v1"});
  // 0.25 sits on a bound: buckets are `le`, so it counts in le="0.25".
  for (double v : {0.125, 0.25, 0.375, 0.75, 2.0, 4.0}) h.Observe(v);

  EXPECT_EQ(h.CumulativeCounts(), (std::vector<uint64_t>{2, 3, 4, 6}));
  EXPECT_EQ(h.Sum(), 7.5);
  EXPECT_EQ(h.Count(), 6u);
  EXPECT_EQ(registry.Render(),
            "# HELP rpc_duration_seconds RPC latency.\n"
            "# TYPE rpc_duration_seconds histogram\n"
            "rpc_duration_seconds_bucket{route=\"/v1\",le=\"0.25\"} 2\n"
            "rpc_duration_seconds_bucket{route=\"/v1\",le=\"0.5\"} 3\n"
            "rpc_duration_seconds_bucket{route=\"/v1\",le=\"1\"} 4\n"
            "rpc_duration_seconds_bucket{route=\"/v1\",le=\"+Inf\"} 6\n"
            "rpc_duration_seconds_sum{route=\"/v1\"} 7.5\n"
            "rpc_duration_seconds_count{route=\"/v1\"} 6\n");
}

TEST(MetricsHistogramTest, UnlabelledDefaultBucketsRenderLeOnly) {
  Registry registry;
  registry.AddHistogram("db_query_seconds", "Query time.").Get().Observe(0.003);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("db_query_seconds_bucket{le=\"0.0005\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db_query_seconds_bucket{le=\"0.0025\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db_query_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db_query_seconds_bucket{le=\"10\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db_query_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db_query_seconds_sum 0.003\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db_query_seconds_count 1\n"), std::string::npos) << text;
}

TEST(MetricsHistogramTest, TrailingInfBoundIsImpliedAndNaNGoesToInf) {
  Histogram h({1, INFINITY});
  EXPECT_EQ(h.bounds(), (std::vector<double>{1}));
  h.Observe(NAN);
  h.Observe(0.5);
  EXPECT_EQ(h.CumulativeCounts(), (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(std::isnan(h.Sum()));
}

TEST(MetricsConcurrencyTest, ConcurrentUpdatesAreExact) {
  Registry registry;
  CounterFamily& counters = registry.AddCounter("work_total", "Work.", {"shard"});
  Gauge& gauge = registry.AddGauge("in_flight", "In flight.").Get();
  Histogram& histogram = registry.AddHistogram("op_seconds", "Ops.", {}, {0.5, 2}).Get();

  constexpr int kThreads = 8;
  constexpr int kIterations = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& mine = counters.WithLabels({"shard" + std::to_string(t % 2)});
      for (int i = 0; i < kIterations; ++i) {
        counters.WithLabels({"all"}).Inc();  // lookup under contention
        mine.Inc(0.5);
        gauge.Inc(2);
        gauge.Dec();
        histogram.Observe(i % 2 == 0 ? 0.25 : 1.0);
        if (i % 10000 == 0) (void)registry.Render();  // scrape while updating
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(counters.WithLabels({"all"}).Value(), kThreads * kIterations);
  EXPECT_EQ(counters.WithLabels({"shard0"}).Value(), kThreads / 2 * kIterations * 0.5);
  EXPECT_EQ(counters.WithLabels({"shard1"}).Value(), kThreads / 2 * kIterations * 0.5);
  EXPECT_EQ(gauge.Value(), kThreads * kIterations);
  EXPECT_EQ(histogram.Count(), uint64_t{kThreads} * kIterations);
  EXPECT_EQ(histogram.CumulativeCounts(),
            (std::vector<uint64_t>{kThreads * kIterations / 2, kThreads * kIterations,
                                   kThreads * kIterations}));
  EXPECT_EQ(histogram.Sum(), kThreads * kIterations / 2 * (0.25 + 1.0));
}

TEST(MetricsProcessTest, ProcessMetricsPresentAndPlausible) {
  Registry registry;
  RegisterProcessMetrics(registry);

  // CPU time moves in clock ticks (10 ms); burn some so the counter is provably read.
  std::map<std::string, double> samples = UnlabelledSamples(registry.Render());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  volatile double sink = 0;
  while (!(samples["process_cpu_seconds_total"] > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 1000000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
    samples = UnlabelledSamples(registry.Render());
  }

  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds"}) {
    ASSERT_EQ(samples.count(name), 1u) << name;
    EXPECT_GT(samples[name], 0) << name;
  }
  EXPECT_LE(samples["process_resident_memory_bytes"], samples["process_virtual_memory_bytes"]);
  EXPECT_LE(samples["process_open_fds"], samples["process_max_fds"]);
  EXPECT_GE(samples["process_open_fds"], 3);  // stdin, stdout, stderr
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(samples["process_start_time_seconds"], now + 1);
  EXPECT_GT(samples["process_start_time_seconds"], now - 3600);

  const std::string text = registry.Render();
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE process_start_time_seconds gauge\n"), std::string::npos);
}

TEST(MetricsPromtoolTest, RenderOfEveryKindPassesPromtoolCheckMetrics) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " is missing: scripts/install-deps.sh installs it";
  Registry registry;
  CounterFamily& requests = registry.AddCounter(
      "http_requests_total", "Requests served.\nBy \\route.", {"method", "path"});
  requests.WithLabels({"GET", "/a\"b\\c\nd"}).Inc(3);
  requests.WithLabels({"POST", "/x"}).Inc(0.5);
  registry.AddCounter("tenant_errors_total", "Errors by tenant.", {"tenant"});  // no children
  registry.AddGauge("queue_depth", "Jobs waiting.").Get().Set(7);
  registry.AddGauge("pool_connections", "Connections by state.", {"state"})
      .WithLabels({"idle"})
      .Set(2);
  HistogramFamily& latency =
      registry.AddHistogram("http_request_duration_seconds", "Request latency.", {"route"});
  latency.WithLabels({"/v1/keys"}).Observe(0.012);
  latency.WithLabels({"/v1/keys"}).Observe(3);
  registry.AddHistogram("db_query_duration_seconds", "Query latency.", {}, {0.001, 0.01})
      .Get()
      .Observe(0.0042);
  registry.AddCallbackGauge("cache_entries", "Entries in the cache.", [] { return 42.0; });
  registry.AddCallbackCounter("audit_records_written_total", "Audit records written.",
                              [] { return 1234.0; });
  RegisterProcessMetrics(registry);

  const std::string text = registry.Render();
  const CommandResult result = PromtoolCheck(text);
  EXPECT_EQ(result.exit_status, 0) << "promtool said:\n" << result.output << "\ninput:\n" << text;
}

// The check above must be able to fail: promtool rejects what it should.
TEST(MetricsPromtoolTest, PromtoolRejectsCounterWithoutTotalSuffix) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " is missing: scripts/install-deps.sh installs it";
  Registry registry;
  registry.AddCounter("http_requests", "Requests served.").Get().Inc();
  const CommandResult result = PromtoolCheck(registry.Render());
  EXPECT_NE(result.exit_status, 0) << result.output;
  EXPECT_NE(result.exit_status, -1) << "promtool did not run: " << result.output;
  EXPECT_NE(result.output.find("_total"), std::string::npos) << result.output;
}

using MetricsDeathTest = ::testing::Test;

TEST_F(MetricsDeathTest, DuplicateFamilyNameAborts) {
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddCounter("jobs_total", "Jobs.");
        registry.AddGauge("jobs_total", "Jobs again.");
      },
      "metric family 'jobs_total' registered twice");
}

TEST_F(MetricsDeathTest, HistogramSampleNameCollisionAborts) {
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddHistogram("rpc_seconds", "RPC.");
        registry.AddGauge("rpc_seconds_count", "Clash.");
      },
      "collides with family 'rpc_seconds'");
}

TEST_F(MetricsDeathTest, WrongNumberOfLabelValuesAborts) {
  EXPECT_DEATH(
      {
        Registry registry;
        registry.AddCounter("hits_total", "Hits.", {"route"}).WithLabels({"/a", "extra"});
      },
      "1 label name\\(s\\) but was given 2 value\\(s\\)");
}

TEST_F(MetricsDeathTest, NegativeCounterIncrementAssertsInDebugAndIsIgnoredInRelease) {
  Counter counter;
  counter.Inc(2);
  EXPECT_DEBUG_DEATH(counter.Inc(-1), "counters only go up");
  EXPECT_EQ(counter.Value(), 2);
}

TEST_F(MetricsDeathTest, InvalidNamesAndBucketsAbort) {
  EXPECT_DEATH({ Registry().AddCounter("bad-name_total", "x"); }, "invalid metric name");
  EXPECT_DEATH({ Registry().AddCounter("ok_total", "x", {"__reserved"}); }, "invalid label name");
  EXPECT_DEATH({ Registry().AddHistogram("h_seconds", "x", {"le"}); }, "may not use the label");
  EXPECT_DEATH({ Registry().AddHistogram("h_seconds", "x", {}, {1, 0.5}); }, "strictly increasing");
}

}  // namespace
}  // namespace tf::metrics
