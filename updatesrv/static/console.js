// Upload progress for the console's file form. Without JavaScript the form posts normally.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      var bar = form.querySelector("progress");
      var status = form.querySelector(".upload-status");
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      button.disabled = true;
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.round((100 * e.loaded) / e.total);
        bar.value = percent;
        status.textContent = "Uploading… " + percent + "%";
      });
      xhr.addEventListener("load", function () {
        // The XHR followed the server's redirect: show that page (with its message, or the
        // form with its errors) and make the address bar match it.
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          window.history.replaceState(null, "", xhr.responseURL);
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        status.textContent = "The upload failed (network error). Please try again.";
        button.disabled = false;
      });
      xhr.send(new FormData(form));
    });
  });
});
