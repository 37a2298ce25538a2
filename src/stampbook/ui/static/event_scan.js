// A page's camera scanner (the events' check-in, the counter's member cards): a button starts
// the camera and a QR code read fills the form's code field and sends the form. The form is
// the one with a data-scan-field attribute naming its field (the check-in form, which has
// none, fills ticket_code). The browser's BarcodeDetector reads it where there is one, else
// jsQR (vendor/jsQR.js, loaded before this script) reads the video's frames from a canvas.
// A typed code always works. When the connection is down, the form says so instead of sending.
(function () {
  "use strict";
  var form =
    document.querySelector("form[data-scan-field]") || document.getElementById("check-in-form");
  if (!form) return;
  var field = form.dataset.scanField || "ticket_code";
  var message = document.getElementById("scan-message");
  var sent = false;
  form.addEventListener("submit", function (event) {
    if (navigator.onLine === false) {
      event.preventDefault();
      message.textContent = form.dataset.offline;
    }
  });
  var button = document.getElementById("scan-start");
  var video = document.getElementById("scan-video");
  var native = "BarcodeDetector" in window;
  if (!navigator.mediaDevices || !(native || window.jsQR)) return;
  button.hidden = false;

  function found(stream, code) {
    if (sent) return;
    sent = true;
    stream.getTracks().forEach(function (track) { track.stop(); });
    form.elements[field].value = code;
    form.requestSubmit();
  }

  function withDetector(stream) {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    var look = function () {
      detector
        .detect(video)
        .then(function (codes) {
          if (codes.length) found(stream, codes[0].rawValue);
          else window.setTimeout(look, 200);
        })
        .catch(function () { window.setTimeout(look, 500); });
    };
    look();
  }

  function withJsQR(stream) {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var look = function () {
      if (video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height);
        if (code && code.data) {
          found(stream, code.data);
          return;
        }
      }
      window.setTimeout(look, 200);
    };
    look();
  }

  button.addEventListener("click", function () {
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" } })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () {
          if (native) withDetector(stream);
          else withJsQR(stream);
        });
      })
      .catch(function (error) { message.textContent = String(error); });
  });
})();
