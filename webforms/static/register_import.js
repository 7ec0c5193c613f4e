// The register import page: "预览" asks the server for the preview without leaving the page, so the
// chosen file stays in its input and "确认导入" sends that same file. Without this script the form
// still works (the preview page comes back and the file is chosen again). No inline script (CSP).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("register-import-form");
    var button = document.getElementById("register-preview");
    if (!form || !button || !window.fetch || !window.DOMParser) { return; }
    button.addEventListener("click", function (event) {
      var file = document.getElementById("register-file");
      if (!file.files.length) { return; }            // the server says what is missing
      event.preventDefault();
      var body = new FormData(form);
      body.append("preview", "1");
      button.setAttribute("aria-busy", "true");
      fetch(form.action || window.location.href, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (resp) { return resp.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          ["register-preview-result", "register-actions", "register-error"].forEach(function (id) {
            var mine = document.getElementById(id), theirs = doc.getElementById(id);
            if (mine && theirs) { mine.replaceWith(theirs); }
            else if (mine) { mine.innerHTML = ""; }
            else if (theirs) { form.after(theirs); }
          });
          file.setAttribute("data-previewed", file.files[0].name);
        })
        .finally(function () { button.removeAttribute("aria-busy"); });
    });
  });
})();
