"""The report's inline stylesheet and script, as Python strings.

Kept in Python rather than package data so a report needs nothing but this module. Every CSS
rule is scoped under ``.dcr`` so that a report shown inside a notebook leaves the notebook's
own styles alone. The script only sorts and filters the feature cards that the HTML already
holds; without it (an untrusted notebook) the report reads the same, just without the controls.
It uses system fonts only, so opening a report never fetches anything.
"""

from __future__ import annotations

__all__ = ["CSS", "SCRIPT"]

CSS = """
.dcr{--err:#c62828;--warn:#b26a00;--ok:#2e7d32;--cur:#4c78a8;--base:#e45756;--line:#d8dde3;
--muted:#5f6b76;--bg:#fff;--soft:#f5f7f9;font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif;color:#1d2329;background:var(--bg);max-width:1280px;
margin:0 auto;padding:16px}
.dcr *{box-sizing:border-box}
.dcr [hidden]{display:none!important}
.dcr h1{font-size:22px;margin:0 0 4px}
.dcr h2{font-size:17px;margin:24px 0 8px}
.dcr h3{font-size:15px;margin:0;overflow-wrap:anywhere}
.dcr h4{font-size:12px;margin:0 0 6px;text-transform:uppercase;letter-spacing:.04em;
color:var(--muted)}
.dcr code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.95em}
.dcr .dcr-sources{color:var(--muted);margin:0;overflow-wrap:anywhere}
.dcr .dcr-head{display:flex;justify-content:space-between;align-items:flex-start;gap:16px}
.dcr .dcr-verdict{font-weight:700;padding:4px 12px;border-radius:4px;color:#fff;
white-space:nowrap}
.dcr .dcr-verdict.pass{background:var(--ok)}
.dcr .dcr-verdict.fail{background:var(--err)}
.dcr .dcr-verdict.none{background:var(--muted)}
.dcr .dcr-cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0 0;padding:0;list-style:none}
.dcr .dcr-cards li{border:1px solid var(--line);border-radius:6px;padding:8px 14px;
min-width:120px;background:var(--soft)}
.dcr .dcr-cards b{display:block;font-size:20px}
.dcr .dcr-cards span{color:var(--muted);font-size:12px}
.dcr .dcr-cards .err b{color:var(--err)}
.dcr .dcr-cards .warn b{color:var(--warn)}
.dcr table{border-collapse:collapse;width:100%}
.dcr th,.dcr td{text-align:left;padding:2px 8px 2px 0;border-bottom:1px solid var(--line);
vertical-align:top}
.dcr th{font-weight:600;color:var(--muted);font-size:12px}
.dcr td.num,.dcr th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.dcr .dcr-sev{font-weight:700;font-size:11px;text-transform:uppercase;white-space:nowrap}
.dcr .dcr-sev.error{color:var(--err)}
.dcr .dcr-sev.warning{color:var(--warn)}
.dcr .dcr-controls{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:18px 0 10px;
padding:10px;background:var(--soft);border:1px solid var(--line);border-radius:6px;
position:sticky;top:0;z-index:1}
.dcr .dcr-controls label{font-size:13px;color:var(--muted)}
.dcr .dcr-controls select,.dcr .dcr-controls input{font:inherit;padding:2px 4px;margin-left:4px}
.dcr .dcr-count{margin-left:auto;color:var(--muted)}
.dcr .dcr-feature{border:1px solid var(--line);border-left:5px solid var(--line);
border-radius:6px;padding:10px 14px;margin:0 0 12px;background:var(--bg)}
.dcr .dcr-feature.dcr-has-error{border-left-color:var(--err);background:#fff8f8}
.dcr .dcr-feature.dcr-has-warning{border-left-color:var(--warn);background:#fffbf3}
.dcr .dcr-fhead{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:6px}
.dcr .dcr-tag{font-size:11px;padding:1px 7px;border-radius:10px;background:#e8edf2;
color:#33404c;white-space:nowrap}
.dcr .dcr-tag.error{background:var(--err);color:#fff}
.dcr .dcr-tag.warning{background:var(--warn);color:#fff}
.dcr .dcr-tag.drift{background:#6a3d9a;color:#fff}
.dcr .dcr-alist{margin:4px 0 8px;padding:0;list-style:none}
.dcr .dcr-alist li{padding:4px 8px;margin:2px 0;border-radius:4px}
.dcr .dcr-alist li.error{background:#fde7e7}
.dcr .dcr-alist li.warning{background:#fff1d6}
.dcr .dcr-alist code{font-weight:600}
.dcr .dcr-body{display:grid;grid-template-columns:360px minmax(220px,1fr) minmax(200px,.8fr);
gap:18px;align-items:start}
.dcr .dcr-body.dcr-noschema{grid-template-columns:360px minmax(220px,1fr)}
@media (max-width:980px){.dcr .dcr-body,.dcr .dcr-body.dcr-noschema{grid-template-columns:1fr}}
.dcr .dcr-legend{font-size:12px;color:var(--muted);margin:2px 0 0}
.dcr .dcr-legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 8px;
vertical-align:-1px}
.dcr .dcr-legend .cur{background:var(--cur)}
.dcr .dcr-legend .base{border:2px solid var(--base)}
.dcr .dcr-note{font-size:12px;color:var(--muted);margin:2px 0 0}
.dcr .dcr-schema dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:2px 10px}
.dcr .dcr-schema dt{color:var(--muted);font-size:12px}
.dcr .dcr-schema dd{margin:0;word-break:break-word}
.dcr .dcr-drift{margin-top:10px}
.dcr .dcr-drift tr.over td{color:var(--err);font-weight:600}
.dcr .dcr-overview th{cursor:pointer;user-select:none;white-space:nowrap}
.dcr .dcr-overview th[aria-sort=ascending]::after{content:" \\25B2"}
.dcr .dcr-overview th[aria-sort=descending]::after{content:" \\25BC"}
.dcr .dcr-overview tr.error td:first-child{border-left:3px solid var(--err)}
.dcr .dcr-overview tr.warning td:first-child{border-left:3px solid var(--warn)}
.dcr .dcr-overview td:first-child{padding-left:5px}
.dcr .dcr-overview td.over{color:var(--err);font-weight:600}
.dcr .dcr-overview td.warn{color:var(--warn)}
.dcr .dcr-overview small{color:var(--muted)}
.dcr .dcr-drift tr.warn td{color:var(--warn)}
.dcr .dcr-drift tr.info td{color:var(--muted)}
.dcr .dcr-meter{display:inline-block;position:relative;width:120px;height:10px;
background:#e8edf2;border-radius:2px;vertical-align:middle}
.dcr .dcr-meter-fill{position:absolute;left:0;top:0;bottom:0;background:var(--cur);
border-radius:2px}
.dcr tr.over .dcr-meter-fill{background:var(--err)}
.dcr .dcr-meter-mark{position:absolute;top:-3px;bottom:-3px;width:2px;background:#1d2329}
.dcr .dcr-chart{display:block;max-width:100%;height:auto}
.dcr .dcr-chart .dcr-bar{fill:var(--cur)}
.dcr .dcr-chart .dcr-base{fill:none;stroke:var(--base);stroke-width:2}
.dcr .dcr-chart .dcr-missing{fill:#cfd6dd}
.dcr .dcr-chart .dcr-axis{stroke:#8a96a3}
.dcr .dcr-chart .dcr-grid{stroke:var(--line);stroke-dasharray:3 3}
.dcr .dcr-chart text{font-size:11px;fill:#33404c}
.dcr .dcr-chart .dcr-tick{fill:var(--muted)}
.dcr .dcr-empty{color:var(--muted);font-style:italic}
.dcr details.dcr-anomalies summary{cursor:pointer}
.dcr details.dcr-anomalies summary h2{display:inline}
.dcr footer{color:var(--muted);font-size:12px;margin-top:24px}
"""

# ES5 on purpose: notebook front ends and old browsers run it as is.
SCRIPT = """
(function () {
  function num(el, key) { return parseFloat(el.getAttribute('data-' + key)) || 0; }
  function byOrder(a, b) { return num(a, 'order') - num(b, 'order'); }
  var sorts = {
    anomalies: function (a, b) {
      return num(b, 'errors') - num(a, 'errors') || num(b, 'warnings') - num(a, 'warnings') ||
        num(b, 'drift') - num(a, 'drift') || byOrder(a, b);
    },
    drift: function (a, b) { return num(b, 'drift') - num(a, 'drift') || byOrder(a, b); },
    name: function (a, b) {
      var x = a.getAttribute('data-name'), y = b.getAttribute('data-name');
      return x < y ? -1 : x > y ? 1 : 0;
    },
    missing: function (a, b) { return num(b, 'missing') - num(a, 'missing') || byOrder(a, b); },
    order: byOrder
  };
  var filters = {
    all: function () { return true; },
    anomalies: function (e) { return num(e, 'errors') + num(e, 'warnings') > 0; },
    errors: function (e) { return num(e, 'errors') > 0; },
    drifted: function (e) { return e.hasAttribute('data-drifted'); },
    numeric: function (e) { return e.getAttribute('data-kind') === 'numeric'; },
    categorical: function (e) { return e.getAttribute('data-kind') === 'categorical'; }
  };
  // The overview table: a click (or Enter) on a heading sorts by its column; numbers start
  // largest first, text A to Z, and a second click reverses. Ties keep the page's order.
  function sortable(table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.setAttribute('data-i', i); });
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, col) {
      var numeric = th.className.indexOf('num') !== -1;
      th.tabIndex = 0;
      th.setAttribute('role', 'button');
      function key(row) {
        var v = row.cells[col].getAttribute('data-v');
        return numeric ? parseFloat(v) || 0 : v.toLowerCase();
      }
      function go() {
        var first = numeric ? 'descending' : 'ascending';
        var was = th.getAttribute('aria-sort');
        var dir = was ? (was === 'ascending' ? 'descending' : 'ascending') : first;
        var sign = dir === 'ascending' ? 1 : -1;
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir);
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          return (x < y ? -sign : x > y ? sign : 0) ||
            num(a, 'i') - num(b, 'i');
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener('click', go);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); }
      });
    });
  }
  function init(root) {
    root.setAttribute('data-dcr-ready', '');
    Array.prototype.forEach.call(root.querySelectorAll('table.dcr-overview'), sortable);
    var list = root.querySelector('.dcr-features');
    var controls = root.querySelector('.dcr-controls');
    if (!list || !controls) { return; }
    var cards = Array.prototype.slice.call(list.querySelectorAll('.dcr-feature'));
    var filter = controls.querySelector('select[name=filter]');
    var sort = controls.querySelector('select[name=sort]');
    var search = controls.querySelector('input[name=search]');
    var count = controls.querySelector('.dcr-count');
    function apply() {
      var keep = filters[filter.value] || filters.all;
      var query = search.value.toLowerCase();
      var shown = 0;
      cards.sort(sorts[sort.value] || byOrder);
      cards.forEach(function (card) {
        list.appendChild(card);
        var visible = keep(card) &&
          card.getAttribute('data-name').toLowerCase().indexOf(query) !== -1;
        card.hidden = !visible;
        if (visible) { shown += 1; }
      });
      count.textContent = shown + ' of ' + cards.length + ' features shown';
    }
    filter.addEventListener('change', apply);
    sort.addEventListener('change', apply);
    search.addEventListener('input', apply);
    controls.hidden = false;
    apply();
  }
  var roots = document.querySelectorAll('.dcr:not([data-dcr-ready])');
  Array.prototype.forEach.call(roots, init);
})();
"""
