// Dashboard charts (Apache ECharts, vendored under static/vendor). The figures come from the page's
// <script type="application/json" id="chart-data"> block; no inline script (the CSP forbids it).
(function () {
  "use strict";
  var node = document.getElementById("chart-data");
  if (!node || !window.echarts) { return; }
  var data = JSON.parse(node.textContent);
  var L = data.labels;
  var font = {fontFamily: "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"};

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, {renderer: "svg"});
    option.textStyle = font;
    option.animation = false;
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  draw("chart-status", {
    tooltip: {trigger: "axis"}, grid: {left: 8, right: 16, top: 8, bottom: 8, containLabel: true},
    xAxis: {type: "value", minInterval: 1}, yAxis: {type: "category", inverse: true, data: data.status.labels},
    series: [{type: "bar", data: data.status.values, itemStyle: {color: "#0d6efd"}, label: {show: true, position: "right"}}]
  });
  draw("chart-batches", {
    tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {left: 8, right: 16, top: 32, bottom: 8, containLabel: true},
    xAxis: {type: "category", data: data.batches.labels}, yAxis: {type: "value", minInterval: 1},
    series: [
      {name: L.total, type: "bar", data: data.batches.total, itemStyle: {color: "#adb5bd"}},
      {name: L.started, type: "bar", data: data.batches.started, itemStyle: {color: "#0d6efd"}},
      {name: L.finished, type: "bar", data: data.batches.finished, itemStyle: {color: "#198754"}}
    ]
  });
  draw("chart-tiers", {
    tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {left: 8, right: 16, top: 32, bottom: 8, containLabel: true},
    xAxis: {type: "category", data: data.tiers.labels.map(function (t) { return L.tier + " " + t; })},
    yAxis: {type: "value", minInterval: 1},
    series: [
      {name: L.open, type: "bar", stack: "s", data: data.tiers.open, itemStyle: {color: "#ffc107"}},
      {name: L.submitted, type: "bar", stack: "s", data: data.tiers.submitted, itemStyle: {color: "#0dcaf0"}},
      {name: L.closed, type: "bar", stack: "s", data: data.tiers.closed, itemStyle: {color: "#198754"}},
      {name: L.overdue, type: "line", data: data.tiers.overdue, itemStyle: {color: "#dc3545"}}
    ]
  });
})();
