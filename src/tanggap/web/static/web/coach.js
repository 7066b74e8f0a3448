// The reply coach: "Use" puts a suggestion into the draft (in place of the words it is about, or at
// the top for a missing apology) and checks the draft again.
(function () {
  "use strict";
  function replaceSpan(text, start, end, quote, rewrite) {
    if (end > start) {
      if (text.slice(start, end) === quote) return text.slice(0, start) + rewrite + text.slice(end);
      const at = text.indexOf(quote);
      if (at >= 0) return text.slice(0, at) + rewrite + text.slice(at + quote.length);
      return null;
    }
    // An insertion: after a greeting line ("Halo Budi," / "Hi Anna,"), else at the top.
    const newline = text.indexOf("\n");
    const first = newline >= 0 ? text.slice(0, newline) : text;
    if (newline >= 0 && /,\s*$/.test(first)) {
      const rest = text.slice(newline + 1).replace(/^\n*/, "");
      return first + "\n\n" + rewrite + " " + rest;
    }
    return rewrite + (text ? " " + text : "");
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-coach-accept]");
    if (!button) return;
    const form = button.closest("form");
    const area = form && form.querySelector("[data-reply-text]");
    if (!area) return;
    const updated = replaceSpan(
      area.value,
      parseInt(button.dataset.start, 10),
      parseInt(button.dataset.end, 10),
      button.dataset.quote || "",
      button.dataset.rewrite || ""
    );
    if (updated === null) return;
    area.value = updated;
    if (button.dataset.recovery) {
      const chosen = form.querySelector("[data-recovery-policy]");
      if (chosen) chosen.value = button.dataset.recovery;
    }
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
