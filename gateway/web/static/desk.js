// The desk's dispatch forms (a ticket's dispatch, another technician after a complaint): once a station is
// chosen, only its technicians are offered.
(function () {
  "use strict";
  ["dispatch-form", "redispatch-form"].forEach(function (id) {
    var form = document.getElementById(id);
    if (!form) { return; }
    var station = form.querySelector("select[name=station]");
    var technician = form.querySelector("select[name=technician_id]");
    if (!station || !technician) { return; }
    var sync = function () {
      var code = station.value;
      technician.querySelectorAll("optgroup").forEach(function (group) {
        var mine = !code || group.getAttribute("data-station") === code;
        group.hidden = !mine;
        group.disabled = !mine;
      });
      var picked = technician.options[technician.selectedIndex];
      if (picked && picked.value && code && picked.getAttribute("data-station") !== code) {
        technician.value = "";
      }
    };
    station.addEventListener("change", sync);
    sync();
  });
})();
