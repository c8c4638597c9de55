#include "framework/io/hdf5_damage.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <hdf5.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "framework/error.h"
#include "framework/io/child_probe.h"

namespace qdm::h5 {
namespace {

uint64_t little_endian(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

/// Walks every global heap collection ("GCOL", where variable-length strings live) the way
/// libhdf5 1.10 decodes it, and refuses a file that decoding would mishandle (both found by
/// fuzzing damaged run files): an object with index 0 and size 0 sends H5HG's loop back to where
/// it started (a block of zeroes left by a crash does it), and an object that reaches past its
/// collection's end makes H5HG_read copy from beyond the heap (libhdf5 checks this only in debug
/// builds). Assumes 8-byte lengths, as qdm writes.
void check_global_heaps(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;  // H5Fopen says why
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < 16) {
    ::close(fd);
    return;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) return;
  const auto* bytes = static_cast<const unsigned char*>(mapped);
  std::optional<size_t> damaged;
  const char* why = "";
  for (size_t at = 0; !damaged && at + 16 <= size;) {
    const void* hit = ::memmem(bytes + at, size - at, "GCOL", 4);
    if (!hit) break;
    const size_t start = static_cast<const unsigned char*>(hit) - bytes;
    at = start + 4;
    // A collection header as libhdf5 accepts it: version 1 (the reserved bytes are not checked).
    if (start + 16 > size || bytes[start + 4] != 1) continue;
    const uint64_t length = little_endian(bytes + start + 8, 8);
    const size_t end = length > size - start ? size : start + static_cast<size_t>(length);
    for (size_t p = start + 16; p + 16 <= end;) {
      const uint64_t index = little_endian(bytes + p, 2);
      const uint64_t object = little_endian(bytes + p + 8, 8);
      const uint64_t need = index > 0 ? 16 + ((object + 7) & ~uint64_t(7)) : object;
      if (need == 0 || need > end - p || need < object) {
        damaged = start;
        why = need == 0 ? "an empty object that HDF5 would read forever"
                        : "an object larger than the heap";
        break;
      }
      p += need;
    }
  }
  ::munmap(mapped, size);
  if (damaged) {
    throw DataError(fmt::format("HDF5 file '{}' is damaged: its global heap at byte {} holds {}",
                                path.string(), *damaged, why));
  }
}

namespace {

/// Reads every attribute of an object as its readers would (a probe; values are dropped). The
/// first attribute that cannot be read is named in `*failed` (a std::string).
herr_t probe_attribute(hid_t loc, const char* name, const H5A_info_t*, void* failed) {
  const hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0) return 0;
  const hid_t type = H5Aget_type(a), space = H5Aget_space(a);
  const hid_t memory = type >= 0 ? H5Tget_native_type(type, H5T_DIR_DEFAULT) : -1;
  const hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  const size_t bytes = memory >= 0 && points >= 0 ? H5Tget_size(memory) * size_t(points) : 0;
  if (bytes > 0 && bytes <= (size_t(64) << 20)) {
    std::vector<unsigned char> buffer(bytes);
    const herr_t read = H5Aread(a, memory, buffer.data());
    auto& first = *static_cast<std::string*>(failed);
    if (read < 0 && first.empty()) {
      char object[512] = {0};
      H5Iget_name(loc, object, sizeof object);
      first = fmt::format("attribute '{}' of '{}'", name, object);
    }
    if (read >= 0 && H5Tdetect_class(memory, H5T_VLEN) > 0) {
      H5Dvlen_reclaim(memory, space, H5P_DEFAULT, buffer.data());
    } else if (H5Tis_variable_str(memory) > 0) {
      H5Dvlen_reclaim(memory, space, H5P_DEFAULT, buffer.data());
    }
  }
  for (hid_t id : {memory, type}) {
    if (id >= 0) H5Tclose(id);
  }
  if (space >= 0) H5Sclose(space);
  H5Aclose(a);
  return 0;
}

herr_t probe_object(hid_t root, const char* name, const H5O_info_t*, void* failed) {
  const hid_t o = H5Oopen(root, name, H5P_DEFAULT);
  if (o >= 0) {
    H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, probe_attribute, failed);
    // Walks a chunked dataset's index, as the size check before every read does.
    if (H5Iget_type(o) == H5I_DATASET) H5Dget_storage_size(o);
    H5Oclose(o);
  }
  return 0;
}

/// Seconds the probe may take; a run file's metadata reads in milliseconds, and a user should
/// not wait long to hear that a file is damaged.
constexpr unsigned kProbeSeconds = 10;

/// Bytes of address space the probe may add to what the process holds at the fork: a run file's
/// attributes take kilobytes, where a damaged length makes libhdf5 allocate and clear gigabytes
/// (fuzzing found 10 GiB, 10 s of page faults). Past the limit its allocation fails at once.
constexpr uint64_t kProbeExtraBytes = uint64_t{1} << 30;

}  // namespace

/// Opens `path` in a child process and opens every object and attribute the way readers do,
/// because libhdf5 1.10 does not survive some damaged files: fuzzing found a division by zero
/// (SIGFPE in H5D__chunk_set_info) on a chunk dimension of 0. A child that dies by a signal, or
/// is still busy after kProbeSeconds, makes the file refused with a DataError instead of taking
/// this process down. The probe only reads; it cannot open a file this process writes to
/// (HDF5's lock), and then the open below says what is wrong.
void probe_in_child(const std::filesystem::path& path, std::span<const char* const> paths) {
  // The probe names the first attribute it could not read.
  const io::ProbeOutcome probe = io::run_in_child(
      [&] {
        const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        std::string failed;
        if (file >= 0) {
          // Listing a damaged group can fail where opening a member by its path still works, so
          // the root (whose attributes every reader reads) and the named paths come first.
          probe_object(file, ".", nullptr, &failed);
          for (const char* p : paths) probe_object(file, p, nullptr, &failed);
          H5Ovisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, probe_object, &failed);
        }
        return failed;
      },
      kProbeSeconds, kProbeExtraBytes);
  // A value libhdf5 cannot read even within kProbeExtraBytes of memory (a damaged length) would
  // make this process ask for that memory too.
  if (!probe.report.empty() && !probe.signalled) {
    throw DataError(fmt::format("HDF5 file '{}' is damaged: libhdf5 cannot read its {}",
                                path.string(), probe.report));
  }
  if (!probe.failure.empty()) {
    throw DataError(fmt::format("HDF5 file '{}' is damaged: {}", path.string(), probe.failure));
  }
}

}  // namespace qdm::h5
