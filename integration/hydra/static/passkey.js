// passkey.js: WebAuthn for the Biometric Passkey sign-in, enrollment and
// recovery pages, and the identity-check progress page. The CSP forbids
// inline script, so the pages hand over their inputs in data-* attributes:
// #login[data-login-challenge] on the sign-in page,
// #enroll[data-enrollment-token] on the enrollment page,
// #recover[data-login-challenge] on the recovery page, and
// #verify[data-pending, data-redirect-to, data-refused, data-ceremony] on the
// progress page (/verify). The journey's token is an HttpOnly cookie: this
// script never sees it.
//
// Server API (see /api/openapi.yaml): begin returns {ceremony_id,
// public_key, expires_at}, where public_key is the publicKey member of the
// options for navigator.credentials.get()/create() in its JSON form
// (binary values base64url); finish takes {ceremony_id, credential} with the
// credential as PublicKeyCredential.toJSON() gives it. Errors are
// {error, message}; message is safe to show.
(() => {
  'use strict';

  const byId = (id) => document.getElementById(id);
  const statusEl = byId('status');

  // ---- status and progress -------------------------------------------------

  function sentence(text) {
    const s = String(text || '').trim();
    if (!s) return s;
    const first = s.charAt(0).toUpperCase() + s.slice(1);
    return /[.!?…]$/.test(first) ? first : first + '.';
  }

  function setStatus(text, kind) {
    if (!statusEl) return;
    statusEl.textContent = text || '';
    statusEl.className = kind ? 'status ' + kind : 'status';
  }

  function setBusy(section, busy) {
    section.setAttribute('aria-busy', busy ? 'true' : 'false');
    section.querySelectorAll('button, input').forEach((el) => {
      el.disabled = busy;
    });
  }

  // ---- base64url (RFC 4648 §5, no padding) -----------------------------------

  function fromB64url(s) {
    const b64 = String(s).replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buf) {
    const bytes = ArrayBuffer.isView(buf)
      ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
      : new Uint8Array(buf);
    let bin = '';
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // ---- options in, credentials out ------------------------------------------

  const withId = (list) =>
    Array.isArray(list) ? list.map((c) => Object.assign({}, c, { id: fromB64url(c.id) })) : list;

  // parseOptions turns the server's JSON options into what
  // navigator.credentials.get()/create() take: with the browser's own
  // parser (WebAuthn L3 parse*OptionsFromJSON) where it has one that
  // accepts them, else with manual, which decodes the binary members.
  function parseOptions(native, json, manual) {
    if (typeof native === 'function') {
      try {
        return native.call(PublicKeyCredential, json);
      } catch (e) {
        // Fall back to the manual conversion.
      }
    }
    return manual(json);
  }

  const requestOptions = (json) =>
    parseOptions(PublicKeyCredential.parseRequestOptionsFromJSON, json, (j) =>
      Object.assign({}, j, { challenge: fromB64url(j.challenge), allowCredentials: withId(j.allowCredentials) }));

  const creationOptions = (json) =>
    parseOptions(PublicKeyCredential.parseCreationOptionsFromJSON, json, (j) =>
      Object.assign({}, j, {
        challenge: fromB64url(j.challenge),
        user: Object.assign({}, j.user, { id: fromB64url(j.user.id) }),
        excludeCredentials: withId(j.excludeCredentials),
      }));

  // credentialJSON serialises a PublicKeyCredential the way toJSON() does
  // (WebAuthn L3 §5.1.9), by hand where toJSON is missing or broken.
  function credentialJSON(cred) {
    if (typeof cred.toJSON === 'function') {
      try {
        return cred.toJSON();
      } catch (e) {
        // Some authenticator extensions return objects toJSON rejects.
      }
    }
    const r = cred.response;
    const out = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: typeof cred.getClientExtensionResults === 'function' ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (typeof r.getTransports === 'function') out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    return out;
  }

  // ---- server calls -----------------------------------------------------------

  function serverError(body, status) {
    const err = new Error(sentence((body && body.message) || 'Something went wrong on our side. Please try again.'));
    err.name = 'ServerError';
    err.body = body || {};
    err.status = status;
    return err;
  }

  // postJSON posts body to a path relative to this page and returns the
  // parsed answer, or throws a ServerError carrying the server's message.
  async function postJSON(path, body) {
    let res;
    try {
      res = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      throw serverError({ message: 'The server could not be reached. Check your connection and try again.' });
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (!res.ok || !data) throw serverError(data, res.status);
    return data;
  }

  // ---- messages -----------------------------------------------------------------

  // explain turns a failure into text for the user. kind is 'sign-in' or
  // 'registration'. WebAuthn errors are DOMExceptions named in WebAuthn L3
  // §5.1.3/§5.1.4; browsers use NotAllowedError for cancel and timeout alike.
  function explain(err, kind) {
    if (err && err.name === 'ServerError') return err.message;
    switch (err && err.name) {
      case 'NotAllowedError':
      case 'AbortError':
        return kind === 'registration'
          ? 'Registration was cancelled or timed out. Try again.'
          : 'Sign-in was cancelled or timed out. Try again.';
      case 'InvalidStateError':
        return kind === 'registration'
          ? 'This device already has a passkey for this account. Sign in with it instead.'
          : 'This passkey cannot be used here. Try another passkey or device.';
      case 'NotSupportedError':
        return 'This device does not support the kind of passkey this site needs. Try another device or browser.';
      case 'SecurityError':
        return 'Passkeys cannot be used at this address. Check that you opened the right website over a secure connection.';
      case 'ConstraintError':
        return 'This device cannot verify you. Set up a screen lock, fingerprint or face unlock, then try again.';
      case 'TypeError':
        return 'This browser did not understand the passkey request. Update your browser and try again.';
      default:
        return 'Something went wrong with your passkey. Try again.';
    }
  }

  // supported reports whether this browser can use passkeys at all, and
  // says why not on the page when it cannot.
  function supported(section) {
    let why = '';
    if (window.isSecureContext === false) {
      why = 'Passkeys need a secure (HTTPS) connection. Open this page over HTTPS and try again.';
    } else if (!window.PublicKeyCredential || !navigator.credentials || typeof navigator.credentials.get !== 'function') {
      why = 'This browser has no passkey support. Open this page in an up-to-date browser such as Chrome, Edge, Firefox or Safari.';
    }
    if (why) {
      setBusy(section, true);
      setStatus(why, 'error');
      return false;
    }
    return true;
  }

  // ---- pages --------------------------------------------------------------------

  function initLogin(section) {
    const challenge = section.dataset.loginChallenge;
    const username = byId('username');

    // signIn runs one ceremony; the disabled controls keep a second one
    // from starting meanwhile.
    async function signIn(name) {
      setBusy(section, true);
      setStatus('Getting ready…', 'progress');
      try {
        const begin = await postJSON('api/v1/login/begin', name ? { login_challenge: challenge, username: name } : { login_challenge: challenge });
        setStatus('Follow your browser’s prompt to use your passkey…', 'progress');
        const cred = await navigator.credentials.get({ publicKey: requestOptions(begin.public_key) });
        setStatus('Checking your passkey…', 'progress');
        const done = await postJSON('api/v1/login/finish', { ceremony_id: begin.ceremony_id, credential: credentialJSON(cred) });
        if (done.error) {
          setStatus(sentence(done.message) + ' Returning to the application…', 'error');
        } else if (done.identity_check) {
          setStatus('Passkey accepted. Next, confirm it’s you…', 'success');
        } else {
          setStatus('Signed in. Continuing…', 'success');
        }
        location.assign(done.redirect_to);
        return; // stay busy while the browser navigates
      } catch (err) {
        if (err.body && err.body.redirect_to) {
          // Hydra is done with this login (already handled, or refused):
          // continue where it says, so the application learns the outcome.
          setStatus(err.body.error === 'challenge_unknown'
            ? 'This sign-in was already completed. Continuing…'
            : err.message + ' Returning to the application…', 'error');
          location.assign(err.body.redirect_to);
          return;
        }
        setStatus(explain(err, 'sign-in'), 'error');
      }
      setBusy(section, false);
    }

    byId('passkey-signin').addEventListener('click', () => signIn(''));
    byId('username-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const name = username.value.trim();
      if (!name) {
        setStatus('Enter your username, or sign in with a passkey without one.', 'error');
        username.focus();
        return;
      }
      signIn(name);
    });
  }

  function initEnroll(section) {
    const token = section.dataset.enrollmentToken;
    const button = byId('enroll-button');
    const result = byId('enroll-result');
    const link = byId('return-link');

    function showRegistered(done) {
      const pending = 'Passkey registered. Biometric reference: pending — identity check not set up yet.';
      const text = done.status === 'enrolled' ? 'Passkey registered. Your enrollment is complete.'
        : done.status === 'biometric_pending' ? pending : 'Passkey registered.';
      setStatus(text, 'success');
      button.hidden = true;
      let url = null;
      try {
        url = done.return_url ? new URL(done.return_url) : null;
      } catch (e) {
        url = null;
      }
      if (url && (url.protocol === 'https:' || url.protocol === 'http:')) {
        link.href = url.href;
        link.hidden = false;
        result.hidden = false;
        link.focus();
      }
    }

    button.addEventListener('click', async () => {
      setBusy(section, true);
      setStatus('Getting ready…', 'progress');
      try {
        const begin = await postJSON('api/v1/enroll/begin', { token: token });
        setStatus('Follow your browser’s prompt to create your passkey…', 'progress');
        const cred = await navigator.credentials.create({ publicKey: creationOptions(begin.public_key) });
        setStatus('Saving your passkey…', 'progress');
        const done = await postJSON('api/v1/enroll/finish', { ceremony_id: begin.ceremony_id, credential: credentialJSON(cred) });
        if (done.redirect_to) {
          // The enrollment's identity check has started: on to the progress page.
          setStatus('Passkey registered. Next, verify your identity…', 'success');
          location.assign(done.redirect_to);
          return; // stay busy while the browser navigates
        }
        showRegistered(done);
      } catch (err) {
        setStatus(explain(err, 'registration'), 'error');
      }
      setBusy(section, false);
    });
  }

  // safeURL returns url when it is an absolute http(s) URL, else null
  // (also for a missing one: new URL would resolve "undefined").
  function safeURL(url) {
    if (typeof url !== 'string' || !url) return null;
    try {
      const u = new URL(url);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  // showLink reveals a link to url, if it is a safe one.
  function showLink(link, url, text) {
    const href = safeURL(url);
    if (!link || !href) return false;
    link.href = href;
    if (text) link.textContent = text;
    link.hidden = false;
    return true;
  }

  // initRecover: "Lost your device?" starts a recovery for the login and
  // moves on to the progress page; the server sets the journey cookie.
  function initRecover(section) {
    const challenge = section.dataset.loginChallenge;
    const username = byId('recovery-username');
    byId('recovery-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const name = username.value.trim();
      if (!name) {
        setStatus('Enter your username to recover your account.', 'error');
        username.focus();
        return;
      }
      setBusy(section, true);
      setStatus('Starting your recovery…', 'progress');
      try {
        const done = await postJSON('api/v1/recovery/begin', { login_challenge: challenge, username: name });
        setStatus('Next, verify your identity…', 'progress');
        location.assign(done.redirect_to);
        return;
      } catch (err) {
        if (err.body && err.body.redirect_to) {
          setStatus(err.message + ' Returning to the application…', 'error');
          location.assign(err.body.redirect_to);
          return;
        }
        setStatus(explain(err, 'recovery'), 'error');
      }
      setBusy(section, false);
    });
  }

  // initVerify runs the progress page: while the check is pending it polls
  // the continue endpoint every 2 s (doubling up to 30 s after errors);
  // once the journey is final it follows the login's redirect, offers the
  // replacement passkey (recovery), or links back to the application.
  // Without JavaScript the page's "Check again" form does the same.
  function initVerify(section) {
    const form = byId('verify-form');
    const capture = byId('verify-capture');
    const start = byId('verify-start');
    const create = byId('recovery-create');
    const cont = byId('continue-link');
    const back = byId('return-link');
    const base = 2000;
    const maxDelay = 30000;
    let delay = base;

    function recoverPasskey(ceremony) {
      if (!supported(section)) return;
      create.addEventListener('click', async () => {
        setBusy(section, true);
        setStatus('Follow your browser’s prompt to create your new passkey…', 'progress');
        try {
          const cred = await navigator.credentials.create({ publicKey: creationOptions(ceremony.public_key) });
          setStatus('Saving your passkey…', 'progress');
          const done = await postJSON('api/v1/enroll/finish', { ceremony_id: ceremony.ceremony_id, credential: credentialJSON(cred) });
          create.hidden = true;
          const replaced = done.replaced ? ' Your old passkeys no longer work.' : '';
          if (done.redirect_to) {
            setStatus(done.error
              ? sentence(done.message) + ' Returning to the application…'
              : 'Your new passkey is ready.' + replaced + ' Continuing…', done.error ? 'error' : 'success');
            showLink(cont, done.redirect_to, done.error ? 'Return to the application' : 'Continue');
            location.assign(done.redirect_to);
            return;
          }
          setStatus('Your new passkey is ready.' + replaced, 'success');
          if (showLink(back, done.return_url)) back.focus();
        } catch (err) {
          setStatus(explain(err, 'registration'), 'error');
        }
        setBusy(section, false);
      });
      create.hidden = false;
      create.focus();
    }

    // final shows the end of the journey: st = {ok, message, redirectTo,
    // refused, returnUrl, ceremony}.
    function final(st) {
      section.dataset.pending = 'false';
      const purpose = byId('verify-purpose');
      if (purpose) purpose.hidden = true; // it explains what is still to do
      if (form) form.hidden = true;
      if (capture) capture.hidden = true;
      if (st.message) setStatus(sentence(st.message), st.ok ? 'success' : 'error');
      if (st.ceremony) {
        recoverPasskey(st.ceremony);
        return;
      }
      if (st.redirectTo && showLink(cont, st.redirectTo, st.refused ? 'Return to the application' : 'Continue')) {
        // A refusal stays on screen for a moment so that it can be read.
        const href = cont.href;
        setTimeout(() => location.assign(href), st.refused ? 4000 : 0);
        return;
      }
      if (showLink(back, st.returnUrl)) back.focus();
    }

    async function poll() {
      let p;
      try {
        p = await postJSON('api/v1/identity-check/continue', {});
      } catch (err) {
        const over = err.status >= 400 && err.status < 500 && err.status !== 429 && err.status !== 408;
        if (over) {
          // The journey is over or unknown: nothing more to wait for.
          final({ ok: false, message: err.message, redirectTo: err.body && err.body.redirect_to, refused: true });
          return;
        }
        // Unreachable, busy (503) or rate-limited (429): keep waiting, slower.
        delay = Math.min(delay * 2, maxDelay);
        setStatus((err.status ? err.message : 'We could not reach the server.') + ' Trying again…', 'progress');
        setTimeout(poll, delay);
        return;
      }
      delay = base;
      if (p.status === 'pending') {
        setStatus(sentence(p.message) || 'Waiting for your identity check…', 'progress');
        const url = p.identity_check && safeURL(p.identity_check.capture_url);
        if (start && url) start.href = url;
        setTimeout(poll, delay);
        return;
      }
      final({
        ok: p.status === 'passed' && !p.error,
        message: p.message,
        redirectTo: p.redirect_to,
        refused: !!p.error || p.status !== 'passed',
        returnUrl: p.return_url,
        ceremony: p.ceremony,
      });
    }

    if (section.dataset.pending === 'true') {
      // Polling replaces the no-script "Check again" button; Cancel stays a
      // form post (with its CSRF token).
      const check = byId('verify-check');
      if (check) check.hidden = true;
      setTimeout(poll, delay);
      return;
    }
    let ceremony = null;
    if (section.dataset.ceremony) {
      try {
        ceremony = JSON.parse(section.dataset.ceremony);
      } catch (e) {
        ceremony = null;
      }
    }
    final({ ok: !section.dataset.refused, redirectTo: section.dataset.redirectTo, refused: !!section.dataset.refused, ceremony: ceremony });
  }

  const login = byId('login');
  const enroll = byId('enroll');
  const recover = byId('recover');
  const verify = byId('verify');
  if (verify) initVerify(verify); // polling needs no WebAuthn; the passkey step checks itself
  const section = login || enroll || recover;
  if (section && supported(section)) {
    if (login) initLogin(login);
    if (enroll) initEnroll(enroll);
    if (recover) initRecover(recover);
  }

  // Coming back with the Back button restores a page frozen mid-ceremony.
  window.addEventListener('pageshow', (ev) => {
    if (ev.persisted && section) {
      setBusy(section, false);
      setStatus('', '');
    }
  });
})();
