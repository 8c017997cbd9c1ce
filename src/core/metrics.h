#pragma once
// Metrics registry rendered in the Prometheus text exposition format 0.0.4.
// Families are registered once at start-up (names and label names fixed); a labelled child is
// looked up by its label values and cached by the caller when on a hot path.
// Thread-safety: everything here is safe from any thread. Counter/Gauge/Histogram updates are
// lock-free atomics; child lookup and Render take a per-family mutex. Families and children are
// never removed, so references returned by Add*() and WithLabels() stay valid for the lifetime of
// the Registry.
// Programmer errors (duplicate or colliding family names, invalid metric or label names, a wrong
// number of label values, unsorted histogram buckets) print a message to stderr and abort.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tf::metrics {

//! A monotonically increasing value (requests served, bytes sent). Name counters `..._total`.
class Counter {
 public:
  //! Adds v, which must be >= 0 (a negative or NaN increment is ignored; it asserts in debug).
  void Inc(double v = 1.0);
  double Value() const;

 private:
  std::atomic<double> value_{0};
};

//! A value that goes up and down (queue depth, connections open).
class Gauge {
 public:
  void Set(double v);
  void Inc(double v = 1.0);
  void Dec(double v = 1.0);
  double Value() const;

 private:
  std::atomic<double> value_{0};
};

//! Counts observations into buckets with inclusive upper bounds (`le`), plus their sum and count.
class Histogram {
 public:
  //! upper_bounds must be strictly increasing and free of NaN; a trailing +Inf is implied (and
  //! dropped if given).
  explicit Histogram(std::vector<double> upper_bounds);
  //! NaN is counted in the +Inf bucket (and makes the sum NaN), as the Go client does.
  void Observe(double v);
  //! Cumulative counts per bound (last is +Inf), sum and count, read consistently enough for
  //! scraping (each field atomic). Render takes _count from the +Inf bucket so the two agree.
  std::vector<uint64_t> CumulativeCounts() const;
  double Sum() const;
  uint64_t Count() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf), not cumulative
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

//! Default latency buckets in seconds: 0.5 ms .. 10 s.
std::vector<double> DefaultLatencyBuckets();

template <typename T>
class Family {
 public:
  //! A family without label names gets its single child at once, so it renders (as 0) before
  //! first use.
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<T>()> make);
  //! The child for these label values (count must match the label names; extra or missing
  //! values are a programmer error and abort).
  T& WithLabels(const std::vector<std::string>& values);
  T& Get() { return WithLabels({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  //! Calls fn(label values, child) for every child, in label order. Holds the family mutex: fn
  //! must not call WithLabels on this family.
  void ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<T>()> make_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

// Defined in metrics.cc for exactly these three types.
extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  //! Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and do not
  //! start with "__"; histograms may not use the label "le". A name already registered, or one
  //! whose samples collide with another family's (histogram "x" owns x_bucket, x_sum, x_count),
  //! aborts.
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names = {},
                                std::vector<double> buckets = DefaultLatencyBuckets());
  //! A gauge computed at scrape time (process memory, queue depth, ...). fn runs on the scraping
  //! thread without any registry lock held.
  void AddCallbackGauge(std::string name, std::string help, std::function<double()> fn);
  //! A monotonic value computed at scrape time (process_cpu_seconds_total, ...), typed counter.
  void AddCallbackCounter(std::string name, std::string help, std::function<double()> fn);

  //! The whole registry in Prometheus text format 0.0.4, families sorted by name.
  std::string Render() const;

 private:
  struct Entry;
  Entry& Insert(std::unique_ptr<Entry> entry);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;  // by family name
  std::map<std::string, std::string, std::less<>> sample_names_;  // sample name -> family name
};

//! process_resident_memory_bytes, process_virtual_memory_bytes, process_cpu_seconds_total,
//! process_open_fds, process_max_fds, process_start_time_seconds (from /proc/self). Values that
//! cannot be read render as NaN.
void RegisterProcessMetrics(Registry& registry);

//! Escapes a label value: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view v);

//! Escapes HELP text: backslash and newline.
std::string EscapeHelp(std::string_view v);

//! A sample value or `le` bound: the shortest digits that round-trip, fixed notation from 1e-4 up
//! to 1e21 (so integers print exactly without exponent: "3", "0.005"), an exponent outside it
//! ("1e-05", "1e+21"); "+Inf", "-Inf", "NaN".
std::string FormatValue(double v);

}  // namespace tf::metrics
