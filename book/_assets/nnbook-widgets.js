// nnbook: glue between the site's own copies of require.js, MathJax 3 and the ipywidgets HTML
// manager (see _config.yml, nb_ipywidgets_js). Loaded after require.js and before embed-amd.js on
// every page that shows widgets. Two jobs:
//  1. Tell the widget manager where its files are. Its bundles are AMD modules named
//     "@jupyter-widgets/html-manager/dist/..." and compute their asset (font) URLs from the module
//     URL, which require.js would otherwise resolve against the page's folder (404s).
//  2. The manager typesets widget labels with the MathJax 2 API (MathJax.Hub.Queue); the site
//     runs MathJax 3, so provide that one call on top of MathJax.typesetPromise.
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  if (here) {
    var widgets = here.slice(0, here.lastIndexOf("/") + 1) + "widgets";
    window.__jupyter_widgets_assets_path__ = widgets + "/";
    if (window.requirejs) {
      window.requirejs.config({ paths: { "@jupyter-widgets/html-manager/dist": widgets } });
    }
  }

  function installMathJax2Queue() {
    var MJ = window.MathJax;
    if (!MJ || MJ.Hub || !MJ.startup) return;
    MJ.Hub = {
      Queue: function () {
        var elements = [];
        for (var i = 0; i < arguments.length; i++) {
          var job = arguments[i];
          if (Array.isArray(job) && job[0] === "Typeset" && job[2]) elements.push(job[2]);
        }
        if (!elements.length) return;
        MJ.startup.promise
          .then(function () {
            return MJ.typesetPromise(elements);
          })
          .catch(function (err) {
            console.warn("nnbook: could not typeset a widget label", err);
          });
      },
    };
  }
  // MathJax is a deferred script: it has run by DOMContentLoaded, before the manager renders.
  document.addEventListener("DOMContentLoaded", installMathJax2Queue);
  window.addEventListener("load", installMathJax2Queue);
})();
