// oncelink's passkeys: a form marked data-passkey="create" adds a passkey,
// one marked data-passkey="get" signs in with one. The form is posted to
// its action for the ceremony's options, the browser's authenticator
// answers them, and the answer goes as JSON to data-finish, whose reply
// names the page to go to. Messages come from the form's data-msg-*
// attributes, the page's messages (app.js) and the server's replies. The forms stay hidden where
// the browser has no passkeys. A refusal about one of the form's fields
// (such as a wrong password in its proof) shows in the element its
// data-error names, beside it, as the pages show theirs; a part of the
// form marked data-proof, hidden while the session needs no proof, shows
// when the server asks for one after all. A control that is no field of
// the form stands for one by its data-field; the proof's, outside the
// form, by the id the form's data-proof-at names, such as the section's
// one button to sign in again, which shows likewise.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return Object.assign({}, d, { id: fromB64url(d.id) });
    });
  }

  // creationOptions and requestOptions turn the server's JSON options
  // into what navigator.credentials takes: binary fields as buffers.
  function creationOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = fromB64url(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: fromB64url(pk.user.id) });
    pk.excludeCredentials = descriptors(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = fromB64url(pk.challenge);
    pk.allowCredentials = descriptors(pk.allowCredentials);
    return { publicKey: pk };
  }

  // answer is a credential as the server reads it.
  function answer(cred) {
    var r = cred.response, out = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    return out;
  }

  // post sends body and returns the JSON reply, or throws its message,
  // with the field it is about, if any.
  function post(url, body, type) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Content-Type": type, "Accept": "application/json" }
    }).then(function (res) {
      return res.json().then(function (reply) {
        if (!res.ok) {
          var err = new Error(reply.message || res.statusText);
          err.field = reply.field;
          throw err;
        }
        return reply;
      });
    });
  }

  // fieldError says text beside the form's field of that name, as the
  // pages do: the field is marked invalid, described by it, and takes the
  // focus. It reports whether the form has such a field.
  function fieldError(form, name, text) {
    var input = name && control(form, name);
    var note = input && input.getAttribute && document.getElementById(input.getAttribute("data-error"));
    if (!note) return false;
    [input, note].forEach(function (el) {
      var part = el.closest("[data-proof]");
      if (part && part.hidden) {
        part.hidden = false;
        if (input.name === name) input.required = true;
      }
    });
    note.textContent = text;
    note.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    input.focus();
    if (input.select) input.select();
    return true;
  }

  // control is the form's field name, or what stands for it (see the
  // top of this file).
  function control(form, name) {
    return form.elements[name] || form.querySelector('[data-field="' + name + '"]') ||
      (name === "proof" && document.getElementById(form.getAttribute("data-proof-at")));
  }

  // clearFieldErrors takes back what fieldError said.
  function clearFieldErrors(form) {
    var outside = document.getElementById(form.getAttribute("data-proof-at"));
    Array.prototype.slice.call(form.querySelectorAll("[data-error]")).concat(outside ? [outside] : []).forEach(function (input) {
      var note = document.getElementById(input.getAttribute("data-error"));
      if (note) {
        note.textContent = "";
        note.hidden = true;
      }
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
  }

  // show says text in the form's status, and with focus, gives the
  // status the focus, for a screen reader to read it whole. The status is
  // emptied at once, and says text only once a frame has shown it empty:
  // a screen reader announces a live region as it changes, and a ceremony
  // that fails within a frame of being sent again, with the words it
  // failed with before, would change nothing it is told of. (A hidden
  // page draws no frame: it says text once it shows again.) Words said
  // meanwhile, or nothing, replace text.
  function show(form, text, focus) {
    var el = document.getElementById(form.getAttribute("data-status"));
    if (!el) return;
    var turn = el.oncelinkTurn = (el.oncelinkTurn || 0) + 1;
    el.textContent = "";
    el.hidden = true;
    if (!text) return;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        if (el.oncelinkTurn !== turn) return;
        el.textContent = text;
        el.hidden = false;
        if (focus) {
          el.setAttribute("tabindex", "-1");
          el.focus();
        }
      });
    });
  }

  // msg is a message of the page's catalog (app.js).
  function msg(id, vars) {
    return window.oncelink && window.oncelink.msg ? window.oncelink.msg(id, vars) : id;
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.hidden = false;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (form.dataset.busy) return;
      form.dataset.busy = "1";
      show(form, "");
      clearFieldErrors(form);
      var create = form.getAttribute("data-passkey") === "create";
      var fields = new URLSearchParams(new FormData(form));
      var finish = form.getAttribute("data-finish");
      if (fields.get("next")) finish += "?next=" + encodeURIComponent(fields.get("next"));
      post(form.action, fields.toString(), "application/x-www-form-urlencoded")
        .then(function (options) {
          return create
            ? navigator.credentials.create(creationOptions(options))
            : navigator.credentials.get(requestOptions(options));
        }, function (err) { err.fromServer = true; throw err; })
        .then(function (cred) {
          return post(finish, JSON.stringify(answer(cred)), "application/json")
            .catch(function (err) { err.fromServer = true; throw err; });
        })
        .then(function (reply) {
          var to = new URL(reply.redirect, location.href);
          if (to.pathname === location.pathname && to.search === location.search) {
            // Only the fragment differs: assign would not load the page.
            location.hash = to.hash;
            location.reload();
          } else {
            location.assign(to.href);
          }
        })
        .catch(function (err) {
          delete form.dataset.busy;
          if (err.fromServer) {
            // The server's refusal takes the focus, as a page's refusal
            // does (app.js): trying again may not help, as in a browser
            // that keeps no cookies, and the refusal says what would.
            if (!fieldError(form, err.field, err.message)) show(form, err.message, true);
          } else if (err.name === "NotAllowedError" || err.name === "AbortError") {
            show(form, form.getAttribute("data-msg-cancelled"));
          } else if (create && err.name === "InvalidStateError") {
            // The authenticator holds one of the passkeys the options
            // exclude: the account's own.
            show(form, msg("js.passkey.here_already"));
          } else {
            show(form, msg("js.passkey.failed", { message: form.getAttribute("data-msg-unsupported"), error: err.name }));
          }
        });
    });
  });
})();
