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
#include <cstring>
#include <functional>
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
    case 413:
      return "Content Too Large";
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

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i] == '+' ? ' ' : s[i];
      continue;
    }
    const int hi = i + 1 < s.size() ? hex_digit(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      throw std::invalid_argument(
          fmt::format("bad percent-escape in '{}': '%' must be followed by two hex digits", s));
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

/// RFC 9110 token characters (method and header names).
bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
  });
}

struct ReadRequest {
  enum class Outcome { Ok, Gone, Malformed, TooLarge } outcome = Outcome::Gone;
  std::string error;  ///< for Malformed and TooLarge
};

/// Receives until `data` holds `want` bytes; false when the peer goes quiet or away.
bool receive_until(int fd, std::string& data, const std::function<bool()>& enough) {
  char buf[8192];
  while (!enough()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
  }
  return true;
}

/// Reads one request (head, then Content-Length bytes of body).
ReadRequest read_request(int fd, ServerRequest& req) {
  using Outcome = ReadRequest::Outcome;
  std::string data;
  size_t head_end = std::string::npos;
  const bool complete = receive_until(fd, data, [&] {
    head_end = data.find("\r\n\r\n");
    return head_end != std::string::npos || data.size() > kMaxRequestHead;
  });
  if (!complete) return {};
  if (head_end == std::string::npos || head_end > kMaxRequestHead) {
    return {Outcome::TooLarge, fmt::format("request head over {} bytes", kMaxRequestHead)};
  }
  size_t want = 0;
  try {
    req = parse_request_head(std::string_view(data).substr(0, head_end));
    want = request_body_length(req);
  } catch (const std::length_error& e) {
    return {Outcome::TooLarge, e.what()};
  } catch (const std::invalid_argument& e) {
    return {Outcome::Malformed, e.what()};
  }
  std::string body = data.substr(head_end + 4);
  if (!receive_until(fd, body, [&] { return body.size() >= want; })) return {};
  req.body = body.substr(0, want);
  return {Outcome::Ok, ""};
}

}  // namespace

ServerRequest parse_request_head(std::string_view head) {
  const size_t line_end = std::min(head.find("\r\n"), head.size());
  const std::string_view first = head.substr(0, line_end);
  const size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) {
    throw std::invalid_argument(
        fmt::format("request line '{}' is not 'METHOD TARGET HTTP/1.1'", first.substr(0, 200)));
  }
  ServerRequest req;
  req.method = std::string(first.substr(0, sp1));
  const std::string_view target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = first.substr(sp2 + 1);
  if (!is_token(req.method) || target.empty() || target[0] != '/' ||
      !version.starts_with("HTTP/1.")) {
    throw std::invalid_argument(
        fmt::format("request line '{}' is not 'METHOD /TARGET HTTP/1.x'", first.substr(0, 200)));
  }
  const size_t q = target.find('?');
  req.path = url_decode(target.substr(0, q));
  if (q != std::string_view::npos) {
    const std::string_view query = target.substr(q + 1);
    size_t start = 0;
    while (start <= query.size()) {
      const size_t amp = std::min(query.find('&', start), query.size());
      const std::string_view pair = query.substr(start, amp - start);
      const size_t eq = pair.find('=');
      if (!pair.empty()) {
        req.query[url_decode(pair.substr(0, eq))] =
            eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
      }
      start = amp + 1;
    }
  }
  for (size_t at = line_end; at < head.size();) {
    const size_t next = std::min(head.find("\r\n", at + 2), head.size());
    const std::string_view line = head.substr(at + 2, next - std::min(next, at + 2));
    at = next;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      throw std::invalid_argument(
          fmt::format("header line '{}' is not 'Name: value'", line.substr(0, 200)));
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    req.headers[lower(std::string(line.substr(0, colon)))] = std::string(value);
  }
  return req;
}

size_t request_body_length(const ServerRequest& req, size_t limit) {
  const std::string length = req.header("content-length");
  if (length.empty()) return 0;
  if (length.size() > 18 ||
      !std::all_of(length.begin(), length.end(), [](unsigned char c) { return std::isdigit(c); })) {
    throw std::invalid_argument(
        fmt::format("Content-Length '{}' is not a byte count", length.substr(0, 40)));
  }
  const size_t n = std::stoull(length);
  if (n > limit) {
    throw std::length_error(
        fmt::format("request body of {} bytes is over the limit of {} bytes", n, limit));
  }
  return n;
}

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
  const ReadRequest read = read_request(fd, req);
  if (read.outcome == ReadRequest::Outcome::Gone) {
    ::close(fd);
    return;
  }
  if (read.outcome != ReadRequest::Outcome::Ok) {
    // One clear error for a request that cannot be understood, as real servers answer.
    const int status = read.outcome == ReadRequest::Outcome::TooLarge ? 413 : 400;
    const std::string body = nlohmann::json{
        {"error", status == 413 ? "too large" : "bad request"},
        {"message", read.error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string reply = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        status, reason(status), body.size(), body);
    send_all(fd, reply.data(), reply.size());
    ::close(fd);
    return;
  }
  ServerReply reply;
  try {
    reply = handler_(req);
  } catch (const std::exception& e) {
    reply = ServerReply{};
    reply.status = 500;
    reply.body = nlohmann::json{{"error", "internal"}, {"message", e.what()}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
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
