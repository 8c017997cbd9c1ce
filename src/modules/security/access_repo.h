#pragma once
// Persistence of access requests through store::Database only. Tenant scope comes from the
// service.
// Thread-safety: stateless; each call runs in the caller's transaction.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "modules/security/access_types.h"
#include "store/database.h"

namespace tf::security {

class AccessRepo {
 public:
  using Tx = store::Transaction;

  absl::Status Insert(Tx& tx, const AccessRequest& r);
  //! `tenant_scope` nullopt: any tenant.
  absl::StatusOr<AccessRequest> Get(Tx& tx, const std::optional<std::string>& tenant_scope, const std::string& id);
  //! Newest first.
  absl::StatusOr<std::vector<AccessRequest>> List(Tx& tx, const AccessFilter& f);
  //! Writes the decision and end fields if the request is still `expected_status`; false when
  //! another change came first.
  absl::StatusOr<bool> Update(Tx& tx, const AccessRequest& r, std::string_view expected_status);
  //! The user's pending or in-force requests for `role`.
  absl::StatusOr<std::vector<AccessRequest>> Open(Tx& tx, const std::string& requester, const std::string& role,
                                                  int64_t now);
  //! Every grant in force at `now`, of every tenant.
  absl::StatusOr<std::vector<AccessRequest>> ActiveGrants(Tx& tx, int64_t now);
  //! Approved requests whose time ran out by `now`, and pending ones created before `lapse_before`.
  absl::StatusOr<std::vector<AccessRequest>> Ended(Tx& tx, int64_t now, int64_t lapse_before, int limit);

  //! Inserts the review and its items.
  absl::Status InsertReview(Tx& tx, const AccessReview& r);
  //! The review with its items (by user id).
  absl::StatusOr<AccessReview> GetReview(Tx& tx, const std::optional<std::string>& tenant_scope, const std::string& id);
  //! Newest first, without items.
  absl::StatusOr<std::vector<AccessReview>> ListReviews(Tx& tx, const std::optional<std::string>& tenant_id,
                                                        const std::optional<std::string>& before_id, int limit);
  //! Records an undecided item's decision; false when it was decided meanwhile.
  absl::StatusOr<bool> DecideItem(Tx& tx, const std::string& review_id, const ReviewItem& item);
  //! Completes an open review; false when it was completed meanwhile.
  absl::StatusOr<bool> CompleteReview(Tx& tx, const AccessReview& r);
};

}  // namespace tf::security
