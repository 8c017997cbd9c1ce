#include "modules/console/console_module.h"

#include "core/log.h"

namespace tf::console {

absl::Status ConsoleModule::Register(ModuleContext& context) {
  const std::string& dir = context.config.server.console_dir;
  if (dir.empty()) return absl::OkStatus();
  auto files = StaticFiles::Load(dir);
  if (!files.ok()) {
    // The API works without the console; say why / answers 404.
    log::Warn("the web console is not served", {{"console_dir", dir}, {"reason", std::string(files.status().message())}});
    return absl::OkStatus();
  }
  files_ = std::move(*files);
  log::Info("serving the web console", {{"console_dir", dir},
                                         {"files", static_cast<int64_t>(files_->file_count())},
                                         {"bytes", static_cast<int64_t>(files_->total_bytes())}});
  http::Route route;
  route.method = "GET";
  route.pattern = "/{console}";
  route.access = Access::Public();
  route.non_blocking = true;  // answered from memory
  route.handler = [this](http::RequestContext& ctx) -> absl::StatusOr<http::Response> {
    return files_->Serve(ctx.request.path, ctx.request.headers.Get("If-None-Match").value_or(""));
  };
  context.router.SetFallback(std::move(route));
  return absl::OkStatus();
}

}  // namespace tf::console
