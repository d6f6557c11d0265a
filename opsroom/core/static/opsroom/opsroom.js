// Opsroom's own script: charts from JSON data blocks and confirmation prompts.
// No inline scripts anywhere (the content security policy forbids them).
(function () {
  "use strict";

  const palette = ["#2457d6", "#1a7f4b", "#b26a00", "#c0322b", "#6b3fd1", "#0f8a9d"];

  function homeChart(canvas, data) {
    return new Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "line", label: "MRR (" + data.currency + ")", data: data.mrr, yAxisID: "mrr",
            borderColor: palette[0], backgroundColor: palette[0], cubicInterpolationMode: "monotone" },
          { type: "bar", label: "Signups", data: data.signups, yAxisID: "signups",
            backgroundColor: "rgba(26,127,75,.35)" },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          mrr: { position: "left", beginAtZero: true },
          signups: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
        },
      },
    });
  }

  // A chart spec in a JSON block: {"type": "line", "labels": [...], "datasets": [{label, data}]}.
  function genericChart(canvas, spec) {
    return new Chart(canvas, {
      type: spec.type || "line",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, index) {
          const color = set.color || palette[index % palette.length];
          return Object.assign({ borderColor: color, backgroundColor: color, tension: 0.25 }, set);
        }),
      },
      options: Object.assign({ maintainAspectRatio: false, animation: false }, spec.options || {}),
    });
  }

  function drawCharts(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      const block = document.getElementById(canvas.dataset.chart);
      if (!block) return;
      const data = JSON.parse(block.textContent);
      canvas.dataset.drawn = "1";
      if (canvas.id === "home-chart") homeChart(canvas, data);
      else genericChart(canvas, data);
    });
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
  window.Opsroom = { drawCharts: drawCharts };
})();
