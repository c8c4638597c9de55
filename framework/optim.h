#pragma once
/// Adam with L2 weight decay and StepLR, with PyTorch's update rules so the reference
/// hyper-parameters mean the same thing here.

#include <cstdint>
#include <span>
#include <vector>

namespace qdm {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  ///< torch.optim.Adam's: added to the gradient (L2), not decoupled
};

class Adam {
 public:
  Adam(size_t num_params, AdamOptions options);

  /// One update of `params` with `grad`, at learning rate `lr`.
  void step(std::span<double> params, std::span<const double> grad, double lr);

  // State, for checkpoints.
  int64_t steps() const { return steps_; }
  const std::vector<double>& m() const { return m_; }
  const std::vector<double>& v() const { return v_; }
  void restore(int64_t steps, std::vector<double> m, std::vector<double> v);
  const AdamOptions& options() const { return options_; }

 private:
  AdamOptions options_;
  int64_t steps_ = 0;
  std::vector<double> m_, v_;
};

/// torch.optim.lr_scheduler.StepLR stepped once per epoch: lr0 * gamma^floor(epoch / step_size).
double step_lr(double lr0, int epoch, int step_size, double gamma);

}  // namespace qdm
