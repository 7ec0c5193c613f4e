// Draws the instance's BPMN (the version it is pinned to) with the bpmn-js NavigatedViewer and marks
// each element completed / active / waiting from the data-markers attribute the page rendered.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("diagram");
    if (!el || typeof window.BpmnJS === "undefined") { return; }
    var markers = JSON.parse(el.getAttribute("data-markers") || "{}");
    var viewer = new window.BpmnJS({ container: el });
    fetch(el.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (resp) { if (!resp.ok) { throw new Error("HTTP " + resp.status); } return resp.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        Object.keys(markers).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "wuye-" + markers[id]); }
        });
        canvas.zoom("fit-viewport");
        el.setAttribute("data-rendered", "true");
      })
      .catch(function (err) {
        el.setAttribute("data-rendered", "error");
        el.textContent = "流程图无法显示：" + err.message;
      });
  });
})();
