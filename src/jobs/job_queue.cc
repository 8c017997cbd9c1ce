#include "jobs/job_queue.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include "absl/strings/str_join.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/strings.h"

namespace tf::jobs {

namespace {

//! Claims and completions: conditional updates that re-check their row, correct at READ
//! COMMITTED and free of serialization failures between workers; deadlocks are retried.
store::TxOptions QueueTx() { return store::WriteTx().At(store::Isolation::kReadCommitted).Retryable(); }

using store::Params;
using store::Row;
using store::Rows;
using store::Transaction;

constexpr int kMaxAttemptsLimit = 1000;
constexpr size_t kMaxKindBytes = 200;
constexpr size_t kMaxKeyBytes = 500;
//! Due jobs looked at per claim round; contention for one of them moves on to the next.
constexpr int kClaimCandidates = 8;
//! Expired leases reclaimed per RunDue call.
constexpr int kReclaimBatch = 100;

constexpr char kRecordColumns[] =
    "id, tenant_id, kind, payload, idempotency_key, state, attempts, max_attempts, run_at, "
    "lease_owner, lease_expires_at, last_error, created_at, updated_at, finished_at";

int64_t ToMicros(SysTime t) { return t.time_since_epoch().count(); }

std::optional<SysTime> OptTime(const Row& row, size_t i) {
  std::optional<int64_t> v = row.OptInt(i);
  if (!v) return std::nullopt;
  return FromUnixMicros(*v);
}

//! Length of the valid UTF-8 sequence at s[i], or 0 when it is not valid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t len = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

//! Makes an error message safe for a TEXT column in any engine (valid UTF-8, no NUL) and cuts
//! it to at most JobQueue::kMaxErrorBytes bytes, ending in "...", without splitting a character.
std::string SanitizeError(std::string_view in) {
  std::string out;
  out.reserve(std::min(in.size(), JobQueue::kMaxErrorBytes));
  size_t i = 0;
  while (i < in.size() && out.size() <= JobQueue::kMaxErrorBytes) {
    size_t len = Utf8SequenceLength(in, i);
    if (len == 0 || in[i] == '\0') {
      out.push_back('?');
      i += 1;
    } else {
      out.append(in.substr(i, len));
      i += len;
    }
  }
  if (out.size() <= JobQueue::kMaxErrorBytes && i == in.size()) return out;
  constexpr std::string_view kEllipsis = "...";
  size_t cut = JobQueue::kMaxErrorBytes - kEllipsis.size();
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  out.append(kEllipsis);
  return out;
}

std::string DescribeError(const absl::Status& status) {
  return StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

absl::Status RunHandler(const JobQueue::Handler& handler, const Job& job) {
  try {
    return handler(job);
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("handler threw an exception: ", e.what()));
  } catch (...) {
    return absl::InternalError("handler threw a non-standard exception");
  }
}

nlohmann::json ParsePayload(const std::string& text, bool* ok) {
  nlohmann::json payload = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  *ok = !payload.is_discarded();
  if (!*ok) return nlohmann::json();
  return payload;
}

absl::StatusOr<JobRecord> RecordFromRow(const Row& row) {
  JobRecord r;
  r.id = row.Text(0);
  r.tenant_id = row.Text(1);
  r.kind = row.Text(2);
  bool payload_ok = false;
  r.payload = ParsePayload(row.Text(3), &payload_ok);
  if (!payload_ok) r.payload = row.Text(3);  // show what is stored rather than fail the listing
  r.idempotency_key = row.OptText(4);
  std::optional<JobState> state = ParseJobState(row.Text(5));
  if (!state) {
    return absl::InternalError(StrCat("job ", r.id, " has unknown state \"", row.Text(5), "\""));
  }
  r.state = *state;
  r.attempts = static_cast<int>(row.Int(6));
  r.max_attempts = static_cast<int>(row.Int(7));
  r.run_at = FromUnixMicros(row.Int(8));
  r.lease_owner = row.OptText(9);
  r.lease_expires_at = OptTime(row, 10);
  r.last_error = row.OptText(11);
  r.created_at = FromUnixMicros(row.Int(12));
  r.updated_at = FromUnixMicros(row.Int(13));
  r.finished_at = OptTime(row, 14);
  return r;
}

//! A claimed attempt: the job, and whether its stored payload parsed.
struct Claimed {
  Job job;
  bool payload_ok = true;
};

//! Reads columns id, tenant_id, kind, payload, idempotency_key, attempts, max_attempts.
Claimed ClaimedFromRow(const Row& row) {
  Claimed c;
  c.job.id = row.Text(0);
  c.job.tenant_id = row.Text(1);
  c.job.kind = row.Text(2);
  c.job.payload = ParsePayload(row.Text(3), &c.payload_ok);
  c.job.idempotency_key = row.OptText(4);
  c.job.attempt = static_cast<int>(row.Int(5)) + 1;
  c.job.max_attempts = static_cast<int>(row.Int(6));
  return c;
}

}  // namespace

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kDead: return "dead";
  }
  return "unknown";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded, JobState::kDead}) {
    if (JobStateName(s) == name) return s;
  }
  return std::nullopt;
}

JobQueue::JobQueue(store::Database& db, const Clock& clock, Rng& rng, std::string worker_id,
                   JobQueueOptions options)
    : db_(db),
      clock_(clock),
      rng_(rng),
      worker_id_(worker_id.empty() ? NewUuidV7(clock, rng) : std::move(worker_id)),
      options_(std::move(options)) {
  JobQueueOptions defaults;
  if (options_.lease_duration.count() <= 0) options_.lease_duration = defaults.lease_duration;
  if (options_.backoff_base.count() <= 0) options_.backoff_base = defaults.backoff_base;
  if (options_.backoff_cap.count() <= 0) options_.backoff_cap = defaults.backoff_cap;
  options_.backoff_cap = std::max(options_.backoff_cap, options_.backoff_base);
}

absl::StatusOr<std::string> JobQueue::Enqueue(Transaction& tx, const JobSpec& spec) {
  if (spec.kind.empty() || spec.kind.size() > kMaxKindBytes) {
    return absl::InvalidArgumentError(
        StrCat("a job kind must be 1 to ", kMaxKindBytes, " bytes"));
  }
  if (spec.max_attempts < 1 || spec.max_attempts > kMaxAttemptsLimit) {
    return absl::InvalidArgumentError(StrCat("max_attempts of a ", spec.kind,
                                                   " job must be 1 to ", kMaxAttemptsLimit,
                                                   ", got ", spec.max_attempts));
  }
  if (spec.idempotency_key &&
      (spec.idempotency_key->empty() || spec.idempotency_key->size() > kMaxKeyBytes)) {
    return absl::InvalidArgumentError(
        StrCat("an idempotency key must be 1 to ", kMaxKeyBytes, " bytes"));
  }
  std::string payload;
  try {
    payload = spec.payload.dump();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        StrCat("the payload of a ", spec.kind, " job cannot be encoded: ", e.what()));
  }
  if (payload.size() > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(StrCat("the payload of a ", spec.kind, " job is ",
                                                   payload.size(), " bytes; the limit is ",
                                                   kMaxPayloadBytes));
  }
  const int64_t now = clock_.NowMicros();
  const int64_t run_at = spec.run_at ? ToMicros(*spec.run_at) : now;
  std::string id = NewUuidV7(clock_, rng_);
  Params params = {id,
                   spec.tenant_id,
                   spec.kind,
                   payload,
                   store::OptText(spec.idempotency_key),
                   int64_t{spec.max_attempts},
                   run_at,
                   now,
                   now};
  if (!spec.idempotency_key) {
    TF_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO jobs (id, tenant_id, kind, payload, idempotency_key, state, attempts, "
                "max_attempts, run_at, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)",
                params)
            .status());
    return id;
  }
  // ON CONFLICT DO NOTHING (SQLite 3.24+, PostgreSQL 9.5+) rather than check-then-insert, so a
  // concurrent enqueue with the same key neither fails nor aborts the caller's transaction.
  TF_ASSIGN_OR_RETURN(
      int64_t inserted,
      tx.Exec("INSERT INTO jobs (id, tenant_id, kind, payload, idempotency_key, state, attempts, "
              "max_attempts, run_at, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?) "
              "ON CONFLICT (idempotency_key) DO NOTHING",
              params));
  if (inserted == 1) return id;
  TF_ASSIGN_OR_RETURN(Row existing,
                      tx.QueryOne("SELECT id, kind, tenant_id FROM jobs WHERE idempotency_key = ?",
                                  {*spec.idempotency_key}, "job with this idempotency key"));
  if (existing.Text(1) != spec.kind || existing.Text(2) != spec.tenant_id) {
    return absl::AlreadyExistsError(StrCat(
        "idempotency key \"", *spec.idempotency_key, "\" is already used by a job of kind ",
        existing.Text(1), (existing.Text(2) != spec.tenant_id ? " for another tenant" : "")));
  }
  return existing.Text(0);
}

absl::Status JobQueue::RegisterHandler(std::string kind, Handler handler) {
  if (kind.empty()) return absl::InvalidArgumentError("a job handler needs a kind");
  if (!handler) {
    return absl::InvalidArgumentError(StrCat("the handler for ", kind, " jobs is empty"));
  }
  std::lock_guard lock(handlers_mu_);
  auto [it, inserted] =
      handlers_.try_emplace(std::move(kind), std::make_shared<const Handler>(std::move(handler)));
  if (!inserted) {
    return absl::AlreadyExistsError(
        StrCat("a handler for ", it->first, " jobs is already registered"));
  }
  return absl::OkStatus();
}

std::chrono::microseconds JobQueue::BackoffCeiling(int failures, std::chrono::microseconds base,
                                                   std::chrono::microseconds cap) {
  int exponent = std::clamp(failures - 1, 0, 62);
  double ceiling = static_cast<double>(base.count()) * std::ldexp(1.0, exponent);
  if (ceiling >= static_cast<double>(cap.count())) return cap;
  return std::chrono::microseconds(static_cast<int64_t>(ceiling));
}

std::chrono::microseconds JobQueue::Backoff(int failures) {
  auto ceiling = BackoffCeiling(failures, options_.backoff_base, options_.backoff_cap);
  auto delay = static_cast<int64_t>(rng_.Uniform() * static_cast<double>(ceiling.count()));
  return std::chrono::microseconds(std::max<int64_t>(delay, 1));
}

void JobQueue::ReportFailure(const Job& job, const absl::Status& error,
                             std::optional<JobState> next, std::optional<SysTime> retry_at) const {
  if (options_.on_failure) options_.on_failure(JobFailure{job, error, next, retry_at});
}

absl::StatusOr<int> JobQueue::RunDue(int max_jobs) {
  if (max_jobs < 1) return absl::InvalidArgumentError("RunDue needs max_jobs >= 1");
  // One notion of "now" for the whole call, so a job that fails and is rescheduled during
  // this call is not picked up again by it.
  const SysTime due_at = clock_.Now();
  std::vector<std::string> kinds;
  std::map<std::string, std::shared_ptr<const Handler>, std::less<>> handlers;
  {
    std::lock_guard lock(handlers_mu_);
    handlers = handlers_;
  }
  for (const auto& [kind, handler] : handlers) kinds.push_back(kind);

  int ran = 0;
  for (int i = 0; i < max_jobs; ++i) {
    TF_ASSIGN_OR_RETURN(std::optional<Job> job, ClaimOne(due_at, kinds, /*reclaim=*/i == 0));
    if (!job) break;
    absl::Status result;
    if (job->payload.is_discarded()) {
      result = absl::DataLossError("the stored payload is not valid JSON");
    } else {
      result = RunHandler(*handlers.find(job->kind)->second, *job);
    }
    ++ran;
    TF_RETURN_IF_ERROR(Complete(*job, result));
  }
  return ran;
}

absl::Status JobQueue::ReclaimExpired(Transaction& tx, SysTime due_at, std::vector<Job>* reclaimed,
                                      std::vector<JobState>* next_states) {
  const int64_t now = ToMicros(due_at);
  TF_ASSIGN_OR_RETURN(
      Rows rows,
      tx.Query("SELECT id, tenant_id, kind, payload, idempotency_key, attempts, max_attempts, "
               "lease_owner FROM jobs WHERE state = 'running' AND lease_expires_at <= ? "
               "ORDER BY lease_expires_at, id LIMIT ?",
               {now, int64_t{kReclaimBatch}}));
  for (const Row& row : rows) {
    Claimed c = ClaimedFromRow(row);
    const int64_t failures = c.job.attempt;
    const bool dead = failures >= c.job.max_attempts;
    std::string error = SanitizeError(StrCat("attempt ", failures, " on worker ",
                                                    row.Text(7),
                                                    ": ABORTED: the lease expired before the job "
                                                    "finished (worker stopped or handler too slow)"));
    int64_t changed = 0;
    if (dead) {
      TF_ASSIGN_OR_RETURN(
          changed,
          tx.Exec("UPDATE jobs SET state = 'dead', attempts = ?, last_error = ?, lease_owner = NULL, "
                  "lease_expires_at = NULL, finished_at = ?, updated_at = ? "
                  "WHERE id = ? AND state = 'running' AND attempts = ? AND lease_expires_at <= ?",
                  {failures, error, now, now, c.job.id, failures - 1, now}));
    } else {
      TF_ASSIGN_OR_RETURN(
          changed,
          tx.Exec("UPDATE jobs SET state = 'queued', attempts = ?, last_error = ?, run_at = ?, "
                  "lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
                  "WHERE id = ? AND state = 'running' AND attempts = ? AND lease_expires_at <= ?",
                  {failures, error, now, now, c.job.id, failures - 1, now}));
    }
    if (changed == 1) {
      reclaimed->push_back(std::move(c.job));
      next_states->push_back(dead ? JobState::kDead : JobState::kQueued);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Job>> JobQueue::ClaimOne(SysTime due_at,
                                                      const std::vector<std::string>& kinds,
                                                      bool reclaim) {
  if (kinds.empty() && !reclaim) return std::optional<Job>();
  std::vector<Job> reclaimed;
  std::vector<JobState> reclaimed_states;
  const int64_t due = ToMicros(due_at);
  std::string select = StrCat(
      "SELECT id, tenant_id, kind, payload, idempotency_key, attempts, max_attempts FROM jobs "
      "WHERE state = 'queued' AND run_at <= ? AND kind IN (",
      absl::StrJoin(std::vector<std::string>(kinds.size(), "?"), ", "),
      ") ORDER BY run_at, id LIMIT ?");
  Params select_params;
  select_params.emplace_back(due);
  for (const std::string& kind : kinds) select_params.emplace_back(kind);
  select_params.emplace_back(int64_t{kClaimCandidates});

  auto claimed = db_.InTx(QueueTx(), [&](Transaction& tx) -> absl::StatusOr<std::optional<Job>> {
    reclaimed.clear();
    reclaimed_states.clear();
    if (reclaim) TF_RETURN_IF_ERROR(ReclaimExpired(tx, due_at, &reclaimed, &reclaimed_states));
    if (kinds.empty()) return std::optional<Job>();
    // Under PostgreSQL's READ COMMITTED another worker may take every candidate between our
    // SELECT and UPDATE; each round's SELECT then sees their commits, so try a few rounds.
    for (int round = 0; round < 4; ++round) {
      TF_ASSIGN_OR_RETURN(Rows rows, tx.Query(select, select_params));
      if (rows.empty()) return std::optional<Job>();
      for (const Row& row : rows) {
        Claimed c = ClaimedFromRow(row);
        const int64_t now = clock_.NowMicros();
        const int64_t lease_expires_at = now + options_.lease_duration.count();
        TF_ASSIGN_OR_RETURN(
            int64_t changed,
            tx.Exec("UPDATE jobs SET state = 'running', lease_owner = ?, lease_expires_at = ?, "
                    "updated_at = ? WHERE id = ? AND state = 'queued' AND attempts = ? AND run_at <= ?",
                    {worker_id_, lease_expires_at, now, c.job.id, int64_t{c.job.attempt - 1}, due}));
        if (changed != 1) continue;
        if (!c.payload_ok) c.job.payload = nlohmann::json(nlohmann::json::value_t::discarded);
        return std::optional<Job>(std::move(c.job));
      }
    }
    return std::optional<Job>();
  });
  if (claimed.ok()) {
    for (size_t i = 0; i < reclaimed.size(); ++i) {
      ReportFailure(reclaimed[i],
                    absl::AbortedError("the lease expired before the job finished"),
                    reclaimed_states[i],
                    reclaimed_states[i] == JobState::kQueued ? std::optional<SysTime>(due_at)
                                                             : std::nullopt);
    }
  }
  return claimed;
}

absl::Status JobQueue::Complete(const Job& job, const absl::Status& result) {
  const int64_t now = clock_.NowMicros();
  const int64_t attempts_before = job.attempt - 1;
  if (result.ok()) {
    TF_ASSIGN_OR_RETURN(
        int64_t changed,
        db_.InTx(QueueTx(), [&](Transaction& tx) {
          return tx.Exec("UPDATE jobs SET state = 'succeeded', lease_owner = NULL, "
                         "lease_expires_at = NULL, finished_at = ?, updated_at = ? "
                         "WHERE id = ? AND state = 'running' AND lease_owner = ? AND attempts = ?",
                         {now, now, job.id, worker_id_, attempts_before});
        }));
    if (changed != 1) {
      ReportFailure(job,
                    absl::AbortedError("the job succeeded but this worker no longer held its "
                                       "lease; it will run again"),
                    std::nullopt, std::nullopt);
    }
    return absl::OkStatus();
  }
  const int64_t failures = job.attempt;
  const bool dead = failures >= job.max_attempts;
  std::string error = SanitizeError(StrCat("attempt ", failures, " on worker ", worker_id_,
                                                  ": ", DescribeError(result)));
  std::optional<SysTime> retry_at;
  TF_ASSIGN_OR_RETURN(
      int64_t changed, db_.InTx(QueueTx(), [&](Transaction& tx) -> absl::StatusOr<int64_t> {
        if (dead) {
          return tx.Exec(
              "UPDATE jobs SET state = 'dead', attempts = ?, last_error = ?, lease_owner = NULL, "
              "lease_expires_at = NULL, finished_at = ?, updated_at = ? "
              "WHERE id = ? AND state = 'running' AND lease_owner = ? AND attempts = ?",
              {failures, error, now, now, job.id, worker_id_, attempts_before});
        }
        retry_at = FromUnixMicros(now) + Backoff(static_cast<int>(failures));
        return tx.Exec(
            "UPDATE jobs SET state = 'queued', attempts = ?, last_error = ?, run_at = ?, "
            "lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
            "WHERE id = ? AND state = 'running' AND lease_owner = ? AND attempts = ?",
            {failures, error, ToMicros(*retry_at), now, job.id, worker_id_, attempts_before});
      }));
  if (changed != 1) {
    ReportFailure(job, result, std::nullopt, std::nullopt);
  } else {
    ReportFailure(job, result, dead ? JobState::kDead : JobState::kQueued, retry_at);
  }
  return absl::OkStatus();
}

absl::StatusOr<QueueStats> JobQueue::Stats() {
  const int64_t now = clock_.NowMicros();
  return db_.InTx(store::ReadTx(), [&](Transaction& tx) -> absl::StatusOr<QueueStats> {
    QueueStats stats;
    TF_ASSIGN_OR_RETURN(Rows by_state, tx.Query("SELECT state, COUNT(*) FROM jobs GROUP BY state"));
    for (const Row& row : by_state) {
      std::optional<JobState> state = ParseJobState(row.Text(0));
      if (!state) continue;
      switch (*state) {
        case JobState::kQueued: stats.queued = row.Int(1); break;
        case JobState::kRunning: stats.running = row.Int(1); break;
        case JobState::kSucceeded: stats.succeeded = row.Int(1); break;
        case JobState::kDead: stats.dead = row.Int(1); break;
      }
    }
    TF_ASSIGN_OR_RETURN(
        Row due, tx.QueryOne("SELECT COUNT(*), MIN(run_at) FROM jobs WHERE state = 'queued' AND run_at <= ?",
                             {now}, "due jobs"));
    stats.due = due.Int(0);
    if (std::optional<int64_t> oldest = due.OptInt(1)) {
      stats.oldest_due_age_seconds = static_cast<double>(now - *oldest) / 1e6;
    }
    return stats;
  });
}

absl::StatusOr<JobPage> JobQueue::ListJobs(std::optional<JobState> state, int limit,
                                           std::string_view cursor) {
  if (limit < 1 || limit > kMaxListLimit) {
    return absl::InvalidArgumentError(
        StrCat("limit must be 1 to ", kMaxListLimit, ", got ", limit));
  }
  if (!cursor.empty() && !IsUuid(cursor)) return absl::InvalidArgumentError("invalid cursor");
  std::string sql = StrCat("SELECT ", kRecordColumns, " FROM jobs");
  std::vector<std::string> where;
  Params params;
  if (state) {
    where.push_back("state = ?");
    params.emplace_back(std::string(JobStateName(*state)));
  }
  if (!cursor.empty()) {
    where.push_back("id > ?");
    params.emplace_back(std::string(cursor));
  }
  if (!where.empty()) StrAppend(&sql, " WHERE ", absl::StrJoin(where, " AND "));
  StrAppend(&sql, " ORDER BY id LIMIT ?");
  params.emplace_back(int64_t{limit} + 1);
  return db_.InTx(store::ReadTx().ReplicaOk(), [&](Transaction& tx) -> absl::StatusOr<JobPage> {
    TF_ASSIGN_OR_RETURN(Rows rows, tx.Query(sql, params));
    JobPage page;
    for (const Row& row : rows) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.next_cursor = page.items.back().id;
        break;
      }
      TF_ASSIGN_OR_RETURN(JobRecord record, RecordFromRow(row));
      page.items.push_back(std::move(record));
    }
    return page;
  });
}

absl::StatusOr<JobRecord> JobQueue::GetJob(std::string_view id) {
  return db_.InTx(store::ReadTx(), [&](Transaction& tx) -> absl::StatusOr<JobRecord> {
    TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kRecordColumns,
                                                          " FROM jobs WHERE id = ?"),
                                             {std::string(id)}, StrCat("job ", id)));
    return RecordFromRow(row);
  });
}

absl::Status JobQueue::Retry(std::string_view id) {
  return db_.InTx(store::WriteTx(), [&](Transaction& tx) { return Retry(tx, id); });
}

absl::Status JobQueue::Retry(Transaction& tx, std::string_view id) {
  const int64_t now = clock_.NowMicros();
  TF_ASSIGN_OR_RETURN(
      int64_t changed,
      tx.Exec("UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?, lease_owner = NULL, "
              "lease_expires_at = NULL, finished_at = NULL, updated_at = ? "
              "WHERE id = ? AND state = 'dead'",
              {now, now, std::string(id)}));
  if (changed == 1) return absl::OkStatus();
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT state FROM jobs WHERE id = ?", {std::string(id)},
                                           StrCat("job ", id)));
  return absl::FailedPreconditionError(
      StrCat("job ", id, " is ", row.Text(0), "; only dead jobs can be retried"));
}

absl::StatusOr<int64_t> JobQueue::PurgeSucceeded(SysTime finished_before) {
  return db_.InTx(store::WriteTx(), [&](Transaction& tx) {
    return tx.Exec("DELETE FROM jobs WHERE state = 'succeeded' AND finished_at < ?",
                   {ToMicros(finished_before)});
  });
}

}  // namespace tf::jobs
