// The emulator's HTTP server: request heads parsed strictly, and a request it cannot understand
// answered with one clear 400 or 413 over a real loopback socket instead of a dropped connection.
#include "backends/rest/emulator/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace qdm::rest {
namespace {

TEST(RequestHead, ParsesMethodPathQueryAndHeaders) {
  const ServerRequest r = parse_request_head(
      "GET /v0.4/jobs?limit=10&next=a%2Bb&flag HTTP/1.1\r\nHost: x\r\nContent-Length:  12 \r\n"
      "X-Empty:");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/v0.4/jobs");
  EXPECT_EQ(r.query.at("limit"), "10");
  EXPECT_EQ(r.query.at("next"), "a+b");
  EXPECT_EQ(r.query.at("flag"), "");
  EXPECT_EQ(r.header("host"), "x");
  EXPECT_EQ(r.header("x-empty"), "");
  EXPECT_EQ(request_body_length(r), 12u);
}

TEST(RequestHead, MalformedHeadsNameTheLine) {
  for (const char* head : {"GET", "GET /x", "GET x HTTP/1.1", "GET /x FTP/1", "G T /x HTTP/1.1",
                           "GET /x HTTP/1.1\r\nno colon here", "GET /x HTTP/1.1\r\n: empty name",
                           "GET /a%zz HTTP/1.1", "GET /a?b=%4 HTTP/1.1"}) {
    EXPECT_THROW(parse_request_head(head), std::invalid_argument) << head;
  }
}

TEST(RequestHead, ContentLengthMustBeAByteCountUnderTheLimit) {
  auto length = [](const std::string& value, size_t limit) {
    return request_body_length(parse_request_head("POST /j HTTP/1.1\r\nContent-Length: " + value),
                               limit);
  };
  EXPECT_EQ(length("0", 10), 0u);
  EXPECT_EQ(length("10", 10), 10u);
  EXPECT_THROW(length("11", 10), std::length_error);
  EXPECT_THROW(length("99999999999999999999999", 10), std::invalid_argument);
  EXPECT_THROW(length("-1", 10), std::invalid_argument);
  EXPECT_THROW(length("1e3", 10), std::invalid_argument);
}

/// Sends `bytes` to the server on loopback and returns everything it answers.
std::string exchange(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, n);
  ::close(fd);
  return reply;
}

TEST(HttpServer, AnswersWhatItCannotParseWithOneClearError) {
  HttpServer server([](const ServerRequest& r) {
    return ServerReply{200, "text/plain", {}, r.path};
  });
  EXPECT_NE(exchange(server.port(), "GET /ok HTTP/1.1\r\n\r\n").find("200 OK"), std::string::npos);
  const std::string bad = exchange(server.port(), "GET /x HTTP/1.1\r\nContent-Length: ten\r\n\r\n");
  EXPECT_NE(bad.find("400 Bad Request"), std::string::npos) << bad;
  EXPECT_NE(bad.find("Content-Length 'ten' is not a byte count"), std::string::npos) << bad;
  const std::string big =
      exchange(server.port(), "POST /x HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n");
  EXPECT_NE(big.find("413 Content Too Large"), std::string::npos) << big;
  const std::string long_head =
      exchange(server.port(), "GET /x HTTP/1.1\r\nX: " + std::string(kMaxRequestHead, 'a'));
  EXPECT_NE(long_head.find("413"), std::string::npos);
}

}  // namespace
}  // namespace qdm::rest
