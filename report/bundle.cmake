# Joins the chart scripts that npm installed under JS_DIR into one file, OUT,
# that sim/report/assets.S.in compiles into the binary. Each script keeps its
# licence as a leading comment. A script that holds "</script" or "<!--" could
# end or confuse the <script> element it is inlined into, so it is refused
# rather than rewritten.
cmake_minimum_required(VERSION 3.25)
set(_scripts
  "vega|vega/build/vega.min.js"
  "vega-lite|vega-lite/build/vega-lite.min.js"
  "vega-embed|vega-embed/build/vega-embed.min.js")
set(_bundle "")
foreach(_entry IN LISTS _scripts)
  string(REPLACE "|" ";" _parts "${_entry}")
  list(GET _parts 0 _name)
  list(GET _parts 1 _file)
  set(_pkg "${JS_DIR}/node_modules/${_name}")
  if(NOT EXISTS "${JS_DIR}/node_modules/${_file}")
    message(FATAL_ERROR "report scripts: ${JS_DIR}/node_modules/${_file} is missing (npm ci failed?)")
  endif()
  file(READ "${_pkg}/package.json" _json)
  string(JSON _version GET "${_json}" version)
  file(READ "${_pkg}/LICENSE" _licence)
  string(REPLACE "*/" "* /" _licence "${_licence}")
  file(READ "${JS_DIR}/node_modules/${_file}" _js)
  string(TOLOWER "${_js}" _lower)
  foreach(_bad "</script" "<!--")
    string(FIND "${_lower}" "${_bad}" _at)
    if(NOT _at EQUAL -1)
      message(FATAL_ERROR "report scripts: ${_file} contains \"${_bad}\"; it cannot be inlined")
    endif()
  endforeach()
  string(APPEND _bundle "/*! ${_name} ${_version}\n${_licence}*/\n${_js}\n")
  string(APPEND _versions "${_name} ${_version}\n")
endforeach()
file(WRITE "${OUT}.tmp" "${_bundle}")
file(RENAME "${OUT}.tmp" "${OUT}")
file(WRITE "${OUT}.versions" "${_versions}")
