#include "store/postgres/pg_sql.h"
#include "core/strings.h"

#include <libpq-fe.h>


namespace tf::store {

std::string RewritePlaceholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      // A literal or quoted identifier runs to the matching quote; a doubled quote inside it
      // closes and reopens it, which this loop handles as two quotes.
      size_t end = sql.find(c, i + 1);
      if (end == std::string_view::npos) end = sql.size() - 1;
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size() - 1;
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() - 1 : end + 1;
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '?') {
      StrAppend(&out, "$", next++);
    } else {
      out.push_back(c);
    }
  }
  if (count) *count = next - 1;
  return out;
}

std::string BeginStatement(const TxOptions& options,
                           const std::function<std::string(std::string_view)>& literal) {
  std::string out = "BEGIN ISOLATION LEVEL ";
  switch (options.isolation) {
    case Isolation::kReadCommitted: out += "READ COMMITTED"; break;
    case Isolation::kRepeatableRead: out += "REPEATABLE READ"; break;
    case Isolation::kSerializable: out += "SERIALIZABLE"; break;
  }
  out += options.mode == TxMode::kRead ? " READ ONLY; " : " READ WRITE; ";
  if (options.lazy_commit) out += "SET LOCAL synchronous_commit = off; ";
  if (options.tenant_id.empty()) {
    out += "SET LOCAL app.scope = 'platform'; SET LOCAL app.tenant_id = ''";
  } else {
    StrAppend(&out, "SET LOCAL app.scope = 'tenant'; SET LOCAL app.tenant_id = ", literal(options.tenant_id));
  }
  return out;
}

std::string DescribePostgresUrl(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (err) PQfreemem(err);
  if (opts == nullptr) return "postgresql://(unparsable URL)";
  std::string user, host, port, dbname;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    std::string_view k = o->keyword;
    if (k == "user") user = o->val;
    else if (k == "host") host = o->val;
    else if (k == "hostaddr" && host.empty()) host = o->val;
    else if (k == "port") port = o->val;
    else if (k == "dbname") dbname = o->val;
  }
  PQconninfoFree(opts);
  std::string out = "postgresql://";
  if (!user.empty()) StrAppend(&out, user, "@");
  out += host.empty() ? "localhost" : host;
  if (!port.empty()) StrAppend(&out, ":", port);
  if (!dbname.empty()) StrAppend(&out, "/", dbname);
  return out;
}

}  // namespace tf::store
