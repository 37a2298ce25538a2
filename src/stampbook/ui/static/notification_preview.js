// The template editor's live preview: as the person types, post the form to the preview
// route (the server renders the sample in its sandbox) and show the answer. Loaded with
// <script defer> from this site (the pages' Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  var target = document.getElementById("template-preview");
  if (!form || !target || !window.fetch) {
    return;
  }
  var timer = null;
  var sent = 0;
  function refresh() {
    var mine = ++sent;
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && mine === sent) {
          target.innerHTML = html; // server-rendered, escaped by the server's templates
        }
      })
      .catch(function () {});
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
