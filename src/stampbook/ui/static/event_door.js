// Self check-in (events/door.py). On the door screen: the QR code and the typed code are
// fetched again as each step ends (the JSON's refresh_in_ms), by swapping the image's data
// URI (no markup written); without a connection the stale code is hidden and the screen says
// so. On a member's self check-in page opened from the QR code: the form is sent at once
// (the code lives 10 to 20 seconds), unless the connection is down.
(function () {
  "use strict";
  var screen = document.getElementById("door-screen");
  if (screen) {
    var image = document.getElementById("door-qr");
    var typed = document.getElementById("door-typed");
    var message = document.getElementById("door-message");
    var schedule = function (ms) {
      window.setTimeout(refresh, Math.max(500, Math.min(Number(ms) || 2000, 15000)));
    };
    var refresh = function () {
      fetch(screen.dataset.source, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      })
        .then(function (response) {
          if (!response.ok) {
            // Switched off, or the session ended: the page itself says what now.
            window.location.reload();
            return null;
          }
          return response.json();
        })
        .then(function (shown) {
          if (!shown) return;
          image.src = shown.qr;
          image.alt = shown.typed;
          image.hidden = false;
          typed.textContent = shown.typed;
          typed.dataset.code = shown.code;
          message.hidden = true;
          schedule(shown.refresh_in_ms);
        })
        .catch(function () {
          image.hidden = true;
          typed.textContent = "";
          message.textContent = screen.dataset.offline;
          message.hidden = false;
          schedule(2000);
        });
    };
    schedule(screen.dataset.refreshIn);
    var full = document.getElementById("door-full");
    if (full && screen.requestFullscreen) {
      full.hidden = false;
      full.addEventListener("click", function () { screen.requestFullscreen(); });
    }
  }

  var form = document.getElementById("self-check-in-form");
  if (form) {
    var said = document.getElementById("self-check-in-message");
    form.addEventListener("submit", function (event) {
      if (navigator.onLine === false) {
        event.preventDefault();
        said.textContent = form.dataset.offline;
      }
    });
    if (form.dataset.auto === "1" && navigator.onLine !== false) form.requestSubmit();
  }
})();
