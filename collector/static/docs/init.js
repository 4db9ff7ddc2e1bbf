// Starts Swagger UI on the API reference page. A file of its own, not an
// inline script: the page's CSP allows scripts from the app only.
(function () {
  var element = document.getElementById("swagger");
  window.SwaggerUIBundle({
    url: element.getAttribute("data-spec"),
    domNode: element,
    deepLinking: true,
    // Keys stay in this tab's memory; a reload forgets them.
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
})();
