#include "backends/rest/emulator/http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace qdm::rest {
namespace {

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// Reads one request (headers, then Content-Length bytes of body); false on a bad or cut request.
bool read_request(int fd, ServerRequest& req) {
  std::string data;
  char buf[8192];
  size_t header_end = std::string::npos;
  while (header_end == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
    header_end = data.find("\r\n\r\n");
    if (data.size() > (1 << 20)) return false;
  }
  const std::string head = data.substr(0, header_end);
  std::string body = data.substr(header_end + 4);
  size_t line_end = head.find("\r\n");
  const std::string first = head.substr(0, line_end);
  const size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return false;
  req.method = first.substr(0, sp1);
  const std::string target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) {
    const std::string query = target.substr(q + 1);
    size_t start = 0;
    while (start <= query.size()) {
      const size_t amp = std::min(query.find('&', start), query.size());
      const std::string pair = query.substr(start, amp - start);
      const size_t eq = pair.find('=');
      if (!pair.empty()) {
        req.query[url_decode(pair.substr(0, eq))] =
            eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
      }
      start = amp + 1;
    }
  }
  while (line_end != std::string::npos && line_end < head.size()) {
    const size_t next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(
        line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      req.headers[lower(line.substr(0, colon))] = line.substr(v);
    }
    line_end = next;
  }
  const std::string length = req.header("content-length");
  const size_t want = length.empty() ? 0 : std::stoul(length);
  while (body.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    body.append(buf, static_cast<size_t>(n));
  }
  req.body = body.substr(0, want);
  return true;
}

}  // namespace

std::string ServerRequest::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

HttpServer::HttpServer(Handler handler, int port) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("cannot create a socket");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error(fmt::format("cannot listen on 127.0.0.1:{} (in use?)", port));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::lock_guard lock(threads_mutex_);
  for (Connection& c : connections_) c.thread.join();
  connections_.clear();
}

void HttpServer::accept_loop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(threads_mutex_);
    // Join connections that have ended, so a long-lived server does not accumulate threads.
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections_.push_back({std::thread([this, fd, done] {
                              serve(fd);
                              done->store(true);
                            }),
                            done});
  }
}

void HttpServer::serve(int fd) {
  ServerRequest req;
  bool readable = false;
  try {
    readable = read_request(fd, req);
  } catch (const std::exception&) {  // a malformed Content-Length or escape
    readable = false;
  }
  if (!readable) {
    ::close(fd);
    return;
  }
  ServerReply reply;
  try {
    reply = handler_(req);
  } catch (const std::exception& e) {
    reply = ServerReply{};
    reply.status = 500;
    reply.body = nlohmann::json{{"error", "internal"}, {"message", e.what()}}.dump();
  }
  if (reply.wire == ServerReply::Wire::Drop) {
    ::close(fd);
    return;
  }
  std::string head =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", reply.status,
                  reason(reply.status), reply.content_type, reply.body.size());
  for (const auto& [name, value] : reply.headers) head += fmt::format("{}: {}\r\n", name, value);
  head += "Connection: close\r\n\r\n";
  if (reply.wire == ServerReply::Wire::Stall) {
    send_all(fd, head.data(), head.size());
    send_all(fd, reply.body.data(), reply.body.size() / 2);
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<long>(reply.stall_s * 1000));
    while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      char b;
      // The client hanging up ends the stall early.
      if (::poll(&p, 1, 50) > 0 && ::recv(fd, &b, 1, MSG_PEEK) <= 0) break;
    }
    ::close(fd);
    return;
  }
  send_all(fd, (head + reply.body).data(), head.size() + reply.body.size());
  ::shutdown(fd, SHUT_WR);
  char drain[256];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 200) > 0 && ::recv(fd, drain, sizeof drain, 0) > 0) {
  }
  ::close(fd);
}

}  // namespace qdm::rest
