/* Macros: filter the picker by name, put an applied macro's text into the reply box (replacing an
   empty reply, else at the last cursor position, else at the end), and follow its status change in
   the reply's "and set status" choice. Applying itself is an htmx post. */
(function () {
  "use strict";
  if (window.tanggapMacros) return;
  window.tanggapMacros = true;

  function replyBox() { return document.getElementById("reply-text"); }

  // Remember where the cursor was in the reply before the agent went to the picker.
  function rememberCaret(event) {
    var area = event.target;
    if (area && area.id === "reply-text") {
      area.setAttribute("data-caret", String(area.selectionStart || 0));
      area.setAttribute("data-caret-end", String(area.selectionEnd || 0));
    }
  }
  ["keyup", "click", "select", "focusout"].forEach(function (name) {
    document.addEventListener(name, rememberCaret, true);
  });

  document.addEventListener("input", function (event) {
    var filter = event.target;
    if (!filter.matches || !filter.matches("[data-macro-filter]")) return;
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var picker = filter.closest("[data-macro-picker]");
    var shown = 0;
    picker.querySelectorAll("[data-macro-name]").forEach(function (item) {
      var name = item.getAttribute("data-macro-name");
      var match = words.every(function (w) { return name.indexOf(w) !== -1; });
      item.hidden = !match;
      if (match) shown += 1;
    });
    var none = picker.querySelector("[data-macro-none]");
    if (none) none.hidden = shown !== 0;
  });

  // Enter in the search box picks the first macro shown instead of sending the reply.
  document.addEventListener("keydown", function (event) {
    var filter = event.target;
    if (event.key !== "Enter" || !filter.matches || !filter.matches("[data-macro-filter]")) return;
    event.preventDefault();
    var picker = filter.closest("[data-macro-picker]");
    var first = picker.querySelector("[data-macro-name]:not([hidden]) button");
    if (first) first.click();
  });

  function insert(area, text) {
    var current = area.value;
    if (current.trim() === "") {
      area.value = text;
      area.setSelectionRange(text.length, text.length);
      return;
    }
    var start = parseInt(area.getAttribute("data-caret") || "", 10);
    var end = parseInt(area.getAttribute("data-caret-end") || "", 10);
    if (isNaN(start) || start < 0 || start > current.length) {
      start = end = current.length;
      text = (/\n$/.test(current) ? "\n" : "\n\n") + text;
    }
    if (isNaN(end) || end < start || end > current.length) end = start;
    area.value = current.slice(0, start) + text + current.slice(end);
    area.setSelectionRange(start + text.length, start + text.length);
  }

  // The macro's actions and its event changed the ticket: show the new head, side panel and
  // timeline without touching the reply being written.
  function refreshTicket() {
    if (!window.fetch || !window.DOMParser) return;
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (page) {
        if (!page) return;
        var fresh = new DOMParser().parseFromString(page, "text/html");
        ["ticket-head", "ticket-side", "timeline"].forEach(function (id) {
          var next = fresh.getElementById(id);
          var current = document.getElementById(id);
          if (!next || !current) return;
          current.replaceWith(next);
          if (window.htmx) window.htmx.process(next);
        });
      })
      .catch(function () { /* the next page load shows it */ });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = event.detail && event.detail.target;
    if (!box || !box.matches || !box.matches("[data-macro-result]")) return;
    var applied = box.querySelector("[data-macro-applied]");
    if (!applied) return;
    var area = replyBox();
    var source = applied.querySelector("[data-macro-text]");
    if (area && source) {
      insert(area, source.value);
      area.setAttribute("data-caret", String(area.selectionStart));
      area.setAttribute("data-caret-end", String(area.selectionEnd));
      area.dispatchEvent(new Event("input", { bubbles: true }));
      area.focus();
    }
    var status = applied.getAttribute("data-status");
    var form = area ? area.form : null;
    var select = form ? form.querySelector("select[name=status]") : null;
    if (status && select && select.querySelector('option[value="' + status + '"]')) select.value = status;
    var menu = box.closest("[data-macro-picker]").querySelector("details");
    if (menu) menu.open = false;
    refreshTicket();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
})();
