#include "core/log.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/redact.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace tf {
namespace {

constexpr char kLoggerName[] = "tf";

thread_local LogContext* t_context = nullptr;

//! Hands each formatted line to a function; base_sink's mutex serialises the calls.
class FunctionSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FunctionSink(std::function<void(std::string_view)> fn) : fn_(std::move(fn)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    fn_(std::string_view(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::function<void(std::string_view)> fn_;
};

struct LogState {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> logger;  // guarded by mu; created on first use
  std::atomic<int> level{static_cast<int>(LogLevel::kInfo)};
  std::atomic<const Clock*> clock{nullptr};

  std::shared_ptr<spdlog::logger> Logger() {
    std::lock_guard<std::mutex> lock(mu);
    if (logger == nullptr) logger = MakeLogger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    return logger;
  }

  void Install(std::shared_ptr<spdlog::logger> next, LogLevel next_level, const Clock* next_clock) {
    std::shared_ptr<spdlog::logger> previous;
    {
      std::lock_guard<std::mutex> lock(mu);
      previous = std::exchange(logger, std::move(next));
      level.store(static_cast<int>(next_level));
      clock.store(next_clock);
    }
    if (previous != nullptr) previous->flush();
  }

  static std::shared_ptr<spdlog::logger> MakeLogger(spdlog::sink_ptr sink) {
    auto logger = std::make_shared<spdlog::logger>(kLoggerName, std::move(sink));
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::trace);  // filtering happens in Write
    logger->flush_on(spdlog::level::warn);
    return logger;
  }
};

//! Never destroyed, so static destructors can still log.
LogState& State() {
  static LogState* state = new LogState();
  return *state;
}

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

std::string Dump(const nlohmann::json& v) {
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AppendMember(std::string& line, std::string_view key, const nlohmann::json& value) {
  absl::StrAppend(&line, ",", Dump(nlohmann::json(std::string(key))), ":", Dump(value));
}

std::string FormatLine(LogLevel level, std::string_view msg, const nlohmann::json& fields,
                       const Clock& clock) {
  std::string line = absl::StrCat("{\"ts\":\"", FormatRfc3339(clock.Now()), "\",\"level\":\"",
                                  Sv(LogLevelName(level)), "\"");
  AppendMember(line, "msg", RedactString(msg));
  std::vector<std::string_view> used = {"ts", "level", "msg"};
  if (const LogContext* ctx = t_context; ctx != nullptr) {
    const std::pair<std::string_view, std::string_view> members[] = {{"request_id", ctx->request_id},
                                                                     {"trace_id", ctx->trace_id},
                                                                     {"tenant", ctx->tenant},
                                                                     {"actor", ctx->actor}};
    for (const auto& [key, value] : members) {
      if (value.empty()) continue;
      AppendMember(line, key, RedactString(value));
      used.push_back(key);
    }
  }
  if (fields.is_object()) {
    nlohmann::json redacted = RedactJson(fields);
    for (auto it = redacted.begin(); it != redacted.end(); ++it) {
      const std::string& key = it.key();
      bool taken = std::find(used.begin(), used.end(), key) != used.end();
      AppendMember(line, taken ? absl::StrCat("fields.", key) : key, it.value());
    }
  } else if (!fields.is_null()) {
    AppendMember(line, "fields", RedactJson(fields));
  }
  line.push_back('}');
  return line;
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name) {
  std::string lower = absl::AsciiStrToLower(Sv(name));
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warn" || lower == "warning") return LogLevel::kWarn;
  if (lower == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level '", RedactString(name), "' (expected debug, info, warn or error)"));
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "error";
}

ScopedLogContext::ScopedLogContext(LogContext context) : context_(std::move(context)), previous_(t_context) {
  t_context = &context_;
}

ScopedLogContext::~ScopedLogContext() { t_context = previous_; }

LogContext* CurrentLogContext() { return t_context; }

namespace log {

absl::Status Init(const LogOptions& options) {
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file, /*truncate=*/false);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot open log file '", options.file, "': ", e.what()));
    }
  }
  std::shared_ptr<spdlog::logger> logger = LogState::MakeLogger(std::move(sink));
  if (!options.file.empty()) {
    // Buffered file lines reach the disk at least every second (spdlog's periodic flusher only
    // sees registered loggers).
    try {
      spdlog::drop(kLoggerName);
      spdlog::register_logger(logger);
      spdlog::flush_every(std::chrono::seconds(1));
    } catch (const std::exception&) {
      // Not fatal: lines are still flushed on warn/error and by Flush().
    }
  } else {
    spdlog::drop(kLoggerName);
  }
  State().Install(std::move(logger), options.level, nullptr);
  return absl::OkStatus();
}

void InitForTest(std::function<void(std::string_view line)> sink, LogLevel level, const Clock* clock) {
  spdlog::drop(kLoggerName);
  State().Install(LogState::MakeLogger(std::make_shared<FunctionSink>(std::move(sink))), level, clock);
}

bool Enabled(LogLevel level) {
  return static_cast<int>(level) >= State().level.load(std::memory_order_relaxed);
}

void Write(LogLevel level, std::string_view msg, const nlohmann::json& fields) {
  if (!Enabled(level)) return;
  LogState& state = State();
  const Clock* clock = state.clock.load();
  if (clock == nullptr) clock = &SystemClock::Instance();
  std::string line;
  try {
    line = FormatLine(level, msg, fields, *clock);
  } catch (...) {
    // Only allocation failure can get here; still leave a trace of the event.
    line = absl::StrCat("{\"ts\":\"", FormatRfc3339(clock->Now()), "\",\"level\":\"", Sv(LogLevelName(level)),
                        "\",\"msg\":\"log line could not be formatted\"}");
  }
  state.Logger()->log(ToSpdlog(level), spdlog::string_view_t(line.data(), line.size()));
}

void Debug(std::string_view msg, const nlohmann::json& fields) { Write(LogLevel::kDebug, msg, fields); }
void Info(std::string_view msg, const nlohmann::json& fields) { Write(LogLevel::kInfo, msg, fields); }
void Warn(std::string_view msg, const nlohmann::json& fields) { Write(LogLevel::kWarn, msg, fields); }
void Error(std::string_view msg, const nlohmann::json& fields) { Write(LogLevel::kError, msg, fields); }

void Flush() { State().Logger()->flush(); }

}  // namespace log
}  // namespace tf
