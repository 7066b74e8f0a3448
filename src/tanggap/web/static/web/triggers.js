/* The trigger builder: add and remove condition and action rows, and show only the inputs that fit
   the chosen condition or action. Without script the form still works: "Add condition" and "Add
   action" submit and the page comes back with a new row, and every input is shown. */
(function () {
  "use strict";
  if (window.tanggapTriggers) return;
  window.tanggapTriggers = true;

  function fit(row) {
    var field = row.querySelector("[data-condition-field]");
    var type = row.querySelector("[data-action-type]");
    var chosen = field ? field.value : type ? type.value : "";
    row.querySelectorAll("[data-for]").forEach(function (input) {
      input.hidden = input.getAttribute("data-for").split(" ").indexOf(chosen) === -1;
    });
    if (field) {
      var op = row.querySelector("[data-condition-op]");
      var firstFit = null;
      Array.prototype.forEach.call(op.options, function (option) {
        var fits = !chosen || option.getAttribute("data-fields").split(" ").indexOf(chosen) !== -1;
        option.hidden = !fits;
        option.disabled = !fits;
        if (fits && firstFit === null) firstFit = option;
      });
      if (op.selectedOptions.length && op.selectedOptions[0].disabled && firstFit) firstFit.selected = true;
    }
  }

  function fitAll() { document.querySelectorAll(".trigger-form [data-row]").forEach(fit); }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-condition-field], [data-action-type]")) {
      fit(target.closest("[data-row]"));
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var remove = target.closest("[data-remove-row]");
    if (remove && remove.closest(".trigger-form")) {
      event.preventDefault();
      remove.closest("[data-row]").remove();
      return;
    }
    var add = target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      var kind = add.getAttribute("data-add-row");
      var rows = document.querySelector('[data-rows="' + kind + '"]');
      var template = document.getElementById(kind + "-template");
      var next = parseInt(rows.getAttribute("data-next") || "0", 10);
      if (rows.querySelectorAll("[data-row]").length >= 20) return;
      var html = template.innerHTML.replace(/__n__/g, String(next));
      rows.setAttribute("data-next", String(next + 1));
      rows.insertAdjacentHTML("beforeend", html);
      var row = rows.lastElementChild;
      fit(row);
      var first = row.querySelector("select, input");
      if (first) first.focus();
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fitAll);
  else fitAll();
})();
