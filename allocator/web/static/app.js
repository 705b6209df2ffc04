// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";

  // Confirm dialogs for forms with data-confirm (e.g. publishing a round).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // Solving takes a moment: show it and avoid double submits.
    var button = form.querySelector("button[type=submit]");
    if (button && form.method.toLowerCase() === "post") {
      window.setTimeout(function () { button.disabled = true; }, 0);
      if (/\/resolve$/.test(form.action)) { button.textContent = "Løser …"; }
    }
  });

  // Client-side filter of a table's rows: <input data-filter="#table-id">.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var table = document.querySelector(input.getAttribute("data-filter"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      table.querySelectorAll("tbody > tr").forEach(function (row) {
        row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  });

  // Slow fragments (recommendations: one solve per dwelling) load after the page.
  document.querySelectorAll("[data-load]").forEach(function (box) {
    fetch(box.getAttribute("data-load"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) { box.innerHTML = html; box.classList.remove("loading"); })
      .catch(function () { box.textContent = "Kunne ikke hente anbefalinger. Last siden på nytt."; });
  });
})();
