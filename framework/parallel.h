#pragma once
/// The one OpenMP loop shape qdm uses: independent work items on a team of threads, dynamically
/// scheduled, with the first exception carried out of the parallel region and rethrown.

#include <algorithm>
#include <cstddef>
#include <exception>

namespace qdm {

/// Runs f(k) for k < count on up to `threads` threads.
template <typename F>
void parallel_for(size_t count, int threads, F&& f) {
  std::exception_ptr error;
  const int team = static_cast<int>(std::min<size_t>(count, std::max(threads, 1)));
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
  for (size_t k = 0; k < count; ++k) {
    try {
      f(k);
    } catch (...) {
#pragma omp critical
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace qdm
