/**
 * The report page's only script of its own: it draws the charts from the page's JSON block with
 * chart.js (inlined before it). Plain JavaScript in a string, so the page needs no bundler and its
 * Content-Security-Policy can allow exactly this text by its hash. Animation is off, so a printed
 * page, or one read by a test, shows the finished charts.
 */
export const REPORT_PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var colors = ['#e8674a', '#3b82c4', '#2a9d5b', '#b5579d', '#c98a00', '#6a5acd', '#17a2b8', '#8c564b', '#d62728', '#7f7f7f'];
  var charts = [];
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  data.charts.forEach(function (spec) {
    var canvas = document.getElementById('chart-' + spec.id);
    if (!canvas) return;
    var perRun = [0, 0];
    var datasets = spec.datasets.map(function (d) {
      // A series keeps its colour across runs; the compared run is dashed.
      var i = perRun[d.run]++;
      return {
        label: d.label,
        data: d.points.map(function (p) { return { x: p[0], y: p[1] }; }),
        borderColor: colors[i % colors.length],
        backgroundColor: colors[i % colors.length],
        borderDash: d.run === 1 ? [6, 4] : [],
        borderWidth: 1.5,
        pointRadius: 0,
        tension: 0
      };
    });
    var chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: datasets },
      options: {
        parsing: false,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: 's from the start' } },
          y: { beginAtZero: true, title: { display: true, text: spec.unit } }
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } } }
      }
    });
    canvas.setAttribute('data-lines', String(datasets.length));
    canvas.setAttribute('data-points', String(datasets.reduce(function (t, d) { return t + d.data.length; }, 0)));
    charts.push(chart);
  });
  // Printing lays the page out again at the paper's width: the charts follow it.
  window.addEventListener('beforeprint', function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute('data-charts-drawn', String(charts.length));
})();
`;
