// Sends the page's CSRF token (decision 0025) with every htmx request as the header X-CSRF-Token.
// Loaded as a static file: no inline script (strict Content-Security-Policy).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  }
});
