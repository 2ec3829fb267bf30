// `evalsim manipulate`: see sim/manipulation.h.
#include "sim/cli.h"

namespace evalsim {

Command AddManipulateCommand(CLI::App& parent) {
  Command c;
  c.app =
      parent.add_subcommand("manipulate", "the smallest bloc that buys an evaluee a better place");
  c.run = [] { return 1; };
  return c;
}

}  // namespace evalsim
