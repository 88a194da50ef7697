// Starts Swagger UI with the config the server put on the page. A file, not an inline script,
// so that the page's Content-Security-Policy can forbid inline code.
(function () {
  var config = JSON.parse(document.getElementById("swagger-ui").dataset.config);
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset];
  config.plugins = [SwaggerUIBundle.plugins.DownloadUrl];
  window.ui = SwaggerUIBundle(config);
})();
