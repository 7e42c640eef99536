// Keeps the timesheet grid's row, day and week totals in step with what is typed.
// The server checks everything again on save; this only saves a round trip.
(function () {
  "use strict";
  function minutes(text) {
    var value = text.trim().toLowerCase().replace(/h$/, "").trim();
    var clock = /^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?$/.exec(value);
    if (clock) { return Number(clock[1]) * 60 + Number(clock[2]) + (Number(clock[3] || 0) >= 30 ? 1 : 0); }
    if (/^(\d+([.,]\d*)?|[.,]\d+)$/.test(value)) { return Math.round(Number(value.replace(",", ".")) * 60); }
    return 0;
  }
  function hours(total) {
    return String(Math.round(total / 60 * 100) / 100);
  }
  function update(table) {
    var days = [0, 0, 0, 0, 0, 0, 0];
    var week = 0;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var sum = 0;
      row.querySelectorAll("td input").forEach(function (input, d) {
        var m = minutes(input.value);
        sum += m;
        days[d] += m;
      });
      week += sum;
      var cell = row.querySelector("[data-row-total]");
      if (cell) { cell.textContent = hours(sum); }
    });
    table.querySelectorAll("[data-day-total]").forEach(function (cell, d) {
      cell.textContent = hours(days[d]) + (days[d] > 24 * 60 ? " (over 24 h)" : "");
      cell.classList.toggle("invalid", days[d] > 24 * 60);
    });
    var total = table.querySelector("[data-week-total]");
    if (total) { total.textContent = hours(week); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("timesheet");
    if (table) { table.addEventListener("input", function () { update(table); }); }
  });
})();
