/* newsdedup report: search and filters over the page's own elements (no data fetched, no library). */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var q = document.getElementById("q");
  var source = document.getElementById("source");
  var story = document.getElementById("story");
  var count = document.getElementById("count");
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
  var texts = null;
  var sources = items.map(function (el) {
    try { return JSON.parse(el.getAttribute("data-sources") || "[]"); } catch (e) { return []; }
  });
  var stories = items.map(function (el) { return (el.getAttribute("data-story") || "").split(" "); });
  var timer = 0;

  function apply() {
    if (texts === null) {
      texts = items.map(function (el) { return el.textContent.toLowerCase(); });
    }
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var outlet = source.value;
    var sid = story.value.trim().replace(/^#/, "");
    var active = words.length > 0 || outlet !== "" || sid !== "";
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      var ok = true;
      for (var w = 0; ok && w < words.length; w++) { ok = texts[i].indexOf(words[w]) >= 0; }
      if (ok && outlet) { ok = sources[i].indexOf(outlet) >= 0; }
      if (ok && sid) { ok = stories[i].indexOf(sid) >= 0; }
      items[i].hidden = !ok;
      if (ok) { shown++; }
    }
    count.textContent = active ? shown + " of " + items.length + " items match" : "";
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(apply, 120);
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  q.addEventListener("input", later);
  story.addEventListener("input", later);
  source.addEventListener("change", apply);
  document.addEventListener("click", function (event) {
    var a = event.target.closest ? event.target.closest("a[href^='#story-']") : null;
    if (a) {
      var card = document.getElementById(a.getAttribute("href").slice(1));
      if (card && card.tagName === "DETAILS") { card.open = true; }
    }
  });
})();
