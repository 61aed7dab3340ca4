// nnbook: glue between the site's own copies of require.js, MathJax 3 and the ipywidgets HTML
// manager (see _config.yml, nb_ipywidgets_js). Loaded after require.js and before embed-amd.js on
// every page that shows widgets. Two jobs:
//  1. Tell the widget manager where its files are. Its bundles are AMD modules named
//     "@jupyter-widgets/html-manager/dist/..." and compute their asset (font) URLs from the module
//     URL, which require.js would otherwise resolve against the page's folder (404s).
//  2. The manager typesets widget labels with the MathJax 2 API (MathJax.Hub.Queue); the site
//     runs MathJax 3, so provide that one call on top of MathJax.typesetPromise.
//  3. Work around a bug in @jupyter-widgets/base 2.x (html-manager 1.0.15, and JupyterLab's
//     manager too): updateTooltip reads `description.length`, so a widget without a description
//     but with a tooltip (e.g. an Image with a tooltip) fails to render ("Could not create a
//     view"). The replacement behaves the same otherwise.
//  4. Alt text for widget images: an Image widget has no alt attribute, so nnlib's figure images
//     carry an extra synced trait `alt` (or, failing that, a tooltip); the image gets it as alt.
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
  function patchWidgetBase() {
    // embed-amd.js defines "@jupyter-widgets/base" by name; require() picks it up from there.
    if (!window.requirejs) return;
    window.requirejs(["@jupyter-widgets/base"], function (base) {
      var proto = base.DOMWidgetView && base.DOMWidgetView.prototype;
      if (!proto || proto.nnbookPatched) return;
      proto.updateTooltip = function () {
        var tooltip = this.model.get("tooltip");
        var description = this.model.get("description");
        if (!tooltip) {
          this.el.removeAttribute("title");
        } else if (!description) {
          this.el.setAttribute("title", tooltip);
        }
        var alt = this.model.get("alt") || tooltip;
        if (this.el.tagName === "IMG" && alt) this.el.setAttribute("alt", alt);
      };
      proto.nnbookPatched = true;
    });
  }

  // MathJax is a deferred script and embed-amd.js (which defines the widget modules) a plain one:
  // both have run by DOMContentLoaded; the manager renders the widgets later, on "load".
  document.addEventListener("DOMContentLoaded", installMathJax2Queue);
  document.addEventListener("DOMContentLoaded", patchWidgetBase);
  window.addEventListener("load", installMathJax2Queue);
})();
