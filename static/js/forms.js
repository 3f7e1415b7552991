/* Field forms that never lose work (no inline scripts: the CSP allows only files like this one).
 *
 * - Photo pickers ([data-photo-picker]): each chosen photo uploads at once to the pending-photo upload; its id goes
 *   into a hidden "<name>_pending" field and its thumbnail is shown, so the photo survives any validation error.
 *   A photo that cannot be uploaded now (no connection) stays in the file field and goes with the form.
 * - Drafts (form[data-draft]): what is typed, ticked and uploaded is kept in localStorage as it changes, and put
 *   back when the page is opened again (a reload, a lost connection). The draft keeps the form's Idempotency key,
 *   so sending it again after a lost connection does the work once. It is dropped once the server has the form
 *   (the page after it lists the sent keys in <meta name="sent-forms">).
 * - A checklist's 不合格 opens its finding; the first field marked invalid is scrolled to and focused.
 */
(function () {
  "use strict";
  var PREFIX = "portal-draft:";

  function storage() {
    try { var s = window.localStorage; s.setItem(PREFIX + "probe", "1"); s.removeItem(PREFIX + "probe"); return s; }
    catch (e) { return null; }  // private mode, or storage refused: the forms still work, without drafts
  }
  var store = storage();

  function readDraft(key) {
    if (!store) return null;
    try { return JSON.parse(store.getItem(PREFIX + key) || "null"); } catch (e) { return null; }
  }
  function writeDraft(key, draft) {
    if (!store) return;
    try { store.setItem(PREFIX + key, JSON.stringify(draft)); } catch (e) { /* full: keep working without */ }
  }

  /* --- drafts --- */

  function isPending(el) { return el.type === "hidden" && /_pending$/.test(el.name); }

  function snapshot(form) {
    var fields = [], checked = [], photos = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "file" || el.type === "submit") return;
      if (isPending(el)) {
        var img = el.closest("[data-pending-photo]").querySelector("img");
        photos.push([el.name, el.value, img ? img.getAttribute("src") : ""]);
      } else if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) checked.push([el.name, el.value]);
      } else {
        fields.push([el.name, el.value]);
      }
    });
    return { fields: fields, checked: checked, photos: photos, at: Date.now() };
  }

  function restore(form, draft) {
    var seen = {};
    (draft.fields || []).forEach(function (pair) {
      var same = form.querySelectorAll("[name='" + CSS.escape(pair[0]) + "']:not([type=radio]):not([type=checkbox]):not([type=file])");
      var index = seen[pair[0]] || 0;
      seen[pair[0]] = index + 1;
      if (same[index]) same[index].value = pair[1];
    });
    var ticked = {};
    (draft.checked || []).forEach(function (pair) { ticked[pair[0] + "\u0000" + pair[1]] = true; });
    form.querySelectorAll("input[type=radio], input[type=checkbox]").forEach(function (el) {
      el.checked = !!ticked[el.name + "\u0000" + el.value];
    });
    (draft.photos || []).forEach(function (photo) {
      var input = form.querySelector("input[type=file][name='" + CSS.escape(photo[0].replace(/_pending$/, "")) + "']");
      var picker = input && input.closest("[data-photo-picker]");
      if (picker && !form.querySelector("input[name='" + CSS.escape(photo[0]) + "'][value='" + CSS.escape(photo[1]) + "']")) {
        addPhoto(picker, photo[0], photo[1], photo[2]);
      }
    });
  }

  function sentKeys() {
    var meta = document.querySelector("meta[name=sent-forms]");
    return meta ? meta.getAttribute("content").split(/\s+/).filter(Boolean) : [];
  }

  function dropSentDrafts() {
    if (!store) return;
    var sent = sentKeys();
    if (!sent.length) return;
    for (var i = store.length - 1; i >= 0; i--) {
      var name = store.key(i);
      if (!name || name.indexOf(PREFIX) !== 0) continue;
      var draft = readDraft(name.slice(PREFIX.length));
      var key = draft && (draft.fields || []).filter(function (p) { return p[0] === "idempotency_key"; })[0];
      if (key && sent.indexOf(key[1]) !== -1) store.removeItem(name);
    }
  }

  function setUpDraft(form) {
    var key = form.getAttribute("data-draft");
    var draft = readDraft(key);
    if (draft && !form.hasAttribute("data-draft-bound")) {
      restore(form, draft);
      var note = form.getAttribute("data-draft-restored");
      if (note) {
        var alert = document.createElement("div");
        alert.className = "alert alert-info small";
        alert.setAttribute("data-testid", "draft-restored");
        alert.textContent = note;
        form.insertBefore(alert, form.firstChild);
      }
    }
    var save = function () { writeDraft(key, snapshot(form)); };
    if (draft) save();  // a form shown again with its errors: keep what the server has as the draft
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("photos-changed", save);
    form.addEventListener("submit", save);
  }

  /* --- photo pickers --- */

  function addPhoto(picker, name, id, src) {
    var figure = document.createElement("figure");
    figure.className = "pending-photo m-0";
    figure.setAttribute("data-pending-photo", "");
    var img = document.createElement("img");
    img.src = src;
    img.alt = "";
    img.width = 96;
    img.height = 72;
    img.className = "rounded border object-fit-cover";
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = name;
    hidden.value = id;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-sm btn-light pending-photo-remove";
    remove.setAttribute("aria-label", picker.getAttribute("data-remove-label") || "×");
    remove.textContent = "×";
    figure.appendChild(img);
    figure.appendChild(hidden);
    figure.appendChild(remove);
    picker.querySelector("[data-photo-list]").appendChild(figure);
  }

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function upload(picker, input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    var form = input.form;
    var status = picker.querySelector("[data-photo-error]");
    var name = input.name + "_pending";
    var kept = [];  // files that could not be sent now: they stay in the field and go with the form
    var refused = [];  // files the upload refused: they stay too, so sending the form shows its error at the field
    var messages = [];
    status.textContent = picker.getAttribute("data-uploading") || "";
    picker.setAttribute("aria-busy", "true");
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () {
        var body = new FormData();
        body.append("photo", file);
        return fetch(picker.getAttribute("data-upload-url"), {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
        }).then(function (response) {
          return response.json().then(function (data) {
            if (response.ok) {
              addPhoto(picker, name, String(data.id), data.thumbnail_url);
            } else {
              refused.push(file);
              messages.push(((data.errors || [])[0] || {}).detail || response.statusText);
            }
          });
        }).catch(function () {
          kept.push(file);
        });
      });
    });
    chain.then(function () {
      var remaining = new DataTransfer();
      kept.concat(refused).forEach(function (file) { remaining.items.add(file); });
      input.files = remaining.files;
      if (kept.length) messages.push(picker.getAttribute("data-failed") || "");
      status.textContent = messages.join(" ");
      input.classList.toggle("is-invalid", messages.length > 0);
      picker.removeAttribute("aria-busy");
      if (form) form.dispatchEvent(new Event("photos-changed"));
    });
  }

  function setUpPicker(picker) {
    var input = picker.querySelector("input[type=file]");
    input.addEventListener("change", function () { upload(picker, input); });
    picker.addEventListener("click", function (event) {
      var button = event.target.closest(".pending-photo-remove");
      if (!button) return;
      button.closest("[data-pending-photo]").remove();
      if (input.form) input.form.dispatchEvent(new Event("photos-changed"));
    });
    picker.querySelectorAll("[data-pending-photo]").forEach(function (figure) {
      if (figure.querySelector(".pending-photo-remove")) return;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-sm btn-light pending-photo-remove";
      remove.setAttribute("aria-label", picker.getAttribute("data-remove-label") || "×");
      remove.textContent = "×";
      figure.appendChild(remove);
    });
  }

  /* --- checklists --- */

  function openFinding(radio) {
    var card = radio.closest(".checklist-item");
    var details = card && card.querySelector("details.finding");
    if (details && radio.checked && radio.hasAttribute("data-opens-finding")) {
      details.open = true;
    }
  }

  function focusFirstInvalid() {
    var first = document.querySelector("form [data-invalid], form .is-invalid");
    if (!first) return;
    var details = first.closest("details") || (first.querySelector && first.querySelector("details.finding"));
    var field = first.matches("input, select, textarea") ? first :
      first.querySelector(".is-invalid, input:not([type=hidden]), select, textarea");
    if (details && field && details.contains(field)) details.open = true;
    first.scrollIntoView({ block: "center", behavior: "instant" });  // not Bootstrap's smooth scroll: there at once
    if (field) field.focus({ preventScroll: true });
  }

  function start() {
    dropSentDrafts();
    document.querySelectorAll("[data-photo-picker]").forEach(setUpPicker);
    document.querySelectorAll("form[data-draft]").forEach(setUpDraft);
    document.addEventListener("change", function (event) {
      if (event.target.matches("input[type=radio]")) openFinding(event.target);
    });
    document.querySelectorAll("input[data-opens-finding]:checked").forEach(openFinding);
    focusFirstInvalid();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
