// A start form's room lookup: "按房号查登记" (or leaving the room field) asks the register for the
// room (GET /api/rooms/<room>?process=…, the full record for someone taking the owner's case; the
// server records the view) and fills the fields the process names in its register:fill property,
// only where they are still empty. No inline script anywhere (CSP).
(function () {
  "use strict";

  function setup(form) {
    var roomField = form.getAttribute("data-room-field");
    var input = document.getElementById("field-" + roomField);
    var button = document.getElementById("room-lookup");
    var result = document.getElementById("room-lookup-result");
    var fill = JSON.parse(form.getAttribute("data-fill") || "{}");
    var urlTemplate = form.getAttribute("data-lookup-url");
    if (!input || !button) { return; }
    var last = "";

    function value(room, source) {
      var person = (room.people || []).filter(function (p) { return p.kind === "owner"; })[0] || (room.people || [])[0] || {};
      if (source === "owner_name") { return person.name || ""; }
      if (source === "phone") { return (person.phones || [])[0] || ""; }
      if (source === "move_in_date") { return person.move_in_date || ""; }
      var v = room[source];
      return v === null || v === undefined ? "" : String(v);
    }

    function lookup() {
      var code = input.value.trim();
      if (!code || code === last) { return; }      // leaving the field and then the button: one request
      last = code;
      result.textContent = "查询中…";
      result.className = "small";
      fetch(urlTemplate.replace("ROOM", encodeURIComponent(code)), { credentials: "same-origin",
                                                                     headers: { "Accept": "application/json" } })
        .then(function (resp) { return resp.json().then(function (body) { return { ok: resp.ok, body: body }; }); })
        .then(function (r) {
          if (!r.ok) {
            last = "";
            result.textContent = (r.body && r.body.error || "查询失败").split(" (")[0];
            result.className = "small field-error";
            return;
          }
          var filled = [];
          Object.keys(fill).forEach(function (target) {
            var field = document.getElementById("field-" + target);
            var v = value(r.body, fill[target]);
            if (field && v && !field.value) { field.value = v; filled.push(target); }
          });
          var owner = value(r.body, "owner_name");
          result.textContent = "登记：" + r.body.building + "号楼" + r.body.unit + "单元" + (owner ? "，业主 " + owner : "") +
            (r.body.handover_date ? "，交房 " + r.body.handover_date : "") + (filled.length ? "（已填入）" : "");
          result.setAttribute("data-filled", filled.join(","));
        })
        .catch(function () { last = ""; result.textContent = "网络错误，请稍后再试"; result.className = "small field-error"; });
    }

    button.addEventListener("click", function () { lookup(); });
    input.addEventListener("change", function () { lookup(); });
    if (input.value.trim()) { lookup(); }        // opened from the search with the owner's room
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("start-form");
    if (form && form.getAttribute("data-room-field")) { setup(form); }
  });
})();
