// The composer's best-time suggestion, fetched after the page is shown: working it out reads a
// year of figures, and that must never hold up writing a post. The answer is server-rendered
// (escaped) HTML; an empty answer means there is not enough history yet.
(function () {
  "use strict";
  var slot = document.getElementById("best-time-slot");
  if (!slot || !window.fetch) { return; }
  window.fetch(slot.getAttribute("data-url"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.text() : ""; })
    .then(function (html) { slot.innerHTML = html; })
    .catch(function () { /* no suggestion: the composer works the same without it */ });
}());
