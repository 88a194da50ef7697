// Keeps a console page live: polls its small JSON document and swaps in the part that changed.
// Plain polling, not server-sent events: each poll is one short request, so a sync gunicorn
// worker is never held by a viewer (docs/console.md). Paused while the tab is hidden.
(function () {
  "use strict";
  var main = document.querySelector("main[data-live]");
  var target = document.getElementById("live");
  var state = document.getElementById("live-state");
  if (!main || !target) { return; }
  var url = main.getAttribute("data-live");
  var every = parseInt(main.getAttribute("data-every"), 10) || 1500;
  var shown = null;

  function say(text, failing) {
    state.textContent = text;
    state.className = "live-state" + (failing ? " failing" : "");
  }

  function poll() {
    if (document.hidden) { return later(); }
    fetch(url, {credentials: "same-origin", cache: "no-store",
                headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data.html !== shown) {
          target.innerHTML = data.html;  // rendered and escaped by the server's templates
          shown = data.html;
        }
        say("live · " + new Date().toLocaleTimeString(), false);
      })
      .catch(function (error) { say("not updating (" + error.message + "), retrying", true); })
      .then(later);
  }

  function later() { window.setTimeout(poll, every); }

  say("live", false);
  later();
}());
