#include "framework/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "framework/error.h"

namespace qdm {
namespace {

[[noreturn]] void fail(const char* what, const std::filesystem::path& path, int fd = -1) {
  const int err = errno;
  if (fd >= 0) ::close(fd);
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  throw DataError(fmt::format("cannot {} '{}': {}", what, path.string(), std::strerror(err)));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  const std::filesystem::path temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("write", temp);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", temp, fd);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("flush", temp, fd);
  if (::close(fd) != 0) fail("close", temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename into place", temp);
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace qdm
