// e2e.js makes and opens end-to-end links in the browser, in the format
// "oncelink-e2e v1" (README, "End-to-end links"; package e2e is the same
// in Go): a 32-byte secret that travels only in the link's fragment, HKDF
// for the claim that opens the link and for the content key (with PBKDF2
// for a link password), and AES-256-GCM in 64 KiB chunks.
//
// On the create form it offers "Encrypt in this browser" where it can (a
// secure context with WebCrypto), encrypts the message, the web address or
// the file, and sends only ciphertext, the claim's SHA-256 and the link's
// settings; it then adds the key to the address the server answers with.
// On an end-to-end link's page it reads the key from the fragment and at
// once drops it from the address bar and history, keeping it in the tab
// until the link is opened; the Open button posts the claim, and what
// comes back is decrypted chunk by chunk and shown, played in the page's
// player, saved, or, for a web address, followed with location.replace.
// Strings come from the page's data-msg-* attributes and its messages
// (window.oncelink.msg, app.js).
(function () {
  'use strict';

  const VERSION = 1;
  const CHUNK = 64 * 1024;
  const TAG = 16;
  const MAX_HEADER = 4096;
  const ITERATIONS = 600000;
  const MAX_NAME = 200; // bytes, as core's maxFileNameBytes
  const encoder = new TextEncoder();
  const capable = window.isSecureContext === true && !!(window.crypto && window.crypto.subtle);

  class FormatError extends Error {}

  // t is a message of the page's catalog (app.js).
  const t = (id, vars) => (window.oncelink && window.oncelink.msg ? window.oncelink.msg(id, vars) : id);

  function b64u(bytes) {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // secretOf reads a fragment as strictly as Go's RawURLEncoding.Strict.
  function secretOf(fragment) {
    if (!/^[A-Za-z0-9_-]{43}$/.test(fragment)) return null;
    const bin = atob(fragment.replace(/-/g, '+').replace(/_/g, '/') + '=');
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return b64u(bytes) === fragment ? bytes : null;
  }

  async function hkdf(ikm, salt, info) {
    const k = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: encoder.encode(info) }, k, 256);
    return new Uint8Array(bits);
  }

  function claimOf(secret) {
    return hkdf(secret, new Uint8Array(0), 'oncelink-e2e v1 claim');
  }

  async function keyOf(secret, password) {
    let salt = new Uint8Array(0);
    if (password) {
      const pk = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
      salt = new Uint8Array(await crypto.subtle.deriveBits(
        { name: 'PBKDF2', hash: 'SHA-256', salt: secret, iterations: ITERATIONS }, pk, 256));
    }
    const raw = await hkdf(secret, salt, 'oncelink-e2e v1 content');
    return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  }

  // gcm is chunk i's AES-GCM parameters: i and the final flag in the nonce
  // and, after the version byte, in the associated data.
  function gcm(i, final) {
    const iv = new Uint8Array(12);
    const ad = new Uint8Array(10);
    new DataView(iv.buffer).setBigUint64(0, BigInt(i));
    ad[0] = VERSION;
    new DataView(ad.buffer).setBigUint64(1, BigInt(i));
    if (final) {
      iv[11] = 1;
      ad[9] = 1;
    }
    return { name: 'AES-GCM', iv, additionalData: ad };
  }

  // seal encrypts header and the Blob content, a chunk at a time.
  async function seal(key, header, content) {
    const sealedHeader = new Uint8Array(await crypto.subtle.encrypt(gcm(0, false), key, encoder.encode(JSON.stringify(header))));
    const parts = [new Uint8Array([VERSION, sealedHeader.length >> 8, sealedHeader.length & 255]), sealedHeader];
    for (let off = 0, i = 1; ; off += CHUNK, i++) {
      const end = Math.min(off + CHUNK, content.size);
      const final = end >= content.size;
      const plain = await content.slice(off, end).arrayBuffer();
      parts.push(new Uint8Array(await crypto.subtle.encrypt(gcm(i, final), key, plain)));
      if (final) break;
    }
    return new Blob(parts, { type: 'application/octet-stream' });
  }

  async function decrypt(key, i, final, sealed) {
    try {
      return new Uint8Array(await crypto.subtle.decrypt(gcm(i, final), key, sealed));
    } catch (e) {
      throw new FormatError('corrupt');
    }
  }

  // open decrypts a whole ciphertext progressively, chunk by authenticated
  // chunk, telling progress how far it got; a change, a cut or a wrong key
  // throws a FormatError and gives nothing.
  async function open(key, ct, progress) {
    if (ct.length < 3 || ct[0] !== VERSION) throw new FormatError('version');
    const l = (ct[1] << 8) | ct[2];
    if (l < TAG || l > MAX_HEADER + TAG || 3 + l > ct.length) throw new FormatError('corrupt');
    let header;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await decrypt(key, 0, false, ct.subarray(3, 3 + l))));
    } catch (e) {
      throw new FormatError('corrupt');
    }
    const parts = [];
    for (let off = 3 + l, i = 1; ; i++) {
      const end = Math.min(off + CHUNK + TAG, ct.length);
      const final = end === ct.length;
      if (end - off < TAG) throw new FormatError('truncated');
      parts.push(await decrypt(key, i, final, ct.subarray(off, end)));
      off = end;
      if (progress) progress(off / ct.length);
      if (final) break;
    }
    return { header, parts };
  }

  function concat(parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  // fileName is a sender's file name as the server keeps one it seals
  // (core's cleanFileName): its last path element, without control, format
  // or bidirectional characters, which can disguise an extension
  // ("report\u202Egpj.exe" reads as reportexe.jpg), but for the joiners
  // that words and emoji are spelt with, without trailing dots and
  // spaces, and at most MAX_NAME bytes long, keeping a short extension.
  // The sender's own program wrote it, unchecked by the server.
  function fileName(raw) {
    let name = String(raw || '').split(/[/\\]/).pop()
      .replace(/[\p{Cc}\p{Cf}]/gu, (c) => (c === '\u200c' || c === '\u200d' ? c : ''))
      .replace(/[. ]+$/, '').replace(/^ +/, '');
    if (encoder.encode(name).length > MAX_NAME) {
      const dot = name.lastIndexOf('.');
      const ext = dot > 0 && encoder.encode(name.slice(dot)).length <= 16 ? name.slice(dot) : '';
      let base = '';
      for (const c of name.slice(0, name.length - ext.length)) {
        if (encoder.encode(base + c + ext).length > MAX_NAME) break;
        base += c;
      }
      name = base + ext;
    }
    return name || t('js.e2e.file');
  }

  // webAddress checks a web address as the server does, and returns it as
  // it is shared, or null.
  function webAddress(raw) {
    let u = raw.trim();
    const added = !u.includes('://');
    if (added) u = 'https://' + u.replace(/^\/\//, '');
    try {
      const p = new URL(u);
      if ((p.protocol !== 'http:' && p.protocol !== 'https:') || !p.host || p.username || p.password) return null;
      if (added && !p.hostname.includes('.') && p.hostname !== 'localhost') return null;
    } catch (e) {
      return null;
    }
    return escapeUnfit(u);
  }

  // escapeUnfit percent-encodes, in a web address, each character that an
  // address cannot hold as it is, as the server does with the address of
  // a link it seals itself (core's escapeUnfit): a space, and " < > [ \ ] ^ ` { | } past
  // the host, a second #, and a % that starts no escape; and, anywhere,
  // blanks, format characters and controls. Followed, the address is the
  // same; shown, it reads as what it is.
  function escapeUnfit(raw) {
    const scheme = raw.indexOf('://');
    let path = 0;
    if (scheme >= 0) {
      const end = raw.slice(scheme + 3).search(/[/?#]/);
      path = end < 0 ? raw.length : scheme + 3 + end;
    }
    let out = '';
    let fragment = false;
    let i = 0;
    for (const c of raw) {
      let keep = !/[\p{Cc}\p{Cf}\p{Z}]/u.test(c);
      if (keep && i >= path) {
        if (c === '#') {
          keep = !fragment;
          fragment = true;
        } else if (c === '%') {
          keep = /^%[0-9a-fA-F]{2}/.test(raw.slice(i));
        } else {
          keep = !'"<>[\\]^`{|}'.includes(c);
        }
      }
      out += keep ? c : encodeURIComponent(c);
      i += c.length;
    }
    return out;
  }

  // --- The create form -------------------------------------------------

  function showChoices() {
    document.querySelectorAll('[data-e2e-choice]').forEach((box) => {
      box.querySelectorAll('[data-e2e-available]').forEach((el) => { el.hidden = !capable; });
      box.querySelector('[data-e2e-unavailable]').hidden = capable;
    });
  }

  // post sends the sealed form as htmx sends the create form, and shows
  // how much of it has gone on bar, as the create form's bar does for a
  // file the server seals: fetch cannot tell an upload's progress.
  function post(url, body, bar) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.setRequestHeader('HX-Request', 'true');
      xhr.setRequestHeader('HX-Target', 'create-panel');
      if (bar) {
        bar.setAttribute('value', '0');
        xhr.upload.addEventListener('progress', (ev) => {
          if (!ev.lengthComputable || !ev.total) return;
          bar.hidden = false;
          bar.setAttribute('value', String(Math.floor(ev.loaded / ev.total * 100)));
        });
      }
      xhr.addEventListener('load', () => resolve(xhr));
      xhr.addEventListener('error', () => reject(new Error('the request failed')));
      xhr.addEventListener('abort', () => reject(new Error('the request was cut')));
      xhr.send(body);
    });
  }

  async function createE2E(form, box) {
    const say = (msg) => {
      const el = box.querySelector('[data-e2e-error]');
      el.textContent = msg;
      el.hidden = !msg;
    };
    say('');
    const data = new FormData(form);
    const kind = data.get('kind') || 'message';
    let header;
    let content;
    if (kind === 'file') {
      const file = form.elements.file && form.elements.file.files[0];
      if (!file) return say(box.dataset.msgEmpty);
      // Refused as the server refuses a file of no bytes, which it cannot
      // see once encrypted.
      if (!file.size) return say(box.dataset.msgFileEmpty);
      header = { kind, name: file.name };
      if (file.type) header.type = file.type;
      content = file;
    } else if (kind === 'url') {
      const u = webAddress(String(data.get('url') || ''));
      if (!u) return say(box.dataset.msgUrl);
      header = { kind };
      content = new Blob([encoder.encode(u)]);
    } else {
      const m = String(data.get('message') || '');
      if (!m.trim()) return say(box.dataset.msgEmpty);
      header = { kind: 'message' };
      content = new Blob([encoder.encode(m)]);
    }
    const alerts = document.getElementById('alerts');
    if (alerts) alerts.textContent = ''; // as app.js does before htmx's requests
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    const chooser = form.elements.file;
    const kept = { message: data.get('message'), url: data.get('url'), files: chooser && chooser.files.length ? chooser.files : null };
    try {
      const secret = crypto.getRandomValues(new Uint8Array(32));
      const password = String(data.get('password') || '');
      const key = await keyOf(secret, password);
      const check = new Uint8Array(await crypto.subtle.digest('SHA-256', await claimOf(secret)));
      const sealed = await seal(key, header, content);
      if (sealed.size > Number(box.dataset.maxE2e)) return say(box.dataset.msgTooLarge);
      const body = new FormData();
      for (const [name, value] of data) {
        if (name !== 'message' && name !== 'url' && name !== 'file') body.append(name, value);
      }
      body.set('kind', kind);
      body.append('e2e', '1'); // before the file, which it describes
      body.append('e2e_check', b64u(check));
      body.append('file', sealed, 'oncelink-e2e.bin');
      const res = await post(form.getAttribute('action') || '/links', body,
        kind === 'file' ? form.querySelector('progress.upload-progress') : null);
      const html = res.responseText;
      // A failure the server sends to the page's alerts (as htmx would
      // place it) leaves the form as it is.
      const retarget = res.getResponseHeader('HX-Retarget');
      const target = retarget && document.querySelector(retarget);
      if (target) {
        target.innerHTML = html;
        return;
      }
      const panel = document.getElementById('create-panel');
      if (!panel || !/text\/html/.test(res.getResponseHeader('Content-Type') || '')) return say(box.dataset.msgFailed);
      if (window.htmx && htmx.swap) {
        htmx.swap(panel, html, { swapStyle: 'outerHTML', swapDelay: 0, settleDelay: 0 });
      } else {
        panel.outerHTML = html;
      }
      showChoices();
      if (res.status === 201) {
        const fragment = '#' + b64u(secret);
        const input = document.getElementById('created-url');
        const bare = input.value;
        input.value = bare + fragment;
        const notes = document.getElementById('created-instructions');
        if (notes) notes.value = notes.value.split(bare).join(bare + fragment);
      } else {
        // The form came back with its mistake: refill what was never sent.
        const again = document.getElementById('create');
        if (again) {
          if (again.elements.message && kept.message) again.elements.message.value = kept.message;
          if (again.elements.url && kept.url) again.elements.url.value = kept.url;
          const toggle = again.querySelector('[data-e2e-toggle]');
          if (toggle) toggle.checked = true;
          if (window.oncelink && window.oncelink.keepFiles) {
            window.oncelink.keepFiles(kept.files);
            window.oncelink.focusAnswer(); // the button that sent it is gone
          }
        }
      }
    } catch (e) {
      say(box.dataset.msgFailed);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  document.addEventListener('submit', (e) => {
    const form = e.target;
    const box = form instanceof HTMLFormElement && form.querySelector('[data-e2e-choice]');
    if (!box || !capable || !box.querySelector('[data-e2e-toggle]').checked) return;
    // Before htmx sees it: the plaintext never leaves this page.
    e.preventDefault();
    e.stopPropagation();
    createE2E(form, box);
  }, true);
  document.addEventListener('htmx:load', showChoices);
  showChoices();

  // --- The recipient's page ---------------------------------------------

  // The key leaves the address bar and the history entry at once, before
  // any request, and waits in this tab's session storage (never sent, and
  // gone with the tab) until the link is opened: a reload before Open
  // would otherwise lose it, and so would the way through signing in for
  // a link for one account, which the address cannot carry (the server
  // would see it). The link's page takes it back when it loads again.
  const keeper = 'oncelink.e2e-key:' + location.pathname;
  const keep = document.querySelector('[data-e2e-keep]');
  const root = document.querySelector('[data-e2e-open]');
  if (!keep && !root) return;
  // A browser that keeps no cookies keeps no site data either: its
  // session storage throws. There the key stays in this page alone, and a
  // reload before Open loses it, as the address no longer has it.
  const stored = (use, otherwise) => {
    try {
      return use(sessionStorage);
    } catch (e) {
      return otherwise;
    }
  };
  let fragment = stored((s) => s.getItem(keeper) || '', '');
  if (location.hash) {
    // The address wins over what was kept: it is the link as last pasted.
    fragment = location.hash.slice(1);
    history.replaceState(history.state, '', location.pathname + location.search);
  }
  const secret = secretOf(fragment);
  const forget = () => stored((s) => s.removeItem(keeper));
  if (secret) {
    stored((s) => s.setItem(keeper, fragment));
  } else {
    forget();
  }
  if (!root) return;
  // A key pasted into the address of this page later (a link copied whole
  // at last) changes only the fragment: read it as a page load would.
  window.addEventListener('hashchange', () => location.reload());
  const msg = root.dataset;
  const form = root.querySelector('[data-e2e-form]');
  const errorBox = root.querySelector('[data-e2e-error]');
  const statusBox = root.querySelector('[data-e2e-status]');
  const result = root.querySelector('[data-e2e-result]');
  root.querySelector('[data-e2e-nojs]').hidden = true;
  const fail = (m) => {
    errorBox.textContent = m;
    errorBox.hidden = !m;
  };
  const status = (m) => {
    statusBox.textContent = m;
    statusBox.hidden = !m;
  };
  // A refusal that takes the form away for good, whose button had the
  // focus, takes the focus, as the note of an open does: else it would
  // fall to the page's start.
  const focusRefusal = () => {
    errorBox.tabIndex = -1;
    errorBox.focus();
  };
  // A refusal as the page loads, in the form's place, takes the focus
  // as any page's refusal does (data-focus, app.js, which looks for it
  // after this script ran), for a screen reader to say it first.
  const refuseOnLoad = (m) => {
    fail(m);
    errorBox.setAttribute('data-focus', '');
  };
  if (!capable) {
    refuseOnLoad(msg.msgUnsupported);
    return;
  }
  if (!secret) {
    // A key that is there but cannot be one was cut or changed on its
    // way: the link, not the sender, is at fault.
    refuseOnLoad(fragment ? msg.msgBadKey : msg.msgNoKey);
    return;
  }
  form.hidden = false;
  // A page that came held back by the rate limits (a reload during the
  // wait) has the notice of it, hidden as the form was: it shows with
  // the form, which app.js holds back until the wait is over, and takes
  // the focus as any page's notice does (data-focus, app.js).
  root.querySelectorAll('[data-e2e-held][hidden]').forEach((el) => {
    el.hidden = false;
    el.setAttribute('data-focus', '');
  });

  // hasPicture reports whether the media at url has a picture. The
  // sender's browser names a file's type by its extension, so an
  // audio-only WebM or MP4 comes as video; its metadata tells. Media the
  // browser cannot read counts as video, as it was named.
  function hasPicture(url) {
    return new Promise((resolve) => {
      const probe = document.createElement('video');
      probe.preload = 'metadata';
      probe.muted = true;
      const done = (picture) => {
        clearTimeout(timer);
        probe.removeAttribute('src');
        probe.load();
        resolve(picture);
      };
      const timer = setTimeout(() => done(true), 5000);
      probe.addEventListener('loadedmetadata', () => done(probe.videoWidth > 0), { once: true });
      probe.addEventListener('error', () => done(true), { once: true });
      probe.src = url;
    });
  }

  async function show(header, parts) {
    result.replaceChildren();
    if (header.kind === 'url') {
      const u = new TextDecoder('utf-8', { fatal: true }).decode(concat(parts));
      let ok = false;
      try {
        const p = new URL(u);
        ok = p.protocol === 'http:' || p.protocol === 'https:';
      } catch (e) { /* not an address */ }
      if (!ok) return fail(msg.msgBadUrl);
      status(msg.msgGoing);
      // The address is not told where its visitor came from, whatever
      // the page's own policy (strict-origin over plain HTTP).
      const quiet = document.createElement('meta');
      quiet.name = 'referrer';
      quiet.content = 'no-referrer';
      document.head.append(quiet);
      location.replace(u);
      return;
    }
    result.hidden = false;
    if (header.kind === 'message') {
      const area = document.createElement('textarea');
      area.id = 'e2e-message';
      area.className = 'message';
      area.readOnly = true;
      area.rows = 8;
      area.dataset.testid = 'e2e-message';
      area.setAttribute('aria-label', msg.msgMessageLabel);
      area.value = new TextDecoder('utf-8', { fatal: true }).decode(concat(parts));
      const copy = document.createElement('button');
      copy.type = 'button';
      copy.dataset.copy = 'e2e-message';
      copy.textContent = msg.msgCopy;
      const wrap = document.createElement('div');
      wrap.className = 'copy-block';
      wrap.append(area, copy);
      result.append(wrap);
      return;
    }
    // A file: only a media type plays; anything else is bytes to save,
    // never a page of this origin.
    const type = String(header.type || '');
    let media = /^(audio|video)\/[\w.+-]+$/.test(type) ? type.split('/')[0] : '';
    const blob = new Blob(parts, { type: media ? type : 'application/octet-stream' });
    const url = URL.createObjectURL(blob);
    if (media === 'video' && !(await hasPicture(url))) media = 'audio';
    const name = fileName(header.name);
    const tpl = media && root.querySelector(`template[data-e2e-player="${media}"]`);
    if (tpl) {
      const player = tpl.content.firstElementChild.cloneNode(true);
      const el = player.querySelector('audio, video');
      el.replaceChildren();
      el.src = url;
      player.dataset.title = name;
      // Isolated, as the server shows a name it seals (fileFacts): on a
      // page written right to left, "2026 report.webm" keeps its order.
      const title = document.createElement('bdi');
      title.textContent = name;
      player.querySelector('.player-title').replaceChildren(title);
      result.append(player);
      const script = document.createElement('script');
      script.src = msg.playerScript;
      document.head.append(script);
    }
    const save = document.createElement('a');
    save.className = 'button';
    save.href = url;
    save.download = name;
    save.dataset.testid = 'e2e-save';
    // fileName left no isolate in name to unbalance the one around it.
    save.textContent = t('js.e2e.save', { save: msg.msgSave, name: '\u2068' + name + '\u2069' });
    const p = document.createElement('p');
    p.append(save);
    result.append(p);
  }

  // passwordRefused shows a refusal of the password beside its field, with
  // the tries left, as the page without this script does; with no text, it
  // clears what it showed.
  const passwordRefused = (text, hint) => {
    const field = form.elements.password;
    if (!field) return;
    field.parentElement.querySelectorAll('[data-e2e-field-error]').forEach((el) => { el.remove(); });
    const ids = ['link-password-help'];
    let last = field;
    for (const [id, line, testid] of [['error-password', text, 'form-error'], ['link-password-tries', text && hint, 'attempts-left']]) {
      if (!line) continue;
      const el = document.createElement('small');
      el.id = id;
      el.textContent = line;
      el.dataset.testid = testid;
      el.dataset.e2eFieldError = '';
      if (id === 'error-password') {
        el.className = 'error field-error';
        el.setAttribute('role', 'alert');
      }
      last.after(el);
      last = el;
      ids.splice(ids.length - 1, 0, id);
    }
    field.setAttribute('aria-describedby', ids.join(' '));
    if (text) {
      field.setAttribute('aria-invalid', 'true');
      field.select();
    } else {
      field.removeAttribute('aria-invalid');
    }
  };

  // holdBack shows, above the form, that the rate limits hold the
  // recipient back for the server's Retry-After, in the words and with the
  // countdown of a server-sealed link's page (app.js counts it down, and
  // at its end enables the fieldset and focuses its first field); it takes
  // the focus from the button it disables. It reports whether it could.
  const heldBack = root.querySelector('template[data-e2e-held-back]');
  const fieldset = form.querySelector('fieldset');
  const holdBack = (res) => {
    const seconds = Number(res.headers.get('Retry-After'));
    const o = window.oncelink;
    if (res.status !== 429 || !(seconds > 0) || !heldBack || !o || !o.retryAt || !o.countRetries) return false;
    const at = String(Math.round(o.retryAt(seconds * 1000)));
    const notice = heldBack.content.firstElementChild.cloneNode(true);
    notice.dataset.retryAt = at;
    notice.hidden = false;
    notice.tabIndex = -1;
    fieldset.dataset.retryAt = at;
    fieldset.disabled = true;
    // As the page of a link the server seals comes back: without the
    // password, which waits as a wrong one would.
    if (form.elements.password) form.elements.password.value = '';
    form.before(notice);
    o.countRetries();
    notice.focus();
    return true;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fail('');
    passwordRefused('');
    root.querySelectorAll('[data-e2e-held]').forEach((el) => { el.remove(); });
    const alerts = document.getElementById('alerts');
    if (alerts) alerts.textContent = ''; // as app.js does before htmx's requests
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    const password = form.elements.password ? form.elements.password.value : '';
    try {
      status(msg.msgWorking);
      const body = new URLSearchParams();
      body.set('claim', b64u(await claimOf(secret)));
      if (password) body.set('password', password);
      const res = await fetch(msg.action, {
        method: 'POST', body, credentials: 'same-origin', cache: 'no-store', redirect: 'error',
        headers: { Accept: 'application/json' },
      });
      if (!res.ok) {
        let reply = {};
        try {
          reply = await res.json();
        } catch (err) { /* not oncelink's answer: a proxy's page */ }
        status('');
        if (holdBack(res)) return;
        if (reply.field === 'password' && form.elements.password) {
          passwordRefused(reply.message, reply.hint);
        } else {
          fail(reply.message || msg.msgFailed);
        }
        // The form stays for another try when the password was at fault.
        form.hidden = !(reply.field === 'password' || reply.code === 'wrong_password' || res.status === 429);
        if (form.hidden) focusRefusal();
        // A link that is gone will never want its key again.
        if (res.status === 404 || res.status === 410) forget();
        return;
      }
      // The use is taken: the page is shown once, and a reload must not
      // offer to take another of a link that has more.
      forget();
      const ct = new Uint8Array(await res.arrayBuffer());
      const key = await keyOf(secret, password);
      form.hidden = true;
      let opened;
      try {
        opened = await open(key, ct, (f) => status(t('js.e2e.progress', { working: msg.msgWorking, percent: Math.round(f * 100) })));
      } catch (err) {
        status('');
        fail(msg.msgCorrupt);
        focusRefusal();
        return;
      }
      status('');
      await show(opened.header, opened.parts);
      // What the page said before the open no longer holds; this page
      // is now the only copy, since the key left the address.
      document.querySelectorAll('[data-before-open]').forEach((el) => { el.hidden = true; });
      if (opened.header.kind !== 'url') {
        const done = document.createElement('p');
        done.className = 'notice';
        done.dataset.testid = 'e2e-done';
        done.textContent = msg.msgDone;
        done.tabIndex = -1;
        result.before(done);
        // The form that had the focus is gone: the note takes it, so
        // that a screen reader says what is now on the page.
        done.focus();
      }
    } catch (err) {
      status('');
      fail(msg.msgFailed);
    } finally {
      button.disabled = false;
    }
  });
})();
