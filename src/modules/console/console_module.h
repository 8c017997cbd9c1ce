#pragma once
// Wiring of the web console: serves the built files of web/dist (server.console_dir) as the
// router's fallback, so every path outside /api/, /health and /metrics is the console: its
// files, or index.html for its client-side routes (/login, /account, ...).
// Thread-safety: see Module.

#include <optional>

#include "modules/console/static_files.h"
#include "modules/module.h"

namespace tf::console {

class ConsoleModule final : public Module {
 public:
  std::string_view name() const override { return "console"; }
  absl::Status Register(ModuleContext& context) override;

 private:
  std::optional<StaticFiles> files_;
};

}  // namespace tf::console
