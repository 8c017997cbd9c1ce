#include "modules/security/access_repo.h"

#include "core/status.h"
#include "modules/security/security_repo.h"
#include "core/strings.h"
#include "nlohmann/json.hpp"
#include "store/where.h"

namespace tf::security {

namespace {

using store::OptInt;
using store::OptText;

constexpr std::string_view kRequestColumns =
    "id, tenant_id, requester, role, duration_minutes, reason, status, decided_by, decided_at, decision_note, "
    "granted_at, expires_at, ended_at, ended_by, created_at, updated_at";

AccessRequest RequestFromRow(const store::Row& r) {
  AccessRequest a;
  a.id = r.Text(0);
  a.tenant_id = r.Text(1);
  a.requester = r.Text(2);
  a.role = r.Text(3);
  a.duration_minutes = r.Int(4);
  a.reason = r.Text(5);
  a.status = r.Text(6);
  a.decided_by = r.OptText(7);
  a.decided_at = r.OptInt(8);
  a.decision_note = r.OptText(9);
  a.granted_at = r.OptInt(10);
  a.expires_at = r.OptInt(11);
  a.ended_at = r.OptInt(12);
  a.ended_by = r.OptText(13);
  a.created_at = r.Int(14);
  a.updated_at = r.Int(15);
  return a;
}

constexpr std::string_view kReviewColumns =
    "id, tenant_id, title, status, due_at, created_at, created_by, completed_at, completed_by";

AccessReview ReviewFromRow(const store::Row& r) {
  AccessReview a;
  a.id = r.Text(0);
  a.tenant_id = r.Text(1);
  a.title = r.Text(2);
  a.status = r.Text(3);
  a.due_at = r.OptInt(4);
  a.created_at = r.Int(5);
  a.created_by = r.Text(6);
  a.completed_at = r.OptInt(7);
  a.completed_by = r.OptText(8);
  return a;
}

}  // namespace

absl::Status AccessRepo::Insert(Tx& tx, const AccessRequest& a) {
  return tx.Exec(StrCat("INSERT INTO access_requests (", kRequestColumns,
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {a.id, a.tenant_id, a.requester, a.role, a.duration_minutes, a.reason, a.status, OptText(a.decided_by),
                  OptInt(a.decided_at), OptText(a.decision_note), OptInt(a.granted_at), OptInt(a.expires_at),
                  OptInt(a.ended_at), OptText(a.ended_by), a.created_at, a.updated_at})
      .status();
}

absl::StatusOr<AccessRequest> AccessRepo::Get(Tx& tx, const std::optional<std::string>& tenant_scope,
                                              const std::string& id) {
  store::Where where;
  where.Add("id = ?", id);
  where.AddIf("tenant_id = ?", tenant_scope);
  TF_ASSIGN_OR_RETURN(std::vector<AccessRequest> found,
                      store::SelectRows(tx, kRequestColumns, "access_requests", where, "", RequestFromRow));
  if (found.empty()) return absl::NotFoundError("no such access request");
  return std::move(found.front());
}

absl::StatusOr<std::vector<AccessRequest>> AccessRepo::List(Tx& tx, const AccessFilter& f) {
  store::Where where;
  where.AddIf("tenant_id = ?", f.tenant_id);
  where.AddIf("requester = ?", f.requester);
  where.AddIf("status = ?", f.status);
  where.AddIf("role = ?", f.role);
  where.AddIf("id < ?", f.before_id);
  return store::SelectRows(tx, kRequestColumns, "access_requests", where, store::OrderByIdLimit(f.limit, true),
                           RequestFromRow);
}

absl::StatusOr<bool> AccessRepo::Update(Tx& tx, const AccessRequest& a, std::string_view expected_status) {
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      tx.Exec("UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ?, "
                              "decision_note = ?, granted_at = ?, expires_at = ?, ended_at = ?, ended_by = ?, "
                              "updated_at = ? WHERE id = ? AND tenant_id = ? AND status = ?",
                              {a.status, OptText(a.decided_by), OptInt(a.decided_at), OptText(a.decision_note),
                               OptInt(a.granted_at), OptInt(a.expires_at), OptInt(a.ended_at), OptText(a.ended_by),
                               a.updated_at, a.id, a.tenant_id, std::string(expected_status)}));
  return changed == 1;
}

absl::StatusOr<std::vector<AccessRequest>> AccessRepo::Open(Tx& tx, const std::string& requester,
                                                            const std::string& role, int64_t now) {
  store::Where where;
  where.Add("requester = ?", requester);
  where.Add("role = ?", role);
  where.Add("(status = 'pending' OR (status = 'approved' AND expires_at > ?))", now);
  return store::SelectRows(tx, kRequestColumns, "access_requests", where, "", RequestFromRow);
}

absl::StatusOr<std::vector<AccessRequest>> AccessRepo::ActiveGrants(Tx& tx, int64_t now) {
  store::Where where;
  where.Add("status = 'approved' AND expires_at > ?", now);
  return store::SelectRows(tx, kRequestColumns, "access_requests", where, " ORDER BY id", RequestFromRow);
}

absl::StatusOr<std::vector<AccessRequest>> AccessRepo::Ended(Tx& tx, int64_t now, int64_t lapse_before, int limit) {
  store::Where where{" WHERE (status = 'approved' AND expires_at <= ?) OR (status = 'pending' AND created_at < ?)",
                     {now, lapse_before}};
  return store::SelectRows(tx, kRequestColumns, "access_requests", where, StrCat(" ORDER BY id LIMIT ", limit),
                           RequestFromRow);
}

absl::Status AccessRepo::InsertReview(Tx& tx, const AccessReview& r) {
  TF_RETURN_IF_ERROR(tx.Exec(StrCat("INSERT INTO access_reviews (", kReviewColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                             {r.id, r.tenant_id, r.title, r.status, OptInt(r.due_at), r.created_at, r.created_by,
                              OptInt(r.completed_at), OptText(r.completed_by)})
                         .status());
  for (const ReviewItem& i : r.items) {
    TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO access_review_items (review_id, user_id, tenant_id, roles) "
                               "VALUES (?, ?, ?, ?)",
                               {r.id, i.user_id, r.tenant_id, nlohmann::json(i.roles).dump()})
                           .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<AccessReview> AccessRepo::GetReview(Tx& tx, const std::optional<std::string>& tenant_scope,
                                                   const std::string& id) {
  store::Where where;
  where.Add("id = ?", id);
  where.AddIf("tenant_id = ?", tenant_scope);
  TF_ASSIGN_OR_RETURN(std::vector<AccessReview> found,
                      store::SelectRows(tx, kReviewColumns, "access_reviews", where, "", ReviewFromRow));
  if (found.empty()) return absl::NotFoundError("no such access review");
  AccessReview r = std::move(found.front());
  store::Where items;
  items.Add("review_id = ?", id);
  TF_ASSIGN_OR_RETURN(r.items, store::SelectRows(tx, "user_id, roles, decision, revoked_roles, note, decided_by, "
                                                     "decided_at",
                                                 "access_review_items", items, " ORDER BY user_id",
                                                 [](const store::Row& row) {
                                                   ReviewItem i;
                                                   i.user_id = row.Text(0);
                                                   i.roles = JsonStrings(row.Text(1));
                                                   i.decision = row.OptText(2);
                                                   i.revoked_roles = JsonStrings(row.OptText(3).value_or("[]"));
                                                   i.note = row.OptText(4);
                                                   i.decided_by = row.OptText(5);
                                                   i.decided_at = row.OptInt(6);
                                                   return i;
                                                 }));
  return r;
}

absl::StatusOr<std::vector<AccessReview>> AccessRepo::ListReviews(Tx& tx, const std::optional<std::string>& tenant_id,
                                                                  const std::optional<std::string>& before_id,
                                                                  int limit) {
  store::Where where;
  where.AddIf("tenant_id = ?", tenant_id);
  where.AddIf("id < ?", before_id);
  return store::SelectRows(tx, kReviewColumns, "access_reviews", where, store::OrderByIdLimit(limit, true),
                           ReviewFromRow);
}

absl::StatusOr<bool> AccessRepo::DecideItem(Tx& tx, const std::string& review_id, const ReviewItem& i) {
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      tx.Exec("UPDATE access_review_items SET decision = ?, revoked_roles = ?, note = ?, decided_by = ?, "
                              "decided_at = ? WHERE review_id = ? AND user_id = ? AND decision IS NULL",
                              {OptText(i.decision), nlohmann::json(i.revoked_roles).dump(), OptText(i.note),
                               OptText(i.decided_by), OptInt(i.decided_at), review_id, i.user_id}));
  return changed == 1;
}

absl::StatusOr<bool> AccessRepo::CompleteReview(Tx& tx, const AccessReview& r) {
  TF_ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE access_reviews SET status = 'completed', completed_at = ?, "
                                               "completed_by = ? WHERE id = ? AND status = 'open'",
                                               {OptInt(r.completed_at), OptText(r.completed_by), r.id}));
  return changed == 1;
}

}  // namespace tf::security
