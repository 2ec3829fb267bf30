// `evalsim sweep`: see sim/sweep.h.
#include "sim/cli.h"

namespace evalsim {

Command AddSweepCommand(CLI::App& parent) {
  Command c;
  c.app = parent.add_subcommand("sweep", "run a scenario at every point of a grid of knob values");
  c.run = [] { return 1; };
  return c;
}

}  // namespace evalsim
