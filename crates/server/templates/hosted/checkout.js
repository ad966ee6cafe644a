// checkoutd hosted page: optional progressive enhancement. Everything works
// without it: choosing a shipping option and pressing "Update total" posts
// the form, and the server re-renders the totals. With scripts on, choosing
// an option sends that same post at once, and the pay button shows that a
// payment is in flight (the server refuses a second payment either way).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input.name !== "shipping_rate" || !input.form) return;
    var update = document.getElementById("update-total");
    if (!update) return;
    if (input.form.requestSubmit) {
      input.form.requestSubmit(update);
    } else {
      update.click();
    }
  });
  // Back from the merchant's site: a page restored from the back/forward
  // cache may show a checkout that has since been paid; fetch it afresh.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
  document.addEventListener("submit", function (event) {
    var pay = document.getElementById("pay-button");
    if (!pay || event.submitter !== pay) return;
    // After the form data is built, so the button's own value is still sent.
    setTimeout(function () {
      pay.disabled = true;
      pay.textContent = "Processing…";
    }, 0);
  });
})();
