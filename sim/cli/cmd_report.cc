// `evalsim report DIR`: rebuilds report.html from an output directory's files
// alone (see sim/report/report.h).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "sim/cli/cli.h"
#include "sim/core/errors.h"
#include "sim/report/report.h"

namespace evalsim {
namespace {

struct ReportFlags {
  std::string dir;
  std::string out;
};

int CmdReport(const ReportFlags& f) {
  const std::filesystem::path dir(f.dir);
  if (!std::filesystem::is_directory(dir))
    throw InputError(
        fmt::format("{}: not a directory (expected the --out directory of a run, "
                    "sweep or manipulate)",
                    f.dir));
  const std::filesystem::path out =
      f.out.empty() ? dir / "report.html" : std::filesystem::path(f.out);
  WriteReport(dir, out);
  std::cout << fmt::format("wrote {}\n", out.string());
  return 0;
}

}  // namespace

Command AddReportCommand(CLI::App& parent) {
  auto f = std::make_shared<ReportFlags>();
  Command c;
  c.app = parent.add_subcommand(
      "report", "rebuild report.html from the files of a run, sweep or manipulate directory");
  c.app->add_option("dir", f->dir, "output directory of evalsim run, sweep or manipulate")
      ->required();
  c.app->add_option("--out", f->out, "where to write the page (default DIR/report.html)");
  c.run = [f] { return CmdReport(*f); };
  return c;
}

}  // namespace evalsim
