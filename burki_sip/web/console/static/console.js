// Keeps a console page live: polls its small JSON document and swaps in the part that changed.
// Plain polling, not server-sent events: each poll is one short request, so a sync gunicorn
// worker is never held by a viewer (docs/console.md). Paused while the tab is hidden. Each poll
// sends back the "after" of the answer before: the server sends "html" only when the data changed,
// or, on the calls list, just the rows of the calls recorded since ("rows").
(function () {
  "use strict";
  var main = document.querySelector("main[data-live]");
  var target = document.getElementById("live");
  var state = document.getElementById("live-state");
  if (!main || !target) { return; }
  var url = new URL(main.getAttribute("data-live"), window.location.href);
  var every = parseInt(main.getAttribute("data-every"), 10) || 1500;
  var shown = null;

  function say(text, failing) {
    state.textContent = text;
    state.className = "live-state" + (failing ? " failing" : "");
  }

  function poll() {
    if (document.hidden) { return later(); }
    fetch(url.toString(), {credentials: "same-origin", cache: "no-store",
                           headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var whole = true;
        if (typeof data.html === "string" && data.html !== shown) {
          target.innerHTML = data.html;  // rendered and escaped by the server's templates
          shown = data.html;
        } else if (typeof data.rows === "string") {
          whole = merge(data.rows, data.removed || []);
          shown = null;
        }
        if (typeof data.after === "string") { url.searchParams.set("after", data.after); }
        if (!whole) { url.searchParams.delete("after"); }  // the next poll draws the list anew
        say("live · " + new Date().toLocaleTimeString(), false);
      })
      .catch(function (error) { say("not updating (" + error.message + "), retrying", true); })
      .then(later);
  }

  // Moves the calls of "html" (rows rendered by the server's row template, newest first) to the
  // top of the list, drops those in "removed" (no longer matching the page's filter) and keeps the
  // page's length. False when the page's link to older calls is now wrong (rows left a page that
  // has older ones, or a full page without that link pushed one out): the server redraws it then.
  function merge(html, removed) {
    var body = target.querySelector("tbody[data-page-size]");
    if (!body) { return false; }
    var incoming = document.createElement("tbody");
    incoming.innerHTML = html;  // rendered and escaped by the server's templates
    var rows = Array.prototype.slice.call(incoming.querySelectorAll("tr.call"));
    var gone = removed.concat(rows.map(function (row) { return row.dataset.callSid; }));
    var dropped = 0;
    Array.prototype.forEach.call(body.querySelectorAll("tr.call"), function (row) {
      if (gone.indexOf(row.dataset.callSid) >= 0) {
        body.removeChild(row);
        dropped += 1;
      }
    });
    rows.reverse().forEach(function (row) { body.insertBefore(row, body.firstChild); });
    var size = parseInt(body.getAttribute("data-page-size"), 10) || 50;
    var over = Array.prototype.slice.call(body.querySelectorAll("tr.call"), size);
    over.forEach(function (row) { body.removeChild(row); });
    var older = target.querySelector("a[rel=next]") !== null;
    return older ? dropped <= rows.length : over.length === 0;
  }

  function later() { window.setTimeout(poll, every); }

  say("live", false);
  later();
}());
