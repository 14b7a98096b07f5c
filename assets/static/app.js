// oncelink's page script: copy buttons, the create form's kind switch and
// expiry preview, one-click forms, and countdowns. Everything here is an
// enhancement; every page works without it.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="ID"> copies the value or text of #ID.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (!el) return;
    var text = "value" in el && el.tagName !== "PRE" ? el.value : el.textContent;
    var done = function (ok) {
      var old = btn.textContent;
      btn.textContent = ok ? "Copied" : "Select and copy";
      setTimeout(function () { btn.textContent = old; }, 1600);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
    } else {
      if (el.select) el.select();
      done(document.execCommand && document.execCommand("copy"));
    }
  });

  // A form marked data-once disables its button on submit, so a double
  // click cannot use a link twice.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute("data-once")) return;
    var btn = form.querySelector("button[type=submit]");
    if (btn) setTimeout(function () { btn.disabled = true; }, 0);
  });

  // The create form shows only the selected kind's fields.
  function showKind(form) {
    var checked = form.querySelector("input[name=kind]:checked");
    if (!checked) return;
    form.querySelectorAll("[data-kind]").forEach(function (el) {
      var on = el.getAttribute("data-kind") === checked.value;
      el.hidden = !on;
      el.querySelectorAll("input, textarea").forEach(function (i) { i.disabled = !on; });
    });
  }

  // parseTTL mirrors the server's: whole numbers with s, m, h, d or w.
  var units = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };
  function parseTTL(s) {
    s = (s || "").trim().toLowerCase();
    if (!/^(\d+[smhdw])+$/.test(s)) return NaN;
    var total = 0, re = /(\d+)([smhdw])/g, m;
    while ((m = re.exec(s))) total += Number(m[1]) * units[m[2]];
    return total;
  }

  function previewExpiry(form) {
    var input = form.querySelector("#ttl"), out = form.querySelector("[data-testid=expiry-preview]");
    if (!input || !out) return;
    var ms = parseTTL(input.value);
    var min = parseTTL(input.getAttribute("data-min")), max = parseTTL(input.getAttribute("data-max"));
    if (isNaN(ms)) {
      out.textContent = input.value ? "Not a duration yet." : "";
    } else if (ms < min || ms > max) {
      out.textContent = "Out of range.";
    } else {
      out.textContent = "Expires " + new Date(Date.now() + ms).toLocaleString(undefined,
        { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }) + ".";
    }
  }

  function enhance(root) {
    root.querySelectorAll("form#create").forEach(function (form) {
      showKind(form);
      previewExpiry(form);
    });
    localTimes(root);
    tick();
  }

  document.addEventListener("change", function (ev) {
    var form = ev.target.closest("form#create");
    if (form && ev.target.name === "kind") showKind(form);
  });
  document.addEventListener("input", function (ev) {
    var form = ev.target.closest("form#create");
    if (form && ev.target.id === "ttl") previewExpiry(form);
  });

  // The file chooser refuses a file over the server's limit before it is
  // sent; the server checks again.
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (input.type !== "file" || !input.hasAttribute("data-max-size")) return;
    var max = Number(input.getAttribute("data-max-size"));
    var tooLarge = Array.prototype.some.call(input.files, function (f) { return f.size > max; });
    input.setCustomValidity(tooLarge ? input.getAttribute("data-too-large") : "");
    if (tooLarge) input.reportValidity();
  });

  // Upload progress: htmx reports the request's progress on the form, and
  // the create form's bar shows it while a file is sent. The answer's own
  // download reports progress too, after the upload: the bar never goes back.
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var bar = ev.target.querySelector && ev.target.querySelector("progress.upload-progress");
    if (bar) bar.setAttribute("value", "0");
  });
  document.addEventListener("htmx:xhr:progress", function (ev) {
    var form = ev.target, d = ev.detail;
    var bar = form.querySelector && form.querySelector("progress.upload-progress");
    var file = form.querySelector && form.querySelector("input[type=file]");
    if (!bar || !file || file.disabled || !file.files.length || !d.lengthComputable || !d.total) return;
    var pct = Math.floor(d.loaded / d.total * 100);
    if (pct < Number(bar.getAttribute("value"))) return;
    bar.hidden = false;
    bar.setAttribute("value", String(pct));
  });

  // The create form answers bad input (4xx) with itself and a message:
  // swap it in like a success, so the owner sees what to change.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var status = ev.detail.xhr.status, from = ev.detail.requestConfig && ev.detail.requestConfig.elt;
    if (status >= 400 && status < 500 && from && from.matches("form#create")) {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    }
  });

  // Times are written in UTC by the server; show them in local time.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]:not(.countdown)").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) t.textContent = d.toLocaleString(undefined,
        { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
    });
  }

  // Countdowns tick from each row's absolute expiry, corrected by the
  // difference between the server's clock and this browser's, which the
  // server sends in <meta name="server-time">. No request is made to tick.
  var skew = 0;
  function measureSkew() {
    var meta = document.querySelector("meta[name=server-time]");
    if (meta) skew = Number(meta.content) - Date.now();
  }

  function left(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d > 0) return d + "d " + h + "h";
    if (h > 0) return h + "h " + m + "m";
    if (m > 0) return m + "m " + (s % 60) + "s";
    return (s % 60) + "s";
  }

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll("time.countdown[data-expires]").forEach(function (t) {
      var row = t.closest("[data-status]");
      if (row && row.getAttribute("data-status") !== "active") return;
      var ms = Number(t.getAttribute("data-expires")) - now;
      if (ms > 0) {
        t.textContent = left(ms);
        return;
      }
      t.textContent = "expired";
      if (row && row.tagName === "TR") {
        row.setAttribute("data-status", "expired");
        var badge = row.querySelector("[data-testid=status]");
        if (badge) { badge.textContent = "expired"; badge.className = "badge expired"; }
        var revoke = row.querySelector("[data-testid=revoke]");
        if (revoke) revoke.closest("form").remove();
      }
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) tick();
  });
  // An outerHTML swap leaves detail.target detached: enhance the page then.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var t = ev.detail.target;
    enhance(t && t.isConnected ? t : document);
  });
  document.addEventListener("DOMContentLoaded", function () {
    measureSkew();
    enhance(document);
    setInterval(tick, 1000);
  });
})();
