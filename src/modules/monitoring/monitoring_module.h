#pragma once
// Health and metrics: GET /health (liveness), /health/ready, /health/database,
// /health/detailed (system.health) and /metrics (Prometheus text 0.0.4). Registers the
// process, build, store and job-queue metrics and the core health checks.
// Thread-safety: see Module; handlers are safe from any thread.

#include "modules/module.h"

namespace tf::monitoring {

class MonitoringModule final : public Module {
 public:
  std::string_view name() const override { return "monitoring"; }
  absl::Status Register(ModuleContext& context) override;
};

}  // namespace tf::monitoring
