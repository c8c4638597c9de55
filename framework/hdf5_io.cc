#include "framework/hdf5_io.h"

#include <fmt/format.h>

#include <numeric>
#include <vector>

#include "framework/error.h"
#include "framework/io/hdf5_damage.h"

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

/// Refuses data that claims more bytes than the file stores before anything is allocated for it:
/// a damaged shape or string length would otherwise ask for gigabytes (fuzzing found a
/// 64 GiB request). qdm writes no filters, so stored data is never smaller than its values.
void check_stored(hid_t loc, const std::string& what, double claimed, double stored) {
  hsize_t file_bytes = 0;
  const hid_t file = H5Iget_file_id(loc);  // loc may be a group
  const bool sized = file >= 0 && H5Fget_filesize(file, &file_bytes) >= 0;
  if (file >= 0) H5Fclose(file);
  if (claimed > stored || (sized && claimed > static_cast<double>(file_bytes))) {
    throw DataError(fmt::format(
        "HDF5 file '{}' is damaged: {} claims {:.0f} bytes where the file stores {} (file size {})",
        file_of(loc), what, claimed, static_cast<hsize_t>(stored), file_bytes));
  }
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
  Handle file_type(check(H5Dget_type(set.get()), loc, "read the type of " + name));
  // In double: a damaged shape's product can overflow 64 bits.
  double claimed = static_cast<double>(H5Tget_size(file_type.get()));
  for (hsize_t d : out.dims) claimed *= static_cast<double>(d);
  check_stored(loc, "dataset " + name, claimed,
               static_cast<double>(H5Dget_storage_size(set.get())));
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
  const size_t size = H5Tget_size(type.get());
  check_stored(obj, "attribute " + name, static_cast<double>(size),
               static_cast<double>(H5Aget_storage_size(attr.get())));
  std::string out(size, '\0');
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
