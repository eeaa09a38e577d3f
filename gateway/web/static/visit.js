// A visit's record on the phone: readings flagged against their range as they are typed, and the
// customer's signature drawn on a canvas (finger, pen or mouse) and sent as a PNG with the form.
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  if (!form) { return; }

  form.querySelectorAll(".reading input").forEach(function (input) {
    var box = input.parentNode;
    var flag = box.querySelector(".out-of-range");
    var check = function () {
      var value = parseFloat(input.value.replace(",", "."));
      var min = input.hasAttribute("data-min") ? parseFloat(input.getAttribute("data-min")) : null;
      var max = input.hasAttribute("data-max") ? parseFloat(input.getAttribute("data-max")) : null;
      var out = !isNaN(value) && ((min !== null && value < min) || (max !== null && value > max));
      flag.hidden = !out;
      box.classList.toggle("flagged", out);
    };
    input.addEventListener("input", check);
    check();
  });

  var canvas = document.getElementById("signature");
  var field = document.getElementById("signature_png");
  var pen = canvas.getContext("2d");
  var drawn = false;
  var last = null;
  var white = function () {
    pen.fillStyle = "#fff";
    pen.fillRect(0, 0, canvas.width, canvas.height);
  };
  white();
  pen.lineWidth = 3;
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.strokeStyle = "#111";
  // A refused form comes back with the signature already drawn: put it back on the pad.
  if (field.value) {
    var image = new Image();
    image.onload = function () { pen.drawImage(image, 0, 0, canvas.width, canvas.height); drawn = true; };
    image.src = field.value;
  }
  var point = function (event) {
    var box = canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left) * canvas.width / box.width,
             y: (event.clientY - box.top) * canvas.height / box.height };
  };
  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
    pen.beginPath();
    pen.arc(last.x, last.y, pen.lineWidth / 2, 0, 2 * Math.PI);
    pen.fillStyle = "#111";
    pen.fill();
    drawn = true;
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!last) { return; }
    event.preventDefault();
    var next = point(event);
    pen.beginPath();
    pen.moveTo(last.x, last.y);
    pen.lineTo(next.x, next.y);
    pen.stroke();
    last = next;
  });
  var lift = function () {
    if (last) { field.value = canvas.toDataURL("image/png"); }
    last = null;
  };
  canvas.addEventListener("pointerup", lift);
  canvas.addEventListener("pointercancel", lift);
  document.getElementById("signature-clear").addEventListener("click", function () {
    white();
    drawn = false;
    field.value = "";
  });
  form.addEventListener("submit", function (event) {
    if (drawn) {
      field.value = canvas.toDataURL("image/png");
    } else if (!field.value) {
      event.preventDefault();
      event.stopImmediatePropagation();
      window.alert(form.getAttribute("data-unsigned"));
      canvas.scrollIntoView({ block: "center" });
    }
  });
})();
