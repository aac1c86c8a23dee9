// Names the claim search's combobox after its <label>: select2 (Django admin's autocomplete) replaces the <select> the
// label points to with elements of its own that carry no name, so a screen reader announced an unnamed combobox.
(function () {
  function name() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const label = document.querySelector('label[for="' + select.id + '"]');
      const box = select.nextElementSibling && select.nextElementSibling.querySelector(".select2-selection");
      if (!label || !box) return;
      box.setAttribute("aria-label", label.textContent.trim());
      const shown = box.querySelector(".select2-selection__rendered");
      if (shown) shown.setAttribute("aria-label", label.textContent.trim());
    });
  }
  // Django's autocomplete.js sets select2 up in a jQuery "ready" handler, which jQuery runs asynchronously; one
  // queued after it (this script comes after autocomplete.js) runs once the elements exist.
  if (window.django && window.django.jQuery) window.django.jQuery(name);
})();
