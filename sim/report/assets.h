// What every report.html inlines, compiled into the binary (assets.S.in):
// the chart scripts (Vega, Vega-Lite and vega-embed, at the versions pinned
// in report/package-lock.json, fetched by the build with `npm ci`) and the
// page's own style sheet and scripts (sim/report/page.css, capture.js,
// page.js).
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

// The page's style sheet (page.css).
std::string_view ReportPageCss();

// The page's first script (capture.js): captures console.error, window errors
// and unhandled rejections before anything else can raise them.
std::string_view ReportCaptureScript();

// The page's last script (page.js): embeds every chart and sets the body's
// status attributes.
std::string_view ReportPageScript();

}  // namespace evalsim

#endif  // EVALSIM_SIM_REPORT_ASSETS_H_
