// Draw the bottleneck load chart with the locally served plotly.js, on page load and after
// every htmx swap; the table next to it carries the same numbers without JavaScript.
(function () {
  "use strict";

  function drawCharts(root) {
    if (typeof Plotly === "undefined") return;
    root.querySelectorAll("[data-load-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.loadChart);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      Plotly.react(el, [
        { type: "bar", name: "Booked hours", x: data.weeks, y: data.booked, marker: { color: "#1f6feb" } },
        { type: "scatter", mode: "lines+markers", name: "Available hours", x: data.weeks, y: data.available,
          line: { color: "#b42318" } }
      ], {
        margin: { t: 10, r: 10, b: 40, l: 45 }, height: 240, legend: { orientation: "h", y: -0.25 },
        yaxis: { title: { text: "hours" }, rangemode: "tozero" }, xaxis: { type: "date" }
      }, { displayModeBar: false, responsive: true });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
  // A second click while the first post is on its way would send the same action twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once")) return;
    if (form.dataset.submitting === "1") { event.preventDefault(); return; }
    form.dataset.submitting = "1";
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      delete form.dataset.submitting;
    });
  });
  document.addEventListener("htmx:afterSettle", function () { drawCharts(document); });
})();
