// Report charts: each <div data-chart> names a <script type="application/json"> holding a Plotly
// figure built on the server; plotly.js (served by Cuecast itself) draws it. The tables beside
// the charts hold the same figures, so the page reads fine without JavaScript too.
(function () {
  "use strict";

  function draw() {
    if (!window.Plotly) { return; }
    var charts = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(charts, function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(element, figure.data, figure.layout, {
        displaylogo: false,
        responsive: true,
        modeBarButtonsToRemove: ["select2d", "lasso2d"]
      });
      element.setAttribute("data-drawn", "true");
    });
  }

  // Editing a date means a custom period: switch the period list to "Custom" to match.
  function followDates() {
    var form = document.getElementById("report-controls");
    if (!form) { return; }
    var period = form.querySelector("select[name=period]");
    Array.prototype.forEach.call(form.querySelectorAll("input[type=date]"), function (input) {
      input.addEventListener("change", function () {
        if (period && period.querySelector("option[value=custom]")) { period.value = "custom"; }
      });
    });
  }

  function start() { draw(); followDates(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
