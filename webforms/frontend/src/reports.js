// The reports page's charts (Chart.js, bundled by esbuild: no CDN). Each <canvas data-chart="…">
// carries its labels and values in data-* attributes the server rendered; no inline script.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

document.addEventListener("DOMContentLoaded", () => {
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const labels = JSON.parse(canvas.dataset.labels || "[]");
    const values = JSON.parse(canvas.dataset.values || "[]");
    const chart = new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [{ label: canvas.dataset.title || "", data: values, backgroundColor: "#4dabf7" }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 indexAxis: canvas.dataset.horizontal ? "y" : "x", plugins: { legend: { display: false } } },
    });
    canvas.setAttribute("data-rendered", String(chart.data.datasets[0].data.length));
  }
});
