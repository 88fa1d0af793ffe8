// A counter next to every field with a length limit (data-maxlength, rendered by the
// console's field macro). It appears near the limit and says how much is too much; the
// server still refuses over-long text with a message naming the limit, so without
// JavaScript nothing changes. Characters are counted as the server counts them (code points).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-maxlength]").forEach(function (input) {
    var limit = parseInt(input.getAttribute("data-maxlength"), 10);
    if (!(limit > 0)) return;
    var counter = document.createElement("p");
    counter.className = "char-count";
    counter.id = (input.id || input.name) + "-count";
    counter.setAttribute("aria-live", "polite");
    counter.hidden = true;
    input.insertAdjacentElement("afterend", counter);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    function update() {
      var length = Array.from(input.value.replace(/\r\n?/g, "\n")).length;
      var over = length - limit;
      counter.hidden = length < limit * 0.8;
      counter.classList.toggle("over", over > 0);
      counter.textContent = over > 0
        ? length.toLocaleString() + " of " + limit.toLocaleString() + " characters: " +
          over.toLocaleString() + " too many"
        : length.toLocaleString() + " of " + limit.toLocaleString() + " characters";
    }
    input.addEventListener("input", update);
    update();
  });
});
