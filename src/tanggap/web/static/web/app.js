/* Tanggap agent workspace: small progressive enhancements. Every form works without this file. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function closest(el, selector) {
    return el && el.closest ? el.closest(selector) : null;
  }

  // Navigation menu at phone width.
  document.addEventListener("click", function (event) {
    var toggle = closest(event.target, "[data-menu-toggle]");
    if (toggle) {
      var open = root.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    // Composer tabs: switch without a page load.
    var tab = closest(event.target, "[data-tabs] [data-tab]");
    if (tab) {
      event.preventDefault();
      var box = closest(tab, "[data-tabs]");
      box.querySelectorAll("[data-tab]").forEach(function (t) {
        var active = t === tab;
        t.classList.toggle("active", active);
        t.setAttribute("aria-selected", active ? "true" : "false");
      });
      box.querySelectorAll("[data-panel]").forEach(function (panel) {
        panel.hidden = panel.getAttribute("data-panel") !== tab.getAttribute("data-tab");
        if (!panel.hidden) {
          var area = panel.querySelector("textarea");
          if (area) area.focus();
        }
      });
      return;
    }
    var selectable = closest(event.target, "[data-select-all]");
    if (selectable) {
      var range = document.createRange();
      range.selectNodeContents(selectable);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  });

  // Filter forms submit themselves when a choice changes, a list or a box ("Angry customers"); htmx
  // forms handle their own changes.
  document.addEventListener("change", function (event) {
    var form = closest(event.target, "form[data-autosubmit]");
    if (form && event.target.matches("select, input[type=checkbox]") && !form.hasAttribute("hx-post")) {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
    if (event.target.matches("[data-check-all]")) {
      var list = closest(event.target, "form");
      list.querySelectorAll("input.row-check").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.matches("input.row-check, [data-check-all]")) updateSelected();
  });

  function updateSelected() {
    var bar = document.querySelector("[data-bulkbar]");
    if (!bar) return;
    var n = document.querySelectorAll("input.row-check:checked").length;
    bar.classList.toggle("has-selection", n > 0);
    var label = bar.querySelector("[data-selected-count]");
    if (label) label.textContent = n > 0 ? String(n) : "";
  }

  // Collision warning: tell the server whether this agent is writing a reply.
  function updateReplying() {
    var flag = document.getElementById("replying-flag");
    var area = document.querySelector("[data-reply-text]");
    if (!flag) return;
    var replying = !!area && (document.activeElement === area || area.value.trim() !== "");
    var value = replying ? "1" : "";
    if (flag.value !== value) {
      flag.value = value;
      // Tell the others at once rather than at the next 15-second ping.
      var presence = document.getElementById("presence");
      if (presence) presence.dispatchEvent(new CustomEvent("replying-changed"));
    }
  }
  document.addEventListener("focusin", updateReplying);
  document.addEventListener("focusout", function () { setTimeout(updateReplying, 0); });
  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-reply-text]")) updateReplying();
  });
  document.addEventListener("htmx:afterSwap", function () {
    updateReplying();
    updateSelected();
  });

  // Leaving a ticket page: drop the presence at once instead of waiting for it to expire.
  window.addEventListener("pagehide", function () {
    var presence = document.getElementById("presence");
    var url = presence && presence.getAttribute("data-leave-url");
    if (!url || !navigator.sendBeacon) return;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrfToken());
    navigator.sendBeacon(url, data);
  });
})();
