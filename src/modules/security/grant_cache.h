#pragma once
// GrantCache: the just-in-time grants in force, by user, held in memory so that adding them to
// a signed-in user's roles rarely costs a query; and GrantingAuthenticator, which wraps the
// identity module's authenticator and does that for sessions (API tokens never gain grants).
// The cache is loaded at start-up, reloads itself when a lookup finds it older than a second
// (one caller reloads; the others read what is there), and at once after each change made on
// this instance. A
// grant stops counting at its expiry exactly; one approved or revoked on another instance
// sharing the database counts from the next reload.
// Thread-safety: safe from any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "http/middlewares.h"
#include "modules/security/access_types.h"

namespace tf::security {

class GrantCache {
 public:
  struct Grant {
    std::string request_id, role;
    int64_t expires_at = 0;
  };
  //! Reads the grants in force at a time.
  using Loader = std::function<absl::StatusOr<std::vector<AccessRequest>>(int64_t now)>;

  GrantCache(const Clock& clock, Loader loader) : clock_(clock), loader_(std::move(loader)) {}
  //! Reloads now (after a change made on this instance).
  absl::Status Refresh();
  //! The user's grants in force now (reloading first when the cache is stale).
  std::vector<Grant> For(const std::string& user_id);

  static constexpr int64_t kMaxAgeMicros = 1'000'000;

 private:
  //! Loads the grants in force at `now`; the caller holds refresh_mu_.
  absl::Status Load(int64_t now);

  const Clock& clock_;
  Loader loader_;
  std::mutex refresh_mu_;  // one reload at a time
  std::mutex mu_;          // by_user_ and loaded_at_
  std::map<std::string, std::vector<Grant>> by_user_;
  int64_t loaded_at_ = INT64_MIN / 2;  // never loaded
};

class GrantingAuthenticator final : public http::Authenticator {
 public:
  GrantingAuthenticator(http::Authenticator& inner, GrantCache& grants) : inner_(inner), grants_(grants) {}
  absl::StatusOr<std::optional<Principal>> Authenticate(const http::Request& request) override;

 private:
  http::Authenticator& inner_;
  GrantCache& grants_;
};

}  // namespace tf::security
