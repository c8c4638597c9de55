#pragma once
/// Shots of a program with mid-circuit measurements and resets on state vectors. Shots that share
/// their history share the simulation: the distinct histories ("branches") run as one batch
/// through each stretch of gates (the batched kernels, chunked to stay in cache); at a measurement
/// the shots of each branch split by the Born probabilities (one uniform draw per shot) and every
/// outcome that has shots continues from its collapsed state. The cost grows with the number of
/// distinct histories, not with the shots; the measurements that end the program are drawn per
/// shot from the final states.

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "framework/circuit/program.h"

namespace qdm::sv {

/// (classical bit, value): a shot that measures another value on that bit is rejected by the
/// caller's post-selection anyway.
using ClbitValue = std::pair<int, int>;

/// `shots` bitstrings of the program's classical bits (bit k = clbit k), in no particular order.
/// Shots that read a value other than the one `stop_unless` names for a bit stop there (their
/// later bits read 0): the numbers of kept and rejected shots, and the kept shots' bits, are
/// distributed exactly as without stopping, for far less work when most shots are rejected.
/// std::invalid_argument when the branches' states would not fit in memory.
std::vector<uint64_t> sample_program(const Program& program, int shots, uint64_t seed,
                                     std::span<const ClbitValue> stop_unless = {});

}  // namespace qdm::sv
