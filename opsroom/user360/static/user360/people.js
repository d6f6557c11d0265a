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
