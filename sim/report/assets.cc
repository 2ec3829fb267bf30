#include "sim/report/assets.h"

extern "C" {
extern const char evalsim_report_js_begin[];
extern const char evalsim_report_js_end[];
extern const char evalsim_report_js_versions_begin[];
extern const char evalsim_report_js_versions_end[];
}

namespace evalsim {

std::string_view ReportScripts() {
  return {evalsim_report_js_begin,
          static_cast<size_t>(evalsim_report_js_end - evalsim_report_js_begin)};
}

std::string_view ReportScriptVersions() {
  return {evalsim_report_js_versions_begin,
          static_cast<size_t>(evalsim_report_js_versions_end - evalsim_report_js_versions_begin)};
}

}  // namespace evalsim
