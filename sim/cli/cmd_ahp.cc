// `evalsim ahp`: AHP weights and consistency of a pairwise comparison matrix
// (models/indicators/mcda.h), as JSON.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "models/indicators/mcda.h"
#include "sim/cli/cli.h"
#include "sim/core/errors.h"
#include "sim/io/ahp_matrix.h"

namespace evalsim {
namespace {

struct AhpFlags {
  std::string matrix, random_index = "saaty", method = "eigenvector";
};

int CmdAhp(const AhpFlags& f) {
  const AhpMatrix m = ReadAhpMatrix(f.matrix);
  mcda::AhpOptions options;
  options.random_index = mcda::ParseRandomIndexTable(f.random_index, "--random-index");
  const auto am = mcda::FindAhpMethod(f.method);
  if (!am)
    throw InputError(fmt::format("--method {}: expected eigenvector or geometric_mean", f.method));
  options.method = *am;
  const mcda::AhpResult r = mcda::Ahp(m.values, options);
  nlohmann::ordered_json j;
  j["names"] = m.names;
  j["weights"] = JsonVector(r.weights);
  j["lambda_max"] = JsonNumber(r.lambda_max);
  j["ci"] = JsonNumber(r.ci);
  j["cr"] = JsonNumber(r.cr);
  j["random_index"] = JsonNumber(r.random_index);
  j["random_index_table"] = std::string(mcda::RandomIndexName(options.random_index));
  j["method"] = std::string(mcda::AhpMethodName(options.method));
  j["consistent"] = r.warning.empty();
  if (!r.warning.empty()) {
    j["warning"] = r.warning;
    std::cerr << "evalsim: ahp: warning: " << r.warning << "\n";
  }
  std::cout << j.dump(2) << "\n";
  return 0;
}

}  // namespace

Command AddAhpCommand(CLI::App& parent) {
  auto f = std::make_shared<AhpFlags>();
  Command c;
  c.app = parent.add_subcommand("ahp", "AHP weights, lambda_max, CI and CR of a matrix (JSON)");
  c.app->add_option("matrix", f->matrix, "pairwise comparison matrix CSV")->required();
  c.app->add_option("--random-index", f->random_index,
                    "random-index table: " + mcda::RandomIndexNames() + " (default saaty)");
  c.app->add_option("--method", f->method, "eigenvector (default) or geometric_mean");
  c.run = [f] { return CmdAhp(*f); };
  return c;
}

}  // namespace evalsim
