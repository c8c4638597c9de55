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
