// The version diff: both versions drawn side by side (bpmn-js NavigatedViewer), coloured by the
// change set bpmn-js-differ computes from the two diagrams: added / changed / moved on the new side,
// removed / changed on the old, joined with the server's own diff (the page's list): bpmn-js-differ
// 3.2 does not see a changed expression body (a timer's timeDate, a condition), which is exactly
// what a process owner changes most.
(function () {
  "use strict";

  function load(viewer, url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    }).then(function (xml) { return viewer.importXML(xml); }).then(function () {
      viewer.get("canvas").zoom("fit-viewport");
    });
  }

  // Does the model element ``bo`` hold (not merely reference) an element with this id? A changed
  // timer is its timerEventDefinition's change, which has an id of its own but no shape.
  function holds(bo, id, depth) {
    if (!bo || !bo.$descriptor || depth > 6) { return false; }
    return bo.$descriptor.properties.some(function (p) {
      if (p.isReference || p.isAttr) { return false; }
      var v = bo.get(p.name), list = Array.isArray(v) ? v : [v];
      return list.some(function (c) { return c && c.$type && (c.id === id || holds(c, id, depth + 1)); });
    });
  }

  // the shape an id of the change set is drawn as: its own, else the shape whose element holds it
  function shapeOf(registry, id) {
    if (registry.get(id)) { return id; }
    var owner = registry.filter(function (e) { return e.type !== "label" && holds(e.businessObject, id, 0); })
      .sort(function (a, b) { return (a.width * a.height || 0) - (b.width * b.height || 0); })[0];
    return owner ? owner.id : null;
  }

  function paint(viewer, ids, cls) {
    var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry"), painted = [];
    ids.forEach(function (id) {
      var shape = shapeOf(registry, id);
      if (shape && painted.indexOf(shape) < 0) { canvas.addMarker(shape, cls); painted.push(shape); }
    });
    return painted;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var app = document.getElementById("diff-app");
    if (!app || typeof window.WuyeModeler === "undefined") { return; }
    var before = window.WuyeModeler.createViewer("#diff-old");
    var after = window.WuyeModeler.createViewer("#diff-new");
    Promise.all([load(before, app.dataset.fromUrl), load(after, app.dataset.toUrl)]).then(function () {
      var d = window.WuyeModeler.changeSet(before, after);
      var server = JSON.parse(app.dataset.server || "{}");
      function union(a, b) { return a.concat(b.filter(function (x) { return a.indexOf(x) < 0; })); }
      function ids(list) { return (list || []).map(function (c) { return c.id; }); }
      var added = union(Object.keys(d._added), ids(server.added));
      var removed = union(Object.keys(d._removed), ids(server.removed));
      var changed = union(Object.keys(d._changed), ids(server.changed));
      var moved = union(Object.keys(d._layoutChanged), server.moved || []).filter(function (id) {
        return changed.indexOf(id) < 0;
      });
      app.setAttribute("data-added", paint(after, added, "diff-added").join(" "));
      app.setAttribute("data-changed", paint(after, changed, "diff-changed").join(" "));
      app.setAttribute("data-moved", paint(after, moved, "diff-layout-changed").join(" "));
      app.setAttribute("data-removed", paint(before, removed, "diff-removed").join(" "));
      paint(before, changed, "diff-changed");
      app.setAttribute("data-ready", "true");
    }).catch(function (e) {
      app.setAttribute("data-ready", "error");
      app.insertAdjacentText("beforebegin", "无法显示版本图：" + e.message);
    });
  });
})();
