// Live character count for the composer. The server counts (the same rule validation uses);
// this only sends the form, debounced, and shows the answer next to each channel.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-count-url");
  var overTemplate = form.getAttribute("data-over-template") || "{n}";
  var timer = null;
  var sequence = 0;

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function show(row) {
    var output = form.querySelector('output[data-count-for="' + row.id + '"]');
    if (!output) { return; }
    output.querySelector(".n").textContent = row.count;
    output.querySelector(".limit").textContent = row.limit;
    output.querySelector(".over-by").textContent = row.fits ? "" : " · " + overTemplate.replace("{n}", row.over_by);
    output.classList.toggle("over", !row.fits);
    var item = output.closest(".channel-row");
    if (item) { item.classList.toggle("over", !row.fits); }
  }

  function count() {
    var mine = ++sequence;
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data || mine !== sequence) { return; }  // an answer to an older keystroke
      data.channels.forEach(show);
    }).catch(function () { /* the count is a help; the server checks again on save */ });
  }

  form.addEventListener("input", function (event) {
    var name = event.target && event.target.name;
    if (name !== "text" && !(name && name.indexOf("variant_") === 0)) { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(count, 250);
  });
})();
