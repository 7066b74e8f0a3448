// The public web form: say at once when the chosen files are too many or too large (the server
// checks again), and send only once however often the button is pressed.
(function () {
  "use strict";
  var form = document.querySelector("form.public-form");
  if (!form) return;
  var input = form.querySelector("input[type=file]");
  var error = document.getElementById("err_attachments");
  var maxFiles = parseInt(form.dataset.maxFiles, 10);
  var maxBytes = parseInt(form.dataset.maxBytes, 10);

  function fileProblem() {
    if (!input || !input.files) return "";
    if (input.files.length > maxFiles) return form.dataset.tooMany;
    var total = 0;
    for (var i = 0; i < input.files.length; i++) total += input.files[i].size;
    return total > maxBytes ? form.dataset.tooLarge : "";
  }

  function show(problem) {
    if (!error) return;
    error.textContent = problem;
    error.hidden = !problem;
    if (problem) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  if (input) input.addEventListener("change", function () { show(fileProblem()); });
  form.addEventListener("submit", function (event) {
    var problem = fileProblem();
    if (problem) {
      event.preventDefault();
      show(problem);
      input.focus();
      return;
    }
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    var button = form.querySelector("button[type=submit]");
    if (button) button.setAttribute("aria-disabled", "true");
  });
})();
