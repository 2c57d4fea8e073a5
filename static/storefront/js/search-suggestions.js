/* Progressive enhancement: search-as-you-type suggestions for the site search box.
   The box is a plain search form; this script adds a <datalist> filled from the API's
   suggestions endpoint (named by the input's data-suggestions-url) a moment after the
   shopper stops typing. Without it, or when a request fails, the form works as before. */
(function () {
  "use strict";
  var input = document.getElementById("site-search");
  var endpoint = input && input.getAttribute("data-suggestions-url");
  if (!endpoint || !window.fetch || !("list" in input)) {
    return;
  }
  var MIN_LENGTH = 2;
  var MAX_LENGTH = 100; // longer is a 400 from the API
  var DELAY_MS = 200;

  var list = document.createElement("datalist");
  list.id = "site-search-suggestions";
  input.insertAdjacentElement("afterend", list);
  input.setAttribute("list", list.id);

  var answers = {}; // query → suggestions, for the life of the page
  var timer = null;
  var pending = null; // the AbortController of the request in flight

  function show(query, suggestions) {
    if (input.value.trim() !== query) {
      return; // typed on since
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    suggestions.forEach(function (suggestion) {
      var option = document.createElement("option");
      option.value = suggestion.text;
      if (suggestion.kind === "category") {
        option.label = "Category";
      }
      list.appendChild(option);
    });
  }

  function suggest() {
    var query = input.value.trim();
    if (query.length < MIN_LENGTH || query.length > MAX_LENGTH) {
      show(query, []);
      return;
    }
    if (Object.prototype.hasOwnProperty.call(answers, query)) {
      show(query, answers[query]);
      return;
    }
    if (pending) {
      pending.abort();
    }
    pending = window.AbortController ? new AbortController() : null;
    fetch(endpoint + "?" + new URLSearchParams({ q: query }).toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: pending ? pending.signal : undefined,
    })
      .then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      })
      .then(function (body) {
        answers[query] = body.suggestions || [];
        show(query, answers[query]);
      })
      .catch(function () {
        /* aborted, offline or throttled: no suggestions this time */
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, DELAY_MS);
  });
})();
