// The chart scripts every report.html inlines: Vega, Vega-Lite and
// vega-embed, at the versions pinned in report/package-lock.json, fetched by
// the build with `npm ci` and compiled into the binary (sim/report_assets.S).
#ifndef EVALSIM_SIM_REPORT_ASSETS_H_
#define EVALSIM_SIM_REPORT_ASSETS_H_

#include <string_view>

namespace evalsim {

// The three scripts, each after its licence comment, in load order. Safe to
// inline in a <script> element: the build refuses a script that holds
// "</script" or "<!--".
std::string_view ReportScripts();

// One line per script: "<package> <version>".
std::string_view ReportScriptVersions();

}  // namespace evalsim

#endif  // EVALSIM_SIM_REPORT_ASSETS_H_
