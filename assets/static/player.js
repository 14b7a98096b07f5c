// player.js makes every [data-player] element on the page a visibility-aware
// player: it pauses its <audio> or <video> when the tab is hidden and resumes
// it when the tab is visible again, but only when it was the one that paused
// it, so a pause of the user's own stays a pause. It logs each visibility
// change, keeps the playback position across reloads and back/forward cache
// restores, and sets the Media Session metadata.
//
// The page runs under a strict Content-Security-Policy: nothing here uses
// inline code or inline styles, only classes, attributes and `hidden`.
(function () {
  'use strict';

  // SWITCH_KEY holds the "pause when this tab is hidden" choice: "on" or "off".
  const SWITCH_KEY = 'oncelink.player.pauseWhenHidden';
  // POSITION_KEY prefixes the saved playback position of one clip.
  const POSITION_KEY = 'oncelink.player.position.';
  const MAX_ENTRIES = 50;

  const players = [];

  // t is a message of the page's catalog (app.js's window.oncelink.msg).
  const t = (id, vars) => (window.oncelink && window.oncelink.msg ? window.oncelink.msg(id, vars) : id);
  // The words for a clip by its element, and for each state.
  const kinds = { audio: 'js.player.kind.audio', video: 'js.player.kind.video' };
  const states = {
    paused: 'js.player.state.paused',
    playing: 'js.player.state.playing',
    'paused-by-visibility': 'js.player.state.paused_hidden',
    'resume-blocked': 'js.player.state.blocked',
  };
  // cannot says why a play() was refused, in the page's language: the
  // browser's own message is in English whatever the page's, and may
  // carry a web address.
  const reasons = {
    NotAllowedError: 'js.player.cannot.not_allowed',
    NotSupportedError: 'js.player.cannot.not_supported',
  };
  const cannot = (err) => t(reasons[err && err.name] || 'js.player.cannot.stopped');

  function pauseWhenHidden() {
    try {
      return localStorage.getItem(SWITCH_KEY) !== 'off';
    } catch (e) {
      return true;
    }
  }

  function rememberSwitch(on) {
    try {
      localStorage.setItem(SWITCH_KEY, on ? 'on' : 'off');
    } catch (e) {
      // Storage can be off (private mode, quota): the switch still works for this page.
    }
  }

  function session(fn) {
    try {
      return fn(sessionStorage);
    } catch (e) {
      return null;
    }
  }

  // fingerprint names a clip in sessionStorage by a hash of its URL rather
  // than the URL itself, which for a shared link holds its token.
  function fingerprint(s) {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
    }
    return h.toString(36);
  }

  // say has screen readers told what a player did by itself (paused,
  // resumed, could not resume), through the page's one polite live region.
  // The activity lists are not live regions: each player logs every change
  // of the tab, and the idle ones would speak up to say they did nothing.
  // What the players say at one moment is said at once.
  let saying = [];
  function say(text) {
    if (saying.length === 0) {
      setTimeout(() => {
        const region = document.getElementById('announcer');
        if (region) region.textContent = saying.join(' ');
        saying = [];
      }, 0);
    }
    saying.push(text);
  }

  const pad = (n) => String(n).padStart(2, '0');
  const clock = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  function timecode(seconds) {
    const s = Math.floor(seconds || 0);
    return `${Math.floor(s / 60)}:${pad(s % 60)}`;
  }

  class Player {
    constructor(root, media) {
      this.root = root;
      this.media = media;
      // kind is the word for the clip in the activity list: the page's own
      // (data-noun), else the element's.
      this.kind = root.dataset.noun || t(kinds[media.tagName.toLowerCase()]);
      this.part = (name) => root.querySelector(`[data-part="${name}"]`);
      this.toggle = this.part('switch');
      this.list = this.part('activity');
      this.empty = this.part('activity-empty');
      this.notice = this.part('notice');
      // pausedByUs is true while the media is paused because the tab is hidden.
      this.pausedByUs = false;
      // blocked is true while the browser refuses to resume without a gesture.
      this.blocked = false;
      this.savedAt = 0;
      this.restored = false;
    }

    start() {
      const m = this.media;
      m.addEventListener('play', () => {
        this.pausedByUs = false;
        this.blocked = false;
        this.showNotice(false);
        this.setMetadata();
        this.update();
      });
      m.addEventListener('pause', () => {
        this.savePosition();
        this.update();
      });
      m.addEventListener('ended', () => this.savePosition());
      m.addEventListener('timeupdate', () => {
        if (Date.now() - this.savedAt > 1000) this.savePosition();
      });
      m.addEventListener('loadedmetadata', () => this.restorePosition());
      if (m.readyState >= HTMLMediaElement.HAVE_METADATA) this.restorePosition();
      // Closing the picture-in-picture window of a hidden tab leaves nothing
      // on screen, so the video is paused as if the tab had just been hidden.
      m.addEventListener('leavepictureinpicture', () => {
        if (document.hidden && !m.paused && this.toggle.checked) this.pause(t('js.player.why.pip_closed'));
      });

      this.toggle.checked = pauseWhenHidden();
      this.toggle.addEventListener('change', () => {
        const on = this.toggle.checked;
        rememberSwitch(on);
        players.forEach((p) => { p.toggle.checked = on; });
        this.log('switch', on ? t('js.player.switch_on') : t('js.player.switch_off'));
      });
      this.part('resume').addEventListener('click', () => {
        m.play().then(
          () => this.log('resume', t('js.player.resumed', { kind: this.kind, time: timecode(m.currentTime) }), true),
          (err) => this.log('resume', t('js.player.not_resumed', { error: cannot(err) }), true));
      });

      this.part('extras').hidden = false;
      this.update();
      this.root.dataset.enhanced = '';
    }

    update() {
      let state = 'paused';
      if (!this.media.paused) state = 'playing';
      else if (this.blocked) state = 'resume-blocked';
      else if (this.pausedByUs) state = 'paused-by-visibility';
      this.root.dataset.state = state;
      const label = this.part('state') || this.root.querySelector('.player-state');
      if (label) label.textContent = t(states[state]);
    }

    pause(why) {
      this.pausedByUs = true;
      this.media.pause();
      this.update();
      this.log('hidden', t('js.player.paused', { why, kind: this.kind, time: timecode(this.media.currentTime) }), true);
    }

    hidden() {
      const m = this.media;
      if (m.paused) {
        this.log('hidden', t('js.player.hidden_idle'));
      } else if (!this.toggle.checked) {
        this.log('hidden', t('js.player.hidden_kept', { kind: this.kind }));
      } else if (document.pictureInPictureElement === m) {
        this.log('hidden', t('js.player.hidden_pip'));
      } else {
        this.pause(t('js.player.why.tab_hidden'));
      }
    }

    visible() {
      const m = this.media;
      if (this.pausedByUs || this.blocked) {
        this.resume(t('js.player.why.tab_visible'));
      } else if (!m.paused) {
        this.log('visible', t('js.player.visible_playing', { kind: this.kind }));
      } else if (m.currentTime > 0 && !m.ended) {
        this.log('visible', t('js.player.visible_paused', { kind: this.kind }));
      } else {
        this.log('visible', t('js.player.visible_idle'));
      }
    }

    resume(why) {
      const m = this.media;
      this.pausedByUs = false;
      m.play().then(
        () => this.log('visible', t('js.player.why_resumed', { why, kind: this.kind, time: timecode(m.currentTime) }), true),
        (err) => {
          if (err.name === 'AbortError') return; // hidden again before it started: pause() took over
          if (err.name === 'NotAllowedError') {
            this.blocked = true;
            this.showNotice(true);
            this.update();
            this.log('visible', t('js.player.why_blocked', { why, kind: this.kind }), true);
            return;
          }
          this.update();
          this.log('visible', t('js.player.why_not_resumed', { why, error: cannot(err) }), true);
        });
    }

    showNotice(on) {
      // Its Resume button, pressed from the keyboard, goes with it: the
      // focus goes to the clip it resumed rather than fall to the page's
      // start.
      const held = !on && this.notice.contains(document.activeElement);
      this.notice.hidden = !on;
      if (held) this.media.focus();
    }

    setMetadata() {
      if (!('mediaSession' in navigator) || typeof window.MediaMetadata !== 'function') return;
      const d = this.root.dataset;
      navigator.mediaSession.metadata = new MediaMetadata({
        title: d.title || '',
        artist: d.artist || '',
        album: 'oncelink',
      });
    }

    positionKey() {
      const m = this.media;
      const source = m.querySelector('source');
      return POSITION_KEY + fingerprint(m.currentSrc || m.src || (source ? source.src : ''));
    }

    savePosition() {
      const m = this.media;
      const key = this.positionKey();
      this.savedAt = Date.now();
      session((s) => (m.ended || m.currentTime === 0 ? s.removeItem(key) : s.setItem(key, String(m.currentTime))));
    }

    // savedPosition is where the clip was left, from its first whole
    // second on: a moment before that is no place to pick up from, and
    // the activity list, which says whole seconds, would say 0:00.
    savedPosition() {
      const v = parseFloat(session((s) => s.getItem(this.positionKey())));
      return v >= 1 ? v : null;
    }

    restorePosition() {
      if (this.restored) return;
      this.restored = true;
      const m = this.media;
      const at = this.savedPosition();
      if (at === null || m.currentTime > 0.5 || !(at < m.duration - 0.5)) return;
      m.currentTime = at;
      this.log('position', t('js.player.position', { time: timecode(at) }));
    }

    // pageRestored runs when the page comes back from the back/forward
    // cache; some browsers reset or reload media on the way.
    pageRestored() {
      const m = this.media;
      const at = this.savedPosition();
      if (at !== null && Math.abs(m.currentTime - at) > 1) m.currentTime = at;
      this.update();
      this.log('pageshow', t('js.player.restored', { kind: this.kind, time: timecode(m.currentTime) }));
    }

    // log adds text to the activity list, and says it when it is news: what
    // the player did, rather than what it saw.
    log(event, text, news) {
      const now = new Date();
      const item = document.createElement('li');
      item.dataset.event = event;
      const time = document.createElement('time');
      time.dateTime = now.toISOString();
      time.textContent = clock(now);
      item.append(time, ` ${text}`);
      this.list.prepend(item);
      while (this.list.children.length > MAX_ENTRIES) this.list.lastElementChild.remove();
      if (this.empty) this.empty.hidden = true;
      this.part('activity-box').hidden = false;
      if (news) say(text);
    }
  }

  document.querySelectorAll('[data-player]').forEach((root) => {
    const media = root.querySelector('audio, video');
    if (!media || root.hasAttribute('data-enhanced')) return;
    const p = new Player(root, media);
    p.start();
    players.push(p);
  });
  if (players.length === 0) return;

  document.addEventListener('visibilitychange', () => {
    players.forEach((p) => (document.hidden ? p.hidden() : p.visible()));
  });
  window.addEventListener('pagehide', () => players.forEach((p) => p.savePosition()));
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) players.forEach((p) => p.pageRestored());
  });
  window.addEventListener('storage', (e) => {
    if (e.key === SWITCH_KEY) players.forEach((p) => { p.toggle.checked = e.newValue !== 'off'; });
  });
})();
