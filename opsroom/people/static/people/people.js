// People pages: remove a filter condition row. Everything else is HTMX or plain forms.
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
})();
