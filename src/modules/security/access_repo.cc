#include "modules/security/access_repo.h"

#include "core/status.h"
#include "core/strings.h"
#include "store/where.h"

namespace tf::security {

namespace {

using store::OptInt;
using store::OptText;

constexpr std::string_view kColumns =
    "id, tenant_id, requester, role, duration_minutes, reason, status, decided_by, decided_at, decision_note, "
    "granted_at, expires_at, ended_at, ended_by, created_at, updated_at";

AccessRequest FromRow(const store::Row& r) {
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

}  // namespace

absl::Status AccessRepo::Insert(Tx& tx, const AccessRequest& a) {
  return tx.Exec(StrCat("INSERT INTO access_requests (", kColumns,
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
                      store::SelectRows(tx, kColumns, "access_requests", where, "", FromRow));
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
  return store::SelectRows(tx, kColumns, "access_requests", where, store::OrderByIdLimit(f.limit, true), FromRow);
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
  return store::SelectRows(tx, kColumns, "access_requests", where, "", FromRow);
}

absl::StatusOr<std::vector<AccessRequest>> AccessRepo::ActiveGrants(Tx& tx, int64_t now) {
  store::Where where;
  where.Add("status = 'approved' AND expires_at > ?", now);
  return store::SelectRows(tx, kColumns, "access_requests", where, " ORDER BY id", FromRow);
}

absl::StatusOr<std::vector<AccessRequest>> AccessRepo::Ended(Tx& tx, int64_t now, int64_t lapse_before, int limit) {
  store::Where where{" WHERE (status = 'approved' AND expires_at <= ?) OR (status = 'pending' AND created_at < ?)",
                     {now, lapse_before}};
  return store::SelectRows(tx, kColumns, "access_requests", where, StrCat(" ORDER BY id LIMIT ", limit), FromRow);
}

}  // namespace tf::security
