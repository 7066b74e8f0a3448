/* Response-time dashboards: draws the charts with uPlot from the JSON the page carries
   (json_script), and opens the tickets behind a day when it is clicked. No inline script. */
(function () {
  "use strict";
  if (typeof uPlot === "undefined") return;
  var COLOURS = ["#1f6feb", "#a15c00", "#66727f"];

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var metric = data[el.getAttribute("data-chart")];
    var labels = JSON.parse(el.getAttribute("data-labels"));
    var series = [{}];
    [metric.median, metric.p90, metric.trend].forEach(function (_values, i) {
      series.push({
        label: labels[i],
        stroke: COLOURS[i],
        width: i === 2 ? 1.5 : 2,
        dash: i === 2 ? [6, 4] : undefined,
        spanGaps: i === 2,
        points: { show: i === 0 },
        value: function (u, v) { return v == null ? "—" : v.toFixed(1); },
      });
    });
    var width = Math.max(280, el.clientWidth);
    var plot = new uPlot(
      {
        width: width,
        height: 240,
        series: series,
        scales: {
          x: { time: true, range: function (u, min, max) { return data.range || [min, max]; } },
          // An empty period still gets a sensible axis (no answers yet: nothing to scale to).
          y: { range: function (u, min, max) { return min == null || max == null ? [0, 60] : [0, Math.max(1, max * 1.1)]; } },
        },
        axes: [{}, { label: "min", size: 60 }],
        cursor: { drag: { x: false, y: false } },
      },
      [data.x, metric.median, metric.p90, metric.trend],
      el
    );
    el.classList.add("chart-ready");
    // A click on the plot opens the tickets of the day under the cursor.
    plot.over.addEventListener("click", function () {
      var idx = plot.cursor.idx;
      if (idx != null && data.links[idx]) window.location.href = data.links[idx];
    });
    plot.over.style.cursor = "pointer";
    window.addEventListener("resize", function () {
      plot.setSize({ width: Math.max(280, el.clientWidth), height: 240 });
    });
  }

  function start() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
