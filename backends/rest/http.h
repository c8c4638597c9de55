#pragma once
/// HTTP requests as values and the transport that sends them. The transport does one exchange and
/// no retries; RestClient (rest_client.h) decides what to retry.

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace qdm::rest {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  /// A header's value, or "" when absent (`name` lower-case).
  std::string header(const std::string& name) const;
};

/// `s` percent-encoded for a query value or form field (RFC 3986 unreserved characters kept).
std::string url_escape(const std::string& s);

/// The exchange did not complete: no connection, a timeout, a dropped or truncated reply.
/// `may_have_arrived` is false only when the request certainly never reached the server (the
/// connection itself failed), so a POST can be resent blindly only then.
class TransportError : public std::runtime_error {
 public:
  TransportError(const std::string& what, bool may_have_arrived)
      : std::runtime_error(what), may_have_arrived_(may_have_arrived) {}
  bool may_have_arrived() const { return may_have_arrived_; }

 private:
  bool may_have_arrived_;
};

struct TransportLimits {
  double connect_timeout_s = 10;
  double total_timeout_s = 60;  ///< a whole exchange, body included
  /// Abort an exchange when no byte has arrived for this many seconds (a stalled body, or a
  /// server that accepted the connection and went silent).
  long low_speed_s = 15;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  /// One exchange; TransportError when it does not complete.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

/// libcurl, one easy handle per exchange (HTTP/1.1, no redirects followed, no proxy from the
/// environment unless the user set one).
class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(TransportLimits limits = {});
  HttpResponse send(const HttpRequest& request) override;

 private:
  TransportLimits limits_;
};

}  // namespace qdm::rest
