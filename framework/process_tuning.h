#pragma once
/// Process-wide settings for programs built on qdm (the qdm CLI and qdm-bench call this first).

namespace qdm {

/// State batches of 100 KiB to tens of MiB are allocated and freed for every pipeline stage.
/// glibc serves each from a fresh mmap and returns it on free, so every stage pays page faults
/// for memory it just released (measured: pixel denoiser, batch 1024, 150 ms -> 31 ms per step
/// once the threshold is raised). Raising the mmap and trim thresholds keeps that memory in the
/// heap for reuse. A library should not change this behind its host's back, hence a call.
void tune_allocator_for_state_batches();

}  // namespace qdm
