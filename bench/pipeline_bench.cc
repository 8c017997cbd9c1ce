// In-process cost of the request path without sockets: route matching (in a small table and in
// trustd's whole table, as docs/api/openapi.yaml lists it), the full middleware pipeline for a
// public route, and problem+json rendering. Complements bench/http/run.sh, which
// measures the whole server against nginx.
//   build/bench/bench_pipeline --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>

#include "core/metrics.h"
#include "core/rng.h"
#include "http/middlewares.h"
#include "http/pipeline.h"
#include "http/problem.h"

namespace tf::http {
namespace {

class NoCredentials final : public Authenticator {
 public:
  absl::StatusOr<std::optional<Principal>> Authenticate(const Request&) override {
    return std::optional<Principal>();
  }
};

Router MakeRouter() {
  Router router;
  router.Add({"GET", "/health", Access::Public(),
              [](RequestContext&) -> absl::StatusOr<Response> {
                return Response::Text(200, R"({"status":"ok"})", "application/json");  // as trustd's
              }});
  for (const char* p : {"/api/users", "/api/users/{id}", "/api/tenants", "/api/tenants/{id}", "/api/auth/tokens"}) {
    router.Add({"GET", p, Access::Requires(Permission::kUsersRead),
                [](RequestContext&) -> absl::StatusOr<Response> { return Response::NoContent(); }});
  }
  return router;
}

//! Every operation of docs/api/openapi.yaml (the routes trustd registers; a test keeps the two
//! equal), as a route.
Router TrustdRouter() {
  Router router;
  std::ifstream spec(TF_SOURCE_DIR "/docs/api/openapi.yaml");
  std::string line, path;
  while (std::getline(spec, line)) {
    if (line.size() > 3 && line.rfind("  /", 0) == 0 && line.back() == ':') path = line.substr(2, line.size() - 3);
    for (const char* method : {"get", "post", "put", "patch", "delete"}) {
      if (!path.empty() && line == std::string("    ") + method + ":") {
        std::string upper;
        for (const char* c = method; *c; ++c) upper.push_back(static_cast<char>(*c - 'a' + 'A'));
        router.Add({upper, path, Access::Requires(Permission::kUsersRead),
                    [](RequestContext&) -> absl::StatusOr<Response> { return Response::NoContent(); }});
      }
    }
  }
  if (router.routes().size() < 50) std::abort();  // the spec was not found or not understood
  return router;
}

void BM_RouterMatch(benchmark::State& state) {
  Router router = MakeRouter();
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.Match("GET", "/api/users/0190a5e0-0000-7000-8000-000000000001"));
  }
}
BENCHMARK(BM_RouterMatch);

void BM_RouterMatchTrustd(benchmark::State& state) {
  Router router = TrustdRouter();
  const char* path = state.range(0) == 0 ? "/health" : "/api/users/0190a5e0-0000-7000-8000-000000000001";
  for (auto _ : state) benchmark::DoNotOptimize(router.Match("GET", path));
  state.SetLabel(path);
}
BENCHMARK(BM_RouterMatchTrustd)->Arg(0)->Arg(1);

void BM_PipelineHealth(benchmark::State& state) {
  Router router = MakeRouter();
  metrics::Registry registry;
  NoCredentials auth;
  Pipeline pipeline(router, FastRng::Instance());
  pipeline.Use(std::make_unique<MetricsMiddleware>(registry));
  pipeline.Use(std::make_unique<AccessLogMiddleware>(false));
  pipeline.Use(std::make_unique<LimitsMiddleware>());
  pipeline.Use(std::make_unique<AuthenticationMiddleware>(auth));
  pipeline.Use(std::make_unique<TenantMiddleware>());
  pipeline.Use(std::make_unique<PermissionMiddleware>());
  for (auto _ : state) {
    Request request;
    request.method = "GET";
    request.target = request.path = "/health";
    request.headers.Add("Host", "127.0.0.1");
    benchmark::DoNotOptimize(pipeline.Dispatch(std::move(request)));
  }
}
BENCHMARK(BM_PipelineHealth);

void BM_ProblemResponse(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ProblemResponse(absl::NotFoundError("user not found"), "/api/users/x", "abc"));
  }
}
BENCHMARK(BM_ProblemResponse);

}  // namespace
}  // namespace tf::http
