#pragma once
/// A thin RAII layer over the HDF5 C API: handles that close themselves, and the few operations
/// the run store needs. Every failure is a DataError naming the file and the object; HDF5's own
/// error stack printing is switched off.

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace qdm::h5 {

/// An owned hid_t, closed with the function matching its kind.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// Creates `path`; fails if it exists unless `truncate`.
Handle create_file(const std::filesystem::path& path, bool truncate);
/// Opens an existing file. It is first read in a child process (every object it lists, and the
/// `probe` paths its readers open directly): a file that crashes or hangs libhdf5 there is refused
/// with a DataError here instead of taking this process down.
Handle open_file(const std::filesystem::path& path, bool writable,
                 std::span<const char* const> probe = {});
void flush(hid_t file);

bool exists(hid_t loc, const std::string& path);
Handle create_group(hid_t loc, const std::string& name);
Handle open_group(hid_t loc, const std::string& name);
void remove(hid_t loc, const std::string& name);
/// Names of the direct members of a group, sorted.
std::vector<std::string> members(hid_t group);

void write_attribute(hid_t obj, const std::string& name, const std::string& value);
void write_attribute(hid_t obj, const std::string& name, int64_t value);
void write_attribute(hid_t obj, const std::string& name, double value);
std::optional<std::string> read_string_attribute(hid_t obj, const std::string& name);
std::optional<int64_t> read_int_attribute(hid_t obj, const std::string& name);

/// A dataset of fixed shape, written whole (`dims` multiply to values.size()).
void write_dataset(hid_t loc, const std::string& name, std::span<const double> values,
                   const std::vector<hsize_t>& dims);
void write_dataset(hid_t loc, const std::string& name, std::span<const int64_t> values,
                   const std::vector<hsize_t>& dims);
void write_dataset(hid_t loc, const std::string& name, std::span<const int32_t> values,
                   const std::vector<hsize_t>& dims);

template <typename T>
struct Array {
  std::vector<hsize_t> dims;
  std::vector<T> values;
};
Array<double> read_doubles(hid_t loc, const std::string& name);
Array<int64_t> read_ints(hid_t loc, const std::string& name);

/// An extendible dataset of rows: shape (rows, width...) grown one block at a time.
void create_series(hid_t loc, const std::string& name, hid_t type,
                   const std::vector<hsize_t>& row_shape);
void append_rows(hid_t loc, const std::string& name, hid_t mem_type, const void* data,
                 hsize_t rows);
hsize_t row_count(hid_t loc, const std::string& name);
/// Drops rows past `rows` (a resumed run rewinds its series to its checkpoint).
void truncate_rows(hid_t loc, const std::string& name, hsize_t rows);

}  // namespace qdm::h5
