#pragma once
/// Amplitude encoding as gates, for hardware that starts every circuit in |0...0>: uniformly
/// controlled RY rotations set the magnitudes (qubit n-1 first, each later qubit controlled by
/// the ones above it), then uniformly controlled RZ rotations set the relative phases (Mottonen et
/// al., "Transformation of quantum states using uniformly controlled rotations", 2004). Each
/// uniformly controlled rotation with k controls is 2^k rotations and 2^k CNOTs in Gray-code order.
/// The state is reproduced up to a global phase.

#include <complex>
#include <span>

#include "framework/circuit/circuit.h"

namespace qdm {

/// The circuit taking |0...0> to `amplitudes` (2^n values of unit norm) up to a global phase; only
/// constant angles. std::invalid_argument when the size is not a power of two or the norm is not 1.
Circuit prepare_state(std::span<const std::complex<double>> amplitudes);

}  // namespace qdm
