/// The status page: one self-contained document (inline style and script, no external assets,
/// works offline). The script reads `/api/status` every two seconds and draws the jobs, their
/// per-partition lag as SVG line charts, recent loads and tables; once drawn it marks
/// `body[data-rendered]` (the browser test waits for it).
enum StatusPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Sluice status</title>
        <style>
          body { font: 14px system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f7f8fa; }
          h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
          table { border-collapse: collapse; background: #fff; min-width: 50%; }
          th, td { padding: 4px 10px; border-bottom: 1px solid #e3e6eb; text-align: left; }
          th { background: #eef1f5; font-weight: 600; }
          .num { text-align: right; font-variant-numeric: tabular-nums; }
          .ok { color: #137333; } .bad { color: #b3261e; font-weight: 600; } .muted { color: #6b7280; }
          .charts { display: flex; flex-wrap: wrap; gap: 16px; }
          .chart { background: #fff; border: 1px solid #e3e6eb; padding: 8px; }
          .chart h3 { font-size: 13px; margin: 0 0 4px; }
          svg text { font-size: 10px; fill: #6b7280; }
        </style>
        </head>
        <body>
        <h1>Sluice</h1>
        <div class="muted" id="updated">loading…</div>
        <h2>Routine Load jobs</h2>
        <table id="jobs"><thead><tr><th>Job</th><th>State</th><th>Source</th><th class="num">Rows/s</th>
          <th class="num">Loaded rows</th><th class="num">Error rows</th><th class="num">Lag</th></tr></thead>
          <tbody></tbody></table>
        <h2>Lag per partition (last minutes)</h2>
        <div class="charts" id="charts"></div>
        <h2>Recent loads</h2>
        <table id="loads"><thead><tr><th>Label</th><th>Table</th><th>State</th><th class="num">Rows</th>
          <th>When</th><th>Reason</th></tr></thead><tbody></tbody></table>
        <h2>Tables</h2>
        <table id="tables"><thead><tr><th>Table</th><th>Model</th><th class="num">Rows</th>
          <th class="num">Rowsets</th><th class="num">Tablets</th></tr></thead><tbody></tbody></table>
        <script>
        "use strict";
        const colors = ["#1a73e8", "#e8710a", "#188038", "#d93025", "#9334e6", "#12b5cb", "#f9ab00", "#5f6368"];
        function cell(row, text, cls) {
          const td = document.createElement("td");
          td.textContent = text === null || text === undefined ? "" : String(text);
          if (cls) td.className = cls;
          row.appendChild(td);
        }
        function fill(id, rows, render) {
          const body = document.querySelector("#" + id + " tbody");
          body.replaceChildren();
          for (const item of rows) { const tr = document.createElement("tr"); render(tr, item); body.appendChild(tr); }
          if (rows.length === 0) {
            const tr = document.createElement("tr");
            const td = document.createElement("td");
            td.colSpan = document.querySelectorAll("#" + id + " th").length;
            td.className = "muted"; td.textContent = "none";
            tr.appendChild(td); body.appendChild(tr);
          }
        }
        function svg(name, attrs) {
          const node = document.createElementNS("http://www.w3.org/2000/svg", name);
          for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
          return node;
        }
        function chart(job) {
          const width = 360, height = 140, pad = 28;
          const box = document.createElement("div");
          box.className = "chart";
          const title = document.createElement("h3");
          title.textContent = job.name;
          box.appendChild(title);
          const plot = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
          const points = job.lag.flatMap(p => p.points);
          const t0 = Math.min(...points.map(p => p[0])), t1 = Math.max(...points.map(p => p[0]));
          const top = Math.max(1, ...points.map(p => p[1]));
          const x = t => pad + (t1 > t0 ? (t - t0) / (t1 - t0) : 1) * (width - pad - 8);
          const y = v => height - pad + 4 - (v / top) * (height - pad - 8);
          plot.appendChild(svg("line", { x1: pad, y1: y(0), x2: width - 8, y2: y(0), stroke: "#c4c9d1" }));
          plot.appendChild(svg("line", { x1: pad, y1: 4, x2: pad, y2: y(0), stroke: "#c4c9d1" }));
          const label = svg("text", { x: 2, y: 12 }); label.textContent = String(top); plot.appendChild(label);
          const span = svg("text", { x: pad, y: height - 4 });
          span.textContent = `last ${Math.max(1, Math.round(t1 - t0))} s`;
          plot.appendChild(span);
          job.lag.forEach((p, i) => {
            const line = svg("polyline", {
              fill: "none", stroke: colors[i % colors.length], "stroke-width": 1.5,
              points: p.points.map(pt => `${x(pt[0]).toFixed(1)},${y(pt[1]).toFixed(1)}`).join(" "),
            });
            line.dataset.partition = p.partition;
            plot.appendChild(line);
          });
          box.appendChild(plot);
          return box;
        }
        async function refresh() {
          let status;
          try {
            const response = await fetch("/api/status", { cache: "no-store" });
            status = await response.json();
          } catch (error) {
            document.getElementById("updated").textContent = "cannot reach the server: " + error.message;
            return;
          }
          document.getElementById("updated").textContent = "updated " + new Date(status.time * 1000).toLocaleTimeString();
          fill("jobs", status.jobs, (tr, j) => {
            cell(tr, j.name); cell(tr, j.state, j.pausedByError ? "bad" : "ok");
            cell(tr, j.sourceUp ? "up" : "unreachable", j.sourceUp ? "ok" : "bad");
            cell(tr, j.rowsPerSecond, "num"); cell(tr, j.loadedRows, "num"); cell(tr, j.errorRows, "num");
            cell(tr, j.lag.reduce((sum, p) => sum + (p.points.length ? p.points[p.points.length - 1][1] : 0), 0), "num");
          });
          const charts = document.getElementById("charts");
          charts.replaceChildren(...status.jobs.filter(j => j.lag.length > 0).map(chart));
          fill("loads", status.loads, (tr, l) => {
            cell(tr, l.label); cell(tr, l.table); cell(tr, l.state, l.state === "VISIBLE" ? "ok" : "bad");
            cell(tr, l.rows, "num"); cell(tr, new Date(l.time * 1000).toLocaleString()); cell(tr, l.reason);
          });
          fill("tables", status.tables, (tr, t) => {
            cell(tr, t.name); cell(tr, t.model); cell(tr, t.rows, "num"); cell(tr, t.rowsets, "num"); cell(tr, t.tablets, "num");
          });
          document.body.dataset.rendered = "true";
        }
        refresh();
        setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """#
}
