// http::Server over real loopback sockets: keep-alive, header and body limits, malformed
// requests, slow clients, the connection cap and graceful shutdown.
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/strings.h"
#include "http/message.h"
#include "http/problem.h"
#include "support/http_client.h"

namespace tf::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using tf::testing::HttpResult;

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

//! One client connection that can send in pieces and read several responses (the support
//! client reads one response per connection).
class RawConn {
 public:
  explicit RawConn(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConn() {
    if (fd_ >= 0) close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  //! One response (Content-Length framing, none means no body); status 0 when the connection
  //! closed or the time ran out first.
  HttpResult ReadResponse(int timeout_ms = 5000) {
    auto deadline = Clock::now() + milliseconds(timeout_ms);
    for (;;) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        HttpResult head = tf::testing::ParseResponse(buf_.substr(0, end + 4));
        size_t length = 0;
        if (!absl::SimpleAtoi(head.Header("Content-Length"), &length)) length = 0;
        if (buf_.size() >= end + 4 + length) {
          HttpResult r = tf::testing::ParseResponse(buf_.substr(0, end + 4 + length));
          buf_.erase(0, end + 4 + length);
          return r;
        }
      }
      if (!Fill(deadline)) return {};
    }
  }

  //! Everything that arrives until the peer closes or the time runs out.
  std::string ReadAll(int timeout_ms) {
    auto deadline = Clock::now() + milliseconds(timeout_ms);
    while (Fill(deadline)) {
    }
    std::string out = std::move(buf_);
    buf_.clear();
    return out;
  }

  //! True when the server closes the connection (EOF or reset) within `timeout_ms`.
  bool WaitForClose(int timeout_ms) {
    auto deadline = Clock::now() + milliseconds(timeout_ms);
    while (Fill(deadline)) {
    }
    return closed_;
  }

 private:
  //! One recv into buf_; false on close, error or deadline.
  bool Fill(Clock::time_point deadline) {
    if (fd_ < 0 || closed_) return false;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buf_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool closed_ = false;
  std::string buf_;
};

std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return StrCat("GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\n", extra_headers, "\r\n");
}

std::string Post(std::string_view target, std::string_view body, std::string_view extra_headers = "") {
  return StrCat("POST ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ",
                body.size(), "\r\n", extra_headers, "\r\n", body);
}

struct Seen {
  std::string method, path, target, body, remote;
  std::multimap<std::string, std::string> query;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerOptions Options() {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.io_threads = 1;
    o.worker_threads = 2;
    return o;
  }

  //! Echoes what it saw; "/slow" sleeps 300 ms first; "/big?bytes=N" answers N bytes.
  Response Dispatch(Request request) {
    if (request.path == "/big") {
      size_t bytes = std::stoul(request.QueryParam("bytes").value_or("0"));
      std::string body(bytes, 'x');
      for (size_t i = 0; i < bytes; i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
      return Response::Text(200, std::move(body), "text/plain");
    }
    if (request.path == "/slow") {
      slow_started_.fetch_add(1);
      std::this_thread::sleep_for(milliseconds(300));
    }
    {
      std::lock_guard lock(mu_);
      seen_.push_back({request.method, request.path, request.target, request.body, request.remote_addr,
                       request.query});
    }
    return Response::Json(200, {{"path", request.path}, {"body_bytes", request.body.size()}});
  }

  void StartServer(ServerOptions o, Server::BodyLimitFn body_limit = nullptr) {
    uint64_t default_limit = o.body_limit_bytes;
    if (!body_limit) body_limit = [default_limit](std::string_view, std::string_view) { return default_limit; };
    server_ = std::make_unique<Server>(
        o, [this](Request r) { return Dispatch(std::move(r)); }, std::move(body_limit));
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_NE(server_->port(), 0);
  }

  uint16_t port() const { return server_->port(); }

  size_t SeenCount() {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

  bool WaitFor(const std::function<bool()>& cond, int timeout_ms = 3000) {
    auto deadline = Clock::now() + milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return cond();
  }

  void TearDown() override {
    if (server_) server_->Shutdown(milliseconds(2000));
  }

  std::unique_ptr<Server> server_;
  std::mutex mu_;
  std::atomic<int> slow_started_{0};
  std::vector<Seen> seen_;
};

// ---------------------------------------------------------------------------------------------
// Basics

TEST_F(ServerTest, ServesARequestAndPassesItsParts) {
  StartServer(Options());
  HttpResult r = tf::testing::HttpClient(port()).Send("POST", "/api/it%65ms?a=1&a=2&b=x+y", R"({"k":1})",
                                                       {{"Content-Type", "application/json"}, {"X-Custom", "v"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["path"], "/api/items");
  ASSERT_EQ(SeenCount(), 1u);
  const Seen& s = seen_[0];
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.target, "/api/it%65ms?a=1&a=2&b=x+y");
  EXPECT_EQ(s.path, "/api/items");
  EXPECT_EQ(s.query.count("a"), 2u);
  EXPECT_EQ(s.query.find("b")->second, "x y");
  EXPECT_EQ(s.body, R"({"k":1})");
  EXPECT_EQ(s.remote, "127.0.0.1");
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer(Options());
  RawConn c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/one")));
  HttpResult a = c.ReadResponse();
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.Json()["path"], "/one");
  EXPECT_FALSE(absl::EqualsIgnoreCase(a.Header("Connection"), "close"));
  EXPECT_EQ(server_->Stats().connections, 1);
  ASSERT_TRUE(c.Send(Get("/two")));
  HttpResult b = c.ReadResponse();
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(b.Json()["path"], "/two");
  EXPECT_EQ(server_->Stats().connections, 1);
  EXPECT_EQ(SeenCount(), 2u);
}

TEST_F(ServerTest, ResponsesOfAnySizeFollowEachOtherOnOneConnection) {
  // A connection writes every response from one buffer, released after a large one.
  StartServer(Options());
  RawConn c(port());
  ASSERT_TRUE(c.connected());
  for (size_t bytes : {size_t{10}, size_t{300000}, size_t{20}, size_t{70000}, size_t{300000}, size_t{0}}) {
    ASSERT_TRUE(c.Send(Get("/big?bytes=" + std::to_string(bytes))));
    HttpResult r = c.ReadResponse();
    ASSERT_EQ(r.status, 200) << bytes;
    ASSERT_EQ(r.body.size(), bytes);
    for (size_t i = 0; i < bytes; i += 4096) {
      ASSERT_EQ(r.body[i], static_cast<char>('a' + (i / 4096) % 26)) << "byte " << i << " of " << bytes;
    }
  }
  EXPECT_EQ(server_->Stats().connections, 1);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer(Options());
  RawConn c(port());
  ASSERT_TRUE(c.Send(Get("/first") + Post("/second", "{}") + Get("/third")));
  for (const char* path : {"/first", "/second", "/third"}) {
    HttpResult r = c.ReadResponse();
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.Json()["path"], path);
  }
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  StartServer(Options());
  RawConn c(port());
  ASSERT_TRUE(c.Send(Get("/bye", "Connection: close\r\n")));
  HttpResult r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(absl::EqualsIgnoreCase(r.Header("Connection"), "close"));
  EXPECT_TRUE(c.WaitForClose(2000));
}

TEST_F(ServerTest, Http10ClosesAfterTheAnswer) {
  StartServer(Options());
  RawConn c(port());
  ASSERT_TRUE(c.Send("GET /old HTTP/1.0\r\n\r\n"));
  std::string raw = c.ReadAll(2000);
  EXPECT_TRUE(absl::StartsWith(raw, "HTTP/1.1 200")) << raw;
  EXPECT_TRUE(c.WaitForClose(100));
}

TEST_F(ServerTest, Expect100ContinueGetsAnInterimAnswer) {
  StartServer(Options());
  RawConn c(port());
  ASSERT_TRUE(c.Send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                     "Expect: 100-continue\r\n\r\n"));
  HttpResult cont = c.ReadResponse(2000);
  EXPECT_EQ(cont.status, 100);
  ASSERT_TRUE(c.Send("{}"));
  HttpResult r = c.ReadResponse(2000);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["body_bytes"], 2);
}

// ---------------------------------------------------------------------------------------------
// Limits and malformed input

TEST_F(ServerTest, HeaderOver16KiBIs431) {
  StartServer(Options());
  tf::testing::HttpClient client(port());
  HttpResult ok = client.SendRaw(Get("/h", "X-Big: " + std::string(15 * 1024, 'a') + "\r\n"), 3000);
  EXPECT_EQ(ok.status, 200) << "15 KiB fits";
  HttpResult r = client.SendRaw(Get("/h", "X-Big: " + std::string(17 * 1024, 'a') + "\r\n"), 3000);
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.Json()["type"], "/problems/headers-too-large");
  EXPECT_EQ(SeenCount(), 1u);
}

TEST_F(ServerTest, ManySmallHeadersOverTheLimitAre431) {
  StartServer(Options());
  std::string headers;
  for (int i = 0; i < 450; ++i) headers += "X-H" + std::to_string(i) + ": " + std::string(30, 'v') + "\r\n";
  HttpResult r = tf::testing::HttpClient(port()).SendRaw(Get("/h", headers), 3000);
  EXPECT_EQ(r.status, 431);
}

TEST_F(ServerTest, ContentLengthOverTheRouteLimitIs413WithoutReadingTheBody) {
  ServerOptions o = Options();
  o.body_timeout = milliseconds(30000);
  StartServer(o, [](std::string_view, std::string_view) -> uint64_t { return 1024; });
  RawConn c(port());
  auto start = Clock::now();
  // Announce 64 KiB (over the route's 1 KiB, under the 1 MiB server default) and send none of
  // it: the answer must not wait for the body.
  ASSERT_TRUE(c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 65536\r\n\r\n"));
  HttpResult r = c.ReadResponse(3000);
  EXPECT_EQ(r.status, 413);
  EXPECT_LT(MsSince(start), 3000);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.Json()["type"], "/problems/payload-too-large");
  EXPECT_NE(r.Json()["detail"].get<std::string>().find("1024"), std::string::npos) << r.body;
  EXPECT_TRUE(c.WaitForClose(2000));
  EXPECT_EQ(SeenCount(), 0u);
}

// A Content-Length over the server default is 413, not a parse error.
TEST_F(ServerTest, ContentLengthOverTheServerDefaultIs413) {
  ServerOptions o = Options();
  o.body_limit_bytes = 1024;
  o.body_timeout = milliseconds(30000);
  StartServer(o);
  RawConn c(port());
  ASSERT_TRUE(c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 10485760\r\n\r\n"));
  HttpResult r = c.ReadResponse(3000);
  EXPECT_EQ(r.status, 413) << r.body;
  tf::testing::HttpClient client(port());
  EXPECT_EQ(client.Send("POST", "/x", std::string(1024, 'a'), {{"Content-Type", "application/json"}}).status, 200);
  EXPECT_EQ(client.Send("POST", "/x", std::string(1025, 'a'), {{"Content-Type", "application/json"}}).status, 413);
}

// Same bug as above, second consequence: a per-route limit above the server default is not
// honoured for Content-Length bodies. Input: default 1024, route limit 1 MiB, a 2000-byte body
// with Content-Length. Expected: 200. Actual: 400 "malformed HTTP request".
TEST_F(ServerTest, RouteLimitAboveTheServerDefaultIsHonoured) {
  ServerOptions o = Options();
  o.body_limit_bytes = 1024;
  StartServer(o, [](std::string_view, std::string_view path) -> uint64_t {
    return path == "/upload" ? 1024 * 1024 : 1024;
  });
  tf::testing::HttpClient client(port());
  HttpResult r = client.Send("POST", "/upload", std::string(2000, 'a'), {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ServerTest, ChunkedBodyGetsARouteLimitAboveTheServerDefault) {
  ServerOptions o = Options();
  o.body_limit_bytes = 16;
  StartServer(o, [](std::string_view, std::string_view) -> uint64_t { return 64; });
  std::string chunk(20, 'c');
  HttpResult r = tf::testing::HttpClient(port()).SendRaw(
      "POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "14\r\n" + chunk + "\r\n14\r\n" + chunk + "\r\n0\r\n\r\n",
      3000);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["body_bytes"], 40);
}

TEST_F(ServerTest, PerRouteBodyLimit) {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> asked;
  StartServer(Options(), [&](std::string_view method, std::string_view path) -> uint64_t {
    std::lock_guard lock(mu);
    asked.emplace_back(std::string(method), std::string(path));
    return path == "/small" ? 10 : 1024 * 1024;
  });
  tf::testing::HttpClient client(port());
  EXPECT_EQ(client.Send("POST", "/small", std::string(10, 'a')).status, 200);
  EXPECT_EQ(client.Send("POST", "/small", std::string(11, 'a')).status, 413);
  EXPECT_EQ(client.Send("POST", "/big", std::string(11, 'a')).status, 200);
  EXPECT_EQ(client.Send("PUT", "/sm%61ll?x=1", std::string(11, 'a')).status, 413) << "decoded path, no query";
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(asked.size(), 4u);
    EXPECT_EQ(asked[3], (std::pair<std::string, std::string>{"PUT", "/small"}));
  }
  // A chunked body has no Content-Length: the limit stops it while reading.
  HttpResult chunked = client.SendRaw(
      "POST /small HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
      3000);
  EXPECT_EQ(chunked.status, 413);
  HttpResult small_chunked = client.SendRaw(
      "POST /small HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\n1234\r\n0\r\n\r\n",
      3000);
  EXPECT_EQ(small_chunked.status, 200);
  EXPECT_EQ(small_chunked.Json()["body_bytes"], 4);
}

TEST_F(ServerTest, MalformedRequestIs400) {
  StartServer(Options());
  tf::testing::HttpClient client(port());
  for (const char* raw : {"GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET / FTP/1.1\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
                          "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nNo Colon\r\n\r\n",
                          "GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
                          "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                          "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"}) {
    HttpResult r = client.SendRaw(raw, 3000);
    EXPECT_EQ(r.status, 400) << absl::CEscape(raw);
  }
  EXPECT_EQ(SeenCount(), 0u);
}

//! True when `r` carries every header of kSecurityHeaderLines with its value.
::testing::AssertionResult HasSecurityHeaders(const HttpResult& r) {
  for (absl::string_view line : absl::StrSplit(Sv(kSecurityHeaderLines), "\r\n", absl::SkipEmpty())) {
    std::pair<std::string, std::string> field = absl::StrSplit(line, absl::MaxSplits(": ", 1));
    if (r.Header(field.first) != field.second) {
      return ::testing::AssertionFailure() << field.first << ": \"" << r.Header(field.first) << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

TEST_F(ServerTest, SecurityHeadersOnEveryAnswer) {
  StartServer(Options());
  tf::testing::HttpClient client(port());
  HttpResult served = client.Get("/api/items");
  EXPECT_EQ(served.status, 200);
  EXPECT_TRUE(HasSecurityHeaders(served));
  HttpResult refused = client.SendRaw("GARBAGE\r\n\r\n", 3000);  // answered before any handler
  EXPECT_EQ(refused.status, 400);
  EXPECT_TRUE(HasSecurityHeaders(refused));
}

TEST_F(ServerTest, InvalidTargetIs400) {
  StartServer(Options());
  tf::testing::HttpClient client(port());
  for (const char* target : {"/%zz", "/a%", "/%00", "/%C0%AF", "/?q=%ED%A0%80", "http://example.com/", "*"}) {
    HttpResult r = client.SendRaw(Get(target), 3000);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << target;
  }
  EXPECT_EQ(SeenCount(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Slow clients and the connection cap

TEST_F(ServerTest, SlowHeaderIsDisconnectedAfterHeaderTimeout) {
  ServerOptions o = Options();
  o.header_timeout = milliseconds(200);
  StartServer(o);
  RawConn c(port());
  auto start = Clock::now();
  ASSERT_TRUE(c.Send("GET /slowloris HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: "));
  EXPECT_TRUE(c.WaitForClose(5000));
  int64_t ms = MsSince(start);
  EXPECT_GE(ms, 150);
  EXPECT_LT(ms, 3000);
  EXPECT_EQ(SeenCount(), 0u);
}

TEST_F(ServerTest, SilentClientIsDisconnectedAfterHeaderTimeout) {
  ServerOptions o = Options();
  o.header_timeout = milliseconds(200);
  StartServer(o);
  RawConn c(port());
  ASSERT_TRUE(c.connected());
  EXPECT_TRUE(c.WaitForClose(5000));
  EXPECT_TRUE(WaitFor([&] { return server_->Stats().connections == 0; }));
}

TEST_F(ServerTest, TricklingHeaderStillHitsTheHeaderTimeout) {
  ServerOptions o = Options();
  o.header_timeout = milliseconds(200);
  StartServer(o);
  RawConn c(port());
  auto start = Clock::now();
  // One byte every 50 ms: each read makes progress, but the whole header must arrive in time.
  std::string req = Get("/trickle");
  bool closed = false;
  for (char ch : req) {
    if (!c.Send(std::string(1, ch))) break;
    if (c.WaitForClose(50)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed || c.WaitForClose(2000));
  EXPECT_LT(MsSince(start), 3000);
  EXPECT_EQ(SeenCount(), 0u);
}

// The header timeout guards every request on a kept-alive connection, not only the first;
// an idle keep-alive connection may wait for idle_timeout.
TEST_F(ServerTest, HeaderTimeoutAlsoGuardsKeptAliveConnections) {
  ServerOptions o = Options();
  o.header_timeout = milliseconds(200);
  o.idle_timeout = milliseconds(3000);
  StartServer(o);
  RawConn c(port());
  ASSERT_TRUE(c.Send(Get("/first")));
  ASSERT_EQ(c.ReadResponse().status, 200);
  auto start = Clock::now();
  ASSERT_TRUE(c.Send("GET /second HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: "));
  EXPECT_TRUE(c.WaitForClose(1500)) << "still open after 1.5 s";
  EXPECT_LT(MsSince(start), 1500);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  ServerOptions o = Options();
  o.idle_timeout = milliseconds(200);
  StartServer(o);
  RawConn c(port());
  ASSERT_TRUE(c.Send(Get("/once")));
  ASSERT_EQ(c.ReadResponse().status, 200);
  EXPECT_TRUE(c.WaitForClose(3000));
}

TEST_F(ServerTest, MaxConnectionsIsEnforced) {
  ServerOptions o = Options();
  o.max_connections = 2;
  StartServer(o);
  RawConn c1(port()), c2(port());
  ASSERT_TRUE(c1.Send(Get("/c1")));
  ASSERT_EQ(c1.ReadResponse().status, 200);
  ASSERT_TRUE(c2.Send(Get("/c2")));
  ASSERT_EQ(c2.ReadResponse().status, 200);
  EXPECT_EQ(server_->Stats().connections, 2);

  RawConn c3(port());
  if (c3.connected()) {
    c3.Send(Get("/c3"));  // may fail: the server closes at once
    EXPECT_EQ(c3.ReadResponse(2000).status, 0) << "the third connection is closed unanswered";
    EXPECT_TRUE(c3.WaitForClose(2000));
  }
  EXPECT_EQ(SeenCount(), 2u);

  // Room again once one closes.
  c1.Close();
  EXPECT_TRUE(WaitFor([&] { return server_->Stats().connections <= 1; }));
  RawConn c4(port());
  ASSERT_TRUE(c4.Send(Get("/c4")));
  EXPECT_EQ(c4.ReadResponse().status, 200);
}

// ---------------------------------------------------------------------------------------------
// Graceful shutdown

TEST_F(ServerTest, ShutdownRefusesNewConnectionsAndClosesIdleOnes) {
  StartServer(Options());
  uint16_t p = port();

  RawConn idle(p);  // kept alive and idle: closed by the shutdown
  ASSERT_TRUE(idle.Send(Get("/warm")));
  ASSERT_EQ(idle.ReadResponse().status, 200);

  std::thread client([&] {
    RawConn c(p);
    if (c.Send(Get("/slow"))) c.ReadResponse(3000);
  });
  // Waits for the handler itself: in_flight may still count a previous request whose answer
  // the client has read before the server's write completion ran.
  ASSERT_TRUE(WaitFor([&] { return slow_started_.load() == 1; }));
  std::thread stopper([&] { server_->Shutdown(milliseconds(1000)); });

  // The idle connection closing shows the shutdown has begun (the acceptor's close was posted
  // before it, on the same io_context).
  EXPECT_TRUE(idle.WaitForClose(1000)) << "idle connections are closed at once";
  EXPECT_EQ(server_->Stats().in_flight, 1) << "while /slow is still running";

  // From then on new connections are refused (or closed unanswered).
  bool refused = false;
  auto deadline = Clock::now() + milliseconds(200);
  while (!refused && Clock::now() < deadline) {
    RawConn late(p);
    if (!late.connected()) {
      refused = true;
    } else {
      late.Send(Get("/late"));
      refused = late.ReadResponse(200).status == 0;
    }
  }
  EXPECT_TRUE(refused);
  RawConn late(p);
  if (late.connected()) {
    late.Send(Get("/late"));
    EXPECT_EQ(late.ReadResponse(500).status, 0);
  }
  client.join();
  stopper.join();
  {
    std::lock_guard lock(mu_);
    for (const Seen& s : seen_) EXPECT_NE(s.path, "/late");
  }
  RawConn after(p);
  EXPECT_FALSE(after.connected()) << "nothing listens after Shutdown";
  server_.reset();
}

// Regression test: the in-flight request runs on the worker pool, and only a work guard keeps
// its io_context running once Shutdown has closed the acceptor and the idle connections;
// without one the I/O thread exits, the handler's answer is never written and Shutdown waits
// out the whole grace period (seen on the working tree before Impl::keep_running was added).
TEST_F(ServerTest, GracefulShutdownFinishesTheInFlightRequest) {
  StartServer(Options());
  uint16_t p = port();
  HttpResult slow_result;
  bool slow_closed = false;
  std::thread client([&] {
    RawConn c(p);
    if (!c.Send(Get("/slow"))) return;
    slow_result = c.ReadResponse(6000);
    slow_closed = c.WaitForClose(2000);
  });
  // Waits for the handler itself: in_flight may still count a previous request whose answer
  // the client has read before the server's write completion ran.
  ASSERT_TRUE(WaitFor([&] { return slow_started_.load() == 1; }));
  auto shutdown_start = Clock::now();
  std::atomic<int64_t> shutdown_ms{-1};
  std::thread stopper([&] {
    server_->Shutdown(milliseconds(5000));
    shutdown_ms = MsSince(shutdown_start);
  });
  client.join();
  stopper.join();
  EXPECT_EQ(slow_result.status, 200);
  if (slow_result.status == 200) {
    EXPECT_EQ(slow_result.Json()["path"], "/slow");
  }
  EXPECT_TRUE(absl::EqualsIgnoreCase(slow_result.Header("Connection"), "close"));
  EXPECT_TRUE(slow_closed);
  EXPECT_GE(shutdown_ms.load(), 100) << "Shutdown waited for the handler";
  EXPECT_LT(shutdown_ms.load(), 4000) << "and returned once it was done, before the grace period";
}

TEST_F(ServerTest, ShutdownWithoutConnectionsIsQuickAndIdempotent) {
  StartServer(Options());
  auto start = Clock::now();
  server_->Shutdown(milliseconds(5000));
  EXPECT_LT(MsSince(start), 1000);
  server_->Shutdown(milliseconds(5000));
  EXPECT_EQ(server_->Stats().connections, 0);
}

TEST_F(ServerTest, StartFailsOnABadAddress) {
  ServerOptions o = Options();
  o.host = "not-an-ip";
  Server s(o, [](Request) { return Response::NoContent(); }, [](std::string_view, std::string_view) { return 0; });
  absl::Status st = s.Start();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
}

TEST_F(ServerTest, StartFailsOnAPortInUse) {
  StartServer(Options());
  ServerOptions o = Options();
  o.port = port();
  Server s(o, [](Request) { return Response::NoContent(); }, [](std::string_view, std::string_view) { return 0; });
  absl::Status st = s.Start();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
}

// Answers to HEAD carry the headers but no body.
TEST_F(ServerTest, HeadResponsesHaveNoBody) {
  StartServer(Options());
  RawConn c(port());
  ASSERT_TRUE(c.Send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n" + Get("/x", "Connection: close\r\n")));
  std::string raw = c.ReadAll(2000);
  size_t end = raw.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << raw;
  EXPECT_TRUE(absl::StartsWith(raw.substr(end + 4), "HTTP/1.1 200")) << raw;
}

TEST_F(ServerTest, NoContentAnswersCarryNoBody) {
  ServerOptions o = Options();
  server_ = std::make_unique<Server>(
      o,
      [](Request request) {
        Response r;
        r.status = request.path == "/nc" ? 204 : 200;
        r.body = "body";
        return r;
      },
      Server::BodyLimitFn([](std::string_view, std::string_view) -> uint64_t { return 1024; }));
  ASSERT_TRUE(server_->Start().ok());
  RawConn c(port());
  ASSERT_TRUE(c.Send(Get("/nc") + Get("/after")));
  HttpResult nc = c.ReadResponse();
  EXPECT_EQ(nc.status, 204);
  EXPECT_EQ(nc.Header("Content-Length"), "");
  HttpResult after = c.ReadResponse();
  EXPECT_EQ(after.status, 200) << "the 204 left no stray bytes on the connection";
  EXPECT_EQ(after.body, "body");
}

// ---------------------------------------------------------------------------------------------
// Streamed bodies

//! A server whose "/stream?n=N" answers N lines of 1 KiB through Response::stream; "/fail"
//! fails after the first lines; everything else is a small answer.
class StreamServerTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(
        Options(),
        [this](Request request) {
          Response r;
          if (request.path != "/stream" && request.path != "/fail") return Response::Text(200, "small");
          int lines = 0;
          if (!absl::SimpleAtoi(request.QueryParam("n").value_or("0"), &lines)) lines = 0;
          bool fail = request.path == "/fail";
          r.headers.Add("Content-Type", "text/plain");
          r.stream = [this, lines, fail](BodyWriter& out) -> absl::Status {
            for (int i = 0; i < lines; ++i) {
              if (fail && i == 100) return absl::InternalError("the producer failed");
              if (!out.Write(StrCat(absl::Dec(i, absl::kZeroPad6), std::string(1017, 'x'), "\n"))) {
                stopped_early_ = true;
                return absl::OkStatus();
              }
              produced_ = i + 1;
            }
            return absl::OkStatus();
          };
          return r;
        },
        Server::BodyLimitFn([](std::string_view, std::string_view) -> uint64_t { return 1024; }));
    ASSERT_TRUE(server_->Start().ok());
  }

  std::atomic<int> produced_{0};
  std::atomic<bool> stopped_early_{false};
};

TEST_F(StreamServerTest, AStreamedBodyArrivesWholeInChunks) {
  HttpResult r = tf::testing::HttpClient(port()).Get("/stream?n=5000");  // 5 MB, many chunks
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r.Header("Content-Length"), "");
  EXPECT_TRUE(r.complete);
  ASSERT_EQ(r.body.size(), 5000u * 1024u);
  EXPECT_EQ(r.body.substr(4999 * 1024, 6), "004999");
}

TEST_F(StreamServerTest, AStreamedBodyCarriesTheSecurityHeaders) {
  HttpResult r = tf::testing::HttpClient(port()).Get("/stream?n=2");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(HasSecurityHeaders(r));
}

TEST_F(StreamServerTest, TheConnectionIsKeptAliveAfterAStreamedBody) {
  RawConn c(port());
  ASSERT_TRUE(c.Send(Get("/stream?n=3") + Get("/after", "Connection: close\r\n")));
  std::string raw = c.ReadAll(3000);
  EXPECT_TRUE(absl::StrContains(raw, "\r\n0\r\n\r\nHTTP/1.1 200")) << "the last chunk, then the next answer";
  EXPECT_TRUE(absl::EndsWith(raw, "small"));
}

TEST_F(StreamServerTest, AFailingProducerCutsTheBodyShort) {
  HttpResult r = tf::testing::HttpClient(port()).Get("/fail?n=1000");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.complete) << "no last chunk: the client can tell the body is not whole";
  EXPECT_LT(r.body.size(), 1000u * 1024u);
}

TEST_F(StreamServerTest, AClientThatLeavesStopsTheProducer) {
  {
    RawConn c(port());
    ASSERT_TRUE(c.Send(Get("/stream?n=1000000")));  // 1 GB if it ran to the end
    ASSERT_TRUE(WaitFor([&] { return produced_ > 0; }));
  }
  ASSERT_TRUE(WaitFor([&] { return stopped_early_.load(); }, 5000));
  EXPECT_LT(produced_, 1000000);
}

TEST_F(StreamServerTest, HeadSendsTheHeaderWithoutRunningTheProducer) {
  RawConn c(port());
  ASSERT_TRUE(c.Send("HEAD /stream?n=10 HTTP/1.1\r\nHost: x\r\n\r\n" + Get("/x", "Connection: close\r\n")));
  std::string raw = c.ReadAll(2000);
  size_t end = raw.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << raw;
  EXPECT_TRUE(absl::StartsWith(raw.substr(end + 4), "HTTP/1.1 200")) << raw;
  EXPECT_EQ(produced_, 0);
}

// Regression test: with one io_context per I/O thread, an io_context without work returns from
// run() at once, so connections handed to it round-robin were never served (seen on the
// working tree before Impl::keep_running was added).
TEST_F(ServerTest, ServesConnectionsOnEveryIoThread) {
  ServerOptions o = Options();
  o.io_threads = 3;
  StartServer(o);
  for (int i = 0; i < 6; ++i) {
    RawConn c(port());
    ASSERT_TRUE(c.Send(Get("/n" + std::to_string(i))));
    EXPECT_EQ(c.ReadResponse(3000).status, 200) << "connection " << i;
  }
}

}  // namespace
}  // namespace tf::http
