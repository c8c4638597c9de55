#pragma once
/// The reference denoisers of REFERENCE.md as pipelines, one call P(theta, t) each.

#include <array>

#include "framework/pipeline.h"

namespace qdm {

/// The paper's "reverse bottleneck": [LabelEncode] -> S1 -> ancilla + L -> sampled ancilla
/// measurement -> S2 -> [label post-selection] -> Normalise, StronglyEntanglingLayers throughout.
struct BottleneckShape {
  int data_qubits = 3;
  int label_qubits = 4;  ///< 0 for the unconditioned latent model
  int s1_layers = 15;
  int l_layers = 20;
  int s2_layers = 15;
};
/// 1110 parameters with the defaults (conditioned-latent); 510 with label_qubits = 0 (latent).
Pipeline bottleneck_denoiser(const BottleneckShape& shape);

/// The 2025 pixel denoiser: R3-chain block on n qubits, ancilla + block on n + 1, post-select the
/// ancilla on 0 and renormalise, optional ComplexLeakyReLU + renormalise, block on n.
struct PixelShape {
  int data_qubits = 8;
  std::array<int, 3> layers{2, 2, 2};
  bool leaky_relu = false;
  double leaky_slope = 0.01;
};
/// 150 parameters with the defaults.
Pipeline pixel_denoiser(const PixelShape& shape);

}  // namespace qdm
