// The only file that compiles Boost.Beast (slow to build): keep it that way.
#include "http/server.h"
#include "core/strings.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/rng.h"
#include "http/problem.h"

namespace tf::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;
constexpr SteadyTime kNoDeadline = SteadyTime::max();

class Session {
 public:
  virtual ~Session() = default;
  //! Closes the connection if it is waiting for a new request (shutdown).
  virtual void CloseIfIdle() = 0;
  //! Cancels the pending operation when its deadline has passed; on the connection's thread.
  virtual void ExpireIfDue(SteadyTime now) = 0;
};

//! The timeouts of one I/O thread's connections. A connection records its deadline as a plain
//! time point (cheap to move on every read and write); one timer per thread sweeps the
//! connections and cancels those past it. This replaces a timer armed and cancelled per
//! operation, which cost more than the rest of a small request's I/O.
//! Thread-safety: used only on its io_context's thread.
class DeadlineSweeper {
 public:
  DeadlineSweeper(net::io_context& ioc, std::chrono::milliseconds period) : timer_(ioc), period_(period) {}

  void Add(std::weak_ptr<Session> session) { sessions_.push_back(std::move(session)); }

  void Start() { Arm(); }

 private:
  void Arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      Sweep();
      Arm();
    });
  }

  void Sweep() {
    SteadyTime now = std::chrono::steady_clock::now();
    size_t kept = 0;
    for (size_t i = 0; i < sessions_.size(); ++i) {
      auto session = sessions_[i].lock();
      if (!session) continue;
      session->ExpireIfDue(now);
      if (kept != i) sessions_[kept] = std::move(sessions_[i]);
      ++kept;
    }
    sessions_.resize(kept);
  }

  net::steady_timer timer_;
  std::chrono::milliseconds period_;
  std::vector<std::weak_ptr<Session>> sessions_;
};

//! What sessions share with the server; outlives the io_context's pending handlers.
struct ServerState {
  ServerOptions options;
  Server::DispatchFn dispatch;
  Server::RoutePolicyFn policy;
  net::thread_pool* workers = nullptr;
  std::atomic<int> connections{0};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::atomic<bool> abort_streams{false};  //!< the grace period is over: streamed bodies stop
  std::mutex mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

  void Unregister(Session* s) {
    std::lock_guard lock(mu);
    sessions.erase(s);
  }
};

bool HasBody(const Response& response) {
  return !(response.status == 204 || response.status == 304 || response.status < 200);
}

//! HTTP/1.1 wire form (the header only, for a streamed body). Header values are the server's own; CR and LF are dropped defensively
//! so no value can split the header block.
void SerializeResponse(const Response& response, bool keep_alive, bool head, std::string& out) {
  out.clear();
  size_t size = 64 + kSecurityHeaderLines.size() + response.body.size();
  for (const auto& [name, value] : response.headers.fields()) size += name.size() + value.size() + 4;
  out.reserve(size);
  auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  StrAppend(&out, "HTTP/1.1 ", response.status, " ", std::string_view(reason.data(), reason.size()), "\r\n");
  for (const auto& [name, value] : response.headers.fields()) {
    out += name;
    out += ": ";
    // Two memchr scans; find_first_of("\r\n") would call memchr once per character.
    if (value.find('\r') == std::string::npos && value.find('\n') == std::string::npos) {
      out += value;
    } else {
      for (char c : value) {
        if (c != '\r' && c != '\n') out.push_back(c);
      }
    }
    out += "\r\n";
  }
  out += kSecurityHeaderLines;
  bool no_body = !HasBody(response);
  if (no_body) {
  } else if (response.stream) {
    out += "Transfer-Encoding: chunked\r\n";
  } else {
    StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!no_body && !head && !response.stream) out += response.body;
}

Request ToRequest(bhttp::request<bhttp::string_body>&& in, std::string path,
                  std::multimap<std::string, std::string> query, const std::string& remote, bool tls) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  r.path = std::move(path);
  r.query = std::move(query);
  for (const auto& field : in) r.headers.Add(std::string(field.name_string()), std::string(field.value()));
  r.body = std::move(in.body());
  r.remote_addr = remote;
  r.tls = tls;
  return r;
}

//! The request/response loop shared by plain and TLS connections (CRTP on the stream owner).
template <class Derived>
class HttpSession : public Session {
 public:
  HttpSession(std::shared_ptr<ServerState> state, std::string remote)
      : state_(std::move(state)), remote_(std::move(remote)) {}

  ~HttpSession() override {
    if (counted_) state_->in_flight.fetch_sub(1);
    state_->connections.fetch_sub(1);
    state_->Unregister(this);
  }

  void CloseIfIdle() override {
    net::post(Self().stream().get_executor(), [self = Self().shared_from_this()] {
      if (self->idle_) self->Cancel();
    });
  }

  void ExpireIfDue(SteadyTime now) override {
    if (now < deadline_) return;
    deadline_ = kNoDeadline;
    Cancel();
  }

 protected:
  Derived& Self() { return static_cast<Derived&>(*this); }

  //! The pending operation must complete within `timeout`, else DeadlineSweeper cancels it.
  void SetDeadline(std::chrono::milliseconds timeout) { deadline_ = std::chrono::steady_clock::now() + timeout; }

  //! Cancels the pending operation; its handler then closes the connection.
  void Cancel() {
    beast::error_code ec;
    Self().socket().cancel(ec);
  }

  //! Waits for the next request. A kept-alive connection may stay silent for idle_timeout;
  //! once a request's first byte arrives, its header must be complete within header_timeout.
  void DoRead() {
    if (state_->stopping) return Self().DoClose();
    idle_ = buffer_.size() == 0;
    if (!first_ && idle_) {
      SetDeadline(state_->options.idle_timeout);
      Self().stream().async_read_some(buffer_.prepare(8192), [self = Self().shared_from_this()](beast::error_code ec, size_t n) {
        if (ec) return self->Self().DoClose();
        self->buffer_.commit(n);
        self->ParseBuffered();
      });
      return;
    }
    ResetParser();
    ReadHeader();
  }

  void ResetParser() {
    parser_.emplace();
    parser_->header_limit(state_->options.header_limit_bytes);
    // The route's body limit is applied once the header names the route (OnHeader).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  }

  //! Parses what a kept-alive connection sent; a header that arrived whole (the usual case)
  //! needs no further read operation.
  void ParseBuffered() {
    idle_ = false;
    ResetParser();
    beast::error_code ec;
    size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == bhttp::error::need_more) ec = {};
    if (ec || parser_->is_header_done()) return OnHeader(ec, used);
    ReadHeader();
  }

  void ReadHeader() {
    idle_ = buffer_.size() == 0 && first_;
    SetDeadline(state_->options.header_timeout);
    bhttp::async_read_header(Self().stream(), buffer_, *parser_,
                             beast::bind_front_handler(&HttpSession::OnHeader, Self().shared_from_this()));
  }

 private:
  void OnHeader(beast::error_code ec, size_t) {
    idle_ = false;
    first_ = false;
    path_.clear();
    invalid_target_.clear();
    if (ec == bhttp::error::header_limit) return SendError(431, "request header fields exceed the limit");
    if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted) {
      return Self().DoClose();
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) return SendError(400, "malformed HTTP request");
    if (ec) return Self().DoClose();

    auto& req = parser_->get();
    if (!ParseTarget(req.target(), &path_, &query_)) {
      path_.clear();
      invalid_target_ = std::string(req.target().substr(0, 4096));
      return SendError(400, "the request target is not a valid path");
    }
    RoutePolicy policy = state_->policy(req.method_string(), path_);
    uint64_t limit = policy.body_limit > 0 ? policy.body_limit : state_->options.body_limit_bytes;
    run_inline_ = policy.run_inline;
    parser_->body_limit(limit);
    if (auto len = parser_->content_length(); len && *len > limit) {
      return SendError(413, StrCat("the body exceeds the limit of ", limit, " bytes"));
    }
    if (parser_->is_done()) return OnBody({}, 0);  // no body: skip a read operation
    SetDeadline(state_->options.body_timeout);
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, req.version());
      bhttp::async_write(Self().stream(), *cont,
                         [self = Self().shared_from_this(), cont](beast::error_code wec, size_t) {
                           if (wec) return self->DoClose();
                           self->ReadBody();
                         });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(Self().stream(), buffer_, *parser_,
                      beast::bind_front_handler(&HttpSession::OnBody, Self().shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec == bhttp::error::body_limit) return SendError(413, "the body exceeds the limit for this route");
    if (ec == net::error::operation_aborted) return Self().DoClose();
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) return SendError(400, "malformed HTTP request");
    if (ec) return Self().DoClose();

    keep_alive_ = parser_->get().keep_alive();
    head_ = parser_->get().method() == bhttp::verb::head;
    Request request = ToRequest(parser_->release(), std::move(path_), std::move(query_), remote_,
                                Derived::kTls);
    counted_ = true;
    state_->in_flight.fetch_add(1);
    deadline_ = kNoDeadline;  // the handler's time is not the client's
    if (run_inline_) {
      Response response = state_->dispatch(std::move(request));
      return Write(std::move(response), keep_alive_);
    }
    net::post(*state_->workers, [self = Self().shared_from_this(), request = std::move(request)]() mutable {
      Response response = self->state_->dispatch(std::move(request));
      net::post(self->stream().get_executor(), [self, response = std::move(response)]() mutable {
        self->Write(std::move(response), self->keep_alive_);
      });
    });
  }

  //! Protocol-level refusals, answered before the pipeline runs (so without its middleware).
  void SendError(int status, std::string_view detail) {
    std::string request_id = FastRng::Instance().Hex(16);
    if (state_->options.on_refused) {
      const auto& req = parser_->get();
      state_->options.on_refused({std::string(req.method_string()), path_.empty() ? invalid_target_ : path_, status,
                                  std::string(detail), remote_, std::string(req[bhttp::field::user_agent]),
                                  request_id});
    }
    Response response = ProblemResponse(HttpError(status, detail), path_, request_id);
    response.headers.Set("X-Request-Id", request_id);
    Write(std::move(response), /*keep_alive=*/false);
  }

  //! Serialises the response into one buffer (cheaper than Beast's serializer for the small
  //! bodies this server sends) and writes it; a streamed body follows the header.
  void Write(Response response, bool keep_alive) {
    keep_alive = keep_alive && !state_->stopping;
    SerializeResponse(response, keep_alive, head_, wire_);
    StreamFn stream;
    if (response.stream && !head_ && HasBody(response)) stream = std::move(response.stream);
    head_ = false;
    SetDeadline(state_->options.body_timeout);
    net::async_write(Self().stream(), net::buffer(wire_),
                     [self = Self().shared_from_this(), keep_alive, stream = std::move(stream)](
                         beast::error_code ec, size_t) mutable {
                       // The buffer is kept for the connection's next response, unless large.
                       if (self->wire_.capacity() > kChunkBytes) std::string().swap(self->wire_);
                       if (!ec && stream) return self->RunStream(std::move(stream), keep_alive);
                       self->Finish(!ec, keep_alive);
                     });
  }

 private:
  using StreamFn = std::function<absl::Status(BodyWriter&)>;
  static constexpr size_t kChunkBytes = 64 * 1024;

  //! The BodyWriter of a streamed body. It runs on the worker producing the body and hands each
  //! chunk to the connection's thread, waiting until the chunk is written: one chunk in memory.
  class ChunkWriter final : public BodyWriter {
   public:
    explicit ChunkWriter(std::shared_ptr<Derived> session) : session_(std::move(session)) {}

    bool Write(std::string_view data) override {
      if (!ok_) return false;
      buffer_.append(data);
      return buffer_.size() < kChunkBytes || Flush();
    }
    //! Sends what is buffered and the last chunk.
    bool Finish() { return Flush() && Send("0\r\n\r\n"); }

   private:
    bool Flush() {
      if (!ok_ || buffer_.empty()) return ok_;
      std::string frame = absl::StrCat(absl::Hex(buffer_.size()), "\r\n");
      frame += buffer_;
      frame += "\r\n";
      buffer_.clear();
      return Send(std::move(frame));
    }

    bool Send(std::string frame) {
      if (session_->state_->abort_streams) return ok_ = false;
      // Only the handlers hold the promise: if they are destroyed unrun, the future breaks.
      auto done = std::make_shared<std::promise<bool>>();
      std::future<bool> written = done->get_future();
      auto wire = std::make_shared<std::string>(std::move(frame));
      net::post(session_->stream().get_executor(), [s = session_, wire, done = std::move(done)]() mutable {
        s->SetDeadline(s->state_->options.body_timeout);
        net::async_write(s->stream(), net::buffer(*wire),
                         [wire, done = std::move(done)](beast::error_code ec, size_t) { done->set_value(!ec); });
      });
      // The deadline sweeper cancels a write the client does not read; this bounds the wait
      // even if the connection's thread is gone.
      auto bound = session_->state_->options.body_timeout + std::chrono::seconds(5);
      if (written.wait_for(bound) != std::future_status::ready) return ok_ = false;
      try {
        ok_ = written.get();
      } catch (const std::future_error&) {
        ok_ = false;
      }
      return ok_;
    }

    std::shared_ptr<Derived> session_;
    std::string buffer_;
    bool ok_ = true;
  };

  //! Produces a streamed body on a worker, then carries on with the connection.
  void RunStream(StreamFn stream, bool keep_alive) {
    net::post(*state_->workers, [self = Self().shared_from_this(), stream = std::move(stream), keep_alive] {
      ChunkWriter writer(self);
      absl::Status status;
      try {
        status = stream(writer);
      } catch (const std::exception& e) {
        status = absl::InternalError(e.what());
      }
      bool ok = status.ok() && writer.Finish();
      if (!status.ok()) log::Warn("streamed response cut short", {{"error", std::string(status.message())}});
      net::post(self->stream().get_executor(), [self, ok, keep_alive] { self->Finish(ok, keep_alive); });
    });
  }

  //! The response is out (or failed): the next request, or close.
  void Finish(bool ok, bool keep_alive) {
    if (counted_) {
      counted_ = false;
      state_->in_flight.fetch_sub(1);
    }
    if (!ok || !keep_alive) return Self().DoClose();
    DoRead();
  }

 protected:
  std::shared_ptr<ServerState> state_;

 private:
  std::string remote_;
  std::string invalid_target_;  // the raw target of a request refused for it
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string path_;
  std::multimap<std::string, std::string> query_;
  std::string wire_;  //!< the response being written (one at a time per connection)
  bool keep_alive_ = false;
  bool head_ = false;  //!< a HEAD request: answer without a body
  bool run_inline_ = false;
  bool idle_ = true;
  bool first_ = true;
  bool counted_ = false;
  SteadyTime deadline_ = kNoDeadline;
};

class PlainSession final : public HttpSession<PlainSession>,
                           public std::enable_shared_from_this<PlainSession> {
 public:
  static constexpr bool kTls = false;
  PlainSession(tcp::socket&& socket, std::shared_ptr<ServerState> state, std::string remote)
      : HttpSession(std::move(state), std::move(remote)), stream_(std::move(socket)) {}

  tcp::socket& stream() { return stream_; }
  tcp::socket& socket() { return stream_; }
  void Run(DeadlineSweeper& deadlines) {
    net::dispatch(stream_.get_executor(), [self = shared_from_this(), &deadlines] {
      deadlines.Add(self);
      self->DoRead();
    });
  }

  void DoClose() {
    beast::error_code ec;
    stream_.shutdown(tcp::socket::shutdown_send, ec);
    stream_.close(ec);
  }

 private:
  tcp::socket stream_;
};

class TlsSession final : public HttpSession<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  static constexpr bool kTls = true;
  TlsSession(tcp::socket&& socket, ssl::context& ctx, std::shared_ptr<ServerState> state, std::string remote)
      : HttpSession(std::move(state), std::move(remote)), stream_(std::move(socket), ctx) {}

  ssl::stream<tcp::socket>& stream() { return stream_; }
  tcp::socket& socket() { return stream_.next_layer(); }
  void Run(DeadlineSweeper& deadlines) {
    net::dispatch(stream_.get_executor(), [self = shared_from_this(), &deadlines] {
      deadlines.Add(self);
      self->SetDeadline(self->state_->options.header_timeout);
      self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->CloseSocket();
        self->DoRead();
      });
    });
  }
  void DoClose() {
    SetDeadline(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->CloseSocket(); });
  }

 private:
  void CloseSocket() {
    beast::error_code ec;
    socket().close(ec);
  }
  ssl::stream<tcp::socket> stream_;
};

}  // namespace

struct Server::Impl {
  std::shared_ptr<ServerState> state = std::make_shared<ServerState>();
  // One single-threaded io_context per I/O thread: a connection lives on one of them, so its
  // handlers never race and the scheduler needs no cross-thread locking.
  std::vector<std::unique_ptr<net::io_context>> iocs;
  //! One per io_context, same index; declared after iocs so their timers go first.
  std::vector<std::unique_ptr<DeadlineSweeper>> deadlines;
  size_t next_ioc = 0;
  //! Keeps each io_context running while it has no connection yet.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> acceptor_storage;
  tcp::acceptor& acceptor() { return *acceptor_storage; }
  std::unique_ptr<net::thread_pool> workers;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool started = false;

  void DoAccept() {
    size_t index = next_ioc++ % iocs.size();
    acceptor().async_accept(*iocs[index], [this, index](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (state->stopping || ec == net::error::operation_aborted) return;
        log::Warn("accept failed", {{"error", ec.message()}});
      } else if (state->connections.load() >= state->options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        StartSession(std::move(socket), *deadlines[index]);
      }
      if (!state->stopping) DoAccept();
    });
  }

  void StartSession(tcp::socket socket, DeadlineSweeper& sweeper) {
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    std::string remote = ec ? "" : endpoint.address().to_string();
    state->connections.fetch_add(1);
    std::shared_ptr<Session> session;
    if (tls) {
      auto s = std::make_shared<TlsSession>(std::move(socket), *tls, state, remote);
      session = s;
      Register(session);
      s->Run(sweeper);
    } else {
      auto s = std::make_shared<PlainSession>(std::move(socket), state, remote);
      session = s;
      Register(session);
      s->Run(sweeper);
    }
  }

  void Register(const std::shared_ptr<Session>& session) {
    std::lock_guard lock(state->mu);
    state->sessions[session.get()] = session;
  }
};

Server::Server(ServerOptions options, DispatchFn dispatch, RoutePolicyFn policy)
    : impl_(std::make_unique<Impl>()) {
  impl_->state->options = std::move(options);
  impl_->state->dispatch = std::move(dispatch);
  impl_->state->policy = std::move(policy);
}

Server::Server(ServerOptions options, DispatchFn dispatch, BodyLimitFn body_limit)
    : Server(std::move(options), std::move(dispatch),
             RoutePolicyFn([body_limit = std::move(body_limit)](std::string_view method, std::string_view path) {
               return RoutePolicy{body_limit(method, path), false};
             })) {}

Server::~Server() {
  if (impl_->started) Shutdown(std::chrono::milliseconds(0));
}

absl::Status Server::Start() {
  const ServerOptions& o = impl_->state->options;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    try {
      impl_->tls.emplace(ssl::context::tls_server);
      impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                              ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      impl_->tls->use_certificate_chain_file(o.tls_cert_file);
      impl_->tls->use_private_key_file(o.tls_key_file, ssl::context::pem);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(StrCat("cannot load the TLS certificate or key: ", e.what()));
    }
  }
  // Timeouts fire within a quarter of the shortest one (10-250 ms) of their deadline.
  auto period = std::clamp(std::min({o.header_timeout, o.body_timeout, o.idle_timeout}) / 4,
                           std::chrono::milliseconds(10), std::chrono::milliseconds(250));
  for (int i = 0; i < std::max(1, o.io_threads); ++i) {
    impl_->iocs.push_back(std::make_unique<net::io_context>(1));
    impl_->keep_running.push_back(net::make_work_guard(*impl_->iocs.back()));
    impl_->deadlines.push_back(std::make_unique<DeadlineSweeper>(*impl_->iocs.back(), period));
    impl_->deadlines.back()->Start();
  }
  impl_->acceptor_storage.emplace(*impl_->iocs[0]);
  beast::error_code ec;
  auto address = net::ip::make_address(o.host, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("invalid listen address '", o.host, "'"));
  tcp::endpoint endpoint(address, o.port);
  auto& acceptor = impl_->acceptor();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(StrCat("cannot listen on ", o.host, ":", o.port, ": ", ec.message()));
  }
  impl_->port = acceptor.local_endpoint().port();
  impl_->workers = std::make_unique<net::thread_pool>(o.worker_threads);
  impl_->state->workers = impl_->workers.get();
  impl_->DoAccept();
  for (auto& ioc : impl_->iocs) {
    impl_->threads.emplace_back([&ioc] { ioc->run(); });
  }
  impl_->started = true;
  return absl::OkStatus();
}

uint16_t Server::port() const { return impl_->port; }

ServerStats Server::Stats() const {
  return {impl_->state->connections.load(), impl_->state->in_flight.load(),
          impl_->state->options.worker_threads, impl_->state->options.io_threads};
}

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (!impl_->started) return;
  impl_->started = false;
  auto& state = *impl_->state;
  state.stopping = true;
  net::post(impl_->acceptor().get_executor(), [this] {
    beast::error_code ec;
    impl_->acceptor().close(ec);
  });
  auto deadline = std::chrono::steady_clock::now() + grace;
  do {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(state.mu);
      for (auto& [ptr, weak] : state.sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->CloseIfIdle();
    live.clear();
    if (state.connections.load() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  int left = state.connections.load();
  if (left > 0) log::Warn("shutdown grace period over; closing connections", {{"connections", left}});
  state.abort_streams = true;
  impl_->workers->join();
  impl_->keep_running.clear();
  for (auto& ioc : impl_->iocs) ioc->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace tf::http
