#pragma once
/// A slow, obviously correct simulator for tests only: every gate becomes its full 2^n x 2^n matrix
/// (stored sparse) built from textbook 2x2 matrices by Kronecker products, and pipelines run state
/// by state.

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "framework/circuit/circuit.h"
#include "framework/circuit/program.h"
#include "framework/pipeline.h"

namespace qdm::reference {

using Vector = Eigen::VectorXcd;
using Matrix = Eigen::MatrixXcd;
using SparseMatrix = Eigen::SparseMatrix<std::complex<double>>;

/// The textbook matrix, written out entry by entry (not via the library's factorisation).
Eigen::Matrix2cd textbook_matrix(GateKind kind, std::span<const double> angles);
SparseMatrix full_gate_matrix(const Op& op, int num_qubits, std::span<const double> params);
Vector run_circuit(const Circuit& c, std::span<const double> params, const Vector& state);
/// Every column of `states` through the circuit.
Matrix run_circuit(const Circuit& c, std::span<const double> params, const Matrix& states);

/// One state through a pipeline; `uniform` is the draw for each SampleMeasure in order.
Vector run_pipeline(const Pipeline& p, std::span<const double> params, const Vector& state,
                    int label, std::span<const double> uniforms);

/// The exact distribution of a program's classical bits from |0...0>: every measurement branches
/// on its two outcomes (projector, renormalise), a reset is a measurement whose outcome is
/// dropped followed by X on 1; branches below 1e-14 are dropped.
std::map<uint64_t, double> program_distribution(const Program& program);

}  // namespace qdm::reference
