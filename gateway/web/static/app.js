// The few behaviours the pages need; no inline script anywhere (the CSP allows only files from here).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One press, one request: a second press while the first is under way would only repeat it.
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-print]");
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
  // The certificate fields matter only when a certificate was shown.
  var form = document.getElementById("claim-form");
  if (form) {
    var cert = form.querySelector(".cert");
    var sync = function () {
      var shown = form.querySelector("input[name=has_certificate][value=yes]").checked;
      cert.hidden = !shown;
    };
    form.querySelectorAll("input[name=has_certificate]").forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }
})();
