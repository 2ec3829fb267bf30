// The report's page: report.html for BuildReportData's result, with the
// contract of report.h (the chart figures, the tables, the scenario summary,
// the inlined scripts and the report-data script element).
#ifndef EVALSIM_SIM_REPORT_HTML_H_
#define EVALSIM_SIM_REPORT_HTML_H_

#include <nlohmann/json.hpp>
#include <string>

namespace evalsim::report {

// The whole page, self-contained: every style sheet, script and datum inline.
std::string PageHtml(const nlohmann::ordered_json& data);

}  // namespace evalsim::report

#endif  // EVALSIM_SIM_REPORT_HTML_H_
