#include "framework/hdf5_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <numeric>
#include <optional>
#include <vector>

#include "framework/error.h"

namespace qdm::h5 {
namespace {

/// Silences HDF5's default printing of its error stack: errors become exceptions here.
void quiet() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

std::string file_of(hid_t loc) {
  char name[4096] = {0};
  if (H5Fget_name(loc, name, sizeof name) < 0) return "?";
  return name;
}

uint64_t little_endian(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// Walks every global heap collection ("GCOL", where variable-length strings live) the way
/// libhdf5 1.10 decodes it, and refuses a file where that decoding would never end: an object
/// with index 0 and size 0 sends H5HG's loop back to where it started (found by fuzzing damaged
/// run files; a block of zeroes left by a crash does it). Assumes 8-byte lengths, as qdm writes.
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
  for (size_t at = 0; !damaged && at + 16 <= size;) {
    const void* hit = ::memmem(bytes + at, size - at, "GCOL", 4);
    if (!hit) break;
    const size_t start = static_cast<const unsigned char*>(hit) - bytes;
    at = start + 4;
    if (start + 16 > size || bytes[start + 4] != 1) continue;  // not a collection header
    const uint64_t length = little_endian(bytes + start + 8, 8);
    const size_t end = length > size - start ? size : start + static_cast<size_t>(length);
    for (size_t p = start + 16; p + 16 <= end;) {
      const uint64_t index = little_endian(bytes + p, 2);
      const uint64_t object = little_endian(bytes + p + 8, 8);
      const uint64_t need = index > 0 ? 16 + ((object + 7) & ~uint64_t(7)) : object;
      if (need == 0) {
        damaged = start;
        break;
      }
      if (need > end - p) break;
      p += need;
    }
  }
  ::munmap(mapped, size);
  if (damaged) {
    throw DataError(fmt::format(
        "HDF5 file '{}' is damaged: its global heap at byte {} holds an empty object that HDF5 "
        "would read forever",
        path.string(), *damaged));
  }
}

/// Reads every attribute of an object as its readers would (a probe; values are dropped).
herr_t probe_attribute(hid_t loc, const char* name, const H5A_info_t*, void*) {
  const hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0) return 0;
  const hid_t type = H5Aget_type(a), space = H5Aget_space(a);
  const hid_t memory = type >= 0 ? H5Tget_native_type(type, H5T_DIR_DEFAULT) : -1;
  const hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  const size_t bytes = memory >= 0 && points >= 0 ? H5Tget_size(memory) * size_t(points) : 0;
  if (bytes > 0 && bytes <= (size_t(64) << 20)) {
    std::vector<unsigned char> buffer(bytes);
    if (H5Aread(a, memory, buffer.data()) >= 0 && H5Tdetect_class(memory, H5T_VLEN) > 0) {
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

herr_t probe_object(hid_t root, const char* name, const H5O_info_t*, void*) {
  const hid_t o = H5Oopen(root, name, H5P_DEFAULT);
  if (o >= 0) {
    H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, probe_attribute, nullptr);
    H5Oclose(o);
  }
  return 0;
}

/// Seconds the probe may take; a file's metadata reads in milliseconds.
constexpr unsigned kProbeSeconds = 30;

/// Opens `path` in a child process and opens every object and attribute the way readers do,
/// because libhdf5 1.10 does not survive some damaged files: fuzzing found a division by zero
/// (SIGFPE in H5D__chunk_set_info) on a chunk dimension of 0. A child that dies by a signal, or
/// is still busy after kProbeSeconds, makes the file refused with a DataError instead of taking
/// this process down. The probe only reads; it cannot open a file this process writes to
/// (HDF5's lock), and then the open below says what is wrong.
void probe_in_child(const std::filesystem::path& path, std::span<const char* const> paths) {
  const pid_t pid = ::fork();
  if (pid < 0) return;  // no probe: open as before
  if (pid == 0) {
    for (int signal : {SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGALRM}) {
      std::signal(signal, SIG_DFL);
    }
    ::alarm(kProbeSeconds);
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file >= 0) {
      // Listing a damaged group can fail where opening a member by its path still works.
      for (const char* p : paths) probe_object(file, p, nullptr, nullptr);
      H5Ovisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, probe_object, nullptr);
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFSIGNALED(status)) return;
  const int signal = WTERMSIG(status);
  throw DataError(
      signal == SIGALRM
          ? fmt::format("HDF5 file '{}' is damaged: reading its metadata did not end in {} s",
                        path.string(), kProbeSeconds)
          : fmt::format("HDF5 file '{}' is damaged: libhdf5 crashes reading it ({})", path.string(),
                        ::strsignal(signal)));
}

[[noreturn]] void fail(hid_t loc, const std::string& what) {
  throw DataError(fmt::format("HDF5 file '{}': cannot {}", file_of(loc), what));
}

template <typename T>
T check(T result, hid_t loc, const std::string& what) {
  if (result < 0) fail(loc, what);
  return result;
}

hsize_t product(const std::vector<hsize_t>& dims) {
  return std::accumulate(dims.begin(), dims.end(), hsize_t{1}, std::multiplies<>());
}

void write_fixed(hid_t loc, const std::string& name, hid_t type, const void* data, size_t count,
                 const std::vector<hsize_t>& dims) {
  if (product(dims) != count) {
    throw std::logic_error(fmt::format("dataset {} shape does not match its data", name));
  }
  if (exists(loc, name)) remove(loc, name);
  Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), loc,
                     "create a dataspace for " + name));
  Handle set(
      check(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            loc, "create dataset " + name));
  if (count > 0)
    check(H5Dwrite(set.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), loc,
          "write dataset " + name);
}

template <typename T>
Array<T> read_array(hid_t loc, const std::string& name, hid_t mem_type) {
  if (!exists(loc, name)) fail(loc, "find dataset " + name);
  Handle set(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), loc, "open dataset " + name));
  Handle space(check(H5Dget_space(set.get()), loc, "read the shape of " + name));
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), loc, "read the rank of " + name);
  Array<T> out;
  out.dims.resize(rank);
  H5Sget_simple_extent_dims(space.get(), out.dims.data(), nullptr);
  out.values.resize(product(out.dims));
  if (!out.values.empty()) {
    check(H5Dread(set.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()), loc,
          "read dataset " + name);
  }
  return out;
}

}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Handle::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE:
      H5Fclose(id_);
      break;
    case H5I_GROUP:
      H5Gclose(id_);
      break;
    case H5I_DATASET:
      H5Dclose(id_);
      break;
    case H5I_DATASPACE:
      H5Sclose(id_);
      break;
    case H5I_ATTR:
      H5Aclose(id_);
      break;
    case H5I_DATATYPE:
      H5Tclose(id_);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id_);
      break;
    default:
      break;
  }
  id_ = H5I_INVALID_HID;
}

Handle create_file(const std::filesystem::path& path, bool truncate) {
  quiet();
  const hid_t id =
      H5Fcreate(path.c_str(), truncate ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) {
    throw std::invalid_argument(fmt::format("cannot create HDF5 file '{}'", path.string()));
  }
  return Handle(id);
}

Handle open_file(const std::filesystem::path& path, bool writable,
                 std::span<const char* const> probe) {
  quiet();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw std::invalid_argument(fmt::format("run file '{}' does not exist", path.string()));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw DataError(fmt::format("'{}' is not an HDF5 file", path.string()));
  }
  check_global_heaps(path);
  probe_in_child(path, probe);
  const hid_t id = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    throw DataError(fmt::format("HDF5 file '{}' cannot be opened{}", path.string(),
                                writable ? " for writing" : ""));
  }
  return Handle(id);
}

void flush(hid_t file) { check(H5Fflush(file, H5F_SCOPE_GLOBAL), file, "flush"); }

bool exists(hid_t loc, const std::string& path) {
  // Checks each prefix ("a", "a/b", "a/b/c") so that a missing parent is "no", not an error.
  size_t slash = path.find('/', 1);
  while (true) {
    const std::string prefix = path.substr(0, slash);
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) return true;
    slash = path.find('/', slash + 1);
  }
}

Handle create_group(hid_t loc, const std::string& name) {
  return Handle(check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), loc,
                      "create group " + name));
}

Handle open_group(hid_t loc, const std::string& name) {
  if (!exists(loc, name)) fail(loc, "find group " + name + " (is this a qdm run file?)");
  return Handle(check(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), loc, "open group " + name));
}

void remove(hid_t loc, const std::string& name) {
  check(H5Ldelete(loc, name.c_str(), H5P_DEFAULT), loc, "remove " + name);
}

std::vector<std::string> members(hid_t group) {
  H5G_info_t info;
  check(H5Gget_info(group, &info), group, "list a group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n =
        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string name(static_cast<size_t>(check(n, group, "list a group")), '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1,
                       H5P_DEFAULT);
    names.push_back(std::move(name));
  }
  return names;
}

namespace {
void write_scalar_attribute(hid_t obj, const std::string& name, hid_t type, const void* value) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle space(H5Screate(H5S_SCALAR));
  Handle attr(check(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), obj,
                    "create attribute " + name));
  check(H5Awrite(attr.get(), type, value), obj, "write attribute " + name);
}
}  // namespace

void write_attribute(hid_t obj, const std::string& name, const std::string& value) {
  // Variable-length UTF-8 strings: what h5py reads back as str.
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const char* p = value.c_str();
  write_scalar_attribute(obj, name, type.get(), &p);
}

void write_attribute(hid_t obj, const std::string& name, int64_t value) {
  write_scalar_attribute(obj, name, H5T_NATIVE_INT64, &value);
}

void write_attribute(hid_t obj, const std::string& name, double value) {
  write_scalar_attribute(obj, name, H5T_NATIVE_DOUBLE, &value);
}

std::optional<std::string> read_string_attribute(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) return std::nullopt;
  Handle attr(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), obj, "open attribute " + name));
  Handle type(H5Aget_type(attr.get()));
  if (H5Tget_class(type.get()) != H5T_STRING) fail(obj, "read attribute " + name + " as text");
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    char* p = nullptr;
    check(H5Aread(attr.get(), mem.get(), &p), obj, "read attribute " + name);
    std::string out = p ? p : "";
    H5free_memory(p);
    return out;
  }
  std::string out(H5Tget_size(type.get()), '\0');
  check(H5Aread(attr.get(), type.get(), out.data()), obj, "read attribute " + name);
  return std::string(out.c_str());
}

std::optional<int64_t> read_int_attribute(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) return std::nullopt;
  Handle attr(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), obj, "open attribute " + name));
  int64_t v = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_INT64, &v), obj, "read attribute " + name);
  return v;
}

void write_dataset(hid_t loc, const std::string& name, std::span<const double> values,
                   const std::vector<hsize_t>& dims) {
  write_fixed(loc, name, H5T_NATIVE_DOUBLE, values.data(), values.size(), dims);
}
void write_dataset(hid_t loc, const std::string& name, std::span<const int64_t> values,
                   const std::vector<hsize_t>& dims) {
  write_fixed(loc, name, H5T_NATIVE_INT64, values.data(), values.size(), dims);
}
void write_dataset(hid_t loc, const std::string& name, std::span<const int32_t> values,
                   const std::vector<hsize_t>& dims) {
  write_fixed(loc, name, H5T_NATIVE_INT32, values.data(), values.size(), dims);
}

Array<double> read_doubles(hid_t loc, const std::string& name) {
  return read_array<double>(loc, name, H5T_NATIVE_DOUBLE);
}
Array<int64_t> read_ints(hid_t loc, const std::string& name) {
  return read_array<int64_t>(loc, name, H5T_NATIVE_INT64);
}

void create_series(hid_t loc, const std::string& name, hid_t type,
                   const std::vector<hsize_t>& row_shape) {
  std::vector<hsize_t> dims{0}, max{H5S_UNLIMITED}, chunk{256};
  for (hsize_t d : row_shape) {
    dims.push_back(d);
    max.push_back(d);
    chunk.push_back(d);
  }
  Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max.data()), loc,
                     "create a dataspace for " + name));
  Handle props(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(props.get(), static_cast<int>(chunk.size()), chunk.data());
  Handle set(
      check(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
            loc, "create dataset " + name));
}

namespace {
struct Extent {
  Handle set;
  std::vector<hsize_t> dims;
};
Extent open_series(hid_t loc, const std::string& name) {
  Extent e{Handle(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), loc, "open dataset " + name)),
           {}};
  Handle space(H5Dget_space(e.set.get()));
  e.dims.resize(H5Sget_simple_extent_ndims(space.get()));
  H5Sget_simple_extent_dims(space.get(), e.dims.data(), nullptr);
  return e;
}
}  // namespace

void append_rows(hid_t loc, const std::string& name, hid_t mem_type, const void* data,
                 hsize_t rows) {
  if (rows == 0) return;
  Extent e = open_series(loc, name);
  std::vector<hsize_t> grown = e.dims, start(e.dims.size(), 0), count = e.dims;
  grown[0] += rows;
  start[0] = e.dims[0];
  count[0] = rows;
  check(H5Dset_extent(e.set.get(), grown.data()), loc, "extend dataset " + name);
  Handle file_space(H5Dget_space(e.set.get()));
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                      nullptr);
  Handle mem_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr));
  check(H5Dwrite(e.set.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data), loc,
        "append to dataset " + name);
}

hsize_t row_count(hid_t loc, const std::string& name) { return open_series(loc, name).dims[0]; }

void truncate_rows(hid_t loc, const std::string& name, hsize_t rows) {
  Extent e = open_series(loc, name);
  if (e.dims[0] <= rows) return;
  e.dims[0] = rows;
  check(H5Dset_extent(e.set.get(), e.dims.data()), loc, "truncate dataset " + name);
}

}  // namespace qdm::h5
