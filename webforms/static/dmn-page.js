// The decision table editor (流程设计 › 决策表): a deployed DMN version in dmn-js 17 (bundled from npm
// by frontend/build.mjs into vendor/dmn/, global WuyeDmn), every cell checked by the server in the sandbox ("检查"), a table
// tried on sample data ("试算": which rules match, what it decides), and deploy with a comment through
// POST /api/definitions. Problems are listed and the cells they name are marked in the table.
(function () {
  "use strict";

  var ZH = {
    "Hit policy": "命中策略", "Hit policy:": "命中策略：", "When": "当", "And": "且", "Then": "则",
    "Add rule": "添加规则", "Add rule above": "在上方添加规则", "Add rule below": "在下方添加规则",
    "Remove rule": "删除规则", "Copy rule": "复制规则", "Cut rule": "剪切规则", "Paste rule above": "粘贴到上方",
    "Paste rule below": "粘贴到下方", "Move rule": "移动规则", "Add input": "添加输入列", "Add output": "添加输出列",
    "Add input column left": "在左侧添加输入列", "Add input column right": "在右侧添加输入列",
    "Add output column left": "在左侧添加输出列", "Add output column right": "在右侧添加输出列",
    "Remove input column": "删除输入列", "Remove output column": "删除输出列", "Input": "输入", "Output": "输出",
    "Input label": "输入标签", "Input expression": "输入表达式", "Output label": "输出标签", "Output name": "输出名",
    "Input values": "输入取值", "Output values": "输出取值", "Type": "类型", "Expression": "表达式",
    "Expression language": "表达式语言", "Delete": "删除", "Edit": "编辑", "Annotation": "注释", "Annotations": "注释",
    "Add cell description": "添加说明", "Remove cell description": "删除说明", "Value": "值", "Values": "取值",
    "Predefined values": "预设取值", "Add values": "添加取值", "Clear predefined values": "清除预设取值",
    "Strings must be in double quotes": "字符串要加双引号", "Yes": "是", "No": "否", "View DRD": "查看决策图",
    "Decision name": "决策名称", "Variable name": "变量名", "Variable type": "变量类型", "Change type": "更改类型"
  };
  function translate(template, replacements) {
    var text = ZH[template] || template;
    return text.replace(/{([^}]+)}/g, function (_, k) { return replacements && k in replacements ? replacements[k] : "{" + k + "}"; });
  }

  var app, modeler, csrf, statusEl, problemsEl, decisions = [];

  function $(id) { return document.getElementById(id); }
  function zh(m) { return String(m || "").split(" (")[0]; }
  // a cell's problem: its Chinese text with the English glosses in " (…)" left out, the cell's own text kept
  function said(m) { return String(m || "").replace(/ \((?:[^()]|\([^()]*\))*\)/g, ""); }
  function status(t) { statusEl.textContent = t; }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body) }).then(function (r) { return r.json().then(function (j) { j.status = r.status; return j; }); });
  }
  function xml() { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); }
  function file() { return app.dataset.file || "table.dmn"; }

  function table() { return $("dmn-canvas"); }

  function clearMarks() {
    table().querySelectorAll(".dmn-problem").forEach(function (td) { td.classList.remove("dmn-problem"); td.removeAttribute("title"); });
  }

  function showProblems(problems) {
    clearMarks();
    problemsEl.innerHTML = "";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.className = "server";
      li.setAttribute("data-element", p.element || "");
      li.textContent = (p.element ? p.element + (p.line ? "（第 " + p.line + " 行）" : "") + "：" : "") + said(p.message);
      problemsEl.appendChild(li);
      var cell = p.element && table().querySelector('[data-element-id="' + CSS.escape(p.element) + '"]');
      if (cell) { cell.classList.add("dmn-problem"); cell.title = said(p.message); }
    });
  }

  function check() {
    status("正在检查…");
    return xml().then(function (text) { return post(app.dataset.checkUrl, { xml: text, file: file() }); }).then(function (r) {
      if (r.ok) {
        showProblems([]);
        var li = document.createElement("li");
        li.className = "ok"; li.setAttribute("data-testid", "dmn-check-ok");
        li.textContent = "每个单元格都通过了沙箱检查";
        problemsEl.appendChild(li);
        decisions = r.decisions;
        renderInputs();
        status("检查通过");
      } else {
        showProblems(r.problems.length ? r.problems : [{ message: r.error }]);
        status("检查发现 " + (r.problems.length || 1) + " 处问题");
      }
      return r.ok;
    });
  }

  function currentDecision() { return $("dmn-decision").value; }

  function renderInputs() {
    var d = decisions.filter(function (x) { return x.decision === currentDecision(); })[0] || decisions[0];
    var box = $("dmn-inputs"), kept = {};
    box.querySelectorAll("input").forEach(function (i) { kept[i.name] = i.value; });
    box.innerHTML = "";
    (d ? d.variables : []).forEach(function (name) {
      var label = document.createElement("label");
      label.textContent = name;
      var input = document.createElement("input");
      input.type = "text"; input.name = name; input.id = "dmn-input-" + name; input.value = kept[name] || "";
      input.setAttribute("data-testid", "dmn-input-" + name);
      label.setAttribute("for", input.id);
      box.appendChild(label); box.appendChild(input);
    });
  }

  function typed(value) {
    if (/^-?\d+(\.\d+)?$/.test(value)) { return Number(value); }
    if (value === "true" || value === "false") { return value === "true"; }
    return value;
  }

  function markHits(matched, collect) {
    table().querySelectorAll("tr.dmn-hit, tr.dmn-hit-first").forEach(function (tr) { tr.classList.remove("dmn-hit", "dmn-hit-first"); });
    matched.forEach(function (m, i) {
      var cell = table().querySelector('td[data-row-id="' + CSS.escape(m.rule) + '"]');
      var row = cell && cell.closest("tr");
      if (row) { row.classList.add(i === 0 || collect ? "dmn-hit-first" : "dmn-hit"); }
    });
  }

  function tryIt(event) {
    event.preventDefault();
    var data = {};
    $("dmn-inputs").querySelectorAll("input").forEach(function (i) { if (i.value !== "") { data[i.name] = typed(i.value); } });
    var out = $("dmn-try-result");
    out.textContent = "正在试算…";
    xml().then(function (text) {
      return post(app.dataset.tryUrl, { xml: text, file: file(), decision: currentDecision(), data: data });
    }).then(function (r) {
      out.innerHTML = "";
      if (!r.ok) { showProblems(r.problems.length ? r.problems : [{ message: r.error }]); out.textContent = "不能试算：" + zh(r.error); return; }
      if (r.error) { out.textContent = "这组数据无法判定：" + r.error; return; }
      var result = document.createElement("p");
      result.className = "dmn-result"; result.setAttribute("data-testid", "dmn-result");
      var keys = Object.keys(r.result);
      result.textContent = keys.length ? "结果：" + keys.map(function (k) { return k + " = " + JSON.stringify(r.result[k]); }).join("，")
                                       : "没有规则命中，结果为空";
      out.appendChild(result);
      var list = document.createElement("ul");
      r.matched.forEach(function (m, i) {
        var li = document.createElement("li");
        li.setAttribute("data-testid", "dmn-matched-" + m.rule);
        li.textContent = "第 " + m.row + " 行" + (i === 0 ? "（生效）" : "（也满足）") + (m.description ? "：" + m.description : "");
        list.appendChild(li);
      });
      out.appendChild(list);
      markHits(r.matched, false);
    });
  }

  function deploy() {
    var comment = $("dmn-comment").value.trim(), err = $("dmn-comment-error"), result = $("dmn-deploy-result");
    err.hidden = !!comment; err.textContent = comment ? "" : "请填写本次修改说明";
    if (!comment) { $("dmn-comment").focus(); return; }
    check().then(function (ok) {
      if (!ok) { result.textContent = "未部署：请先修正标出的单元格"; return null; }
      return xml().then(function (text) { return post(app.dataset.deployUrl, { xml: text, file: file(), comment: comment }); });
    }).then(function (r) {
      if (!r) { return; }
      if (r.status === 201) {
        var d = r.deployed.filter(function (x) { return x.kind === "dmn"; })[0] || r.deployed[0];
        result.textContent = d.new ? "已部署为第 " + d.version + " 版" : "内容没有变化，未生成新版本";
        status("已部署");
      } else {
        showProblems(r.problems || [{ message: r.error }]);
        result.textContent = "未部署：" + zh(r.error);
      }
    });
  }

  function openDecision(id) {
    var view = modeler.getViews().filter(function (v) { return v.type === "decisionTable" && v.element.id === id; })[0];
    if (view) { return modeler.open(view).then(renderInputs); }
    return Promise.resolve();
  }

  document.addEventListener("DOMContentLoaded", function () {
    app = $("dmn-app");
    csrf = document.querySelector('meta[name="csrf-token"]').content;
    statusEl = $("dmn-status"); problemsEl = $("dmn-problems");
    modeler = window.WuyeDmn.createDmnModeler(table(), translate);
    window.wuyeDmn = modeler;
    fetch(app.dataset.sourceUrl, { credentials: "same-origin" }).then(function (r) { return r.text(); })
      .then(function (text) { return modeler.importXML(text); })
      .then(function () {
        var select = $("dmn-decision");
        modeler.getViews().filter(function (v) { return v.type === "decisionTable"; }).forEach(function (v) {
          var o = document.createElement("option");
          o.value = v.element.id; o.textContent = v.element.name || v.element.id;
          select.appendChild(o);
        });
        select.addEventListener("change", function () { openDecision(select.value); });
        return openDecision(select.value);
      })
      .then(check)
      .then(function () { app.setAttribute("data-ready", "true"); })
      .catch(function (e) { status("无法打开：" + e.message); });
    $("dmn-check").addEventListener("click", check);
    $("dmn-try-form").addEventListener("submit", tryIt);
    $("dmn-deploy").addEventListener("click", deploy);
    $("dmn-download").addEventListener("click", function () {
      xml().then(function (text) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(new Blob([text], { type: "application/xml" }));
        a.download = file(); document.body.appendChild(a); a.click(); a.remove();
      });
    });
  });
})();
