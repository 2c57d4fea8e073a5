/* Progressive enhancement: add to the cart without leaving the product page, then show what
   the cart holds with links to it and to checkout.
   Without this script (or when fetch fails) the form posts normally and the server redirects. */
(function () {
  "use strict";
  var form = document.getElementById("add-to-cart-form");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("add-to-cart-status");
  var button = document.getElementById("add-to-cart");
  var count = document.getElementById("cart-count");
  // After an add, what the cart now holds and the way to it (the page is not left).
  var miniCart = document.getElementById("mini-cart");
  var miniSummary = document.getElementById("mini-cart-summary");

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    status.textContent = "Adding…";
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (result.ok) {
          status.textContent = result.body.message;
          if (count) {
            count.textContent = String(result.body.item_count);
          }
          if (miniCart && miniSummary) {
            var items = result.body.item_count;
            miniSummary.textContent = "Your cart holds " + items + (items === 1 ? " item." : " items.");
            miniCart.hidden = false;
          }
        } else {
          var errors = result.body.errors || {};
          var lines = [];
          Object.keys(errors).forEach(function (field) {
            lines = lines.concat(errors[field]);
          });
          status.textContent = lines.join(" ") || "This could not be added to the cart.";
        }
      })
      .catch(function () {
        form.submit(); // fall back to the normal post
      })
      .finally(function () {
        button.disabled = false;
      });
  });
})();
