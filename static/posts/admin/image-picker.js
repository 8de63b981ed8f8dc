/*
 * The body editor's image picker (posts/admin_picker.py, dialog in
 * templates/admin/posts/post/image_picker.html).
 *
 * - "Insert image from the library", beside the Markdown editor, opens a modal <dialog>:
 *   search the library, page through it, insert an image, or upload a new one.
 * - The chosen image's Markdown (alt text, caption and credit included, made by the server)
 *   goes in at the cursor of the body, as a paragraph of its own; an "input" event then lets
 *   markdownx refresh its preview and the local copy (local-draft.js) store the text.
 * - An image dropped on the editor arrives without alt text: a note above the editor says
 *   so, and its "Describe it" opens the dialog, which asks for the alt text (and caption,
 *   credit) and replaces the Markdown markdownx inserted (![](url)) by the described one.
 *   "Not now" leaves it, and the pre-publish check names it.
 * - Keyboard: the dialog is modal (the page behind is inert), Escape closes it, focus goes
 *   to the search box on opening and back to the editor (or the button) on closing.
 *
 * No inline script: loaded as a file through the post admin's Media, as the site's
 * Content-Security-Policy (script-src 'self') requires.
 */
(function () {
  "use strict";

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function insertBlock(textarea, markdown, start, end) {
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    var prefix = "";
    if (before && !/\n\n$/.test(before)) {
      prefix = /\n$/.test(before) ? "\n" : "\n\n";
    }
    var suffix = "\n\n";
    if (/^\n\n/.test(after)) {
      suffix = "";
    } else if (/^\n/.test(after)) {
      suffix = "\n";
    }
    textarea.setRangeText(prefix + markdown + suffix, start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function showErrors(form, errors) {
    var box = form.querySelector("[data-picker-errors]");
    box.textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach(function (field) {
      field.removeAttribute("aria-invalid");
    });
    if (!errors.length) {
      return;
    }
    var list = document.createElement("ul");
    list.className = "errorlist";
    errors.forEach(function (error) {
      var item = document.createElement("li");
      item.textContent = error.label ? error.label + ": " + error.message : error.message;
      list.appendChild(item);
      var field = form.elements[error.field];
      if (field && field.setAttribute) {
        field.setAttribute("aria-invalid", "true");
      }
    });
    box.appendChild(list);
  }

  function postForm(form, url) {
    return fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form), "X-Requested-With": "XMLHttpRequest" },
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return { errors: [{ message: response.status + " " + response.statusText }] };
        })
        .then(function (data) {
          return { ok: response.ok, data: data };
        });
    });
  }

  function setUp(dialog) {
    var textarea = document.querySelector("textarea.markdownx-editor[name=body]");
    var opener = document.querySelector("[data-image-picker-opener]");
    if (!textarea || !opener || typeof dialog.showModal !== "function") {
      return;
    }
    var editor = textarea.closest(".markdownx") || textarea;
    if (editor !== textarea) {
      editor.insertBefore(opener, editor.firstChild); // a row of its own above both panes
    } else {
      editor.parentNode.insertBefore(opener, editor);
    }
    opener.hidden = false;
    var openButton = opener.querySelector("button");

    var library = dialog.querySelector("[data-picker-library]");
    var results = dialog.querySelector("[data-picker-results]");
    var search = dialog.querySelector("[data-picker-search]");
    var upload = dialog.querySelector("[data-picker-upload]");
    var uploadForm = dialog.querySelector("[data-picker-upload-form]");
    var describe = dialog.querySelector("[data-picker-describe]");
    var describeForm = dialog.querySelector("[data-picker-describe-form]");
    var selection = { start: textarea.value.length, end: textarea.value.length };
    var describing = null; // {url, replace}: the image being described
    var inserted = false;
    var returnTo = null; // what had the focus before the dialog opened
    var listRequest = 0;

    function load(page) {
      var params = new URLSearchParams({ q: search.elements.q.value });
      if (page) {
        params.set("page", page);
      }
      var request = ++listRequest;
      results.setAttribute("aria-busy", "true");
      return fetch(dialog.dataset.listUrl + "?" + params.toString(), {
        credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest" },
      })
        .then(function (response) {
          return response.text().then(function (html) {
            return { ok: response.ok, status: response.status, html: html };
          });
        })
        .then(function (answer) {
          if (request !== listRequest) {
            return; // a later search has been sent
          }
          results.removeAttribute("aria-busy");
          if (answer.ok) {
            results.innerHTML = answer.html; // the server's escaped, translated fragment
          } else {
            results.textContent = answer.status;
          }
        });
    }

    function showLibrary() {
      describing = null;
      describe.hidden = true;
      library.hidden = false;
      if (upload) {
        upload.hidden = false;
      }
    }

    function open(mode) {
      selection = { start: textarea.selectionStart, end: textarea.selectionEnd };
      inserted = false;
      if (!dialog.open) {
        dialog.showModal();
      }
      if (mode === "library") {
        showLibrary();
        load().then(function () {
          search.elements.q.focus();
        });
        search.elements.q.focus();
      }
    }

    function insert(markdown) {
      if (describing && describing.note) {
        describing.note.remove();
      }
      if (describing && describing.replace && textarea.value.indexOf(describing.replace) !== -1) {
        var at = textarea.value.indexOf(describing.replace);
        textarea.setRangeText(markdown, at, at + describing.replace.length, "end");
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      } else {
        insertBlock(textarea, markdown, selection.start, selection.end);
      }
      inserted = true;
      dialog.close();
    }

    function startDescribing(image) {
      describing = image;
      describeForm.reset();
      showErrors(describeForm, []);
      describeForm.action = image.describeUrl;
      dialog.querySelector("[data-picker-describe-preview]").src = image.url;
      dialog.querySelector("[data-picker-describe-name]").textContent = image.title || "";
      library.hidden = true;
      if (upload) {
        upload.hidden = true;
      }
      describe.hidden = false;
      describeForm.elements.alt_text.focus();
    }

    openButton.addEventListener("click", function () {
      returnTo = openButton;
      open("library");
    });

    dialog.addEventListener("close", function () {
      showLibrary();
      if (inserted) {
        textarea.focus();
      } else if (returnTo && returnTo.isConnected) {
        returnTo.focus();
      } else {
        openButton.focus();
      }
    });

    dialog.querySelector("[data-picker-close]").addEventListener("click", function () {
      dialog.close();
    });

    search.addEventListener("submit", function (event) {
      event.preventDefault();
      load();
    });
    var typing = null;
    search.elements.q.addEventListener("input", function () {
      window.clearTimeout(typing);
      typing = window.setTimeout(load, 250);
    });

    results.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) {
        return;
      }
      if (button.hasAttribute("data-picker-page")) {
        load(button.getAttribute("data-picker-page")).then(function () {
          var first = results.querySelector("button");
          (first || search.elements.q).focus();
        });
      } else if (button.hasAttribute("data-picker-insert")) {
        insert(button.getAttribute("data-markdown"));
      } else if (button.hasAttribute("data-picker-describe-start")) {
        startDescribing({
          describeUrl: button.getAttribute("data-describe-url"),
          url: button.getAttribute("data-url"),
          title: button.getAttribute("data-title"),
          replace: null,
        });
      }
    });

    if (uploadForm) {
      var fileInput = uploadForm.elements.file;
      fileInput.addEventListener("change", function () {
        var title = uploadForm.elements.title;
        if (fileInput.files.length && !title.value) {
          title.value = fileInput.files[0].name.replace(/\.[^.]*$/, "");
        }
      });
      uploadForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = uploadForm.querySelector("button[type=submit]");
        button.disabled = true;
        postForm(uploadForm, uploadForm.action)
          .then(function (answer) {
            if (answer.ok) {
              uploadForm.reset();
              showErrors(uploadForm, []);
              upload.open = false;
              insert(answer.data.image.markdown);
            } else {
              showErrors(uploadForm, answer.data.errors || []);
            }
          })
          .finally(function () {
            button.disabled = false;
          });
      });
    }

    describeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      postForm(describeForm, describeForm.action).then(function (answer) {
        if (answer.ok) {
          insert(answer.data.image.markdown);
        } else {
          showErrors(describeForm, answer.data.errors || []);
        }
      });
    });
    dialog.querySelector("[data-picker-describe-cancel]").addEventListener("click", function () {
      if (describing && describing.replace) {
        dialog.close(); // the dropped image stays as it is, flagged by the pre-publish check
      } else {
        showLibrary();
        search.elements.q.focus();
      }
    });

    // An image dropped on the editor: markdownx inserted ![](url). A note above the editor
    // (not a dialog: the editor may be in the middle of a sentence) offers to describe it.
    var pending = opener.querySelector("[data-picker-pending]");
    var pendingTemplate = opener.querySelector("[data-picker-pending-template]");
    if (editor !== textarea) {
      editor.addEventListener("markdownx.fileUploadEnd", function (event) {
        var response = event.detail && event.detail[0];
        var image = response && response.image;
        if (!image || !image.describe_url) {
          return;
        }
        var note = pendingTemplate.content.firstElementChild.cloneNode(true);
        note.querySelector("[data-pending-title]").textContent = image.title;
        var describeButton = note.querySelector("[data-pending-describe]");
        describeButton.addEventListener("click", function () {
          returnTo = describeButton;
          selection = { start: textarea.selectionStart, end: textarea.selectionEnd };
          inserted = false;
          dialog.showModal();
          startDescribing({
            describeUrl: image.describe_url,
            url: image.url,
            title: image.title,
            replace: response.image_code,
            note: note,
          });
        });
        pending.appendChild(note);
      });
    }
  }

  function init() {
    var dialog = document.getElementById("image-picker");
    if (dialog) {
      setUp(dialog);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
