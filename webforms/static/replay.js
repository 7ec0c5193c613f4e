// Step-through replay: previous / next / a slider over the instance's recorded events. At each step
// the bpmn-js viewer marks completed, active and waiting elements, and the data panel shows the
// instance data as the history rebuilt it after that event (data-steps, rendered by the server).
(function () {
  "use strict";

  function text(value) {
    if (value === null || value === undefined) { return ""; }
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var controls = document.getElementById("replay-controls");
    var el = document.getElementById("diagram");
    if (!controls || !el) { return; }
    var model = JSON.parse(controls.getAttribute("data-steps"));
    var steps = model.steps, events = model.events, labels = model.labels;
    var slider = document.getElementById("step-slider");
    var canvas = null, registry = null, shown = {};

    function mark(markers) {
      if (!canvas) { return; }
      Object.keys(shown).forEach(function (id) { canvas.removeMarker(id, "wuye-" + shown[id]); });
      shown = {};
      Object.keys(markers).forEach(function (id) {
        var e = registry.get(id);
        if (e && !(e.children || []).length) { canvas.addMarker(id, "wuye-" + markers[id]); shown[id] = markers[id]; }
      });
      el.setAttribute("data-markers", JSON.stringify(shown));
      focus();
    }

    // a large diagram: frame the step's active and waiting elements (the whole drawing when none)
    function focus() {
      var ids = Object.keys(shown).filter(function (id) { return shown[id] !== "completed"; });
      if (Object.keys(registry.getAll()).length <= 40 || !ids.length) { canvas.zoom("fit-viewport"); return; }
      var shapes = ids.map(function (id) { return registry.get(id); }), pad = 80;
      var x0 = Math.min.apply(null, shapes.map(function (e) { return e.x; })) - pad;
      var y0 = Math.min.apply(null, shapes.map(function (e) { return e.y; })) - pad;
      var x1 = Math.max.apply(null, shapes.map(function (e) { return e.x + e.width; })) + pad;
      var y1 = Math.max.apply(null, shapes.map(function (e) { return e.y + e.height; })) + pad;
      var outer = canvas.viewbox().outer, scale = Math.min(1, outer.width / (x1 - x0), outer.height / (y1 - y0));
      var w = outer.width / scale, h = outer.height / scale;
      canvas.viewbox({ x: (x0 + x1) / 2 - w / 2, y: (y0 + y1) / 2 - h / 2, width: w, height: h });
    }

    function go(index) {
      index = Math.max(0, Math.min(steps.length - 1, index));
      slider.value = String(index);
      var step = steps[index], ev = events[index];
      document.getElementById("step-label").textContent = "第 " + (index + 1) + " / " + steps.length + " 步";
      document.getElementById("step-event").textContent = ev.local_at + " · " + ev.type_name + " · " +
        ev.actor_name + "（" + ev.actor + "）" + (ev.task_title ? " · " + ev.task_title : "");
      var body = document.querySelector("#step-data tbody");
      body.innerHTML = "";
      Object.keys(step.data).forEach(function (key) {
        var tr = document.createElement("tr"), th = document.createElement("th"), td = document.createElement("td");
        th.textContent = labels[key] || key;
        td.textContent = text(step.data[key]);
        tr.setAttribute("data-field", key);
        tr.appendChild(th); tr.appendChild(td); body.appendChild(tr);
      });
      document.getElementById("step-prev").disabled = index === 0;
      document.getElementById("step-next").disabled = index === steps.length - 1;
      controls.setAttribute("data-step", String(index));
      mark(step.diagram);
    }

    document.getElementById("step-prev").addEventListener("click", function () { go(Number(slider.value) - 1); });
    document.getElementById("step-next").addEventListener("click", function () { go(Number(slider.value) + 1); });
    slider.addEventListener("input", function () { go(Number(slider.value)); });
    go(0);

    if (typeof window.BpmnJS === "undefined") { return; }
    var viewer = new window.BpmnJS({ container: el });
    fetch(el.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (resp) { if (!resp.ok) { throw new Error("HTTP " + resp.status); } return resp.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        canvas = viewer.get("canvas");
        registry = viewer.get("elementRegistry");
        go(Number(slider.value));
        el.setAttribute("data-rendered", "true");
      })
      .catch(function (err) { el.setAttribute("data-rendered", "error"); el.textContent = "流程图无法显示：" + err.message; });
  });
})();
