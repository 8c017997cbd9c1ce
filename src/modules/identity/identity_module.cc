#include "modules/identity/identity_module.h"

#include "core/log.h"
#include "core/status.h"
#include "modules/identity/account_routes.h"
#include "modules/identity/identity_routes.h"

namespace tf::identity {

IdentityOptions IdentityOptionsFrom(const Config& config) {
  IdentityOptions o;
  o.session_idle_timeout = std::chrono::seconds(config.auth.session_idle_timeout_s);
  o.session_absolute_lifetime = std::chrono::seconds(config.auth.session_absolute_lifetime_s);
  o.delay_after_failures = config.auth.login_delay_after_failures;
  o.lock_after_failures = config.auth.login_lock_after_failures;
  o.api_token_max_lifetime_days = config.auth.api_token_max_lifetime_days;
  return o;
}

absl::Status IdentityModule::Register(ModuleContext& context) {
  if (context.audit == nullptr) return absl::FailedPreconditionError("the audit module must be registered first");
  if (context.personal_data == nullptr) {
    return absl::FailedPreconditionError("the secrets module must be registered before identity");
  }
  IdentityOptions options = IdentityOptionsFrom(context.config);
  service_ = std::make_unique<IdentityService>(context.db, context.clock, context.rng, options, *context.audit,
                                               *context.personal_data);
  // Before anything is served: erasures the database does not reflect yet are finished (a
  // restored backup may predate them), then people's data written before sealing is sealed.
  TF_ASSIGN_OR_RETURN(int64_t completed, service_->CompleteErasures());
  if (completed > 0) log::Info("completed erasures the database did not reflect", {{"users", completed}});
  TF_ASSIGN_OR_RETURN(int64_t sealed, service_->SealPersonalData());
  if (sealed > 0) log::Info("sealed personal data written before sealing existed", {{"rows", sealed}});
  TF_RETURN_IF_ERROR(context.scheduler.Every("identity.complete_erasures", std::chrono::hours(1), [this]() -> absl::Status {
    return service_->CompleteErasures().status();
  }));
  CookieOptions cookies;
  cookies.secure = !context.config.server.tls_cert_file.empty();
  cookies.max_age = options.session_absolute_lifetime;
  RegisterIdentityRoutes(context.router, *service_, cookies);
  accounts_ =
      std::make_unique<AccountService>(context.db, context.clock, context.rng, options, "Trust Fabric", *context.audit,
                                       *context.personal_data);
  RegisterAccountRoutes(context.router, *accounts_);
  context.authenticator = this;
  context.identity = service_.get();
  // Ended sessions are kept a week for investigations, then deleted; so are expired sign-ins.
  return context.scheduler.Every("identity.purge_ended_sessions", std::chrono::hours(1), [this]() -> absl::Status {
    auto purged = service_->PurgeEndedSessions(std::chrono::hours(24 * 7));
    if (!purged.ok()) return purged.status();
    if (*purged > 0) log::Info("purged ended sessions", {{"count", *purged}});
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<Principal>> IdentityModule::Authenticate(const http::Request& request) {
  std::optional<Credential> credential = CredentialFrom(request);
  if (!credential) return std::optional<Principal>();
  auto principal = service_->Authenticate(*credential);
  if (!principal.ok()) return principal.status();
  return std::optional<Principal>(std::move(*principal));
}

}  // namespace tf::identity
