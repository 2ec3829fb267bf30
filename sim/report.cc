// (to come)
#include "sim/report.h"

#include "sim/errors.h"

namespace evalsim {

nlohmann::ordered_json BuildReportData(const std::filesystem::path&) {
  throw InputError("report: (to come)");
}
std::string RenderReportHtml(const nlohmann::ordered_json&) { return {}; }
void WriteReport(const std::filesystem::path& dir, const std::filesystem::path&) {
  BuildReportData(dir);
}

}  // namespace evalsim
