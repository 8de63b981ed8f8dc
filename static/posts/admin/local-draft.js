/*
 * A local copy of the post body, in this browser, so that a crash, a closed tab or an
 * expired session loses nothing.
 *
 * - Each keystroke in the body (markdownx's textarea) stores {text, savedAt} in
 *   localStorage under the post's id, or "new" on the add form.
 * - Submitting the form remembers (sessionStorage, this tab only) which copy it was; when
 *   the next page carries the admin's success message, the save went through and the copy
 *   is dropped. A page with errors (a stale form, a missing field) keeps it.
 * - Opening the form while a stored copy differs from the body shows "Restore unsaved text
 *   from <time>?" with Restore and Discard.
 *
 * No inline script: loaded as a file through the post admin's Media, as the site's
 * Content-Security-Policy (script-src 'self') requires.
 */
(function () {
  "use strict";

  var PREFIX = "foundation-news:post-body:";
  var PENDING = PREFIX + "pending-save";

  function t(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  function storageKey() {
    var match = window.location.pathname.match(/\/(\d+)\/change\/$/);
    return PREFIX + (match ? match[1] : "new");
  }

  function readCopy(key) {
    try {
      var copy = JSON.parse(window.localStorage.getItem(key));
      return copy && typeof copy.text === "string" ? copy : null;
    } catch (error) {
      return null;
    }
  }

  function writeCopy(key, text) {
    try {
      window.localStorage.setItem(key, JSON.stringify({ text: text, savedAt: Date.now() }));
    } catch (error) {
      /* storage full or disabled: the editor keeps working without a copy */
    }
  }

  function forgetSavedCopy() {
    var pending = window.sessionStorage.getItem(PENDING);
    if (!pending) {
      return;
    }
    window.sessionStorage.removeItem(PENDING);
    if (document.querySelector(".messagelist .success")) {
      window.localStorage.removeItem(pending);
    }
  }

  function setBody(textarea, text) {
    textarea.value = text;
    // markdownx refreshes its preview on these.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function offerRestore(textarea, key, copy) {
    var notice = document.createElement("div");
    notice.className = "local-draft-notice";
    notice.setAttribute("role", "alert");

    var message = document.createElement("p");
    var when = new Date(copy.savedAt).toLocaleString();
    message.textContent = window.interpolate
      ? window.interpolate(t("Restore unsaved text from %(time)s?"), { time: when }, true)
      : "Restore unsaved text from " + when + "?";

    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button local-draft-restore";
    restore.textContent = t("Restore");
    restore.addEventListener("click", function () {
      setBody(textarea, copy.text);
      notice.remove();
      textarea.focus();
    });

    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button local-draft-discard";
    discard.textContent = t("Discard");
    discard.addEventListener("click", function () {
      window.localStorage.removeItem(key);
      notice.remove();
    });

    notice.append(message, restore, discard);
    // First in markdownx's grid, across both columns (editor and preview).
    var widget = textarea.closest(".markdownx");
    if (widget) {
      widget.insertBefore(notice, widget.firstChild);
    } else {
      textarea.parentNode.insertBefore(notice, textarea);
    }
  }

  function start() {
    forgetSavedCopy();
    var form = document.getElementById("post_form");
    var textarea = form && form.querySelector("textarea[name='body']");
    if (!textarea) {
      return; // the changelist, or a read-only view
    }
    var key = storageKey();
    var copy = readCopy(key);
    if (copy && copy.text !== textarea.value) {
      offerRestore(textarea, key, copy);
    } else if (copy && !document.querySelector(".errornote")) {
      window.localStorage.removeItem(key); // already saved
    }
    textarea.addEventListener("input", function () {
      writeCopy(key, textarea.value);
    });
    form.addEventListener("submit", function () {
      window.sessionStorage.setItem(PENDING, key);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
