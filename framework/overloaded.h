#pragma once
/// Builds one visitor for std::visit from several lambdas.

namespace qdm {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

}  // namespace qdm
