package report

// htmlSource is the HTML report's template. Everything the page needs is in
// it: no fonts, styles or scripts are fetched, so the file reads the same
// offline, archived or attached to a mail. The script sorts the ranking
// (numbers numerically, text in natural order, missing values always last)
// and unfolds a trial's curves when its row is clicked.
const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sweep {{.Name}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; color: #1b1b1b; margin: 2em auto; max-width: 1200px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
.meta { color: #555; margin-top: 0; }
code { font-family: ui-monospace, "Liberation Mono", monospace; font-size: .92em; }
ul.stages { padding-left: 1.2em; }
ul.stages .counts { color: #555; }
figure { margin: 1em 0; }
svg { max-width: 100%; height: auto; display: block; }
.hint { color: #555; font-size: .92em; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .3em .6em; border-bottom: 1px solid #e4e4e4; text-align: right; white-space: nowrap; }
th.text, td.text { text-align: left; }
th { position: sticky; top: 0; background: #f4f4f4; }
th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
th[aria-sort="ascending"] button::after { content: " \25B2"; }
th[aria-sort="descending"] button::after { content: " \25BC"; }
tbody:nth-of-type(even) tr.trial { background: #fafafa; }
tr.trial.expandable { cursor: pointer; }
tr.trial.expandable td:first-child::before { content: "\25B8 "; color: #888; }
tr.trial.open td:first-child::before { content: "\25BE "; }
tr.trial:hover { background: #eef4fb; }
tr.curves td { text-align: left; background: #fff; }
.status-diverged, .status-failed { color: #b00; }
footer { margin-top: 3em; color: #777; font-size: .85em; }
</style>
<style>
{{.SVGStyles}}</style>
</head>
<body>
<header>
<h1>sweep {{.Name}}</h1>
<p class="meta">data <code>{{.Fingerprint}}</code> · {{.Counts}}</p>
<ul class="stages">
{{- range .Stages}}
<li>{{.Description}} <span class="counts">({{.Counts}})</span></li>
{{- end}}
</ul>
</header>
<main>
<h2>Validation accuracy against λ</h2>
{{if .LambdaPlot}}<figure>{{.LambdaPlot}}</figure>{{else}}<p>{{.PlotError}}</p>{{end}}
{{if .TopPlot}}<h2>Learning curves of the best trials</h2>
<figure>{{.TopPlot}}</figure>{{end}}
<h2>Ranking</h2>
<p class="hint">Click a column header to sort by it (again to reverse).{{if .Expandable}} Click a trial's row to show its training curves{{if lt .Expandable (len .Rows)}} (drawn for the {{.Expandable}} best finished trials){{end}}.{{end}}</p>
<table id="ranking">
<thead><tr>
{{- range .Columns}}<th{{if .Text}} class="text" data-type="text"{{end}} aria-sort="none"><button type="button">{{.Title}}</button></th>{{end -}}
</tr></thead>
{{- range $i, $r := .Rows}}
<tbody data-rank="{{$i}}"><tr class="trial{{if $r.Plot}} expandable{{end}}" data-id="{{$r.ID}}"{{if $r.Plot}} tabindex="0" aria-expanded="false"{{end}}>
{{- range $j, $c := $r.Cells}}<td{{if (index $.Columns $j).Text}} class="text{{if eq $j 3}} status-{{$c.Value}}{{end}}"{{end}} data-v="{{$c.Value}}">{{$c.Text}}</td>{{end -}}
</tr>
{{- if $r.Plot}}
<tr class="curves" hidden><td colspan="{{len $.Columns}}">{{$r.Plot}}</td></tr>
{{- end}}</tbody>
{{- end}}
</table>
</main>
<footer>Written by sweep. A single file: no network access needed.</footer>
<script>
(function () {
  "use strict";
  var table = document.getElementById("ranking");
  var heads = table.tHead.rows[0].cells;
  var sorted = -1, dir = 1;

  function sortBy(col) {
    dir = sorted === col ? -dir : 1;
    sorted = col;
    var text = heads[col].getAttribute("data-type") === "text";
    var bodies = Array.prototype.slice.call(table.tBodies);
    bodies.sort(function (p, q) {
      var a = p.rows[0].cells[col].getAttribute("data-v");
      var b = q.rows[0].cells[col].getAttribute("data-v");
      if (a === "" || b === "") {
        if (a !== b) return a === "" ? 1 : -1;
      } else {
        var c = text ? a.localeCompare(b, undefined, {numeric: true}) : Number(a) - Number(b);
        if (c !== 0) return dir * c;
      }
      return Number(p.getAttribute("data-rank")) - Number(q.getAttribute("data-rank"));
    });
    bodies.forEach(function (b) { table.appendChild(b); });
    for (var i = 0; i < heads.length; i++) {
      heads[i].setAttribute("aria-sort", i !== col ? "none" : dir > 0 ? "ascending" : "descending");
    }
  }

  function toggle(row) {
    var curves = row.nextElementSibling;
    if (!curves) return;
    curves.hidden = !curves.hidden;
    row.classList.toggle("open", !curves.hidden);
    row.setAttribute("aria-expanded", String(!curves.hidden));
  }

  Array.prototype.forEach.call(heads, function (th, i) {
    th.addEventListener("click", function () { sortBy(i); });
  });
  table.addEventListener("click", function (e) {
    var row = e.target.closest("tr.trial.expandable");
    if (row) toggle(row);
  });
  table.addEventListener("keydown", function (e) {
    var row = e.target.closest && e.target.closest("tr.trial.expandable");
    if (row && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      toggle(row);
    }
  });
})();
</script>
</body>
</html>
`
