#include "core/clock.h"

namespace tf {

SysTime SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::chrono::steady_clock::time_point SystemClock::Steady() const {
  return std::chrono::steady_clock::now();
}

SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

FakeClock::FakeClock(SysTime start)
    : micros_(start.time_since_epoch().count()), start_micros_(micros_.load()) {}

SysTime FakeClock::Now() const { return FromUnixMicros(micros_.load()); }

std::chrono::steady_clock::time_point FakeClock::Steady() const {
  return std::chrono::steady_clock::time_point(
      std::chrono::microseconds(micros_.load() - start_micros_));
}

void FakeClock::Advance(std::chrono::microseconds d) { micros_.fetch_add(d.count()); }

void FakeClock::Set(SysTime t) { micros_.store(t.time_since_epoch().count()); }

}  // namespace tf
