// Passkeys: forms marked data-passkey ask their data-options URL for WebAuthn options,
// let the browser's authenticator answer, and submit the answer in the hidden
// "credential" field. Without JavaScript or WebAuthn the sign-in form stays hidden and
// the others post without an answer and show why.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var supported = window.PublicKeyCredential &&
      PublicKeyCredential.parseCreationOptionsFromJSON &&
      PublicKeyCredential.parseRequestOptionsFromJSON;
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    if (!supported) return;
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      var field = form.querySelector("input[name=credential]");
      if (field.value) return;  // the answer is in: post the form
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      var body = new FormData();
      body.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
      fetch(form.dataset.options, {method: "POST", body: body, credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) throw new Error("options " + response.status);
          return response.json();
        })
        .then(function (options) {
          if (form.dataset.passkey === "register") {
            return navigator.credentials.create(
              {publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
          }
          return navigator.credentials.get(
            {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
        })
        .then(function (credential) {
          field.value = JSON.stringify(credential.toJSON());
          form.submit();
        })
        .catch(function () {
          // Cancelled or refused: post without an answer, the page says what happened.
          form.submit();
        });
    });
  });
});
