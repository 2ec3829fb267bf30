#include "sim/report/assets.h"

#include <cstddef>

extern "C" {
extern const char evalsim_report_js_begin[];
extern const char evalsim_report_js_end[];
extern const char evalsim_report_js_versions_begin[];
extern const char evalsim_report_js_versions_end[];
extern const char evalsim_report_page_css_begin[];
extern const char evalsim_report_page_css_end[];
extern const char evalsim_report_capture_js_begin[];
extern const char evalsim_report_capture_js_end[];
extern const char evalsim_report_page_js_begin[];
extern const char evalsim_report_page_js_end[];
}

namespace evalsim {
namespace {

std::string_view Blob(const char* begin, const char* end) {
  return {begin, static_cast<size_t>(end - begin)};
}

}  // namespace

std::string_view ReportScripts() { return Blob(evalsim_report_js_begin, evalsim_report_js_end); }

std::string_view ReportScriptVersions() {
  return Blob(evalsim_report_js_versions_begin, evalsim_report_js_versions_end);
}

std::string_view ReportPageCss() {
  return Blob(evalsim_report_page_css_begin, evalsim_report_page_css_end);
}

std::string_view ReportCaptureScript() {
  return Blob(evalsim_report_capture_js_begin, evalsim_report_capture_js_end);
}

std::string_view ReportPageScript() {
  return Blob(evalsim_report_page_js_begin, evalsim_report_page_js_end);
}

}  // namespace evalsim
