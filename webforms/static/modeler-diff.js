// The version diff: both versions drawn side by side (bpmn-js NavigatedViewer), coloured by the
// change set bpmn-js-differ computes from the two diagrams: added / changed / moved on the new side,
// removed / changed on the old. The list of changed properties comes from the server (the page).
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

  function paint(viewer, ids, cls) {
    var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
    ids.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, cls); } });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var app = document.getElementById("diff-app");
    if (!app || typeof window.WuyeModeler === "undefined") { return; }
    var before = window.WuyeModeler.createViewer("#diff-old");
    var after = window.WuyeModeler.createViewer("#diff-new");
    Promise.all([load(before, app.dataset.fromUrl), load(after, app.dataset.toUrl)]).then(function () {
      var d = window.WuyeModeler.changeSet(before, after);
      var added = Object.keys(d._added), removed = Object.keys(d._removed);
      var changed = Object.keys(d._changed), moved = Object.keys(d._layoutChanged).filter(function (id) {
        return changed.indexOf(id) < 0;
      });
      paint(after, added, "diff-added");
      paint(after, changed, "diff-changed");
      paint(after, moved, "diff-layout-changed");
      paint(before, removed, "diff-removed");
      paint(before, changed, "diff-changed");
      app.setAttribute("data-added", added.join(" "));
      app.setAttribute("data-removed", removed.join(" "));
      app.setAttribute("data-changed", changed.join(" "));
      app.setAttribute("data-moved", moved.join(" "));
      app.setAttribute("data-ready", "true");
    }).catch(function (e) {
      app.setAttribute("data-ready", "error");
      app.insertAdjacentText("beforebegin", "无法显示版本图：" + e.message);
    });
  });
})();
