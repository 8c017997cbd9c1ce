#pragma once
// Wiring of the identity domain: repos + services (sign-in and users; account security), the
// request authenticator, routes and the purge job.
// Thread-safety: see Module.

#include <memory>

#include "modules/identity/account_service.h"
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
  std::unique_ptr<AccountService> accounts_;
};

//! Service options from the [auth] configuration.
IdentityOptions IdentityOptionsFrom(const Config& config);

}  // namespace tf::identity
