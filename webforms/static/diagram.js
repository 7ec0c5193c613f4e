// Draws the instance's BPMN (the version it is pinned to) with the bpmn-js NavigatedViewer and marks
// each element completed / active / waiting from the data-markers attribute the page rendered.
(function () {
  "use strict";

  // An expanded sub-process or a pool holds other elements: marked by its border only, so a whole
  // stage that is running does not flood everything inside it with the "active" fill.
  function isContainer(e) {
    return e.type === "bpmn:Participant" || e.type === "bpmn:Lane" || (e.children || []).length > 0;
  }

  function marked(registry, markers, state) {
    return Object.keys(markers).filter(function (id) {
      var e = registry.get(id);
      return markers[id] === state && e && !isContainer(e);
    });
  }

  // Show where the instance is now: its active tasks (else its waiting events), at 100 % when they
  // fit the frame (centred), otherwise zoomed out just enough to show them all — but never below a
  // readable scale: when parallel branches lie too far apart (the complaint's daily audit beside its
  // classification), the first of them in the diagram's reading order (top to bottom) is shown.
  var READABLE = 0.5;
  function bounds(shapes, pad) {
    return { x0: Math.min.apply(null, shapes.map(function (e) { return e.x; })) - pad,
             y0: Math.min.apply(null, shapes.map(function (e) { return e.y; })) - pad,
             x1: Math.max.apply(null, shapes.map(function (e) { return e.x + e.width; })) + pad,
             y1: Math.max.apply(null, shapes.map(function (e) { return e.y + e.height; })) + pad };
  }
  function focusOn(canvas, registry, markers) {
    var ids = marked(registry, markers, "active");
    if (!ids.length) { ids = marked(registry, markers, "waiting"); }
    var shapes = ids.map(function (id) { return registry.get(id); });
    if (!shapes.length) { canvas.zoom("fit-viewport"); return; }
    var outer = canvas.viewbox().outer, pad = 60;
    var b = bounds(shapes, pad);
    var scale = Math.min(1, outer.width / (b.x1 - b.x0), outer.height / (b.y1 - b.y0));
    if (scale < READABLE) {
      shapes.sort(function (a, c) { return a.y - c.y || a.x - c.x; });
      b = bounds([shapes[0]], pad);
      scale = Math.min(1, outer.width / (b.x1 - b.x0), outer.height / (b.y1 - b.y0));
    }
    var w = outer.width / scale, h = outer.height / scale;
    canvas.viewbox({ x: (b.x0 + b.x1) / 2 - w / 2, y: (b.y0 + b.y1) / 2 - h / 2, width: w, height: h });
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
            var e = registry.get(id);
            if (e) { canvas.addMarker(id, "wuye-" + markers[id] + (isContainer(e) ? "-container" : "")); }
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
