#pragma once
// Wiring of the identity domain: repo + service, the request authenticator, routes.
// Thread-safety: see Module.

#include <memory>

#include "modules/identity/identity_service.h"
#include "modules/module.h"

namespace tf::identity {

class IdentityModule final : public Module, public http::Authenticator {
 public:
  std::string_view name() const override { return "identity"; }
  absl::Status Register(ModuleContext& context) override;
  absl::StatusOr<std::optional<Principal>> Authenticate(const http::Request& request) override;

  IdentityService& service() { return *service_; }

 private:
  std::unique_ptr<IdentityService> service_;
};

//! Service options from the [auth] configuration.
IdentityOptions IdentityOptionsFrom(const Config& config);

}  // namespace tf::identity
