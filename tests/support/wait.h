#pragma once
// Test support: polling in real time for a condition that another thread or process makes true.
// Thread-safety: stateless.

#include <chrono>
#include <functional>
#include <thread>

namespace tf::testing {

//! Polls `done` until it holds or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace tf::testing
