// Time-zone inputs (forms.TimeZoneField): an empty one gets the browser's zone; where another
// zone is chosen, the "Use this browser's time zone" button appears with the browser's zone.
// Loaded with <script defer> (no inline script: the pages' Content-Security-Policy).
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (!zone) {
    return;
  }
  var inputs = document.querySelectorAll("input[data-browser-zone]");
  Array.prototype.forEach.call(inputs, function (input) {
    if (input.getAttribute("data-zone-ready")) {
      return; // the script is on the page once per zone field
    }
    input.setAttribute("data-zone-ready", "yes");
    var listed = input.list
      ? Array.prototype.some.call(input.list.options, function (option) {
          return option.value === zone;
        })
      : true;
    if (!listed) {
      return;
    }
    if (!input.value) {
      input.value = zone;
    }
    var button = document.querySelector('button[data-zone-for="' + input.id + '"]');
    if (button && input.value !== zone) {
      button.textContent = button.textContent + " (" + zone + ")";
      button.hidden = false;
      button.addEventListener("click", function () {
        input.value = zone;
        button.hidden = true;
      });
    }
  });
})();
