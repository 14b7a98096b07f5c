// oncelink's page script: copy buttons, the create form's kind switch,
// lifetime buttons, expiry preview and password generator, confirmations,
// one-click forms, countdowns (of expiries, and of a rate limit's wait), and
// the dashboard's live updates. Everything here is an enhancement; every
// page works without it.
(function () {
  "use strict";

  // The page has its script: app.css shows what only works with it.
  document.documentElement.classList.add("js");

  // msg is the page's message id (its catalog id, "js.copy.done") in the
  // reader's language, from the messages the page loads before this script
  // (window.oncelink.messages): for a message with plural forms the form
  // for n, by Intl.PluralRules; with its {name} placeholders filled from
  // vars. The other scripts reach it as window.oncelink.msg.
  window.oncelink = window.oncelink || {};
  var messages = window.oncelink.messages || {};
  function msg(id, vars, n) {
    var text = messages[id.replace(/^js\./, "")];
    if (text && typeof text === "object") {
      var form = "other";
      try { form = new Intl.PluralRules(document.documentElement.lang || "en").select(n); } catch (e) { /* an unknown language */ }
      text = text[form] !== undefined ? text[form] : text.other;
    }
    if (typeof text !== "string") return "[" + id + "]";
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      if (vars && vars[name] !== undefined) return String(vars[name]);
      return name === "count" && n !== undefined ? String(n) : all;
    });
  }
  window.oncelink.msg = msg;

  // isolate sets a name that a person wrote, such as a link's label, apart
  // from the direction of the sentence it goes in, as the server does
  // (i18n.Isolate): between FIRST STRONG ISOLATE and POP DIRECTIONAL
  // ISOLATE. The server balances the isolates inside it.
  function isolate(name) { return "\u2068" + name + "\u2069"; }

  // lang is the page's language, for Intl's dates, which are written in
  // the digits the server writes (numberingSystem "latn") in every language.
  function lang() { return document.documentElement.lang || undefined; }

  // Dates are written as the server writes them, on a 24-hour clock and,
  // in English, day first: "7 Dec 2026, 14:05", not "Dec 7, 2026, 02:05 PM".
  function dates(opts) {
    opts.hourCycle = "h23";
    opts.numberingSystem = "latn";
    return new Intl.DateTimeFormat(lang() === "en" ? "en-GB" : lang(), opts);
  }

  // Copy buttons: <button data-copy="ID"> copies #ID's data-copy-text, or
  // else its value or its text. The button says it copied, or that it
  // could not, for a moment, and then its own word again; a second press
  // meanwhile starts the moment anew.
  var copyLabels = new WeakMap();
  function sayCopied(btn, ok) {
    var was = copyLabels.get(btn) || { label: btn.textContent };
    clearTimeout(was.timer);
    btn.textContent = ok ? msg("js.copy.done") : msg("js.copy.failed");
    announce(btn.textContent);
    was.timer = setTimeout(function () {
      btn.textContent = was.label;
      copyLabels.delete(btn);
    }, 1600);
    copyLabels.set(btn, was);
  }

  // copyText copies text without the clipboard API, which a page not
  // served securely lacks (plain http on a local network's name): the copy
  // command, whose copy event is handed the text. Nothing is selected for
  // it, so the focus stays on the button, and the page where it was. An
  // engine that runs the command only over a selection is given one, el's
  // text, let go at once, with the focus back on btn and the page where it
  // was; the event still hands over the text.
  function copyText(text, el, btn) {
    var given = false;
    function give(ev) {
      ev.clipboardData.setData("text/plain", text);
      ev.preventDefault();
      given = true;
    }
    function run() {
      try {
        return document.execCommand("copy") && given;
      } catch (e) {
        return false;
      }
    }
    document.addEventListener("copy", give);
    try {
      if (run()) return true;
      var x = scrollX, y = scrollY;
      if (el.select) el.select(); else getSelection().selectAllChildren(el);
      var ok = run();
      getSelection().removeAllRanges();
      btn.focus({ preventScroll: true });
      scrollTo(x, y);
      return ok;
    } finally {
      document.removeEventListener("copy", give);
    }
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (!el) return;
    var text = el.getAttribute("data-copy-text");
    if (text === null) text = "value" in el && el.tagName !== "PRE" ? el.value : el.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      // A browser may refuse the API (a frame without the permission):
      // the copy command may still do.
      navigator.clipboard.writeText(text).then(function () { sayCopied(btn, true); },
        function () { sayCopied(btn, copyText(text, el, btn)); });
    } else {
      sayCopied(btn, copyText(text, el, btn));
    }
  });

  // A form marked data-confirm asks first, in the attribute's words, and
  // is not sent unless the answer is yes. This listens before any other
  // listener, htmx's included, so that a declined form is never sent.
  document.addEventListener("submit", function (ev) {
    var question = ev.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);

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

  // parseTTL reads durations as the server's ParseDuration does: numbers,
  // each with s, m, h, d or w (in lower case, each unit once) and perhaps a
  // decimal fraction ("1.5h"), to the nearest second. The server checks
  // again, with its bounds.
  var units = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };
  function parseTTL(s) {
    s = (s || "").trim();
    if (!/^(\d+(\.\d+)?[smhdw])+$/.test(s)) return NaN;
    var total = 0, seen = {}, re = /(\d+(?:\.\d+)?)([smhdw])/g, m;
    while ((m = re.exec(s))) {
      if (seen[m[2]]) return NaN;
      seen[m[2]] = true;
      total += Number(m[1]) * units[m[2]];
    }
    return Math.round(total / 1e3) * 1e3;
  }

  // previewExpiry says when a link made now would expire: by the
  // server's clock, which sets it, corrected by the skew as the countdowns
  // are.
  function previewExpiry(form) {
    var input = form.querySelector("#ttl"), out = form.querySelector("[data-testid=expiry-preview]");
    if (!input || !out) return;
    var ms = parseTTL(input.value);
    var min = parseTTL(input.getAttribute("data-min")), max = parseTTL(input.getAttribute("data-max"));
    if (isNaN(ms)) {
      out.textContent = input.value ? msg("js.expiry.not_duration") : "";
    } else if (ms < min || ms > max) {
      out.textContent = msg("js.expiry.out_of_range");
    } else {
      out.textContent = msg("js.expiry.at", { when: dates(
        { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(new Date(Date.now() + skew + ms)) });
    }
  }

  // The lifetime buttons beside the free field fill it, and show which
  // one it holds.
  function markPreset(form) {
    var input = form.querySelector("#ttl");
    form.querySelectorAll("[data-ttl]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-ttl") === input.value.trim()));
    });
  }
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-ttl]"), form = btn && btn.closest("form#create");
    if (!form) return;
    var input = form.querySelector("#ttl");
    input.value = btn.getAttribute("data-ttl");
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // A generate button fills the field it names with a new password of
  // data-length characters from data-alphabet, drawn with
  // crypto.getRandomValues without favouring any (values past the last
  // whole multiple of the alphabet's length are drawn again). The field
  // then shows it, so that it can be copied, and its help says so in the
  // words of data-generated.
  function randomString(alphabet, n) {
    var limit = Math.floor(0x100000000 / alphabet.length) * alphabet.length;
    var out = "", buf = new Uint32Array(n);
    while (out.length < n) {
      crypto.getRandomValues(buf);
      for (var i = 0; i < buf.length && out.length < n; i++) {
        if (buf[i] < limit) out += alphabet.charAt(buf[i] % alphabet.length);
      }
    }
    return out;
  }
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-generate]");
    if (!btn) return;
    var input = document.getElementById(btn.getAttribute("data-generate"));
    if (!input) return;
    input.value = randomString(btn.getAttribute("data-alphabet"), Number(btn.getAttribute("data-length")));
    input.type = "text";
    var field = btn.closest(".field");
    var said = [];
    field.querySelectorAll("[data-generated]").forEach(function (el) {
      el.textContent = el.getAttribute("data-generated");
      said.push(el.textContent);
    });
    field.querySelectorAll("[data-copy][hidden]").forEach(function (el) { el.hidden = false; });
    // The field's new words, which say a password was made and where it
    // goes, are heard as well as seen.
    announce(said.join(" "));
  });

  function enhance(root) {
    root.querySelectorAll("form#create").forEach(function (form) {
      showKind(form);
      previewExpiry(form);
      markPreset(form);
    });
    localTimes(root);
    root.querySelectorAll("[data-browser-zone][hidden]").forEach(function (btn) {
      if (browserZone()) btn.hidden = false;
    });
    root.querySelectorAll("input[data-suggest-zone]").forEach(suggestZone);
    // A notice an htmx answer put on the page, which is no live region of
    // its own (such as a change that found an account so already), is
    // said from the page's one, once.
    root.querySelectorAll("[data-announce]").forEach(function (el) {
      el.removeAttribute("data-announce");
      announce(el.textContent.trim());
    });
    tick();
  }

  // suggestZone fills an empty time zone field, of an account that has
  // none, with this browser's zone, and shows the note that says it is
  // only filled in: the form's Save keeps it. A browser in UTC has
  // nothing to suggest, which the empty field means already.
  function suggestZone(input) {
    var zone = browserZone(), note = document.getElementById(input.getAttribute("data-suggest-zone"));
    input.removeAttribute("data-suggest-zone");
    if (input.value || !zone || /^(Etc\/)?(UTC|UCT|GMT|Universal|Zulu)$/.test(zone)) return;
    input.value = zone;
    if (!note) return;
    note.hidden = false;
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + note.id).trim());
    // Once the field holds something else, the note no longer says what
    // it holds.
    input.addEventListener("input", function () {
      if (input.value === zone) return;
      note.hidden = true;
      input.setAttribute("aria-describedby", (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== note.id;
      }).join(" "));
    });
  }

  // The IANA name of this browser's time zone, such as "Europe/Berlin";
  // "" where the browser does not tell.
  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  // "Use this browser's zone" fills the time zone field with it, which
  // the form's Save then sends.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-browser-zone]");
    if (!btn) return;
    var input = document.getElementById(btn.getAttribute("data-browser-zone")), zone = browserZone();
    if (!input || !zone) return;
    input.value = zone;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  });

  document.addEventListener("input", function (ev) {
    var form = ev.target.closest("form#create");
    if (form && ev.target.id === "ttl") {
      previewExpiry(form);
      markPreset(form);
    }
  });

  // A mistake said beside a field is about the value that was sent: once
  // that value changes, it no longer stands. (A file's is checked again as
  // it is chosen.)
  // (A mistake the page said itself, of a field's length, is the page's
  // to take back: checkLength.)
  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (input.type !== "file" && !input.validity.customError && input.getAttribute("aria-invalid") === "true" && document.getElementById("error-" + input.name)) {
      markMistake(input, "");
    }
  });

  // A field whose limit the server counts in UTF-8 bytes (data-max-bytes)
  // or in characters (data-max-chars) is checked as it is typed or
  // pasted, with the server's count, and refused in the server's words
  // (data-too-long): beside the field, and by the browser as the form is
  // sent. A maxlength counts neither, but UTF-16 code units.
  var utf8 = new TextEncoder();
  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (input.hasAttribute && (input.hasAttribute("data-max-bytes") || input.hasAttribute("data-max-chars"))) checkLength(input);
  });
  function checkLength(input) {
    var bytes = input.getAttribute("data-max-bytes"), over;
    if (bytes !== null) {
      // A textarea's value breaks its lines with LF, as the server
      // counts them.
      over = utf8.encode(input.value).length > Number(bytes);
    } else {
      over = Array.from(input.value).length > Number(input.getAttribute("data-max-chars"));
    }
    if (over === input.validity.customError) return; // said already, or nothing to say
    var said = over ? input.getAttribute("data-too-long") : "";
    input.setCustomValidity(said);
    markMistake(input, said);
  }

  // Choosing a kind shows its fields. The file chooser refuses a file over
  // the server's limit before it is sent, the limit of end-to-end files
  // while the form encrypts in the browser; the server checks again.
  document.addEventListener("change", function (ev) {
    var input = ev.target, form = input.closest("form#create");
    if (form && input.name === "kind") showKind(form);
    if (input.type === "file" && input.hasAttribute("data-max-size")) checkFileSize(input);
    // A request's form that takes a message or a file takes them as one
    // answer: the mistake beside its message box (nothing to send, or
    // both) was about the two together, and a file chosen changes them.
    // A message too long stays so.
    var answer = input.type === "file" && input.closest("form[data-one-answer]");
    var message = answer && answer.querySelector("textarea[name=message]");
    if (message && message.getAttribute("aria-invalid") === "true" && !message.validity.customError) markMistake(message, "");
    if (form && input.hasAttribute("data-e2e-toggle")) {
      var file = form.querySelector("input[type=file][data-max-size]");
      if (file) checkFileSize(file);
    }
  });

  function checkFileSize(input) {
    var max = Number(input.getAttribute("data-max-size")), said = input.getAttribute("data-too-large");
    var form = input.closest("form"), toggle = form && form.querySelector("[data-e2e-toggle]");
    var choice = toggle && toggle.closest("[data-e2e-choice]");
    if (toggle && toggle.checked && choice) {
      max = Number(choice.getAttribute("data-max-e2e"));
      said = choice.getAttribute("data-msg-too-large");
    }
    var tooLarge = Array.prototype.some.call(input.files, function (f) { return f.size > max; });
    input.setCustomValidity(tooLarge ? said : "");
    markMistake(input, tooLarge ? said : "");
    if (tooLarge) input.reportValidity();
  }

  // markMistake says msg beside input, as the server's answer would, or
  // takes back what it said when msg is empty.
  function markMistake(input, msg) {
    var id = "error-" + input.name;
    var box = document.getElementById(id);
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (d) { return d && d !== id; });
    if (!msg) {
      if (box) box.remove();
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", described.join(" "));
      return;
    }
    if (!box) {
      box = document.createElement("small");
      box.id = id;
      box.className = "error field-error";
      box.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", box);
    }
    box.textContent = msg;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [id].concat(described).join(" "));
  }

  // The create form comes back with a mistake as a new form, whose file
  // chooser no page can fill in: it gets the file chosen before, unless
  // the mistake is about the file.
  var keptFiles = null;
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var input = ev.detail.target.id === "create-panel" && ev.detail.target.querySelector("input[type=file]");
    var status = ev.detail.xhr.status;
    // 413: the file is the mistake, even where the form cannot tell.
    keptFiles = input && input.files.length && status >= 400 && status !== 413 ? input.files : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    keepFiles(keptFiles);
    keptFiles = null;
  });
  // e2e.js swaps the create form itself, and then does as htmx's swaps do.
  window.oncelink.keepFiles = keepFiles;
  window.oncelink.focusAnswer = focusAnswer;
  function keepFiles(files) {
    var input = files && document.querySelector("form#create input[type=file]");
    if (!input || input.getAttribute("aria-invalid") === "true") return;
    // Only a form with a mistake: a fresh one (after a form sent twice)
    // starts empty.
    if (!document.querySelector("form#create [aria-invalid=true], #create-panel [role=alert]")) return;
    input.files = files;
  }

  // Upload progress: htmx reports the request's progress on the form, and
  // the create form's bar shows it while a file is sent. The answer's own
  // download reports progress too, after the upload: the bar never goes
  // back. Each request starts it from zero (htmx:beforeRequest, below).
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

  // Times are written in UTC by the server; show them in local time, to
  // the second where the server gave seconds (the audit trail).
  function localTimes(root) {
    root.querySelectorAll("time[datetime]:not(.countdown)").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      var opts = { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
      if (t.hasAttribute("data-seconds")) opts.second = "2-digit";
      if (d.getFullYear() === new Date().getFullYear()) delete opts.year;
      if (!isNaN(d)) t.textContent = dates(opts).format(d);
    });
  }

  // Countdowns tick from each row's absolute expiry, corrected by the
  // difference between the server's clock and this browser's, which the
  // server sends in <meta name="server-time"> and again in a "clock" event
  // each time the dashboard's event stream opens. No request is made to tick.
  var skew = 0;
  function measureSkew() {
    var meta = document.querySelector("meta[name=server-time]");
    if (meta) skew = Number(meta.content) - Date.now();
  }

  function left(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d > 0) return msg("js.left.days", { days: d, hours: h });
    if (h > 0) return msg("js.left.hours", { hours: h, minutes: m });
    if (m > 0) return msg("js.left.minutes", { minutes: m, seconds: s % 60 });
    return msg("js.left.seconds", { seconds: s % 60 });
  }

  // waitWords says a wait of ms as the server does (i18n.Localizer.Wait),
  // in the words of its messages: rounded up to the second, "45 seconds",
  // "1 minute 30 seconds"; from an hour on, to the minute, "2 hours 5
  // minutes".
  function waitWords(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    if (s < 60) return msg("time.wait.seconds", null, s);
    if (s < 3600) return waitPair(msg("time.wait.minutes", null, Math.floor(s / 60)), "time.wait.seconds", s % 60);
    var m = Math.ceil(s / 60);
    return waitPair(msg("time.wait.hours", null, Math.floor(m / 60)), "time.wait.minutes", m % 60);
  }

  function waitPair(larger, id, n) {
    return n === 0 ? larger : msg("time.wait.pair", { larger: larger, smaller: msg(id, null, n) });
  }

  // The rows that count down: an active link's, an open request's. A
  // used link's Revoke goes when its last opener's grant ends, as the
  // server would then no longer offer it: revoking would end nothing.
  var counting = { active: true, open: true };
  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll("time.countdown[data-expires]").forEach(function (t) {
      var row = t.closest("[data-status]");
      if (row && !counting[row.getAttribute("data-status")]) return;
      var ms = Number(t.getAttribute("data-expires")) - now;
      if (ms > 0) {
        t.textContent = left(ms);
        return;
      }
      expire(t);
      if (row) expired(row);
    });
    document.querySelectorAll("form[data-revocable-until]").forEach(function (f) {
      if (Number(f.getAttribute("data-revocable-until")) <= now) dropControl(f);
    });
    countRetries(now);
    announceChanges(retireCreated());
  }

  // dropControl takes away form, a Revoke or a Withdraw that would no
  // longer do anything. A keyboard on it goes to its row's name, a link's
  // on the dashboard, or else to the page, rather than to nothing.
  function dropControl(form) {
    var had = form.contains(document.activeElement), name = rowName(form.closest("tr"));
    form.remove();
    if (!had) return;
    if (name) name.focus();
    else focusPage();
  }

  // rowName is the link in a row of the dashboard that names its link and
  // leads to its page; null for any other row.
  function rowName(row) {
    return row && row.id ? document.getElementById(row.id + "-details") : null;
  }

  // focusPage gives the focus to the page's main content, where a
  // keyboard carries on from.
  function focusPage() {
    var main = document.getElementById("main");
    if (main) main.focus({ preventScroll: true });
  }

  // The panel that shows a new link's address, once, goes when that link
  // stops working (revoked, here or elsewhere, used up or expired): its
  // address would only be copied by mistake. What replaces it says why, and
  // is what screen readers hear of that row's end (announceChanges says it
  // in place of the list's shorter news), so they hear it once.
  var gone = { used: "js.created.used", expired: "js.created.expired", revoked: "js.created.revoked" };
  function retireCreated() {
    var panel = document.querySelector("section[data-testid=created][data-link]");
    var row = panel && document.getElementById(panel.getAttribute("data-link"));
    var status = row && row.getAttribute("data-status");
    if (!gone[status]) return null;
    var note = document.createElement("p");
    note.setAttribute("data-testid", "created-gone");
    note.textContent = msg(gone[status], { name: isolate(row.getAttribute("data-name")) });
    panel.replaceChildren(note);
    panel.removeAttribute("data-link"); // said once
    return { id: row.id, said: note.textContent };
  }

  // At zero a countdown says what a page drawn after the expiry says in its
  // place, from the template that keeps those words. A recipient's page, a
  // link's or a request's sender's, then no longer offers its form, to
  // open the link or to send, nor says how often it opens or what sending
  // does, nor counts down a wait for the rate limits: there is nothing left
  // to try again.
  function expire(t) {
    var box = t.parentNode;
    box.replaceChildren(box.querySelector("template[data-then]").content.cloneNode(true));
    localTimes(box);
    if (!box.closest("[data-before-open]")) return;
    closeOpeners(document);
    document.querySelectorAll("[data-opens]").forEach(function (el) { el.hidden = true; });
    document.querySelectorAll("[data-retry-at]").forEach(function (el) {
      el.removeAttribute("data-retry-at");
      if (el.tagName !== "FIELDSET") el.hidden = true;
    });
  }

  // closeOpeners disables every field and button of the forms in root
  // that open a link or send to a request ([data-opener]), which can no
  // longer do so: the end of a wait for the rate limits, which enables a
  // form's fieldset again, leaves them disabled.
  function closeOpeners(root) {
    root.querySelectorAll("form[data-opener]").forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.type !== "hidden") el.disabled = true;
      });
    });
  }

  // A link's row, or an owner's page about one link, whose countdown
  // reached zero says the link expired, and offers to revoke it or to open
  // it no more; an open request's row says it expired, in the word its
  // badge keeps in data-expired, and offers to withdraw it no more.
  function expired(row) {
    row.setAttribute("data-status", "expired");
    var badge = row.querySelector("[data-testid=status], [data-testid=request-status]");
    if (badge) { badge.textContent = badge.getAttribute("data-expired") || msg("js.status.expired"); badge.className = "badge expired"; badge.removeAttribute("data-expired"); }
    row.querySelectorAll("[data-testid=revoke], [data-testid=revoke-request]").forEach(function (b) { dropControl(b.closest("form")); });
    closeOpeners(row);
  }

  // A link's page whose form the rate limits hold back counts the wait
  // down, from data-retry-at (the server's time, in milliseconds), in its
  // [data-wait]; at its end the notice says its own data-ready words, the
  // form's fieldset is enabled, and the focus goes to the form.
  function countRetries(now) {
    document.querySelectorAll("[data-retry-at]").forEach(function (el) {
      var ms = Number(el.getAttribute("data-retry-at")) - now;
      if (ms > 0) {
        var wait = el.querySelector("[data-wait]");
        if (wait) wait.textContent = waitWords(ms);
        return;
      }
      el.removeAttribute("data-retry-at");
      if (el.tagName === "FIELDSET") {
        el.disabled = false;
        var first = el.querySelector("input, button");
        if (first) first.focus();
      } else {
        el.setAttribute("role", "status");
        el.className = "notice";
        el.textContent = el.getAttribute("data-ready");
      }
    });
  }

  // Another script that learns of a wait from the server's answer
  // (e2e.js, from Retry-After) holds its form back the same way: retryAt
  // is the end of a wait of ms from now, in the server's clock, for
  // data-retry-at; countRetries then says the wait at once, and the
  // page's ticks count it down.
  window.oncelink.retryAt = function (ms) { return Date.now() + skew + ms; };
  window.oncelink.countRetries = function () { countRetries(Date.now() + skew); };

  // A hidden tab's timers are slowed down, so its countdowns lag; showing
  // it again recomputes them from the absolute expiry at once.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) tick();
  });

  // Changes of a link's status or uses, and of a request's status, are
  // announced to screen readers through one polite live region: on the
  // dashboard's rows and the requests', and on an owner's page about one
  // link. A row says what it shows by its id, which is its event's name
  // (link-7, request-7): a link's and a request's news are told in words
  // of their own. A link or a request made elsewhere, whose row the stream
  // brings to the list's top, is announced too; rows that come with the
  // page, a filter, a pager or a list read again are not. Nor is the link
  // this tab just made, whose answer takes the focus to its address: while
  // that answer is on its way, a row the stream brought waits, as it may
  // be that link's. A page being left says nothing: the forms of the
  // requests page (make a request, withdraw one) load a page of their own,
  // which shows what they did, and the stream may bring the news to this
  // one first. Countdown ticks are not announced, or every second
  // would be read out. The end of the link just made is said in the words
  // of the note that retired its address. A link's details page
  // also says the refused opens its audit trail gained (wrong passwords,
  // attempts after the link ended), by how many came since it last
  // looked: a swap for another reason, which brings the same counts, says
  // nothing of them.
  var seen = {}, refusedSeen = {}, arrived = {};
  var news = {
    link: { used: "js.announce.used", expired: "js.announce.expired", revoked: "js.announce.revoked" },
    request: { fulfilled: "js.announce.request.fulfilled", expired: "js.announce.request.expired", revoked: "js.announce.request.revoked" }
  };
  var arrivals = { link: "js.announce.new", request: "js.announce.request.new" };
  var refusals = { wrongPasswords: "js.announce.wrong_password", lateOpens: "js.announce.late_open" };
  function announceChanges(retired) {
    var said = [];
    var making = document.querySelector("form#create.htmx-request, form#create [aria-busy=true]");
    var made = document.querySelector("section[data-testid=created][data-link]");
    made = made && made.getAttribute("data-link");
    document.querySelectorAll("[id][data-status][data-name]").forEach(function (row) {
      var status = row.getAttribute("data-status"), used = row.getAttribute("data-uses");
      var state = status + "|" + used, name = isolate(row.getAttribute("data-name"));
      var kind = row.id.split("-")[0], words = news[kind] || {};
      if (retired && retired.id === row.id) {
        said.push(retired.said);
      } else if (seen[row.id] && seen[row.id] !== state) {
        if (words[status]) said.push(msg(words[status], { name: name }));
        else if (used !== null) said.push(msg("js.announce.uses", { name: name, uses: used }));
      } else if (!seen[row.id] && arrived[row.id] && arrivals[kind]) {
        if (making) return; // judged once the answer names the link made
        if (row.id !== made) said.push(msg(arrivals[kind], { name: name }));
      }
      delete arrived[row.id];
      seen[row.id] = state;
      Object.keys(refusals).forEach(function (key) {
        if (row.dataset[key] === undefined) return;
        var n = Number(row.dataset[key]), id = row.id + "|" + key, before = refusedSeen[id];
        if (before !== undefined && n > before) said.push(msg(refusals[key], { name: name }, n - before));
        refusedSeen[id] = n;
      });
    });
    if (said.length && !leaving) announce(said.join(" "));
  }

  // leaving is set once a form that loads a page of its own in this tab
  // is sent (data-leaves), until the tab shows a page again, left or not
  // (Back may bring this one back from the browser's cache).
  var leaving = false;
  document.addEventListener("submit", function (ev) {
    if (!ev.defaultPrevented && ev.target.matches("form[data-leaves]")) leaving = true;
  });
  window.addEventListener("pageshow", function () { leaving = false; });

  // announce has screen readers say text, from the page's one polite
  // live region.
  function announce(text) {
    var region = document.getElementById("announcer");
    if (region) region.textContent = text;
  }

  // A row can arrive twice: in the create response, and as the event
  // stream's "created" event (a request's, "new-request"). The second is
  // dropped; one that the stream brings first is marked arrived, for
  // announceChanges. And while a row's own request (a revoke) is on its
  // way, the stream leaves the row alone: the answer is swapped into it
  // and brings the same news.
  function rowID(html) {
    var m = /id="((?:link|request)-\d+)"/.exec(html || "");
    return m && m[1];
  }
  document.addEventListener("htmx:sseBeforeMessage", function (ev) {
    var arrival = ev.detail.type === "created" || ev.detail.type === "new-request";
    var id = arrival && rowID(ev.detail.data);
    if (id && document.getElementById(id)) ev.preventDefault();
    else if (id) arrived[id] = true;
    if (ev.target.tagName === "TR" && ev.target.querySelector(".htmx-request")) ev.preventDefault();
  });
  document.addEventListener("htmx:oobBeforeSwap", function (ev) {
    var row = ev.detail.fragment && ev.detail.fragment.querySelector("tr[id]");
    if (row && document.getElementById(row.id)) ev.preventDefault();
  });

  // Focus follows what a keyboard user did: after a revoke, to the row's
  // link (the button is gone); after "Show older links", to the first
  // older row; after an account's button (Make administrator, Disable...),
  // to the button in its place in the row drawn again (Make member,
  // Enable...). Before each request, the upload bar starts from zero too.
  var focusRow = null, focusIndex = -1, focusButton = -1;
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var el = ev.detail.elt;
    // A new try clears what the last one that failed said.
    var alerts = document.getElementById("alerts");
    if (alerts) alerts.textContent = "";
    var bar = el.querySelector && el.querySelector("progress.upload-progress");
    if (bar) bar.setAttribute("value", "0");
    if (el.closest("tr[data-testid=link-row]")) focusRow = el.closest("tr").id;
    var account = el.closest("tr[data-testid=account-row]");
    if (account) {
      focusRow = account.id;
      focusButton = Array.prototype.indexOf.call(account.querySelectorAll("button"), el.querySelector("button"));
    }
    if (el.matches("[data-testid=older]")) focusIndex = document.querySelectorAll("#link-rows > tr").length;
  });
  // What the alerts say stays pinned over the page as it scrolls: on a
  // phone it may cover the form the person scrolls back up to. A button
  // puts it away, and gives the focus it had to the page.
  var pinned = document.getElementById("alerts");
  function pin() {
    if (!pinned.firstElementChild || pinned.querySelector(":scope > .dismiss")) return;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "dismiss";
    close.setAttribute("data-testid", "dismiss");
    close.setAttribute("aria-label", msg("js.alerts.dismiss"));
    close.textContent = "\u00d7";
    close.addEventListener("click", function () {
      var had = document.activeElement === close;
      pinned.textContent = "";
      if (had) focusPage();
    });
    pinned.appendChild(close);
  }
  if (pinned) {
    new MutationObserver(pin).observe(pinned, { childList: true });
    pin();
  }

  function moveFocus() {
    var row = focusRow ? document.getElementById(focusRow) : document.querySelectorAll("#link-rows > tr")[focusIndex];
    var target = row && (focusButton >= 0 ? row.querySelectorAll("button")[focusButton] : rowName(row));
    if (target) target.focus();
    focusRow = null;
    focusIndex = -1;
    focusButton = -1;
  }

  document.addEventListener("htmx:afterSettle", function (ev) {
    enhance(document);
    // Only the answer to the request moves focus, not an event-stream swap
    // of the same row that may come first.
    if (ev.detail.requestConfig && (focusRow || focusIndex >= 0)) moveFocus();
    if (ev.detail.requestConfig) focusAnswer();
  });

  // A form that comes back with a mistake, as a page of its own or swapped
  // in, takes the focus to the first field the mistake is about, or to the
  // mistake said above the form: the button that sent it is gone. What a
  // page shows once, such as a new API key, or a refusal in place of what
  // the page was for, takes it likewise ([data-focus]). Without any, a
  // refusal said in the alerts takes it, as when the row whose button sent
  // the request went with the answer.
  // Focus that is somewhere already stays there, and a page that names its
  // own ([autofocus]) keeps its choice. Then what a page shows once and
  // that did not take the focus, such as what a sign-in with a recovery
  // code says on a link's page whose password field takes it, is said
  // from the page's live region (see sayUnfocused).
  function focusAnswer() {
    var active = document.activeElement;
    if ((active && active !== document.body) || document.querySelector("[autofocus]")) {
      sayUnfocused();
      return;
    }
    var el = document.querySelector("[aria-invalid=true], [data-testid=form-error], [data-focus]") ||
      document.querySelector("#alerts [role=alert]");
    if (el) {
      if (!el.matches("input, select, textarea, button, a[href]")) el.setAttribute("tabindex", "-1");
      el.focus();
    }
    sayUnfocused();
  }

  // sayUnfocused has screen readers say, once, each [data-focus] on show
  // that the focus is not in: one that comes with a page is read only when
  // it takes the focus, and a status that is on the page from the start is
  // no change that a live region would announce. It is said politely, after
  // what has the focus, and once the page has loaded: a screen reader
  // drops what changes while it reads a page that is loading.
  var saidOnce = new WeakSet();
  function sayUnfocused() {
    var unfocused = function (el) { return !el.contains(document.activeElement); };
    var notices = [];
    document.querySelectorAll("[data-focus]").forEach(function (el) {
      if (saidOnce.has(el) || !el.getClientRects().length) return;
      saidOnce.add(el);
      if (unfocused(el)) notices.push(el);
    });
    if (!notices.length) return;
    var say = function () {
      setTimeout(function () {
        var words = notices.filter(unfocused).map(function (el) { return el.innerText.replace(/\s+/g, " ").trim(); });
        if (words.length) announce(words.join(" "));
      }, 500);
    };
    if (document.readyState === "complete") say();
    else window.addEventListener("load", say, { once: true });
  }

  // The event stream: its state is shown beside the list's heading, its
  // clock corrects the countdowns, and when it says the page is stale
  // (events came before it opened, or while it was down) the list is read
  // again: the links, or the requests' rows.
  var sources = new WeakSet();
  function liveState(id) {
    var el = document.querySelector("[data-testid=live]");
    if (!el) return;
    el.hidden = false;
    el.textContent = msg(id);
    el.className = "live small " + (id === "js.live.on" ? "on" : "off");
  }
  document.addEventListener("htmx:sseOpen", function (ev) {
    var source = ev.detail.source;
    if (!sources.has(source)) {
      sources.add(source);
      source.addEventListener("clock", function (e) {
        skew = Number(e.data) - Date.now();
        tick();
      });
      source.addEventListener("stale", refreshList);
    }
    liveState("js.live.on");
  });
  document.addEventListener("htmx:sseError", function () { liveState("js.live.reconnecting"); });
  document.addEventListener("htmx:sseClose", function (ev) {
    if (ev.detail.type === "message") liveState("js.live.signed_out");
  });
  // A hidden tab gives its event stream back. A browser opens at most six
  // connections to a server over HTTP/1.1, and each open stream holds one:
  // six tabs of oncelink would leave a seventh waiting for ever. So a
  // page hidden for streamGrace closes its stream, and opens it again when
  // shown, from the last mark it received (the stream's after): the
  // server then says stale (or sends a link's page its part afresh) only
  // if the page missed an event meanwhile. A page that loads hidden, as a
  // tab opened in the background, opens its stream when first shown.
  // Five seconds lets a glance at another tab and back keep the stream,
  // and still gives the connection back soon enough that a seventh page,
  // opened just after six others were hidden, waits a few seconds at
  // most; a stream opened again costs one request, and a read of the list
  // only when something happened meanwhile.
  //
  // htmx's SSE extension asks htmx.createEventSource for each stream:
  // here a pausable one, which keeps the listeners put on it for each
  // EventSource it opens. One that ended by itself (an error answer) is
  // done: the extension makes a new one, from the same page's address.
  var streamGrace = 5000, pausable = new Set(), marks = {}, pauseTimer = 0;
  function PausableSource(url) {
    this.url = url;
    this.listeners = [];
    this.source = null;
    this.closed = false;
    this.onopen = this.onerror = null;
    this.addEventListener("mark", function (e) { marks[url] = e.lastEventId; });
    var self = this;
    this.addEventListener("beat", function (e) { self.listen(Number(e.data)); });
    pausable.add(this);
    if (!document.hidden) this.open();
  }
  // A paused source is as one about to reconnect.
  Object.defineProperty(PausableSource.prototype, "readyState", { get: function () {
    if (this.source) return this.source.readyState;
    return this.closed ? EventSource.CLOSED : EventSource.CONNECTING;
  } });
  PausableSource.prototype.open = function () {
    var self = this, address = this.url;
    if (marks[this.url] !== undefined) {
      var u = new URL(this.url, location.href);
      u.searchParams.set("after", marks[this.url]);
      address = u.pathname + u.search;
    }
    var source = new EventSource(address, { withCredentials: true });
    this.source = source;
    this.listeners.forEach(function (l) { source.addEventListener(l[0], l[1]); });
    source.onopen = function (e) {
      self.listen(0);
      if (self.onopen) self.onopen(e);
    };
    source.onerror = function (e) {
      if (source.readyState === EventSource.CLOSED) {
        self.closed = true;
        pausable.delete(self);
      }
      if (self.onerror) self.onerror(e);
    };
  };
  // A stream can die without a word: after the machine slept, or when a
  // network dropped its connection, the EventSource stays open and hears
  // nothing more, and the page would say Live for good. The server sends
  // a beat every so often, saying how often in milliseconds: a stream
  // that hears none for twice that and a second more is opened again,
  // from its last mark, and what was missed meanwhile is read again. A
  // stream just opened waits a minute for its first beat.
  var firstBeat = 60000;
  PausableSource.prototype.listen = function (every) {
    var self = this;
    clearTimeout(this.silence);
    this.silence = setTimeout(function () {
      if (!self.source || self.source.readyState !== EventSource.OPEN) return;
      self.pause();
      self.resume();
    }, every > 0 ? 2 * every + 1000 : firstBeat);
  };
  PausableSource.prototype.pause = function () {
    clearTimeout(this.silence);
    if (this.source) this.source.close();
    this.source = null;
  };
  PausableSource.prototype.resume = function () {
    if (!this.closed && !this.source) this.open();
  };
  PausableSource.prototype.close = function () {
    this.closed = true;
    pausable.delete(this);
    this.pause();
  };
  PausableSource.prototype.addEventListener = function (type, fn) {
    this.listeners.push([type, fn]);
    if (this.source) this.source.addEventListener(type, fn);
  };
  PausableSource.prototype.removeEventListener = function (type, fn) {
    this.listeners = this.listeners.filter(function (l) { return l[0] !== type || l[1] !== fn; });
    if (this.source) this.source.removeEventListener(type, fn);
  };
  if (window.htmx) htmx.createEventSource = function (url) { return new PausableSource(url); };
  function pauseStreams() {
    clearTimeout(pauseTimer);
    pausable.forEach(function (s) { s.pause(); });
  }
  function resumeStreams() {
    clearTimeout(pauseTimer);
    if (!document.hidden) pausable.forEach(function (s) { s.resume(); });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      clearTimeout(pauseTimer);
      pauseTimer = setTimeout(pauseStreams, streamGrace);
    } else {
      resumeStreams();
    }
  });
  // A page left for another gives its streams back at once, and so does a
  // hidden one that the browser freezes: the browser may keep either for
  // minutes (a page it can show again on Back, from its back/forward
  // cache), its timers stopped, and an open stream would hold its
  // connection, and one of the account's streams, all that time. A page
  // shown again from that cache, or thawed and shown, opens them again as
  // a tab shown again does, from its last mark.
  window.addEventListener("pagehide", pauseStreams);
  document.addEventListener("freeze", pauseStreams);
  window.addEventListener("pageshow", function (e) { if (e.persisted) resumeStreams(); });
  document.addEventListener("resume", resumeStreams);

  function refreshList() {
    if (window.htmx && document.getElementById("request-rows")) {
      htmx.ajax("GET", location.pathname + location.search, { target: "#request-rows", select: "#request-rows", swap: "outerHTML" });
      return;
    }
    var form = document.querySelector("form[data-testid=filters]");
    if (!form || !document.getElementById("link-list") || !window.htmx) return;
    var query = new URLSearchParams(new FormData(form)).toString();
    htmx.ajax("GET", form.getAttribute("action") + "?" + query, { target: "#link-list", swap: "outerHTML" });
  }

  // A delivered page works in this browser until its grant ends (the
  // server's time, corrected by the skew); after that, what has not
  // loaded no longer plays and the file no longer downloads. When that
  // time comes the page says so, and its download button goes, rather
  // than leave a player frozen and a button that fails without a word.
  function grantEnds() {
    var note = document.querySelector("[data-grant-ends]");
    if (!note) return;
    var ends = Date.parse(note.getAttribute("data-grant-ends")) - skew;
    function check() {
      if (Date.now() < ends || note.hasAttribute("data-ended")) return;
      note.setAttribute("data-ended", "");
      note.setAttribute("role", "status");
      var downloads = document.querySelectorAll("a[data-testid=download]");
      note.textContent = msg(downloads.length ? "js.grant.ended_file" : "js.grant.ended");
      downloads.forEach(function (a) {
        a.removeAttribute("href");
        a.setAttribute("aria-disabled", "true");
      });
    }
    check();
    // A hidden tab's timers may be held back: look again when it shows.
    setTimeout(check, Math.min(Math.max(ends - Date.now(), 0) + 250, 2147483647));
    document.addEventListener("visibilitychange", check);
  }

  document.addEventListener("DOMContentLoaded", function () {
    measureSkew();
    grantEnds();
    enhance(document);
    focusAnswer();
    setInterval(tick, 1000);
  });
  // A page opened at a fragment (the settings' notifications after a change
  // of them) is scrolled to it once parsed, and Chromium then takes the
  // focus off what had taken it: the answer takes it back.
  window.addEventListener("load", focusAnswer);
})();
