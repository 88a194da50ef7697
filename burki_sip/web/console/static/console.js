// Keeps a console page live: polls its small JSON document and swaps in the part that changed.
// Plain polling, not server-sent events: each poll is one short request, so a sync gunicorn
// worker is never held by a viewer (docs/console.md). Paused while the tab is hidden. Each poll
// sends back the "after" of the answer before: the server sends "html" only when the data changed.
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
        if (typeof data.html === "string" && data.html !== shown) {
          target.innerHTML = data.html;  // rendered and escaped by the server's templates
          shown = data.html;
        }
        if (typeof data.after === "string") { url.searchParams.set("after", data.after); }
        say("live · " + new Date().toLocaleTimeString(), false);
      })
      .catch(function (error) { say("not updating (" + error.message + "), retrying", true); })
      .then(later);
  }

  function later() { window.setTimeout(poll, every); }

  say("live", false);
  later();
}());
