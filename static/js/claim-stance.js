// The review screen's "…or another claim": when the editor picks a claim by searching its words, its stance is the
// clause's stance toward that claim's wording, judged on the server as each suggestion's is (the candidate's stance
// endpoint), and shown in "its stance" at once. A stance the editor chose by hand is left as it is. Without this script
// the blank choice ("judged against the claim") is judged when the form is saved.
(function () {
  function setUp($) {
    const claim = document.getElementById("id_other_claim");
    const stance = document.getElementById("id_other_stance");
    const note = document.getElementById("other-stance-note");
    if (!claim || !stance || !stance.dataset.stanceUrl) return;
    let chosenByHand = false;
    let asked = 0;
    stance.addEventListener("change", function () {
      chosenByHand = true;
      if (note) note.textContent = "";
    });
    // select2 announces a pick through jQuery's "change" on the <select> it replaces.
    $(claim).on("change", function () {
      const id = claim.value;
      const ask = ++asked;
      if (chosenByHand) return;
      if (!/^\d+$/.test(id)) {
        stance.value = "";
        if (note) note.textContent = "";
        return;
      }
      fetch(stance.dataset.stanceUrl + "?claim=" + id, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (judged) {
          if (!judged || ask !== asked || chosenByHand) return;
          stance.value = judged.stance;
          if (note) note.textContent = "(the extractor’s guess toward this claim)";
        })
        .catch(function () { /* the blank choice is judged when the form is saved */ });
    });
  }
  if (window.django && window.django.jQuery) window.django.jQuery(function () { setUp(window.django.jQuery); });
})();
