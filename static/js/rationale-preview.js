// Live, server-rendered (sanitized) preview of the Markdown rationale.
(function () {
  const input = document.getElementById("id_rationale");
  const preview = document.getElementById("rationale-preview");
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (!input || !preview || !token) return;
  let timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      const body = new URLSearchParams({text: input.value});
      fetch(preview.dataset.url, {method: "POST", body: body, headers: {"X-CSRFToken": token.value}})
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { preview.innerHTML = html; })
        .catch(function () {});
    }, 300);
  });
})();
