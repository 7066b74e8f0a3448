// The reply coach: "Use" puts a suggestion into the draft (in place of the words it is about, or at
// the top for a missing apology) and checks the draft again. "Ignore" / "It is answered" sets a
// finding aside for this reply: its key rides along with every check until the reply is sent. The
// keys of the suggestions used ride with the reply, which records what became of each finding.
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
  function recheck(form) {
    const coach = form.querySelector("#coach");
    if (coach) coach.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    const dismiss = event.target.closest("[data-coach-dismiss]");
    const undismiss = event.target.closest("[data-coach-undismiss]");
    const form = (dismiss || undismiss) && (dismiss || undismiss).closest("form");
    const kept = form && form.querySelector("[data-coach-dismissed-list]");
    if (!kept) return;
    if (dismiss) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "coach_dismissed";
      input.value = dismiss.dataset.key || "";
      input.setAttribute("data-coach-dismissed", "");
      kept.appendChild(input);
      dismiss.closest("[data-coach-rule]").remove();
    } else {
      kept.querySelectorAll("[data-coach-dismissed]").forEach(function (input) { input.remove(); });
    }
    recheck(form);
  });
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
    const kept = form.querySelector("[data-coach-dismissed-list]");
    if (kept && button.dataset.key) {
      const used = document.createElement("input");
      used.type = "hidden";
      used.name = "coach_used";
      used.value = button.dataset.key;
      kept.appendChild(used);
    }
    if (button.dataset.recovery) {
      const chosen = form.querySelector("[data-recovery-policy]");
      if (chosen) chosen.value = button.dataset.recovery;
    }
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
