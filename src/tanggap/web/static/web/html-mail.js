/* Tanggap: remote images of one HTML mail, loaded only when the agent asks for them.
   The sanitiser keeps a remote image's address in data-remote-src, which no browser fetches. */
(function () {
  "use strict";
  if (window.tanggapHtmlMail) return; // the timeline partial may be rendered more than once
  window.tanggapHtmlMail = true;

  var REMOTE = /^https?:\/\//i;

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-show-images]") : null;
    if (!button) return;
    var mail = button.closest("[data-html-mail]");
    if (!mail) return;
    mail.querySelectorAll("img[data-remote-src]").forEach(function (img) {
      var url = img.getAttribute("data-remote-src") || "";
      img.removeAttribute("data-remote-src");
      if (!REMOTE.test(url)) return;
      img.referrerPolicy = "no-referrer"; // the sender learns nothing of the ticket's address
      img.setAttribute("src", url);
    });
    var notice = button.closest("[data-remote-notice]");
    if (notice) notice.hidden = true;
  });
})();
