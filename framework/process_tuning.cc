#include "framework/process_tuning.h"

#include <malloc.h>

namespace qdm {

void tune_allocator_for_state_batches() {
  constexpr int kThreshold = 512 << 20;
  mallopt(M_MMAP_THRESHOLD, kThreshold);
  mallopt(M_TRIM_THRESHOLD, kThreshold);
}

}  // namespace qdm
