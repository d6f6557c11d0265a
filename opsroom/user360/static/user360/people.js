// People pages: remove a filter condition row; show 400 answers (a filter or question that
// cannot be used) in place, since HTMX leaves 4xx responses unswapped by default.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-remove-condition]");
    if (!button) return;
    const row = button.closest(".condition");
    const form = button.closest("form");
    if (row) row.remove();
    if (form && window.htmx) window.htmx.trigger(form, "submit");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400 && event.detail.target.closest("[data-show-400]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

// The person page's tabs (timeline | debug tools): one card, so neither is below the other.
// The open tab is the address's #timeline or #debug, so reload, back and links keep it.
(function () {
  "use strict";
  function show(name) {
    const root = document.querySelector("[data-tabs]");
    if (!root) return false;
    const panel = root.querySelector('[data-panel="' + name + '"]');
    if (!panel) return false;
    root.querySelectorAll("[data-panel]").forEach(function (each) {
      each.hidden = each !== panel;
    });
    root.querySelectorAll("[data-tab]").forEach(function (tab) {
      const on = tab.dataset.tab === name;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", on ? "true" : "false");
    });
    return true;
  }
  function fromHash() {
    const id = window.location.hash.slice(1);
    const target = id && document.getElementById(id);
    const panel = target && target.closest("[data-panel]");
    show(panel ? panel.dataset.panel : "timeline");
  }
  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-tab], [data-tab-link]");
    if (!link) return;
    const name = link.dataset.tab || link.dataset.tabLink;
    if (!show(name)) return;
    event.preventDefault();
    window.history.replaceState(null, "", "#" + name);
    if (link.dataset.tabLink) {
      document.querySelector("[data-tabs]").scrollIntoView({ block: "start" });
    }
  });
  window.addEventListener("hashchange", fromHash);
  document.addEventListener("DOMContentLoaded", fromHash);
})();

// The bulk bar shows only the inputs the chosen action needs (the option's data-fields).
(function () {
  "use strict";
  function fit(form) {
    const select = form.querySelector("[data-bulk-action]");
    if (!select) return;
    const option = select.options[select.selectedIndex];
    const fields = ((option && option.dataset.fields) || "").split(" ");
    form.querySelectorAll("[data-bulk-field]").forEach(function (input) {
      input.hidden = fields.indexOf(input.dataset.bulkField) < 0;
    });
  }
  function fitAll(root) { root.querySelectorAll("[data-bulk-form]").forEach(fit); }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-bulk-action]")) fit(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () { fitAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { fitAll(event.target); });
})();
