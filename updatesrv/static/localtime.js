// Times are stored and rendered in UTC; with JavaScript they are shown in the viewer's own
// time zone. Without it the UTC text stays, so pages work either way.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  if (!window.Intl || !Intl.DateTimeFormat) return;
  var format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) return;
    el.title = el.textContent.trim();
    el.textContent = format.format(when);
  });
});
