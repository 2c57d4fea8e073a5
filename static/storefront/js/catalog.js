/* Progressive enhancement of catalog pages (everything works without it):
   - the filters' disclosure is kept open on wide screens;
   - the filter form applies a facet as soon as it is ticked, and leaves blank fields out of
     the URL, so a filtered list is a short, shareable address and the back button undoes it;
   - the product page offers one choice per variant-defining attribute (colour, size…) instead
     of the list of variants, marks values that do not go with the other choices, and only
     ever selects a combination that exists. */
(function () {
  "use strict";

  // The filters' disclosure stays open on wide screens, also where CSS cannot force it, and
  // after the filters' own submit: a shopper narrowing a list step by step keeps it open.
  var panel = document.getElementById("filters-panel");
  var KEEP_OPEN = "emporium:filters-open";
  function remember(open) {
    try {
      if (open) {
        window.sessionStorage.setItem(KEEP_OPEN, "1");
      } else {
        window.sessionStorage.removeItem(KEEP_OPEN);
      }
    } catch (error) {
      // Storage refused (private mode): the disclosure simply starts closed.
    }
  }
  if (panel) {
    try {
      panel.open = panel.open || window.sessionStorage.getItem(KEEP_OPEN) === "1";
    } catch (error) {
      // as above
    }
    remember(false);
    if (window.matchMedia) {
      var wide = window.matchMedia("(min-width: 48rem)");
      var follow = function () {
        if (wide.matches) {
          panel.open = true;
        }
      };
      follow();
      wide.addEventListener("change", follow);
    }
  }

  var filters = document.getElementById("filters");
  if (filters) {
    filters.addEventListener("change", function (event) {
      if (event.target.closest("[data-facet]") && event.target.type !== "number") {
        filters.requestSubmit ? filters.requestSubmit() : filters.submit();
      }
    });
    filters.addEventListener("submit", function () {
      remember(true);
      Array.prototype.forEach.call(filters.elements, function (element) {
        if (element.name && element.value === "" && element.type !== "submit") {
          element.disabled = true;
        }
      });
    });
    // Coming back through the history: the form shows the filters of the list on screen
    // (the ones the server rendered), not what the browser remembers typing, and is usable.
    // Not on a first visit: what a shopper types before the page has loaded stays.
    window.addEventListener("pageshow", function (event) {
      var entries = window.performance && performance.getEntriesByType
        ? performance.getEntriesByType("navigation") : [];
      var back = entries.length > 0 && entries[0].type !== "navigate";
      if (!event.persisted && !back) {
        return;
      }
      filters.reset();
      Array.prototype.forEach.call(filters.elements, function (element) {
        element.disabled = element.dataset.disabled === "true";
      });
    });
    Array.prototype.forEach.call(filters.elements, function (element) {
      element.dataset.disabled = String(element.disabled);
    });
  }

  // The price at the top of a product page is the chosen variant's, with its stock, not the
  // "from" price of the cheapest (which stays for whoever has not chosen, or runs no script).
  var headline = document.getElementById("product-price");
  var stockNote = document.getElementById("product-stock");
  function showVariant(input) {
    var label = input && document.querySelector('label[for="' + input.id + '"]');
    if (!headline || !label) {
      return;
    }
    headline.textContent = label.querySelector(".amount").textContent;
    if (stockNote) {
      stockNote.textContent = label.querySelector(".stock").textContent;
    }
  }
  document.querySelectorAll('input[name="sku"]').forEach(function (input) {
    input.addEventListener("change", function () { showVariant(input); });
  });
  showVariant(document.querySelector('input[name="sku"]:checked'));

  var picker = document.getElementById("variant-picker");
  var data = document.getElementById("variant-data");
  if (!picker || !data) {
    return;
  }
  var variants = JSON.parse(data.textContent);
  var groups = Array.prototype.slice.call(picker.querySelectorAll("[data-attribute]"));
  var list = document.querySelector(".variants");
  var status = document.getElementById("picked-variant");
  var button = document.getElementById("add-to-cart");

  function chosen() {
    var picked = {};
    groups.forEach(function (group) {
      var input = group.querySelector("input:checked");
      if (input) {
        picked[group.dataset.attribute] = input.value;
      }
    });
    return picked;
  }

  function matches(variant, picked, except) {
    return Object.keys(picked).every(function (slug) {
      return slug === except || variant.attributes[slug] === picked[slug];
    });
  }

  function pick(variant) {
    Object.keys(variant.attributes).forEach(function (slug) {
      var input = document.getElementById("pick-" + slug + "-" + variant.attributes[slug]);
      if (input) {
        input.checked = true;
      }
    });
  }

  // A value that makes no existing variant with the other choices moves them to the closest
  // variant that has it (one in stock first, then the one sharing most choices): a
  // combination that does not exist is never selected.
  function settle(changed) {
    var picked = chosen();
    if (variants.some(function (v) { return matches(v, picked, null); })) {
      return;
    }
    var slug = changed.name.slice("pick-".length);
    var candidates = variants.filter(function (v) {
      return v.attributes[slug] === changed.value;
    });
    function score(v) {
      var shared = Object.keys(picked).filter(function (key) {
        return v.attributes[key] === picked[key];
      }).length;
      return (v.in_stock ? 100 : 0) + shared;
    }
    candidates.sort(function (a, b) { return score(b) - score(a); });
    if (candidates.length) {
      pick(candidates[0]);
    }
  }

  function update() {
    var picked = chosen();
    groups.forEach(function (group) {
      var slug = group.dataset.attribute;
      group.querySelectorAll("input").forEach(function (input) {
        var fits = variants.some(function (variant) {
          return variant.attributes[slug] === input.value && matches(variant, picked, slug);
        });
        var label = group.querySelector('label[for="' + input.id + '"]');
        label.classList.toggle("unavailable", !fits);
        label.title = fits ? "" : "Not available with your other choices";
      });
    });
    var complete = groups.every(function (group) {
      return picked[group.dataset.attribute] !== undefined;
    });
    var variant = complete
      ? variants.find(function (v) { return matches(v, picked, null); })
      : null;
    var radio = variant ? document.getElementById("variant-" + variant.sku) : null;
    document.querySelectorAll('input[name="sku"]').forEach(function (input) {
      input.checked = radio !== null && input === radio;
    });
    if (!variant) {
      status.textContent = "Choose " + groups.filter(function (group) {
        return picked[group.dataset.attribute] === undefined;
      }).map(function (group) {
        return group.querySelector("legend").textContent.toLowerCase();
      }).join(" and ") + ".";
      button.disabled = true;
      return;
    }
    showVariant(radio);
    status.textContent = variant.name + ": " + variant.price + " " + variant.currency +
      (variant.in_stock ? ", in stock." : ", out of stock.");
    button.disabled = !variant.in_stock;
  }

  // Start from the variant the server chose (the first in stock), if any.
  var initial = document.querySelector('input[name="sku"]:checked');
  var start = initial && variants.find(function (v) { return v.sku === initial.value; });
  if (start) {
    pick(start);
  }
  picker.hidden = false;
  if (list) {
    list.hidden = true;
  }
  picker.addEventListener("change", function (event) {
    settle(event.target);
    update();
  });
  update();
})();
