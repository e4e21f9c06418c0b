"use strict";
// pt report page. Every string from the file reaches the DOM through textContent or setAttribute, never as markup.
(function () {
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById("pt-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var C = {};
  (D.cols || []).forEach(function (c, i) { C[c] = i; });
  var FLAG_ZERO = 1, FLAG_NONFINITE = 2, FLAG_OUTLIER = 4, FLAG_TIED = 8;
  var PALETTE = ["#3b6fd8", "#2a9d8f", "#e09f3e", "#9c6ade", "#d1495b", "#4d908e", "#6d8f2e", "#c26d3a",
    "#5a7bb5", "#b5557a", "#3d8bbd", "#8a7b4f"];

  // ---- small DOM helpers --------------------------------------------------------------------------------------
  function el(tag, cls) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function add(parent, child) {
    if (child === null || child === undefined) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(parent, c); }); return; }
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    return e;
  }
  function svgTitle(node, text) { var t = svg("title", {}); t.textContent = text; node.appendChild(t); return node; }

  // ---- number formatting --------------------------------------------------------------------------------------
  function fmt(x) {
    if (x === null || x === undefined) return "–";
    if (typeof x === "string") return x;
    if (x === 0) return "0";
    var a = Math.abs(x);
    if (a >= 1e5 || a < 1e-3) return x.toExponential(3).replace(/\.?0+e/, "e");
    return String(Number(x.toPrecision(4)));
  }
  function int(n) {
    if (n === null || n === undefined) return "–";
    var s = String(Math.round(n)), out = "";
    var neg = s.charAt(0) === "-"; if (neg) s = s.slice(1);
    while (s.length > 3) { out = "," + s.slice(-3) + out; s = s.slice(0, -3); }
    return (neg ? "-" : "") + s + out;
  }
  function bytes(n) {
    if (n === null || n === undefined) return "–";
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0, v = n;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i === 0 ? String(v) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)) + " " + u[i];
  }
  function pct(x) {
    if (x === null || x === undefined) return "–";
    if (x > 0 && x < 0.001) return "<0.1%";
    if (x < 1 && x > 0.999) return ">99.9%";
    return (x * 100).toFixed(1) + "%";
  }
  function shape(s) { return "[" + s.join(", ") + "]"; }

  // ---- histograms ---------------------------------------------------------------------------------------------
  function spark(bins, w, h, diff) {
    var s = svg("svg", { "class": "spark" + (diff ? " diff" : ""), width: w, height: h, viewBox: "0 0 " + w + " " + h });
    if (!bins) return s;
    var max = 0; bins.forEach(function (b) { if (b > max) max = b; });
    if (max === 0) return s;
    var bw = w / bins.length;
    bins.forEach(function (b, i) {
      if (b === 0) return;
      var bh = Math.max(1, Math.round(h * b / max));
      s.appendChild(svg("rect", { x: (i * bw).toFixed(1), y: h - bh, width: Math.max(1, bw - 0.6).toFixed(1), height: bh }));
    });
    return s;
  }
  function bigHist(bins, lo, hi, diff) {
    var W = 460, H = 170, L = 8, B = 22, top = 6;
    var s = svg("svg", { "class": "hist" + (diff ? " diff" : ""), viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none" });
    if (!bins) return s;
    var max = 0, total = 0; bins.forEach(function (b) { if (b > max) max = b; total += b; });
    var bw = (W - 2 * L) / bins.length, w0 = (hi - lo) / bins.length;
    s.appendChild(svg("line", { x1: L, x2: W - L, y1: H - B + 0.5, y2: H - B + 0.5 }));
    bins.forEach(function (b, i) {
      var bh = max ? Math.max(b ? 1 : 0, (H - B - top) * b / max) : 0;
      var r = svg("rect", { "class": "bar", x: (L + i * bw).toFixed(1), y: (H - B - bh).toFixed(1),
        width: Math.max(1, bw - 1).toFixed(1), height: bh.toFixed(1) });
      svgTitle(r, "[" + fmt(lo + i * w0) + ", " + fmt(lo + (i + 1) * w0) + (i === bins.length - 1 ? "]" : ")") +
        ": " + int(b) + " (" + pct(total ? b / total : 0) + ")");
      s.appendChild(r);
    });
    [[lo, L, "start"], [(lo + hi) / 2, W / 2, "middle"], [hi, W - L, "end"]].forEach(function (t) {
      var tx = svg("text", { x: t[1], y: H - 6, "text-anchor": t[2] }); tx.textContent = fmt(t[0]); s.appendChild(tx);
    });
    return s;
  }

  // ---- virtual table ------------------------------------------------------------------------------------------
  // Only the rows in view exist in the DOM (and so only their histograms are drawn); scrolling re-renders.
  function VirtualTable(columns, template, rowHeight, maxHeight) {
    var self = this;
    this.columns = columns; this.rowHeight = rowHeight; this.rows = []; this.sel = -1; this.onSelect = null;
    this.sortKey = null; this.sortDir = 1; this.onSort = null;
    this.root = el("div", "vt");
    this.head = el("div", "head");
    this.head.style.gridTemplateColumns = template;
    columns.forEach(function (c, i) {
      var h = el("span", c.num ? "n" : "", c.title);
      if (c.sort) h.addEventListener("click", function () {
        if (self.sortKey === i) self.sortDir = -self.sortDir; else { self.sortKey = i; self.sortDir = c.num ? -1 : 1; }
        if (self.onSort) self.onSort(c.sort, self.sortDir);
        Array.prototype.forEach.call(self.head.children, function (x, j) { x.classList.toggle("sorted", j === i); });
      });
      self.head.appendChild(h);
    });
    this.body = el("div", "body");
    this.spacer = el("div");
    this.body.appendChild(this.spacer);
    this.template = template; this.maxHeight = maxHeight;
    this.root.appendChild(this.head); this.root.appendChild(this.body);
    var pending = false;
    this.body.addEventListener("scroll", function () {
      if (pending) return; pending = true;
      requestAnimationFrame(function () { pending = false; self.draw(); });
    });
  }
  VirtualTable.prototype.setRows = function (rows) {
    this.rows = rows;
    this.spacer.style.height = (rows.length * this.rowHeight) + "px";
    this.body.style.height = Math.min(this.maxHeight, Math.max(this.rowHeight, rows.length * this.rowHeight)) + "px";
    this.body.scrollTop = 0; this.drawn = {};
    this.draw(true);
  };
  VirtualTable.prototype.draw = function (reset) {
    var h = this.rowHeight, top = this.body.scrollTop, height = this.body.clientHeight || this.maxHeight;
    var first = Math.max(0, Math.floor(top / h) - 8), last = Math.min(this.rows.length, Math.ceil((top + height) / h) + 8);
    var keep = {}, self = this;
    if (reset) { while (this.body.childNodes.length > 1) this.body.removeChild(this.body.lastChild); this.drawn = {}; }
    for (var i = first; i < last; i++) {
      keep[i] = true;
      if (this.drawn[i]) continue;
      var r = this.rows[i], row = el("div", "row");
      row.style.top = (i * h) + "px";
      row.style.gridTemplateColumns = this.template;
      this.columns.forEach(function (c) { row.appendChild(c.cell(r)); });
      if (this.rowClass) { var cl = this.rowClass(r); if (cl) row.className += " " + cl; }
      if (r === this.sel) row.classList.add("sel");
      (function (rr, node) {
        node.addEventListener("click", function () { self.select(rr); });
      })(r, row);
      row.dataset.i = i;
      this.body.appendChild(row);
      this.drawn[i] = row;
    }
    for (var k in this.drawn) if (!keep[k]) { this.body.removeChild(this.drawn[k]); delete this.drawn[k]; }
  };
  VirtualTable.prototype.select = function (r) {
    this.sel = r;
    for (var k in this.drawn) this.drawn[k].classList.toggle("sel", this.rows[k] === r);
    if (this.onSelect) this.onSelect(r);
  };
  function numCell(text) { return el("span", "n", text); }

  // ---- page ---------------------------------------------------------------------------------------------------
  var app = document.getElementById("app");
  while (app.firstChild) app.removeChild(app.firstChild);
  var file = D.file || {}, scan = D.scan || { findings: [], globals: [] };
  var tensors = D.tensors || [];

  var top = el("div", "top", el("span", "brand", "pt report"), el("span", "fname", file.name));
  if (file.kind) top.appendChild(el("span", "badge", file.kind.replace("_", " ")));
  top.appendChild(el("span", "badge " + scan.verdict, "scan: " + scan.verdict));
  app.appendChild(top);
  var main = el("main");
  app.appendChild(main);

  // Header
  (function header() {
    var s = el("section", "", el("h2", "", "File"));
    if (file.error) {
      s.appendChild(el("div", "errorbox", "This file could not be read: " + file.error));
      s.appendChild(el("p", "note", int(file.bytes) + " bytes. The scan below still applies."));
      main.appendChild(s); return;
    }
    var p = D.params || {};
    function card(k, v, sub) { return el("div", "card", el("div", "k", k), el("div", "v", v), sub ? el("div", "s", sub) : null); }
    s.appendChild(el("div", "cards",
      card("Format", file.format, file.archive ? "archive " + file.archive : null),
      card("Writer version", file.version === null ? "–" : file.version,
        file.protocol === null ? (file.files > 1 ? file.files + " files" : null) : "pickle protocol " + file.protocol),
      card("Kind", file.kind.replace("_", " ")),
      card("Byte order", file.byteOrder),
      card("Parameters", int(p.count), bytes(p.bytes) + " in " + int(p.parameterTensors) + " tensors" +
        (p.tiedNames ? " · " + int(p.tiedNames) + " tied names counted once" : "")),
      card("Buffers", int(p.buffers), int(p.bufferTensors) + " tensors (running stats, counters...)"),
      card("Tensors", int(p.tensors), (p.otherTensors ? int(p.otherTensors) + " outside the model (" + int(p.other) +
        " elements) · " : "") + bytes(p.tensorBytes) + " of data"),
      card("File size", bytes(file.bytes), int(file.bytes) + " bytes")));
    var dt = D.dtypes || [], total = 0;
    dt.forEach(function (d) { total += d[1]; });
    if (dt.length) {
      var bar = el("div", "dbar"), legend = el("div", "legend");
      dt.forEach(function (d, i) {
        var seg = el("div"); seg.style.width = (total ? 100 * d[1] / total : 0) + "%";
        seg.style.background = PALETTE[i % PALETTE.length];
        seg.setAttribute("title", d[0] + ": " + bytes(d[1]));
        bar.appendChild(seg);
        var sw = el("i"); sw.style.background = PALETTE[i % PALETTE.length];
        legend.appendChild(el("span", "", sw, d[0] + " " + bytes(d[1]) + " (" + int(d[2]) + " tensors, " +
          pct(total ? d[1] / total : 0) + ")"));
      });
      s.appendChild(el("h3", "", "Bytes by dtype"));
      s.appendChild(bar); s.appendChild(legend);
    }
    main.appendChild(s);
  })();

  // Scan
  (function scanSection() {
    var s = el("section", "", el("h2", "", "Security scan", el("span", "badge " + scan.verdict, scan.verdict),
      el("span", "sub", scan.container + ", " + scan.pickles + " pickle" + (scan.pickles === 1 ? "" : "s") +
        ", " + scan.globals.length + " globals; nothing in the file was executed")));
    if (scan.error) s.appendChild(el("div", "errorbox", scan.error));
    var rank = { dangerous: 0, warning: 1, info: 2 };
    var findings = scan.findings.map(function (f, i) { return [f, i]; })
      .sort(function (a, b) { return (rank[a[0][0]] - rank[b[0][0]]) || a[1] - b[1]; })
      .map(function (x) { return x[0]; });
    function findingTable(list) {
      var t = el("table", "plain findings", el("tr", "", el("th", "", "Severity"), el("th", "", "Kind"),
        el("th", "", "Global"), el("th", "", "Where"), el("th", "", "Finding")));
      list.forEach(function (f) {
        t.appendChild(el("tr", f[0], el("td", "", f[0]), el("td", "", f[1]), el("td", "mono", f[2] || ""),
          el("td", "mono", (f[3] || "") + (f[4] !== null ? " @" + f[4] : "")), el("td", "", f[5])));
      });
      return t;
    }
    if (findings.length) {
      var bySeverity = {};
      findings.forEach(function (f) { bySeverity[f[0]] = (bySeverity[f[0]] || 0) + 1; });
      s.appendChild(el("p", "note", Object.keys(bySeverity).map(function (k) {
        return bySeverity[k] + " " + (bySeverity[k] === 1 ? k : k === "info" ? "notes" : k + "s");
      }).join(" · ")));
      var shown = 6;
      s.appendChild(findingTable(findings.slice(0, shown)));
      if (findings.length > shown) {
        var more = el("details", "", el("summary", "note", (findings.length - shown) + " more findings"));
        more.appendChild(findingTable(findings.slice(shown)));
        s.appendChild(more);
      }
    } else s.appendChild(el("p", "note", "No findings."));
    if (scan.globals.length) {
      var det = el("details", "", el("summary", "note", "Globals referenced (" + scan.globals.length + ")"));
      var keys = el("div", "keys");
      scan.globals.forEach(function (g) { keys.appendChild(el("div", "", g[0] + "  " + g[1] + (g[2] > 1 ? " ×" + g[2] : ""))); });
      det.appendChild(keys); s.appendChild(det);
    }
    main.appendChild(s);
  })();

  if (file.error) { finish(); return; }

  // ---- module tree --------------------------------------------------------------------------------------------
  var classes = {};
  (D.modules || []).forEach(function (m) { classes[m[0]] = m[1]; });
  function Node(name, path) { this.name = name; this.path = path; this.kids = []; this.map = {}; this.params = 0; this.bytes = 0; this.count = 0; this.tensor = -1; }
  var root = new Node("", "");
  tensors.forEach(function (t, i) {
    var parts = t[0] === "" ? ["(root)"] : t[0].split(".");
    var n = root, tied = (t[C.flags] & FLAG_TIED) !== 0;
    var p = "";
    for (var k = 0; k < parts.length; k++) {
      if (!tied) { n.params += t[C.elements]; n.bytes += t[C.bytes]; }
      n.count++;
      p = k === 0 ? parts[0] : p + "." + parts[k];
      var c = Object.prototype.hasOwnProperty.call(n.map, parts[k]) ? n.map[parts[k]] : null;
      if (!c) { c = new Node(parts[k], p); n.map[parts[k]] = c; n.kids.push(c); }
      n = c;
    }
    if (!tied) { n.params += t[C.elements]; n.bytes += t[C.bytes]; }
    n.count++; n.tensor = i;
  });
  if (Object.prototype.hasOwnProperty.call(classes, "")) root.cls = classes[""];

  var filterBox;
  function filterTo(prefix) {
    filterBox.value = prefix;
    applyFilter();
    tensorSection.scrollIntoView({ block: "start" });
  }

  var two = el("div", "two");
  main.appendChild(two);
  (function treeSection() {
    var s = el("section", "", el("h2", "", "Modules",
      el("span", "sub", (root.cls ? root.cls + " · " : "") + "elements and bytes per subtree; click a name to list its tensors")));
    s.appendChild(el("div", "treehead", el("span", "", "name"), el("span", "", "elements"), el("span", "", "bytes"), el("span", "", "share")));
    var box = el("div", "tree");
    function line(n, depth) {
      var wrap = el("div");
      var tg = el("span", "tg", n.kids.length ? "▸" : "");
      var nm = el("span", "nm");
      nm.style.paddingLeft = (depth * 14) + "px";
      nm.appendChild(tg);
      var label = el("span", "link", n.name);
      label.addEventListener("click", function () { filterTo(n.tensor >= 0 && !n.kids.length ? n.path : n.path + "."); });
      nm.appendChild(label);
      var cls = Object.prototype.hasOwnProperty.call(classes, n.path) ? classes[n.path] : null;
      if (cls) nm.appendChild(el("span", "cls", cls));
      else if (n.tensor >= 0 && !n.kids.length) {
        var t = tensors[n.tensor];
        nm.appendChild(el("span", "cls", t[C.dtype] + " " + shape(t[C.shape])));
      }
      var share = el("div", "share"), fill = el("div");
      fill.style.width = (root.bytes ? 100 * n.bytes / root.bytes : 0) + "%";
      share.appendChild(fill);
      var row = el("div", "node", nm, el("span", "num", int(n.params)), el("span", "num", bytes(n.bytes)), share);
      wrap.appendChild(row);
      var kidsBox = null, open = false;
      function toggle() {
        if (!n.kids.length) return;
        open = !open; tg.textContent = open ? "▾" : "▸";
        if (open) {
          kidsBox = el("div");
          var limit = Math.min(n.kids.length, 500);
          for (var i = 0; i < limit; i++) kidsBox.appendChild(line(n.kids[i], depth + 1));
          if (n.kids.length > limit) kidsBox.appendChild(el("div", "note", "… " + int(n.kids.length - limit) + " more (use the filter below)"));
          wrap.appendChild(kidsBox);
        } else if (kidsBox) { wrap.removeChild(kidsBox); kidsBox = null; }
      }
      tg.addEventListener("click", toggle);
      if (depth < 1 && n.kids.length <= 60) toggle();
      return wrap;
    }
    root.kids.slice(0, 500).forEach(function (k) { box.appendChild(line(k, 0)); });
    if (root.kids.length > 500) box.appendChild(el("div", "note", "… " + int(root.kids.length - 500) + " more"));
    s.appendChild(box);
    two.appendChild(s);
  })();

  // ---- treemap (squarified) -----------------------------------------------------------------------------------
  (function treemapSection() {
    var s = el("section", "", el("h2", "", "Where the bytes are", el("span", "sub", "area ∝ bytes; click to list")));
    var W = 800, H = 460, budget = 1500;
    var map = svg("svg", { "class": "treemap", viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none" });
    function worst(row, side, scale) {
      var sum = 0, mx = 0, mn = Infinity;
      row.forEach(function (n) { var a = n.bytes * scale; sum += a; if (a > mx) mx = a; if (a < mn) mn = a; });
      var s2 = side * side;
      return Math.max(s2 * mx / (sum * sum), (sum * sum) / (s2 * mn));
    }
    // Squarified layout of one level; returns the rectangles, drawn breadth-first so the budget is spent on the
    // upper levels first (every top-level block gets its rectangle before any block gets its children).
    function layout(nodes, x, y, w, h, depth, color) {
      var out = [];
      var items = nodes.filter(function (n) { return n.bytes > 0; }).slice().sort(function (a, b) { return b.bytes - a.bytes; });
      var total = 0; items.forEach(function (n) { total += n.bytes; });
      if (!total || w < 1 || h < 1) return out;
      var scale = (w * h) / total, row = [], rx = x, ry = y, rw = w, rh = h;
      function place(row) {
        var sum = 0; row.forEach(function (n) { sum += n.bytes * scale; });
        var horiz = rw >= rh, side = horiz ? rh : rw, thick = sum / side, off = 0;
        row.forEach(function (n) {
          var len = n.bytes * scale / thick;
          out.push({ n: n, x: horiz ? rx : rx + off, y: horiz ? ry + off : ry, w: horiz ? thick : len, h: horiz ? len : thick,
            depth: depth, color: color === null ? PALETTE[items.indexOf(n) % PALETTE.length] : color });
          off += len;
        });
        if (horiz) { rx += thick; rw -= thick; } else { ry += thick; rh -= thick; }
      }
      for (var i = 0; i < items.length; i++) {
        var n = items[i], side = Math.min(rw, rh);
        if (row.length === 0 || worst(row.concat([n]), side, scale) <= worst(row, side, scale)) row.push(n);
        else { place(row); row = [n]; }
      }
      if (row.length) place(row);
      return out;
    }
    function draw(q) {
      var n = q.n, x = q.x, y = q.y, w = q.w, h = q.h, depth = q.depth;
      var r = svg("rect", { x: x.toFixed(1), y: y.toFixed(1), width: w.toFixed(1), height: h.toFixed(1), fill: q.color,
        "fill-opacity": Math.max(0.35, 1 - depth * 0.18).toFixed(2) });
      svgTitle(r, n.path + "\n" + bytes(n.bytes) + " · " + int(n.params) + " parameters" +
        (Object.prototype.hasOwnProperty.call(classes, n.path) ? " · " + classes[n.path] : ""));
      r.addEventListener("click", function () { filterTo(n.kids.length ? n.path + "." : n.path); });
      map.appendChild(r);
      var pad = depth < 2 ? 14 : 0;
      if (n.kids.length && depth < 4 && w > 30 && h > 24) {
        if (pad) label(n, x, y, w);
        return layout(n.kids, x + 2, y + pad + 1, w - 4, h - pad - 3, depth + 1, q.color);
      }
      if (w > 40 && h > 14) label(n, x, y, w);
      return [];
    }
    function label(n, x, y, w) {
      var t = svg("text", { x: (x + 4).toFixed(1), y: (y + 11).toFixed(1) });
      var text = n.name, maxChars = Math.floor((w - 8) / 6.2);
      if (text.length > maxChars) text = maxChars > 2 ? text.slice(0, maxChars - 1) + "…" : "";
      t.textContent = text;
      map.appendChild(t);
    }
    var queue = layout(root.kids.length === 1 && root.kids[0].kids.length ? root.kids[0].kids : root.kids, 0, 0, W, H, 0, null);
    for (var qi = 0; qi < queue.length; qi++) {
      if (queue[qi].w < 1 || queue[qi].h < 1) continue;
      if (budget-- <= 0) break;
      var kids = draw(queue[qi]);
      if (budget - (queue.length - qi) > kids.length) Array.prototype.push.apply(queue, kids);
    }
    s.appendChild(map);
    two.appendChild(s);
  })();

  // ---- tensors ------------------------------------------------------------------------------------------------
  var tensorSection = el("section");
  main.appendChild(tensorSection);
  var order = tensors.map(function (_, i) { return i; });
  var sortFn = null;
  var outlierBox, countLabel, detail, table;
  (function tensorTable() {
    var counts = { nonfinite: 0, zero: 0, outlier: 0 };
    tensors.forEach(function (t) {
      var f = t[C.flags];
      if (f & FLAG_NONFINITE) counts.nonfinite++;
      if (f & FLAG_ZERO) counts.zero++;
      if (f & FLAG_OUTLIER) counts.outlier++;
    });
    tensorSection.appendChild(el("h2", "", "Tensors", el("span", "sub", int(tensors.length) + " tensors · " +
      counts.nonfinite + " with NaN/inf · " + counts.zero + " all-zero · " + counts.outlier + " with std far from siblings'")));
    filterBox = el("input"); filterBox.type = "search"; filterBox.placeholder = "filter by name (substring)";
    outlierBox = el("input"); outlierBox.type = "checkbox"; outlierBox.id = "outliers";
    var lbl = el("label", "", outlierBox, " highlighted only"); lbl.htmlFor = "outliers";
    countLabel = el("span", "count");
    tensorSection.appendChild(el("div", "toolbar", filterBox, lbl, countLabel));
    detail = el("div"); tensorSection.appendChild(detail);
    function flagsOf(t) {
      var f = t[C.flags], out = [];
      if (f & FLAG_NONFINITE) out.push(el("span", "flag nonfinite", "NaN/inf"));
      if (f & FLAG_ZERO) out.push(el("span", "flag zero", "all zero"));
      if (f & FLAG_OUTLIER) out.push(el("span", "flag outlier", "std"));
      if (f & FLAG_TIED) out.push(el("span", "flag tied", "tied"));
      return out;
    }
    var cols = [
      { title: "name", sort: "name", cell: function (i) { var t = tensors[i]; return el("span", "c0", t[0] === "" ? "(root)" : t[0], flagsOf(t)); } },
      { title: "dtype", sort: "dtype", cell: function (i) { return el("span", "dt", tensors[i][C.dtype]); } },
      { title: "shape", sort: "elements", cell: function (i) { return el("span", "muted", shape(tensors[i][C.shape])); } },
      { title: "bytes", num: 1, sort: "bytes", cell: function (i) { return numCell(bytes(tensors[i][C.bytes])); } },
      { title: "mean", num: 1, sort: "mean", cell: function (i) { return numCell(fmt(tensors[i][C.mean])); } },
      { title: "std", num: 1, sort: "std", cell: function (i) { return numCell(fmt(tensors[i][C.std])); } },
      { title: "min", num: 1, sort: "min", cell: function (i) { return numCell(fmt(tensors[i][C.min])); } },
      { title: "max", num: 1, sort: "max", cell: function (i) { return numCell(fmt(tensors[i][C.max])); } },
      { title: "zeros", num: 1, sort: "zeros", cell: function (i) { return numCell(pct(tensors[i][C.zeros])); } },
      { title: "NaN/inf", num: 1, sort: "nan", cell: function (i) { var t = tensors[i]; return numCell(t[C.nan] === null ? "–" : int(t[C.nan] + t[C.inf])); } },
      { title: "histogram", cell: function (i) { var c = el("span"); c.appendChild(spark(tensors[i][C.hist], 120, 20)); return c; } },
    ];
    table = new VirtualTable(cols, "minmax(200px, 3fr) 80px minmax(90px, 1fr) 80px 82px 82px 82px 82px 60px 62px 124px", 30, 560);
    table.rowClass = function (i) {
      var f = tensors[i][C.flags];
      return f & FLAG_NONFINITE ? "nonfinite" : f & FLAG_ZERO ? "zero" : f & FLAG_OUTLIER ? "outlier" : "";
    };
    table.onSort = function (key, dir) {
      var idx = C[key];
      sortFn = function (a, b) {
        var x = tensors[a][idx], y = tensors[b][idx];
        if (key === "nan") { x = x === null ? -1 : x + tensors[a][C.inf]; y = y === null ? -1 : y + tensors[b][C.inf]; }
        if (typeof x === "string" && typeof y === "string") return dir * (x < y ? -1 : x > y ? 1 : 0) || a - b;
        var nx = typeof x === "number" ? x : null, ny = typeof y === "number" ? y : null;
        if (nx === null && ny === null) return a - b;
        if (nx === null) return 1;
        if (ny === null) return -1;
        return dir * (nx - ny) || a - b;
      };
      applyFilter();
    };
    table.onSelect = showDetail;
    tensorSection.appendChild(table.root);
    var timer = null;
    filterBox.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(applyFilter, 120); });
    outlierBox.addEventListener("change", applyFilter);
  })();

  function applyFilter() {
    var q = filterBox.value.toLowerCase(), only = outlierBox.checked;
    var rows = [];
    for (var i = 0; i < tensors.length; i++) {
      var t = tensors[i];
      if (only && !(t[C.flags] & (FLAG_ZERO | FLAG_NONFINITE | FLAG_OUTLIER))) continue;
      if (q && t[0].toLowerCase().indexOf(q) < 0) continue;
      rows.push(i);
    }
    if (sortFn) rows.sort(sortFn);
    table.setRows(rows);
    countLabel.textContent = int(rows.length) + " of " + int(tensors.length) + " shown";
  }

  function showDetail(i) {
    while (detail.firstChild) detail.removeChild(detail.firstChild);
    var t = tensors[i];
    var kv = el("div", "kv");
    function row(k, v) { kv.appendChild(el("span", "k", k)); kv.appendChild(el("span", "v", v)); }
    row("dtype", t[C.dtype]); row("shape", shape(t[C.shape])); row("elements", int(t[C.elements]));
    row("bytes", bytes(t[C.bytes]) + " (" + int(t[C.bytes]) + ")");
    row("mean", fmt(t[C.mean])); row("std", fmt(t[C.std])); row("min", fmt(t[C.min])); row("max", fmt(t[C.max]));
    row("zeros", pct(t[C.zeros])); row("NaN", t[C.nan] === null ? "–" : int(t[C.nan])); row("inf", t[C.inf] === null ? "–" : int(t[C.inf]));
    if (t[C.tiedTo] !== null) row("tied to", t[C.tiedTo]);
    var f = t[C.flags];
    if (f & FLAG_ZERO) row("highlight", "every element is zero");
    if (f & FLAG_NONFINITE) row("highlight", "contains NaN or infinite values");
    if (f & FLAG_OUTLIER) row("highlight", "std " + fmt(t[C.std]) + " vs siblings' median " + fmt(t[C.siblingStd]));
    if (t[C.note] !== null) row("note", t[C.note]);
    var close = el("span", "link note", "close ✕");
    close.addEventListener("click", function () { while (detail.firstChild) detail.removeChild(detail.firstChild); detail.className = ""; });
    detail.className = "detail";
    detail.appendChild(el("div", "", el("div", "title", t[0] === "" ? "(root)" : t[0]), kv, el("p", "", close)));
    var h = el("div");
    if (t[C.hist]) h.appendChild(bigHist(t[C.hist], t[C.min], t[C.max], false));
    else h.appendChild(el("p", "note", "No histogram for this tensor."));
    detail.appendChild(h);
  }

  applyFilter();

  // ---- checkpoint ---------------------------------------------------------------------------------------------
  if (D.checkpoint) (function checkpointSection() {
    var cp = D.checkpoint, s = el("section", "", el("h2", "", "Checkpoint", el("span", "sub", "training state saved next to the weights")));
    if (cp.scalars.length) {
      s.appendChild(el("h3", "", "Values"));
      var t = el("table", "plain", el("tr", "", el("th", "", "key"), el("th", "", "value")));
      var important = /(^|\.)(epoch|epochs|step|global_step|iteration|iter|loss|best|acc|accuracy|lr)/i;
      cp.scalars.slice().sort(function (a, b) { return (important.test(b[0]) ? 1 : 0) - (important.test(a[0]) ? 1 : 0); })
        .forEach(function (v) { t.appendChild(el("tr", "", el("td", "mono", v[0]), el("td", "mono", v[1]))); });
      s.appendChild(t);
    }
    cp.optimizers.forEach(function (o) {
      s.appendChild(el("h3", "", "Optimizer " + o.path));
      o.groups.forEach(function (g, gi) {
        var box = el("div", "group", el("div", "gtitle", "param group " + gi + " (" + g.params + " parameters)"));
        var kv = el("div", "hyper");
        g.hyper.forEach(function (h) { kv.appendChild(el("div", "hp", el("span", "k", h[0]), el("span", "v", h[1]))); });
        box.appendChild(kv);
        s.appendChild(box);
      });
      s.appendChild(el("p", "note", "Per-parameter state: " + int(o.stateCount) + " parameters with state" +
        (o.stateKeys.length ? " (" + o.stateKeys.join(", ") + ")" : "") + ". Tensors show mean / std and their histogram; click for details."));
      if (!o.state.length) return;
      var cols = [{ title: "param", cell: function (r) { return el("span", "c0", r[0]); } }];
      o.stateKeys.forEach(function (k, ki) {
        cols.push({ title: k, cell: function (r) {
          var v = r[ki + 1];
          if (typeof v === "number") {
            var tt = tensors[v], c = el("span", "", el("span", "muted", fmt(tt[C.mean]) + " / " + fmt(tt[C.std]) + " "));
            var sp = spark(tt[C.hist], 60, 14); sp.style.display = "inline-block"; sp.style.verticalAlign = "middle";
            c.appendChild(sp); return c;
          }
          return el("span", "muted", v === null ? "–" : v);
        } });
      });
      var tmpl = "80px" + o.stateKeys.map(function () { return " minmax(140px, 1fr)"; }).join("");
      var vt = new VirtualTable(cols, tmpl, 28, 300);
      vt.onSelect = function (r) {
        for (var k = 1; k < r.length; k++) if (typeof r[k] === "number") { filterTo(tensors[r[k]][0]); showDetail(r[k]); return; }
      };
      s.appendChild(vt.root);
      main.appendChild(s);
      vt.setRows(o.state);
    });
    main.appendChild(s);
  })();

  // ---- diff ---------------------------------------------------------------------------------------------------
  if (D.diff) (function diffSection() {
    var d = D.diff;
    var changed = d.rows.filter(function (r) { return r[6] !== 0 || r[1] !== r[2]; }).length;
    var s = el("section", "", el("h2", "", "Compared with " + d.other,
      el("span", "badge " + (d.equal ? "clean" : "warnings"), d.equal ? "equal" : "different"),
      el("span", "sub", d.rows.length + " shared keys · " + changed + " changed · " + d.onlyA.length + " only here · " +
        d.onlyB.length + " only in " + d.other)));
    function keyList(title, keys) {
      var box = el("div", "", el("h3", "", title + " (" + keys.length + ")"));
      var k = el("div", "keys");
      keys.slice(0, 2000).forEach(function (n) { k.appendChild(el("div", "", n)); });
      if (!keys.length) k.appendChild(el("div", "note", "none"));
      box.appendChild(k); return box;
    }
    s.appendChild(el("div", "grid2", keyList("Only in " + file.name, d.onlyA), keyList("Only in " + d.other, d.onlyB)));
    var maxRel = 0;
    d.rows.forEach(function (r) { if (typeof r[9] === "number" && r[9] > maxRel) maxRel = r[9]; });
    var ddetail = el("div");
    var cols = [
      { title: "key", cell: function (r) { return el("span", "c0", r[0]); } },
      { title: "dtype", cell: function (r) { return el("span", "dt", r[1] === r[2] ? r[1] : r[1] + " → " + r[2]); } },
      { title: "shape", cell: function (r) { var a = shape(r[3]), b = shape(r[4]); return el("span", a === b ? "muted" : "flag nonfinite", a === b ? a : a + " → " + b); } },
      { title: "relative change", cell: function (r) {
        var c = el("span", "n");
        if (typeof r[9] === "number" && maxRel > 0) { var b = el("span", "relbar"); b.style.width = Math.max(1, 60 * r[9] / maxRel) + "px"; c.appendChild(b); }
        c.appendChild(document.createTextNode(r[9] === null ? (r[11] || "–") : fmt(r[9])));
        return c; } },
      { title: "max |a−b|", num: 1, cell: function (r) { return numCell(fmt(r[7])); } },
      { title: "max rel", num: 1, cell: function (r) { return numCell(fmt(r[8])); } },
      { title: "differing", num: 1, cell: function (r) { return numCell(r[6] < 0 ? "yes" : int(r[6]) + " / " + int(r[5])); } },
      { title: "a − b", cell: function (r) { var c = el("span"); c.appendChild(spark(r[10], 120, 20, true)); return c; } },
    ];
    var vt = new VirtualTable(cols, "minmax(200px, 3fr) 110px minmax(100px, 1fr) 150px 90px 90px 120px 124px", 30, 480);
    vt.rowClass = function (r) { return r[6] !== 0 || r[1] !== r[2] ? "outlier" : ""; };
    vt.onSelect = function (r) {
      while (ddetail.firstChild) ddetail.removeChild(ddetail.firstChild);
      ddetail.className = "detail";
      var kv = el("div", "kv");
      function row(k, v) { kv.appendChild(el("span", "k", k)); kv.appendChild(el("span", "v", v)); }
      row("dtype", r[1] + (r[1] !== r[2] ? " → " + r[2] : "")); row("shape", shape(r[3]) + " → " + shape(r[4]));
      row("relative change ‖a−b‖/‖b‖", fmt(r[9])); row("max |a−b|", fmt(r[7])); row("max |a−b|/|b|", fmt(r[8]));
      row("values differing", r[6] < 0 ? "not compared value by value" : int(r[6]) + " of " + int(r[5]));
      if (r[11]) row("note", r[11]);
      ddetail.appendChild(el("div", "", el("div", "title", r[0]), kv));
      var h = el("div");
      if (r[10]) h.appendChild(bigHist(r[10], -r[7], r[7], true)); else h.appendChild(el("p", "note", "No difference histogram (values equal or not comparable)."));
      ddetail.appendChild(h);
    };
    s.appendChild(ddetail);
    s.appendChild(vt.root);
    main.appendChild(s);
    var rows = d.rows.slice().sort(function (a, b) {
      var x = typeof a[9] === "number" ? a[9] : -1, y = typeof b[9] === "number" ? b[9] : -1;
      return y - x || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    });
    vt.setRows(rows);
  })();

  finish();

  function finish() {
    main.appendChild(el("footer", "", "Written by pt report (PtSharp). Self-contained: this page loads nothing from the network."));
    window.ptRenderMs = performance.now() - t0;
    document.body.setAttribute("data-ready", "1");
  }
})();
