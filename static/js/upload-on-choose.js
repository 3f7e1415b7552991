// A photo is sent as soon as it is chosen (forms marked data-upload-on-choose): nothing else on the page waits
// on it, so no later validation error can drop it. The form's own button stays for browsers without script.
document.querySelectorAll("form[data-upload-on-choose] input[type=file]").forEach(function (input) {
  input.addEventListener("change", function () {
    if (!input.files.length) return;
    var form = input.form;
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    form.classList.add("uploading");
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
});
