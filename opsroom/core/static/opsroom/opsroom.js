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
  // Datasets marked "threshold" (a band's limit drawn as a line) stay out of the tooltip.
  function genericChart(canvas, spec) {
    const options = Object.assign({ maintainAspectRatio: false, animation: false }, spec.options || {});
    options.plugins = Object.assign({}, options.plugins);
    options.plugins.tooltip = Object.assign({
      filter: function (item) { return !item.dataset.threshold; },
    }, options.plugins.tooltip || {});
    return new Chart(canvas, {
      type: spec.type || "line",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, index) {
          const color = set.color || palette[index % palette.length];
          return Object.assign({ borderColor: color, backgroundColor: color, tension: 0.25 }, set);
        }),
      },
      options: options,
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

  // Search boxes with suggestions ([data-suggest-box]): HTMX fills the list as one types;
  // arrow keys walk it, Escape or a click elsewhere closes it.
  function suggestionList(box) { return box.querySelector("[data-suggestions]"); }
  function suggestionLinks(box) {
    return Array.prototype.slice.call(box.querySelectorAll("[data-suggestion]"));
  }
  function closeSuggestions(box) {
    const list = suggestionList(box);
    if (list) list.innerHTML = "";
    const input = box.querySelector("input[type=search]");
    if (input) input.setAttribute("aria-expanded", "false");
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    const box = event.target.closest && event.target.closest("[data-suggest-box]");
    if (!box) return;
    const input = box.querySelector("input[type=search]");
    if (input) input.setAttribute("aria-expanded", suggestionLinks(box).length ? "true" : "false");
  });
  document.addEventListener("keydown", function (event) {
    const box = event.target.closest && event.target.closest("[data-suggest-box]");
    if (!box) return;
    const links = suggestionLinks(box);
    if (event.key === "Escape") {
      closeSuggestions(box);
      box.querySelector("input[type=search]").focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    if (!links.length) return;
    event.preventDefault();
    const at = links.indexOf(document.activeElement);
    const next = event.key === "ArrowDown" ? Math.min(at + 1, links.length - 1) : at - 1;
    if (next < 0) box.querySelector("input[type=search]").focus();
    else links[next].focus();
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("[data-suggest-box]").forEach(function (box) {
      if (!box.contains(event.target)) closeSuggestions(box);
    });
  });

  // "← Back" on the error page: the previous page when there is one (else its href, home).
  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("a[data-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
  window.Opsroom = { drawCharts: drawCharts };
})();
