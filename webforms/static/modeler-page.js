// The modeler page (流程设计): opens a deployed version (or a blank diagram, or an imported file) in the
// bundled bpmn-js Modeler (vendor/modeler/modeler.js, global WuyeModeler), shows the selected task's
// form as staff will see it and when a selected timer would fall due (both computed by the server),
// and deploys with a comment through POST /api/definitions. A refused deploy changes nothing on the
// server; its problems are listed and marked on the canvas next to their elements.
(function () {
  "use strict";

  var app, modeler, ctx, csrf, problemsEl, statusEl, lintIssues = {}, serverProblems = [], draftNotes = [],
      translatedNotes = [], pendingTranslations = [];

  function $(id) { return document.getElementById(id); }

  function status(text) { statusEl.textContent = text; }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    });
  }

  function zh(message) { return String(message || "").split(" (")[0]; }

  // -- problems: the server's (deploy refused), the lint rules', and an import's unrunnable elements --

  function clearMarks(cls) {
    var canvas = modeler.get("canvas"), registry = modeler.get("elementRegistry");
    modeler.get("overlays").remove({ type: cls });
    registry.getAll().forEach(function (e) { canvas.removeMarker(e.id, cls); });
  }

  function mark(list, cls) {
    var canvas = modeler.get("canvas"), registry = modeler.get("elementRegistry"), overlays = modeler.get("overlays");
    list.forEach(function (p) {
      if (!p.element || !registry.get(p.element)) { return; }
      canvas.addMarker(p.element, cls);
      var note = document.createElement("div");
      note.className = cls + "-note";
      note.setAttribute("data-testid", cls + "-" + p.element);
      note.textContent = p.message;
      overlays.add(p.element, cls, { position: { bottom: -6, left: 0 }, html: note });
    });
  }

  function renderProblems() {
    problemsEl.innerHTML = "";
    function item(kind, cls, p) {
      var li = document.createElement("li");
      li.className = cls;
      li.setAttribute("data-element", p.element || "");
      var what = document.createElement("strong");
      what.textContent = kind + (p.element ? " · " + p.element : "") + (p.line ? "（第 " + p.line + " 行）" : "");
      li.appendChild(what);
      li.appendChild(document.createTextNode("：" + p.message));
      if (p.element) {
        li.tabIndex = 0;
        li.addEventListener("click", function () { select(p.element); });
      }
      problemsEl.appendChild(li);
    }
    serverProblems.forEach(function (p) { item("部署被拒绝", "server", p); });
    draftNotes.forEach(function (p) { item("不能运行", "draft", p); });
    translatedNotes.forEach(function (p) { item("已自动改写", "translated", p); });
    Object.keys(lintIssues).forEach(function (id) {
      lintIssues[id].forEach(function (issue) {
        item(issue.category === "warn" ? "提醒" : "检查", "lint-" + issue.category, { element: id, message: issue.message });
      });
    });
    if (!problemsEl.children.length) {
      var ok = document.createElement("li");
      ok.className = "ok";
      ok.textContent = "检查通过，没有发现问题。";
      problemsEl.appendChild(ok);
    }
  }

  function select(id) {
    var e = modeler.get("elementRegistry").get(id);
    if (!e) { return; }
    modeler.get("selection").select(e);
    modeler.get("canvas").scrollToElement(e);
  }

  // Camunda 7 models: what cannot run here (Java delegates, connectors, external tasks, person tasks
  // with no group) is marked, with a one-line reason each, so the owner can fix it before deploying.
  function unrunnable() {
    var out = [];
    modeler.get("elementRegistry").getAll().forEach(function (e) {
      var bo = e.businessObject;
      if (!bo || e.type === "label") { return; }
      var reason = null;
      if (bo.get && bo.$instanceOf("bpmn:Activity")) {
        if (bo.get("camunda:class")) { reason = "调用 Java 类 " + bo.get("camunda:class") + "，本系统不能运行"; }
        else if (bo.get("camunda:delegateExpression")) { reason = "调用 Java 委托 " + bo.get("camunda:delegateExpression") + "，本系统不能运行"; }
        else if (bo.get("camunda:type") === "external") { reason = "外部任务（topic " + (bo.get("camunda:topic") || "") + "），需由外部系统完成"; }
        else if (bo.$instanceOf("bpmn:ServiceTask") && bo.get("camunda:expression")) { reason = "服务任务表达式 " + bo.get("camunda:expression") + " 不能在本系统运行"; }
        var ext = (bo.extensionElements && bo.extensionElements.values) || [];
        if (!reason && ext.some(function (v) { return v.$type === "camunda:Connector"; })) { reason = "使用 Camunda 连接器，本系统不能运行"; }
      }
      if (!reason && bo.$instanceOf && bo.$instanceOf("bpmn:UserTask")) {
        var inLane = modeler.get("elementRegistry").getAll().some(function (l) {
          return l.type === "bpmn:Lane" && (l.businessObject.flowNodeRef || []).indexOf(bo) >= 0;
        });
        if (!inLane && !bo.get("camunda:candidateGroups") && !bo.get("camunda:assignee")) {
          reason = "人工任务不在任何泳道，也没有候选组或处理人";
        }
      }
      if (reason) { out.push({ element: e.id, message: reason }); }
    });
    return out;
  }

  // -- previews ---------------------------------------------------------------------------------

  var previewTimer = null;

  function selected() {
    var list = modeler.get("selection").get();
    return list.length === 1 ? list[0] : null;
  }

  function timerOf(bo) {
    var defs = (bo && bo.eventDefinitions) || [];
    for (var i = 0; i < defs.length; i++) {
      if (defs[i].$type === "bpmn:TimerEventDefinition") {
        var kinds = ["timeDate", "timeDuration", "timeCycle"];
        for (var k = 0; k < kinds.length; k++) {
          if (defs[i][kinds[k]]) { return { kind: kinds[k], expression: defs[i][kinds[k]].body || "" }; }
        }
        return { kind: "timeDate", expression: "" };
      }
    }
    return null;
  }

  function refreshPreviews() {
    var e = selected(), pane = $("form-preview"), timerEl = $("timer-preview");
    if (!e) { return; }
    var bo = e.businessObject;
    if (bo.$instanceOf("bpmn:UserTask") || bo.$instanceOf("bpmn:StartEvent")) {
      modeler.saveXML().then(function (r) {
        return post(app.dataset.formPreviewUrl, { xml: r.xml, element: e.id });
      }).then(function (resp) {
        var json = (resp.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        return !json && resp.ok ? resp.text().then(function (html) { pane.innerHTML = html; })
          : resp.json().then(function (b) { pane.textContent = "表单暂时无法预览：" + zh(b.error); });
      });
    }
    var timer = timerOf(bo);
    if (!timer) { timerEl.hidden = true; return; }
    timerEl.hidden = false;
    if (!timer.expression.trim()) { timerEl.textContent = "定时器还没有表达式。"; return; }
    post(app.dataset.timerPreviewUrl, timer).then(function (resp) {
      return resp.json().then(function (b) {
        var ok = resp.ok && !b.error;
        timerEl.className = "timer-preview" + (ok ? "" : " error");
        timerEl.setAttribute("data-due", ok ? b.due : "");
        timerEl.textContent = ok
          ? "此定时器若现在开始（" + local(b.started) + "），将于 " + local(b.due) + " 到期（按公司工作日历）。"
          : "定时器无法计算：" + zh(b.error);
      });
    });
  }

  function local(iso) {
    var d = new Date(iso);
    var parts = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", weekday: "short", hour12: false }).formatToParts(d);
    var v = {};
    parts.forEach(function (p) { v[p.type] = p.value; });
    return v.year + "-" + v.month + "-" + v.day + "（" + v.weekday + "）" + v.hour + ":" + v.minute;
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreviews, 250);
  }

  // -- open, import, download, deploy -------------------------------------------------------------

  // A file that binds the prefix camunda: to another namespace (Activiti exports do) cannot be
  // written back next to the Camunda extension the modeler knows: the prefix is renamed on import.
  var CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn";
  // what the server's import translation rewrites (engine/deploy/camunda_import.py)
  var JAVA_IMPLEMENTED = /camunda:(class|delegateExpression|expression)\s*=|<camunda:connector[\s>]/;
  function ownPrefixes(xml) {
    var m = /xmlns:camunda\s*=\s*"([^"]*)"/.exec(xml);
    if (!m || m[1] === CAMUNDA_NS) { return xml; }
    return xml.replace(/xmlns:camunda(\s*=)/g, "xmlns:foreign$1").replace(/(<\/?|\s)camunda:/g, "$1foreign:");
  }

  function open(xml, what) {
    xml = ownPrefixes(xml);
    var t0 = performance.now();
    return modeler.importXML(xml).then(function (r) {
      window.wuyeOpenMs = performance.now() - t0;
      modeler.get("canvas").zoom("fit-viewport");
      serverProblems = [];
      clearMarks("wuye-problem");
      clearMarks("wuye-draft");
      clearMarks("wuye-translated");
      translatedNotes = pendingTranslations;
      pendingTranslations = [];
      var rewritten = translatedNotes.map(function (t) { return t.element; });
      draftNotes = unrunnable().filter(function (p) { return rewritten.indexOf(p.element) < 0; });   // said once
      mark(draftNotes, "wuye-draft");
      mark(translatedNotes, "wuye-translated");
      renderProblems();
      var warn = (r.warnings || []).length;
      status("已打开" + what + (warn ? "（导入时有 " + warn + " 条提醒）" : "") +
             (translatedNotes.length ? "；已自动改写 " + translatedNotes.length + " 个 Java 实现为外部任务" : "") +
             (draftNotes.length ? "；作为草稿：" + draftNotes.length + " 个元素不能在本系统运行，已标出" : ""));
      app.setAttribute("data-ready", "true");
    }).catch(function (err) {
      status("无法打开" + what + "：" + err.message);
      app.setAttribute("data-ready", "error");
    });
  }

  function download(name, text, type) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: type }));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  function processId() {
    var root = modeler.get("canvas").getRootElement().businessObject;
    var proc = root.processRef || root;
    return proc.id || "process";
  }

  function deploy() {
    var comment = $("deploy-comment"), err = $("deploy-comment-error"), result = $("deploy-result");
    err.hidden = true;
    comment.removeAttribute("aria-invalid");
    if (!comment.value.trim()) {
      err.textContent = "请写明这次改了什么，便于日后查看版本记录。";
      err.hidden = false;
      comment.setAttribute("aria-invalid", "true");
      comment.focus();
      return;
    }
    result.className = "";
    result.textContent = "正在部署…";
    $("deploy").disabled = true;
    modeler.saveXML({ format: true }).then(function (r) {
      return post(app.dataset.deployUrl, { xml: r.xml, file: processId() + ".bpmn", comment: comment.value.trim() });
    }).then(function (resp) {
      return resp.json().then(function (body) {
        clearMarks("wuye-problem");
        if (resp.status === 201) {
          serverProblems = [];
          var bpmn = body.deployed.filter(function (d) { return d.kind === "bpmn"; });
          result.className = "ok";
          result.textContent = bpmn.map(function (d) {
            return d.new ? "已部署：" + d.id + " 第 " + d.version + " 版" : d.id + " 内容没有变化，仍是第 " + d.version + " 版";
          }).join("；");
          if (bpmn.length && bpmn[0].new) {
            var url = app.dataset.editUrl.replace("__P__", encodeURIComponent(bpmn[0].id)).replace(/0$/, bpmn[0].version);
            history.replaceState(null, "", url);
            $("modeler-title").textContent = bpmn[0].id + " · 第 " + bpmn[0].version + " 版";
            comment.value = "";
            if (bpmn[0].version > 1) {
              var link = document.createElement("a");
              link.href = app.dataset.diffUrl.replace("__P__", encodeURIComponent(bpmn[0].id)) + "?to=" + bpmn[0].version;
              link.textContent = " 与上一版比较";
              link.setAttribute("data-testid", "diff-link");
              result.appendChild(link);
            }
          }
        } else {
          serverProblems = body.problems || [{ element: null, message: zh(body.error) }];
          result.className = "error";
          result.textContent = resp.status === 422 ? "部署被拒绝，什么都没有改变：请按标出的问题修改后再部署。" : zh(body.error);
          mark(serverProblems, "wuye-problem");
        }
        renderProblems();
      });
    }).catch(function (e) {
      result.className = "error";
      result.textContent = "部署没有完成（" + e.message + "），服务器上什么都没有改变，请重试。";
    }).then(function () { $("deploy").disabled = false; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    app = $("modeler-app");
    if (!app || typeof window.WuyeModeler === "undefined") { return; }
    statusEl = $("modeler-status");
    problemsEl = $("problems");
    csrf = document.querySelector('meta[name="csrf-token"]').content;
    ctx = JSON.parse(app.dataset.context || "{}");
    modeler = window.WuyeModeler.createModeler("#canvas", "#properties", {
      groups: Object.keys(ctx.groups || {}), functions: ctx.functions || [], penalties: ctx.penalties || []
    });
    window.wuyeModeler = modeler;        // for the browser tests and the developer console
    var bus = modeler.get("eventBus");
    bus.on("linting.completed", function (e) { lintIssues = e.issues || {}; renderProblems(); });
    bus.on("selection.changed", schedulePreview);
    bus.on("commandStack.changed", schedulePreview);

    $("import-file").addEventListener("change", function (ev) {
      var file = ev.target.files[0];
      if (!file) { return; }
      // the server makes the translations that are safe by themselves (Java implementations ->
      // external tasks) and names each; the rest is marked as a draft by unrunnable()
      file.text().then(function (xml) {
        if (!JAVA_IMPLEMENTED.test(xml)) { return open(xml, "文件 " + file.name); }   // nothing to translate
        return post(app.dataset.importUrl, { xml: ownPrefixes(xml), file: file.name }).then(function (resp) {
          return resp.json().then(function (body) {
            if (body.xml) { pendingTranslations = body.translations || []; return open(body.xml, "文件 " + file.name); }
            return open(xml, "文件 " + file.name);
          });
        });
      });
      ev.target.value = "";
    });
    $("download-xml").addEventListener("click", function () {
      modeler.saveXML({ format: true }).then(function (r) { download(processId() + ".bpmn", r.xml, "application/xml"); })
        .catch(function (e) { status("无法导出 XML：" + e.message); });
    });
    $("download-svg").addEventListener("click", function () {
      modeler.saveSVG().then(function (r) { download(processId() + ".svg", r.svg, "image/svg+xml"); })
        .catch(function (e) { status("无法导出图片：" + e.message); });
    });
    $("download-png").addEventListener("click", function () {
      // the SVG drawn on a canvas at twice its size on white (img-src allows data: URLs, not blob:)
      modeler.saveSVG().then(function (r) {
        var img = new Image();
        img.onload = function () {
          var c = document.createElement("canvas"), scale = 2;
          c.width = img.width * scale; c.height = img.height * scale;
          var g = c.getContext("2d");
          g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
          g.drawImage(img, 0, 0, c.width, c.height);
          c.toBlob(function (blob) {
            var a = document.createElement("a");
            a.href = URL.createObjectURL(blob); a.download = processId() + ".png";
            document.body.appendChild(a); a.click();
            setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
          }, "image/png");
        };
        img.onerror = function () { status("无法导出 PNG 图片"); };
        img.src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(r.svg)));
      }).catch(function (e) { status("无法导出图片：" + e.message); });
    });
    $("lint-toggle").addEventListener("click", function () { modeler.get("linting").toggle(); });
    $("deploy").addEventListener("click", deploy);

    var url = app.dataset.sourceUrl;
    if (url) {
      fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.text();
      }).then(function (xml) { return open(xml, "第 " + app.dataset.version + " 版"); })
        .catch(function (e) { status("无法读取流程定义：" + e.message); });
    } else {
      open(window.WuyeModeler.BLANK, "空白流程");
    }
  });
})();
