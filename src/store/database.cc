#include "store/database.h"
#include "core/strings.h"

#include <charconv>
#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace tf::store {

bool Row::IsNull(size_t i) const { return std::holds_alternative<std::nullptr_t>(values_.at(i)); }

int64_t Row::Int(size_t i) const {
  const Value& v = values_.at(i);
  if (auto* p = std::get_if<int64_t>(&v)) return *p;
  if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    std::from_chars(s->data(), s->data() + s->size(), out);
    return out;
  }
  return 0;
}

double Row::Double(size_t i) const {
  const Value& v = values_.at(i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (auto* s = std::get_if<std::string>(&v)) return std::strtod(s->c_str(), nullptr);
  return 0;
}

std::string Row::Text(size_t i) const {
  const Value& v = values_.at(i);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* b = std::get_if<Bytes>(&v)) return b->data;
  if (auto* p = std::get_if<int64_t>(&v)) return StrCat(*p);
  if (auto* d = std::get_if<double>(&v)) return StrCat(*d);
  return "";
}

std::optional<int64_t> Row::OptInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::optional<std::string> Row::OptText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

absl::StatusOr<Row> Transaction::QueryOne(std::string_view sql, const Params& params,
                                          std::string_view what) {
  auto rows = Query(sql, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError(StrCat(what, " not found"));
  return std::move(rows->front());
}

namespace {
constexpr std::string_view kSerializationPayload = "tf.store/serialization-failure";
}  // namespace

absl::Status SerializationFailure(std::string_view message) {
  absl::Status status = absl::AbortedError(Sv(message));
  status.SetPayload(Sv(kSerializationPayload), absl::Cord("1"));
  return status;
}

bool IsSerializationFailure(const absl::Status& status) {
  return absl::IsAborted(status) && status.GetPayload(Sv(kSerializationPayload)).has_value();
}

void BackoffBeforeRetry(int attempt) {
  // Full jitter over 2, 4, 8, ... 128 ms so competing transactions spread out.
  thread_local std::minstd_rand rng(std::random_device{}());
  int cap_us = 1000 << std::min(attempt, 7);
  std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, cap_us)(rng)));
}

}  // namespace tf::store
