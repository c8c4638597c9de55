#include "framework/denoisers.h"

#include <gtest/gtest.h>

#include "framework/circuit/ansatz.h"

namespace qdm {
namespace {

TEST(Denoisers, ConditionedLatentHas1110Parameters) {
  const Pipeline p = bottleneck_denoiser({});
  EXPECT_EQ(p.num_params(), 15 * 7 * 3 + 20 * 8 * 3 + 15 * 7 * 3);
  EXPECT_EQ(p.num_params(), 1110);
  EXPECT_EQ(p.input_qubits(), 3);
  EXPECT_EQ(p.output_qubits(), 3);
  EXPECT_TRUE(p.is_physical());
  EXPECT_TRUE(p.uses_labels());
}

TEST(Denoisers, LatentHas510Parameters) {
  BottleneckShape s;
  s.label_qubits = 0;
  const Pipeline p = bottleneck_denoiser(s);
  EXPECT_EQ(p.num_params(), 15 * 3 * 3 + 20 * 4 * 3 + 15 * 3 * 3);
  EXPECT_FALSE(p.uses_labels());
}

TEST(Denoisers, PixelHas150ParametersPerTimestep) {
  const Pipeline p = pixel_denoiser({});
  EXPECT_EQ(p.num_params(), 3 * (2 * 8 + 2 * 9 + 2 * 8));
  EXPECT_EQ(p.num_params(), 150);
  EXPECT_EQ(p.output_qubits(), 8);
  EXPECT_TRUE(p.is_physical());
  PixelShape leaky;
  leaky.leaky_relu = true;
  EXPECT_FALSE(pixel_denoiser(leaky).is_physical());
}

TEST(Ansatz, StructureOfEachBuilder) {
  const Circuit sel = strongly_entangling_layers(4, 2);
  EXPECT_EQ(sel.num_params(), 24);
  EXPECT_EQ(sel.ops().size(), 2u * (4 + 4));  // Rot per qubit + ring of 4 CNOTs per layer
  EXPECT_EQ(sel.ops()[7].kind, GateKind::CNOT);
  EXPECT_EQ(sel.ops()[7].qubits[0], 3);
  EXPECT_EQ(sel.ops()[7].qubits[1], 0);  // the ring closes
  const Circuit r3 = r3_chain_layers(3, 2);
  EXPECT_EQ(r3.num_params(), 18);
  EXPECT_EQ(r3.ops()[3].qubits[0], 0);  // layer 0: chain (0,1), (1,2)
  EXPECT_EQ(r3.ops()[8].qubits[0], 1);  // layer 1: reversed, (1,2) first
  EXPECT_EQ(r3.ops()[9].qubits[0], 0);
  EXPECT_EQ(hardware_efficient_layers(5, 3).num_params(), 30);
  EXPECT_EQ(strongly_entangling_layers(1, 3).ops().size(), 3u);  // no CNOTs on one qubit
}

}  // namespace
}  // namespace qdm
