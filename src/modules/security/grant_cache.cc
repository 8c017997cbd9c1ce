#include "modules/security/grant_cache.h"

#include <algorithm>

#include "core/log.h"
#include "core/strings.h"

namespace tf::security {

absl::Status GrantCache::Refresh() {
  std::lock_guard<std::mutex> one(refresh_mu_);
  int64_t now = clock_.NowMicros();
  absl::StatusOr<std::vector<AccessRequest>> active = loader_(now);
  if (!active.ok()) return active.status();
  std::map<std::string, std::vector<Grant>> next;
  for (const AccessRequest& r : *active) {
    if (r.expires_at) next[r.requester].push_back({r.id, r.role, *r.expires_at});
  }
  std::lock_guard<std::mutex> lock(mu_);
  by_user_ = std::move(next);
  loaded_at_ = now;
  loaded_ = true;
  return absl::OkStatus();
}

std::vector<GrantCache::Grant> GrantCache::For(const std::string& user_id) {
  int64_t now = clock_.NowMicros();
  bool stale = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stale = !loaded_ || now - loaded_at_ >= kMaxAgeMicros;
  }
  if (stale) {
    if (absl::Status s = Refresh(); !s.ok()) log::Warn("access grants not reloaded", {{"error", s.ToString()}});
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
