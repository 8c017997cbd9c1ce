#include "modules/security/grant_cache.h"

#include <algorithm>

#include "core/log.h"
#include "core/strings.h"

namespace tf::security {

absl::Status GrantCache::Refresh() {
  std::lock_guard<std::mutex> one(refresh_mu_);
  return Load(clock_.NowMicros());
}

absl::Status GrantCache::Load(int64_t now) {
  absl::StatusOr<std::vector<AccessRequest>> active = loader_(now);
  std::lock_guard<std::mutex> lock(mu_);
  loaded_at_ = now;  // a failed load is tried again a second later, not on every request
  if (!active.ok()) return active.status();
  by_user_.clear();
  for (const AccessRequest& r : *active) {
    if (r.expires_at) by_user_[r.requester].push_back({r.id, r.role, *r.expires_at});
  }
  return absl::OkStatus();
}

std::vector<GrantCache::Grant> GrantCache::For(const std::string& user_id) {
  int64_t now = clock_.NowMicros();
  auto stale = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    return now - loaded_at_ >= kMaxAgeMicros;
  };
  if (stale()) {
    // One caller reloads; the others go on with what is there.
    std::unique_lock<std::mutex> one(refresh_mu_, std::try_to_lock);
    if (one.owns_lock() && stale()) {
      if (absl::Status s = Load(now); !s.ok()) log::Warn("access grants not reloaded", {{"error", s.ToString()}});
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Grant> out;
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return out;
  for (const Grant& g : it->second) {
    if (g.expires_at > now) out.push_back(g);
  }
  return out;
}

absl::StatusOr<std::optional<Principal>> GrantingAuthenticator::Authenticate(const http::Request& request) {
  absl::StatusOr<std::optional<Principal>> p = inner_.Authenticate(request);
  if (!p.ok() || !p->has_value() || (*p)->kind != Principal::Kind::kSession) return p;
  Principal& principal = **p;
  for (const GrantCache::Grant& g : grants_.For(principal.user_id)) {
    std::optional<Role> role = ParseRole(g.role);
    if (!role) continue;
    if (std::find(principal.roles.begin(), principal.roles.end(), *role) == principal.roles.end()) {
      principal.roles.push_back(*role);
    }
    principal.permissions |= PermissionsOf(*role);
    StrAppend(&principal.via, principal.via.empty() ? "jit:" : ",", g.request_id);
  }
  return p;
}

}  // namespace tf::security
