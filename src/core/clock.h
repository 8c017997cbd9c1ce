#pragma once
// Clock: the only source of wall time and monotonic time in the code base, so tests can drive
// time by hand (FakeClock) through rotation policies and SLO windows in milliseconds.
// Thread-safety: all implementations are safe to call from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tf {

using SysTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

//! Spans in microseconds, the unit in which the store keeps times.
inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr int64_t kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

//! The instant `micros` microseconds after the Unix epoch, as the store keeps times.
inline SysTime FromUnixMicros(int64_t micros) { return SysTime(std::chrono::microseconds(micros)); }

class Clock {
 public:
  virtual ~Clock() = default;
  //! Wall time (UTC), microsecond precision.
  virtual SysTime Now() const = 0;
  //! Monotonic time for measuring durations.
  virtual std::chrono::steady_clock::time_point Steady() const = 0;

  int64_t NowMicros() const { return Now().time_since_epoch().count(); }
};

//! The real clock.
class SystemClock final : public Clock {
 public:
  SysTime Now() const override;
  std::chrono::steady_clock::time_point Steady() const override;
  static SystemClock& Instance();
};

//! A clock that moves only when told to; Steady() moves with Now().
class FakeClock final : public Clock {
 public:
  explicit FakeClock(SysTime start);
  SysTime Now() const override;
  std::chrono::steady_clock::time_point Steady() const override;
  void Advance(std::chrono::microseconds d);
  void Set(SysTime t);

 private:
  std::atomic<int64_t> micros_;
  int64_t start_micros_;
};

}  // namespace tf
