#pragma once
/// Builds one visitor for std::visit from several lambdas.

namespace qdm {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

/// Clang before 17 does not deduce aggregate template arguments (P1816): say it.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace qdm
