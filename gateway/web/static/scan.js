// Scan the nameplate's barcode or QR code with the phone's camera: the browser's BarcodeDetector where
// it exists, else the vendored ZXing decoder; where neither works (or no camera), typing stays.
(function () {
  "use strict";
  var box = document.getElementById("scan");
  if (!box || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  box.hidden = false;
  var start = document.getElementById("scan-start");
  var stop = document.getElementById("scan-stop");
  var view = document.getElementById("scan-view");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var input = document.getElementById("serial");
  var form = document.getElementById("serial-form");
  var stream = null, timer = null, zxingReader = null;
  var FORMATS = ["code_128", "code_39", "ean_13", "qr_code", "data_matrix"];
  // What a serial looks like comes from the contract (shared/contracts/common.py), through the page.
  var SERIAL = new RegExp(box.getAttribute("data-serial-pattern"), "g");

  function serialFrom(text) {
    // A QR code may carry a URL or several fields: keep the part that looks like a serial.
    var match = String(text).toUpperCase().match(SERIAL);
    return match ? match[match.length - 1] : "";
  }
  function found(text) {
    var serial = serialFrom(text);
    if (!serial) { return false; }
    status.textContent = status.getAttribute("data-found") + " " + serial;
    input.value = serial;
    halt();
    form.submit();
    return true;
  }
  function halt() {
    if (timer) { window.clearInterval(timer); timer = null; }
    if (zxingReader) { zxingReader.reset(); zxingReader = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    view.hidden = true;
    start.hidden = false;
  }
  function failed() {
    halt();
    status.textContent = status.getAttribute("data-failed");
    view.hidden = false;
    stop.hidden = true;
  }
  function withDetector() {
    return window.BarcodeDetector.getSupportedFormats().then(function (supported) {
      var formats = FORMATS.filter(function (f) { return supported.indexOf(f) >= 0; });
      var detector = new window.BarcodeDetector(formats.length ? {formats: formats} : undefined);
      return navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (s) {
        stream = s;
        video.srcObject = s;
        return video.play().then(function () {
          timer = window.setInterval(function () {
            detector.detect(video).then(function (codes) {
              for (var i = 0; i < codes.length; i++) { if (found(codes[i].rawValue)) { return; } }
            }).catch(function () {});
          }, 250);
        });
      });
    });
  }
  function withZxing() {
    if (!window.ZXing || !window.ZXing.BrowserMultiFormatReader) { return Promise.reject(new Error("no decoder")); }
    zxingReader = new window.ZXing.BrowserMultiFormatReader();
    return zxingReader.decodeFromConstraints({video: {facingMode: "environment"}}, video, function (result) {
      if (result) { found(result.getText()); }
    });
  }
  start.addEventListener("click", function () {
    start.hidden = true;
    stop.hidden = false;
    view.hidden = false;
    status.textContent = status.getAttribute("data-looking");
    var run = ("BarcodeDetector" in window) ? withDetector().catch(withZxing) : withZxing();
    run.catch(failed);
  });
  stop.addEventListener("click", halt);
})();
