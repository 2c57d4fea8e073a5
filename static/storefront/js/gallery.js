/* Progressive enhancement of the product gallery: one main picture, swapped by the thumbnails
   and by the variant picked (when it has its own picture). Without this script every picture
   is in a scrollable strip and the thumbnails are links to them. */
(function () {
  "use strict";
  var gallery = document.getElementById("gallery");
  if (!gallery) {
    return;
  }
  var slides = Array.prototype.slice.call(gallery.querySelectorAll(".gallery-slide"));
  var thumbs = Array.prototype.slice.call(gallery.querySelectorAll(".gallery-thumb"));
  if (slides.length < 2) {
    return;
  }

  function show(imageId) {
    var found = slides.some(function (slide) {
      return slide.getAttribute("data-image-id") === imageId;
    });
    if (!found) {
      return false;
    }
    slides.forEach(function (slide) {
      slide.hidden = slide.getAttribute("data-image-id") !== imageId;
    });
    thumbs.forEach(function (thumb) {
      if (thumb.getAttribute("data-image-id") === imageId) {
        thumb.setAttribute("aria-current", "true");
      } else {
        thumb.removeAttribute("aria-current");
      }
    });
    return true;
  }

  gallery.classList.add("gallery-enhanced");
  var fromHash = window.location.hash.replace(/^#image-/, "");
  if (!show(fromHash)) {
    show(slides[0].getAttribute("data-image-id"));
  }

  thumbs.forEach(function (thumb) {
    thumb.addEventListener("click", function (event) {
      if (show(thumb.getAttribute("data-image-id"))) {
        event.preventDefault();
      }
    });
  });

  // The picked variant's own picture comes first. The picker may set the SKU radio itself,
  // so look at it once the change has been handled.
  var form = document.getElementById("add-to-cart-form");
  if (form) {
    form.addEventListener("change", function () {
      window.setTimeout(function () {
        var picked = form.querySelector('input[name="sku"]:checked');
        var imageId = picked && picked.getAttribute("data-image-id");
        if (imageId) {
          show(imageId);
        }
      }, 0);
    });
  }
})();
