#include "framework/denoisers.h"

#include "framework/circuit/ansatz.h"
#include "framework/error.h"

namespace qdm {

Pipeline bottleneck_denoiser(const BottleneckShape& s) {
  require_in_range("data qubit count", s.data_qubits, 1, 20);
  require_in_range("label qubit count", s.label_qubits, 0, 10);
  const int wide = s.data_qubits + s.label_qubits;
  Pipeline p(s.data_qubits);
  if (s.label_qubits > 0) p.add(LabelEncode{s.label_qubits});
  int offset = 0;
  p.add(UnitaryBlock{strongly_entangling_layers(wide, s.s1_layers), offset});
  offset += strongly_entangling_param_count(wide, s.s1_layers);
  p.add(AppendAncilla{1});
  p.add(UnitaryBlock{strongly_entangling_layers(wide + 1, s.l_layers), offset});
  offset += strongly_entangling_param_count(wide + 1, s.l_layers);
  p.add(SampleMeasure{{wide}});
  p.add(UnitaryBlock{strongly_entangling_layers(wide, s.s2_layers), offset});
  if (s.label_qubits > 0) p.add(LabelPostSelect{s.label_qubits});
  p.add(Normalise{});
  return p;
}

Pipeline pixel_denoiser(const PixelShape& s) {
  require_in_range("data qubit count", s.data_qubits, 1, 20);
  const int n = s.data_qubits;
  Pipeline p(n);
  int offset = 0;
  p.add(UnitaryBlock{r3_chain_layers(n, s.layers[0]), offset});
  offset += r3_chain_param_count(n, s.layers[0]);
  p.add(AppendAncilla{1});
  p.add(UnitaryBlock{r3_chain_layers(n + 1, s.layers[1]), offset});
  offset += r3_chain_param_count(n + 1, s.layers[1]);
  p.add(PostSelect{{n}, {0}});
  p.add(Normalise{});
  if (s.leaky_relu) {
    p.add(ComplexLeakyReLU{s.leaky_slope});
    p.add(Normalise{});
  }
  p.add(UnitaryBlock{r3_chain_layers(n, s.layers[2]), offset});
  return p;
}

}  // namespace qdm
