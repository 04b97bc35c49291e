// entitle web tool: progressive enhancement only; every page works without
// this script. It asks before a destructive button is sent, and moves the
// editor's caret to a compile error's line and column.
"use strict";
document.addEventListener("click", function (e) {
  var b = e.target.closest("[data-confirm]");
  if (b && !window.confirm(b.getAttribute("data-confirm"))) {
    e.preventDefault();
    return;
  }
  var pos = e.target.closest("a.pos");
  var src = document.getElementById("source");
  if (pos && src && src.getAttribute("data-file") === pos.getAttribute("data-file")) {
    e.preventDefault();
    var line = parseInt(pos.getAttribute("data-line"), 10) || 1;
    var col = parseInt(pos.getAttribute("data-column"), 10) || 1;
    var lines = src.value.split("\n");
    var at = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
    at += Math.max(0, col - 1);
    src.focus();
    src.setSelectionRange(at, at + 1);
    var lh = parseFloat(getComputedStyle(src).lineHeight) || 18;
    src.scrollTop = Math.max(0, (line - 4) * lh);
  }
});
