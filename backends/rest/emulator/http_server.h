#pragma once
/// A small HTTP/1.1 server on loopback for the QPU emulator: one thread per connection, one
/// request per connection (Connection: close), and replies that can misbehave on purpose (stall,
/// drop the connection, cut the body) so clients are tested against real sockets.

#include <atomic>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace qdm::rest {

struct ServerRequest {
  std::string method;
  std::string path;  ///< without the query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  std::string header(const std::string& name) const;
};

/// A request head (request line and header lines, without the blank line that ends them) as a
/// request without its body: method, percent-decoded path and query, lower-cased header names.
/// std::invalid_argument naming the malformed line.
ServerRequest parse_request_head(std::string_view head);

/// Request heads longer than this are refused (HTTP 413), as are bodies over `limit`.
inline constexpr size_t kMaxRequestHead = 64 * 1024;
inline constexpr size_t kMaxRequestBody = 256 * 1024 * 1024;

/// The body length a parsed head announces (Content-Length, 0 without one): std::invalid_argument
/// when it is not a byte count, std::length_error when it is over `limit`.
size_t request_body_length(const ServerRequest& req, size_t limit = kMaxRequestBody);

struct ServerReply {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// How the bytes go out: all of them; the headers and half the body, then silence until the
  /// client gives up (or `stall_s` passes); nothing at all (the connection is closed).
  enum class Wire { Normal, Stall, Drop } wire = Wire::Normal;
  double stall_s = 30;
};

class HttpServer {
 public:
  using Handler = std::function<ServerReply(const ServerRequest&)>;
  /// Listens on 127.0.0.1:`port` (0: a free port, see port()); std::runtime_error when it cannot.
  HttpServer(Handler handler, int port = 0);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  /// Stops accepting, wakes stalled replies and joins every thread.
  void stop();

 private:
  void accept_loop();
  void serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex threads_mutex_;
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Connection> connections_;
};

}  // namespace qdm::rest
