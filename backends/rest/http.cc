#include "backends/rest/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>

namespace qdm::rest {
namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* out) {
  const std::string line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t begin = colon + 1, end = line.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(line[begin]))) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(line[end - 1]))) --end;
    (*static_cast<std::map<std::string, std::string>*>(out))[name] =
        line.substr(begin, end - begin);
  }
  return size * count;
}

/// Aborts an exchange once no byte has arrived for `limit_s` seconds: libcurl's own low-speed
/// check averages over a window, so a reply that stalls after a fast start would live on for
/// several more seconds.
struct StallWatch {
  double limit_s = 15;
  curl_off_t bytes = -1;
  std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
  bool fired = false;
};

int on_progress(void* data, curl_off_t, curl_off_t received, curl_off_t, curl_off_t) {
  auto* w = static_cast<StallWatch*>(data);
  const auto now = std::chrono::steady_clock::now();
  if (received != w->bytes) {
    w->bytes = received;
    w->since = now;
    return 0;
  }
  w->fired = std::chrono::duration<double>(now - w->since).count() > w->limit_s;
  return w->fired ? 1 : 0;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::string url_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string HttpResponse::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

CurlTransport::CurlTransport(TransportLimits limits) : limits_(limits) { init_curl_once(); }

HttpResponse CurlTransport::send(const HttpRequest& request) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw TransportError("libcurl could not create a handle", false);
  HttpResponse response;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    const std::string line = fmt::format("{}: {}", name, value);
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // An empty Expect stops libcurl from waiting a second for "100 Continue" on larger bodies.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "POST" || request.method == "PUT" || !request.body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(limits_.connect_timeout_s * 1000));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(limits_.total_timeout_s * 1000));
  StallWatch stall;
  stall.limit_s = static_cast<double>(limits_.low_speed_s);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &stall);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
  char detail[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    // Only a refused or unresolved connection proves the server never saw the request.
    const bool never_sent = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                            code == CURLE_COULDNT_RESOLVE_PROXY;
    const std::string why =
        stall.fired ? fmt::format("no data for {} s (stalled reply)", limits_.low_speed_s)
                    : std::string(detail[0] ? detail : curl_easy_strerror(code));
    throw TransportError(fmt::format("{} {} failed: {}", request.method, request.url, why),
                         !never_sent);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace qdm::rest
