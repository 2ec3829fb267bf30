(function () {
  var errors = [];
  function flush() {
    var b = document.body;
    if (!b) return;
    b.setAttribute("data-console-errors", String(errors.length));
    var pre = document.getElementById("console-errors");
    if (pre) pre.textContent = errors.join("\n");
  }
  function add(msg) { errors.push(String(msg)); flush(); }
  window.__reportErrors = { add: add, flush: flush };
  var original = console.error;
  console.error = function () {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) {
      var a = arguments[i];
      parts.push(a && a.stack ? String(a.stack) : String(a));
    }
    add(parts.join(" "));
    if (original) original.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    if (e && e.message) add("error: " + e.message + (e.filename ? " (" + e.filename + ":" + e.lineno + ")" : ""));
    else add("error: " + (e && e.target && (e.target.src || e.target.href) || "resource failed"));
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    var r = e && e.reason;
    add("unhandledrejection: " + (r && r.message ? r.message : String(r)));
  });
})();
