// The inbox's own script: poll the task-list fragment and swap it in when it changed, so new tasks
// appear without a reload; keep the navigation counts current. No inline script anywhere (CSP).
// The fragment URL carries the page's filters and its `after` cursor: the page being read is the one
// refreshed (its "更多" link included, which is part of the fragment); see webforms/inbox.py.
(function () {
  "use strict";

  function refreshInbox(list) {
    var url = list.getAttribute("data-refresh-url");
    var seconds = parseInt(list.getAttribute("data-refresh-seconds"), 10) || 20;
    function tick() {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (resp) {
          if (resp.redirected || !resp.ok) { return null; }      // session ended: leave the page as it is
          var count = resp.headers.get("X-Inbox-Count");
          var badge = document.getElementById("nav-inbox-count");
          if (badge && count !== null) { badge.textContent = count; }
          return resp.text();
        })
        .then(function (html) {
          if (html !== null && html !== undefined && html.trim() !== list.innerHTML.trim()) {
            list.innerHTML = html;
            list.setAttribute("data-refreshed", String(Date.now()));
          }
        })
        .catch(function () { /* offline for a moment: try again next tick */ });
    }
    window.setInterval(tick, seconds * 1000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { tick(); } });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("task-list");
    if (list && list.getAttribute("data-refresh-url")) { refreshInbox(list); }
  });
})();
