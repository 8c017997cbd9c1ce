#include "core/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <utility>

namespace tf::metrics {

namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "tf::metrics: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

// Atomic add on a double by compare-exchange (C++20 atomic<double>::fetch_add is not used, to
// stay compatible with clang 14).
void AtomicAdd(std::atomic<double>& target, double v) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + v, std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {
  }
}

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

void ValidateNames(const std::string& name, const std::vector<std::string>& label_names,
                   bool histogram) {
  if (!IsMetricName(name)) Die("invalid metric name '" + name + "'");
  std::set<std::string_view> seen;
  for (const auto& label : label_names) {
    if (!IsLabelName(label)) Die("metric '" + name + "': invalid label name '" + label + "'");
    if (histogram && label == "le") Die("histogram '" + name + "' may not use the label 'le'");
    if (!seen.insert(label).second) {
      Die("metric '" + name + "': label name '" + label + "' given twice");
    }
  }
}

// `name{a="x",b="y"}` or `name` when there are no labels; extra_name/extra_value append one more
// label (le for histogram buckets).
void AppendSeries(std::string& out, std::string_view name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  out += name;
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string& out, std::string_view name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, double value) {
  AppendSeries(out, name, names, values);
  out += ' ';
  out += FormatValue(value);
  out += '\n';
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += EscapeHelp(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// Reads a whole file (procfs files report size 0, so read until EOF); false on error.
bool ReadFile(const char* path, std::string& out) {
  out.clear();
  std::FILE* f = std::fopen(path, "re");
  if (f == nullptr) return false;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok;
}

// Fields of /proc/self/stat after the parenthesised comm (which may hold spaces and ')').
// Index 0 is field 3 (state) in proc(5) numbering, so field k is at index k - 3.
bool ReadSelfStat(std::vector<std::string>& fields) {
  std::string text;
  if (!ReadFile("/proc/self/stat", text)) return false;
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(text.substr(close + 1));
  fields.clear();
  for (std::string field; in >> field;) fields.push_back(std::move(field));
  return fields.size() >= 22;  // through field 24 (rss)
}

double StatField(int proc5_field) {
  std::vector<std::string> fields;
  if (!ReadSelfStat(fields)) return NAN;
  return std::strtod(fields[proc5_field - 3].c_str(), nullptr);
}

double ClockTicks() {
  const long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? static_cast<double>(ticks) : 100.0;
}

double PageSize() {
  const long size = sysconf(_SC_PAGESIZE);
  return size > 0 ? static_cast<double>(size) : 4096.0;
}

double CpuSeconds() {
  std::vector<std::string> fields;
  if (!ReadSelfStat(fields)) return NAN;
  const double utime = std::strtod(fields[14 - 3].c_str(), nullptr);
  const double stime = std::strtod(fields[15 - 3].c_str(), nullptr);
  return (utime + stime) / ClockTicks();
}

double ResidentBytes() {
  // statm: size resident shared text lib data dt, in pages.
  std::string text;
  if (!ReadFile("/proc/self/statm", text)) return StatField(24) * PageSize();
  std::istringstream in(text);
  double size = 0, resident = 0;
  if (!(in >> size >> resident)) return NAN;
  return resident * PageSize();
}

double VirtualBytes() { return StatField(23); }

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return NAN;
  const std::string own_fd = std::to_string(dirfd(dir));
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (name == own_fd) continue;  // the descriptor reading this directory
    ++count;
  }
  closedir(dir);
  return count;
}

double MaxFds() {
  std::string text;
  if (!ReadFile("/proc/self/limits", text)) return NAN;
  std::istringstream in(text);
  constexpr std::string_view kPrefix = "Max open files";
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    std::istringstream fields(line.substr(kPrefix.size()));
    std::string soft;
    if (!(fields >> soft)) return NAN;
    if (soft == "unlimited") return INFINITY;
    return std::strtod(soft.c_str(), nullptr);
  }
  return NAN;
}

double StartTimeSeconds() {
  std::string text;
  if (!ReadFile("/proc/stat", text)) return NAN;
  std::istringstream in(text);
  double boot_time = NAN;
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, 6, "btime ") == 0) {
      boot_time = std::strtod(line.c_str() + 6, nullptr);
      break;
    }
  }
  return boot_time + StatField(22) / ClockTicks();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Counter, Gauge, Histogram

void Counter::Inc(double v) {
  assert(v >= 0 && "counters only go up");
  if (!(v >= 0)) return;
  AtomicAdd(value_, v);
}

double Counter::Value() const { return value_.load(std::memory_order_relaxed); }

void Gauge::Set(double v) { value_.store(v, std::memory_order_relaxed); }
void Gauge::Inc(double v) { AtomicAdd(value_, v); }
void Gauge::Dec(double v) { AtomicAdd(value_, -v); }
double Gauge::Value() const { return value_.load(std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  if (!bounds_.empty() && bounds_.back() == INFINITY) bounds_.pop_back();
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (std::isnan(bounds_[i]) || (i > 0 && !(bounds_[i - 1] < bounds_[i]))) {
      Die("histogram buckets must be strictly increasing and not NaN (bound " +
          FormatValue(bounds_[i]) + " at index " + std::to_string(i) + ")");
    }
  }
  // Value-initialised: std::atomic's default constructor zeroes since C++20.
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::Observe(double v) {
  // First bound >= v (buckets are `le`, inclusive); NaN compares false and lands in +Inf.
  size_t index = bounds_.size();
  if (!std::isnan(v)) {
    index =
        static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  }
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    counts[i] = running;
  }
  return counts;
}

double Histogram::Sum() const { return sum_.load(std::memory_order_relaxed); }
uint64_t Histogram::Count() const { return count_.load(std::memory_order_relaxed); }

std::vector<double> DefaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// ---------------------------------------------------------------------------------------------
// Family

template <typename T>
Family<T>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                  std::function<std::unique_ptr<T>()> make)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      make_(std::move(make)) {
  if (label_names_.empty()) children_.emplace(std::vector<std::string>{}, make_());
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    Die("metric '" + name_ + "' has " + std::to_string(label_names_.size()) +
        " label name(s) but was given " + std::to_string(values.size()) + " value(s)");
  }
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) it = children_.emplace(values, make_()).first;
  return *it->second;
}

template <typename T>
void Family<T>::ForEach(
    const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, child] : children_) fn(values, *child);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---------------------------------------------------------------------------------------------
// Registry

struct Registry::Entry {
  enum class Kind { kCounter, kGauge, kHistogram, kCallbackGauge, kCallbackCounter };

  Kind kind;
  std::string name;
  std::string help;
  std::unique_ptr<CounterFamily> counter;
  std::unique_ptr<GaugeFamily> gauge;
  std::unique_ptr<HistogramFamily> histogram;
  std::function<double()> callback;

  void Render(std::string& out) const;
};

void Registry::Entry::Render(std::string& out) const {
  switch (kind) {
    case Kind::kCounter:
      AppendHeader(out, name, help, "counter");
      counter->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
        AppendSample(out, name, counter->label_names(), values, c.Value());
      });
      break;
    case Kind::kGauge:
      AppendHeader(out, name, help, "gauge");
      gauge->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
        AppendSample(out, name, gauge->label_names(), values, g.Value());
      });
      break;
    case Kind::kHistogram: {
      AppendHeader(out, name, help, "histogram");
      const std::string bucket = name + "_bucket";
      const std::string sum = name + "_sum";
      const std::string count = name + "_count";
      const auto& labels = histogram->label_names();
      histogram->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
        const std::vector<uint64_t> counts = h.CumulativeCounts();
        const std::vector<double>& bounds = h.bounds();
        for (size_t i = 0; i < counts.size(); ++i) {
          const std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
          AppendSeries(out, bucket, labels, values, "le", le);
          out += ' ';
          out += std::to_string(counts[i]);
          out += '\n';
        }
        AppendSample(out, sum, labels, values, h.Sum());
        // From the +Inf bucket rather than Count(), so _count always equals it in one scrape.
        AppendSeries(out, count, labels, values);
        out += ' ';
        out += std::to_string(counts.back());
        out += '\n';
      });
      break;
    }
    case Kind::kCallbackGauge:
    case Kind::kCallbackCounter:
      AppendHeader(out, name, help, kind == Kind::kCallbackGauge ? "gauge" : "counter");
      AppendSample(out, name, {}, {}, callback());
      break;
  }
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::Insert(std::unique_ptr<Entry> entry) {
  std::vector<std::string> samples = {entry->name};
  if (entry->kind == Entry::Kind::kHistogram) {
    samples.push_back(entry->name + "_bucket");
    samples.push_back(entry->name + "_sum");
    samples.push_back(entry->name + "_count");
  }
  std::lock_guard lock(mu_);
  if (entries_.count(entry->name) != 0) {
    Die("metric family '" + entry->name + "' registered twice");
  }
  for (const auto& sample : samples) {
    auto it = sample_names_.find(sample);
    if (it != sample_names_.end()) {
      Die("metric family '" + entry->name + "' produces sample '" + sample +
          "', which collides with family '" + it->second + "'");
    }
  }
  for (auto& sample : samples) sample_names_.emplace(std::move(sample), entry->name);
  Entry& ref = *entry;
  entries_.emplace(entry->name, std::move(entry));
  return ref;
}

CounterFamily& Registry::AddCounter(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  ValidateNames(name, label_names, /*histogram=*/false);
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kCounter;
  entry->name = name;
  entry->help = help;
  entry->counter =
      std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(label_names),
                                      [] { return std::make_unique<Counter>(); });
  return *Insert(std::move(entry)).counter;
}

GaugeFamily& Registry::AddGauge(std::string name, std::string help,
                                std::vector<std::string> label_names) {
  ValidateNames(name, label_names, /*histogram=*/false);
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kGauge;
  entry->name = name;
  entry->help = help;
  entry->gauge =
      std::make_unique<GaugeFamily>(std::move(name), std::move(help), std::move(label_names),
                                    [] { return std::make_unique<Gauge>(); });
  return *Insert(std::move(entry)).gauge;
}

HistogramFamily& Registry::AddHistogram(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> buckets) {
  ValidateNames(name, label_names, /*histogram=*/true);
  Histogram check(buckets);  // aborts on bad buckets now rather than at the first child
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kHistogram;
  entry->name = name;
  entry->help = help;
  entry->histogram = std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(label_names),
      [bounds = check.bounds()] { return std::make_unique<Histogram>(bounds); });
  return *Insert(std::move(entry)).histogram;
}

void Registry::AddCallbackGauge(std::string name, std::string help, std::function<double()> fn) {
  ValidateNames(name, {}, /*histogram=*/false);
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kCallbackGauge;
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->callback = std::move(fn);
  Insert(std::move(entry));
}

void Registry::AddCallbackCounter(std::string name, std::string help, std::function<double()> fn) {
  ValidateNames(name, {}, /*histogram=*/false);
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kCallbackCounter;
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->callback = std::move(fn);
  Insert(std::move(entry));
}

std::string Registry::Render() const {
  // Entries are never removed, so the pointers outlive the lock; callbacks and family locks run
  // without the registry lock held.
  std::vector<const Entry*> sorted;
  {
    std::lock_guard lock(mu_);
    sorted.reserve(entries_.size());
    for (const auto& [name, entry] : entries_) sorted.push_back(entry.get());
  }
  std::string out;
  for (const Entry* entry : sorted) entry->Render(out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Process metrics

void RegisterProcessMetrics(Registry& registry) {
  registry.AddCallbackCounter("process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.", CpuSeconds);
  registry.AddCallbackGauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                            ResidentBytes);
  registry.AddCallbackGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                            VirtualBytes);
  registry.AddCallbackGauge("process_open_fds", "Number of open file descriptors.", OpenFds);
  registry.AddCallbackGauge("process_max_fds", "Maximum number of open file descriptors.", MaxFds);
  registry
      .AddGauge("process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.")
      .Get()
      .Set(StartTimeSeconds());
}

// ---------------------------------------------------------------------------------------------
// Formatting

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";  // also -0
  // Shortest round-trip digits. Like Go's strconv 'g' (which Prometheus' own clients use), small
  // magnitudes below 1e-4 take an exponent ("1e-05") while 0.0005 stays "0.0005"; unlike it,
  // everything below 1e21 is fixed, so integral values print exactly without exponent ("3",
  // "10000000000000000").
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  if (ec != std::errc()) return "NaN";  // cannot happen: 64 bytes fit any double
  const std::string_view scientific(buf, static_cast<size_t>(end - buf));
  // "d[.ddd]e[+-]XX": to_chars does not NUL-terminate, so parse within the view.
  std::string_view exponent_text = scientific.substr(scientific.find('e') + 1);
  const bool negative = exponent_text.front() == '-';
  exponent_text.remove_prefix(1);  // to_chars always writes the sign
  int exponent = 0;
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  if (negative) exponent = -exponent;
  if (exponent < -4 || exponent >= 21) return std::string(scientific);
  char fixed[64];  // at most 21 integral digits, or "0.000" plus 17 significant digits
  const auto result = std::to_chars(fixed, fixed + sizeof fixed, v, std::chars_format::fixed);
  if (result.ec != std::errc()) return std::string(scientific);
  return std::string(fixed, result.ptr);
}

}  // namespace tf::metrics
