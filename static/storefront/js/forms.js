/* Forms sent back with problems: the summary of them at the top takes the focus, so keyboard
   and screen-reader users start from the list of what to fix (each item links to its field). */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
