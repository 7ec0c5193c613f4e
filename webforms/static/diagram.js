// Draws the instance's BPMN (the version it is pinned to) with the bpmn-js NavigatedViewer and marks
// each element completed / active / waiting from the data-markers attribute the page rendered.
(function () {
  "use strict";

  function focusOn(canvas, registry, markers) {
    var ids = Object.keys(markers).filter(function (id) { return markers[id] === "active" && registry.get(id); });
    if (!ids.length) { canvas.zoom("fit-viewport"); return; }
    var e = registry.get(ids[0]);
    var outer = canvas.viewbox().outer;                  // centre the first active task at 100 %
    canvas.viewbox({ x: e.x + e.width / 2 - outer.width / 2, y: e.y + e.height / 2 - outer.height / 2,
                     width: outer.width, height: outer.height });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("diagram");
    if (!el || typeof window.BpmnJS === "undefined") { return; }
    var markers = JSON.parse(el.getAttribute("data-markers") || "{}");
    var viewer = new window.BpmnJS({ container: el });
    fetch(el.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (resp) { if (!resp.ok) { throw new Error("HTTP " + resp.status); } return resp.text(); })
      .then(function (xml) {
        if (xml.indexOf("BPMNDiagram") < 0) {           // a process file without drawing information
          el.setAttribute("data-rendered", "no-diagram");
          el.innerHTML = '<p class="diagram-note">此流程文件没有图形信息（BPMN DI），无法绘制流程图。</p>';
          return null;
        }
        return viewer.importXML(xml).then(function () {
          var canvas = viewer.get("canvas");
          var registry = viewer.get("elementRegistry");
          Object.keys(markers).forEach(function (id) {
            if (registry.get(id)) { canvas.addMarker(id, "wuye-" + markers[id]); }
          });
          canvas.zoom("fit-viewport");
          if (Object.keys(registry.getAll()).length > 40) { focusOn(canvas, registry, markers); }
          document.getElementById("diagram-fit").addEventListener("click", function () { canvas.zoom("fit-viewport"); });
          document.getElementById("diagram-focus").addEventListener("click", function () { focusOn(canvas, registry, markers); });
          el.setAttribute("data-rendered", "true");
        });
      })
      .catch(function (err) {
        el.setAttribute("data-rendered", "error");
        el.textContent = "流程图无法显示：" + err.message;
      });
  });
})();
