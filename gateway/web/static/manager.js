// The manager's chart: Apache ECharts (vendor/echarts) draws the figures the page carries as JSON in the
// chart's data-chart attribute; no inline script (the CSP allows files only).
(function () {
  "use strict";
  var holder = document.getElementById("figures-chart");
  if (!holder || !holder.getAttribute("data-chart") || !window.echarts) {
    return;
  }
  var spec = JSON.parse(holder.getAttribute("data-chart"));
  var percent = spec.kind === "percent";
  var money = spec.kind === "money";
  var format = function (value) {
    if (value === null || value === undefined || isNaN(value)) {
      return "—";
    }
    if (percent) {
      return (value * 100).toFixed(1) + "%";
    }
    if (money) {
      return "¥" + Number(value).toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    return Number(value).toLocaleString("en", { maximumFractionDigits: 1 });
  };
  var chinese = document.documentElement.lang === "zh-CN";
  var axisFormat = function (value) {
    if (percent) {
      return Math.round(value * 100) + "%";
    }
    if (Math.abs(value) >= 10000) {  // 万 in Chinese, thousands in English: short labels on a phone
      return chinese ? value / 10000 + "万" : value / 1000 + "k";
    }
    return Number(value).toLocaleString("en");
  };
  // Many groups on a phone: bars across, one line per group, the chart as tall as it needs.
  var categories = spec.categories;
  var horizontal = categories.length > (holder.clientWidth < 600 ? 5 : 14);
  if (horizontal) {
    holder.style.height = Math.max(320, 60 + categories.length * spec.series.length * 18 + categories.length * 10) + "px";
  }
  var valueAxis = { type: "value", max: percent ? 1 : null, splitNumber: horizontal ? 4 : 5,
    axisLabel: { formatter: axisFormat, hideOverlap: true } };
  var categoryAxis = {
    type: "category", data: categories, inverse: horizontal,
    axisLabel: { interval: 0, width: horizontal ? 96 : 80, overflow: "truncate", rotate: !horizontal && categories.length > 4 ? 35 : 0 }
  };
  var chart = window.echarts.init(holder, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    color: ["#0f5fa8", "#2e9c5b", "#d08a00", "#b3261e", "#6b4fbb", "#1d8fa0", "#5d6b7a", "#c2185b"],
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: format, confine: true },
    legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : valueAxis,
    series: spec.series.map(function (s) {
      return { name: s.name, type: "bar", data: s.data, barMaxWidth: 28 };
    })
  });
  holder.setAttribute("data-ready", "true");
  window.addEventListener("resize", function () { chart.resize(); });
  // A month picked from the list is the period: the dates below are for a period of one's own.
  var month = document.getElementById("month");
  if (month) {
    month.addEventListener("change", function () {
      if (month.value) {
        document.getElementById("from").value = "";
        document.getElementById("to").value = "";
      }
    });
  }
})();
