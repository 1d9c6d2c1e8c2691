// CrossingWatch console: keyboard shortcuts, CSRF header for htmx, and charts. Pages work without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.dataset.csrf;
    if (token) { event.detail.headers["X-CSRF-Token"] = token; }
  });

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // Queue: j/k move the selection, Enter opens it. Case: a/s/x/i/e decide, n goes to the next case.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
    if (rows.length && (event.key === "j" || event.key === "k" || event.key === "Enter")) {
      var current = rows.findIndex(function (r) { return r.classList.contains("selected"); });
      if (event.key === "Enter") {
        if (current >= 0) { window.location.assign(rows[current].dataset.href); }
        return;
      }
      var next = event.key === "j" ? Math.min(current + 1, rows.length - 1) : Math.max(current - 1, 0);
      rows.forEach(function (r) { r.classList.remove("selected"); });
      rows[next].classList.add("selected");
      rows[next].scrollIntoView({ block: "nearest" });
      event.preventDefault();
      return;
    }
    var button = document.querySelector('[data-key="' + event.key + '"]');
    if (button) { event.preventDefault(); button.click(); }
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a")) { window.location.assign(row.dataset.href); }
  });

  function drawCharts() {
    if (typeof window.Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var series = JSON.parse(canvas.dataset.series);
      new window.Chart(canvas, {
        type: canvas.dataset.kind,
        data: { labels: series.labels, datasets: [{ label: canvas.dataset.unit, data: series.values,
                backgroundColor: "#0b5cad", borderColor: "#0b5cad" }] },
        options: { animation: false, responsive: true, maintainAspectRatio: false,
                   plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }
      });
    });
  }
  var KIND_COLOURS = { post: "#0b5cad", account: "#6b6b00", phone: "#7b2fbe", handle: "#b8326b", url: "#c06a00",
                       pdq: "#0d7d7d", sha256: "#0d7d7d", video_md5: "#0d7d7d", campaign: "#2a7a2a",
                       payment: "#a40e26" };

  function drawNetwork() {
    var box = document.getElementById("network-graph");
    if (!box || typeof window.cytoscape === "undefined") { return; }
    var graph = JSON.parse(box.dataset.graph);
    var cy = window.cytoscape({
      container: box, elements: graph.nodes.concat(graph.edges), wheelSensitivity: 0.2,
      layout: { name: graph.nodes.length > 400 ? "grid" : "cose", animate: false },
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 8, "width": 12, "height": 12,
                                     "background-color": function (n) { return KIND_COLOURS[n.data("kind")] || "#888"; } } },
        { selector: "node[kind = 'post']", style: { "shape": "round-rectangle", "width": 16, "height": 16 } },
        { selector: "edge", style: { "width": 1, "line-color": "#c5ccd3" } }
      ]
    });
    cy.on("tap", "node[kind = 'post']", function (event) {
      var c = event.target.data("case");
      if (c) { window.location.assign("/cases/" + c); }
    });
    box.dataset.drawn = String(cy.nodes().length);
  }

  // After every deferred script has run (Chart.js is loaded after this file on the dashboard).
  function drawAll() { drawCharts(); drawNetwork(); }
  if (document.readyState === "complete") { drawAll(); } else { window.addEventListener("load", drawAll); }
})();
