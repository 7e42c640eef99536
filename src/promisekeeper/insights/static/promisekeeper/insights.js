// Draws every [data-plotly] element from the JSON figure next to it, on load and after htmx
// swaps, and turns heatmap clicks into an htmx request for the projects behind the cell.
(function () {
  "use strict";

  function draw(root) {
    if (typeof Plotly === "undefined") { return; }
    root.querySelectorAll("[data-plotly]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.plotly + "-figure");
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      var config = { responsive: true, displaylogo: false };
      if (el.dataset.static) { config.staticPlot = true; }
      Plotly.newPlot(el, figure.data, figure.layout, config);
      el.dataset.drawn = "1";
      if (el.dataset.cellUrl) {
        el.on("plotly_click", function (event) {
          var point = event.points && event.points[0];
          if (!point || !point.customdata) { return; }
          var url = el.dataset.cellUrl + "?row=" + encodeURIComponent(point.customdata[0]) +
            "&week=" + encodeURIComponent(point.customdata[1]);
          htmx.ajax("GET", url, { target: "#cell-detail" });
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.detail.elt || document); });
  document.addEventListener("htmx:afterSettle", function () { draw(document); });
})();
