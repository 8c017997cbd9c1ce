#pragma once
// Structured logging: one JSON object per line (JSON Lines) on stderr or in a file, written
// through spdlog. Every line carries `ts` (RFC 3339 UTC, milliseconds, 'Z'), `level`, `msg`,
// then `request_id`, `trace_id`, `tenant`, `actor` from the calling thread's LogContext when
// set, then the caller's fields. The message and the fields always pass through RedactString /
// RedactJson, and JSON escaping (invalid UTF-8 replaced by U+FFFD, newlines escaped) keeps one
// event on one line, so logs can be neither forged nor made to leak secrets.
//
// Usable before Init (stderr, level info). Logging never throws.
// Thread-safety: every function in tf::log is safe from any thread; Init and InitForTest may
// race with Write (a line goes to either the old or the new destination). LogContext is
// per-thread: work that hops threads (Asio handlers, worker-pool tasks) must open its own
// ScopedLogContext on the thread it runs on.

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "nlohmann/json.hpp"

namespace tf {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

//! "debug", "info", "warn" (or "warning"), "error"; case-insensitive.
[[nodiscard]] absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name);
//! "debug", "info", "warn", "error".
std::string_view LogLevelName(LogLevel level);

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  std::string file;  //!< empty = stderr; otherwise appended to (created with its directories)
};

//! Who and what the current thread is working for; empty fields are left off the line. The
//! request and trace ids are views: the strings they name must outlive the scope that installs
//! them (the request's context does).
struct LogContext {
  std::string_view request_id{};
  std::string_view trace_id{};
  std::string tenant{};
  std::string actor{};
};

//! Installs `context` as the calling thread's LogContext for the lifetime of this object and
//! restores the previous one (or none) on destruction. Scopes nest; destroy in reverse order.
class ScopedLogContext {
 public:
  explicit ScopedLogContext(LogContext context);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

  //! The installed context; may be changed while the scope is active.
  LogContext& Context() { return context_; }

 private:
  LogContext context_;
  LogContext* previous_;
};

//! The calling thread's innermost LogContext, or nullptr. Middleware fills in `tenant` and
//! `actor` through it once the caller is authenticated.
LogContext* CurrentLogContext();

namespace log {

//! (Re)configures the destination and level. On error the previous configuration stays.
[[nodiscard]] absl::Status Init(const LogOptions& options);

//! Sends every line, without its trailing newline, to `sink` (calls are serialised, so the sink
//! needs no lock of its own). `clock` (kept by pointer, must outlive logging; nullptr = the
//! system clock) stamps `ts`. Undo with Init.
void InitForTest(std::function<void(std::string_view line)> sink, LogLevel level = LogLevel::kDebug,
                 const Clock* clock = nullptr);

//! True when a line at `level` would be written (to skip building expensive fields).
bool Enabled(LogLevel level);

//! Writes one line. `fields` should be an object; anything else is logged under "fields". A
//! field whose name is already on the line (ts, level, msg, context fields) is renamed
//! "fields.<name>".
void Write(LogLevel level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
void Debug(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
void Info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
void Warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
void Error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

//! Writes buffered lines out (warn and error lines are flushed at once, file lines at least
//! every second).
void Flush();

}  // namespace log
}  // namespace tf
