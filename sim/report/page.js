(function () {
  var body = document.body;
  var errs = window.__reportErrors;
  errs.flush();
  function resources() {
    var n = 0;
    try { n = performance.getEntriesByType("resource").length; } catch (e) { n = -1; }
    body.setAttribute("data-resources", String(n));
  }
  var data;
  try {
    data = JSON.parse(document.getElementById("report-data").textContent);
  } catch (e) {
    errs.add("report-data: " + e.message);
    body.setAttribute("data-report-status", "error");
    resources();
    return;
  }
  var jobs = (data.charts || []).map(function (c) {
    var fig = document.getElementById("chart-" + c.key);
    var el = fig && fig.querySelector("div.vis");
    if (!el) return Promise.reject(new Error("no element for chart " + c.key));
    if (typeof vegaEmbed !== "function") return Promise.reject(new Error("vegaEmbed is not loaded"));
    return vegaEmbed(el, c.spec, { renderer: "svg", actions: false, mode: "vega-lite" })
      .catch(function (e) { throw new Error("chart " + c.key + ": " + (e && e.message ? e.message : e)); });
  });
  Promise.all(jobs).then(function () {
    body.setAttribute("data-report-status", "rendered");
    resources();
  }, function (e) {
    errs.add(e && e.message ? e.message : String(e));
    body.setAttribute("data-report-status", "error");
    resources();
  });
})();
