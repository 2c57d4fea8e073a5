// The back office's additions to the Django admin's scripts.
"use strict";

// A table of inline rows wider than the screen scrolls sideways: let the keyboard reach it
// (focus, then the arrow keys scroll it), and name it by its heading for screen readers.
function reachScrollingInlines() {
  document.querySelectorAll(".inline-group").forEach((group) => {
    if (group.scrollWidth <= group.clientWidth) return;
    group.tabIndex = 0;
    const heading = group.querySelector("h2");
    if (heading) {
      heading.id ||= `${group.id}-heading`;
      group.setAttribute("role", "region");
      group.setAttribute("aria-labelledby", heading.id);
    }
  });
}

document.addEventListener("DOMContentLoaded", reachScrollingInlines);
