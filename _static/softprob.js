/* Display equations that are wider than their column (Jupyter Book loads every .js file in the
 * root _static/ on every page; the styles are in _static/softprob.css).
 *
 * On screen: MathJax 3.2 cannot break a display equation, so a wide one scrolls inside its own
 * box. Such boxes get the classes softprob-more-right / softprob-more-left while part of the
 * equation is hidden on that side; the stylesheet fades that edge, so the reader sees that the
 * equation goes on.
 *
 * On paper: before printing, the page switches to the light colour mode (ink on white, whatever
 * mode the screen is in) and an equation wider than the printed column is scaled down to fit (its
 * font size); both are restored afterwards. _ext/print_book.py calls window.softprobFitEquations()
 * itself, with the print layout in place, before it prints the whole book.
 */
(function () {
  "use strict";
  var DISPLAY = "div.math mjx-container[display='true']";

  function mark(el) {
    var hidden = el.scrollWidth - el.clientWidth;
    el.classList.toggle("softprob-more-right", hidden > 1 && el.scrollLeft < hidden - 1);
    el.classList.toggle("softprob-more-left", hidden > 1 && el.scrollLeft > 1);
  }

  function markAll() {
    document.querySelectorAll(DISPLAY).forEach(function (el) {
      if (!el.dataset.softprobWatched) {
        el.dataset.softprobWatched = "1";
        el.addEventListener("scroll", function () { mark(el); }, { passive: true });
      }
      mark(el);
    });
  }

  function fitEquations() {
    var changed = 0;
    document.querySelectorAll(DISPLAY).forEach(function (el) {
      if (el.dataset.softprobFontSize === undefined) {
        el.dataset.softprobFontSize = el.style.fontSize || "";
      }
      el.style.fontSize = el.dataset.softprobFontSize;
      var box = el.parentElement.getBoundingClientRect().width;
      var eqno = el.parentElement.querySelector(":scope > span.eqno");
      var room = box - (eqno ? eqno.getBoundingClientRect().width : 0);
      var need = el.scrollWidth;
      if (room > 0 && need > room + 1) {
        var size = parseFloat(window.getComputedStyle(el).fontSize);
        el.style.fontSize = (size * room / need * 0.98).toFixed(2) + "px";
        changed += 1;
      }
    });
    return changed;
  }

  function unfitEquations() {
    document.querySelectorAll(DISPLAY).forEach(function (el) {
      if (el.dataset.softprobFontSize !== undefined) {
        el.style.fontSize = el.dataset.softprobFontSize;
        delete el.dataset.softprobFontSize;
      }
    });
    markAll();
  }

  var screenTheme = null;

  function beforePrint() {
    var root = document.documentElement;
    if (root.dataset.theme && root.dataset.theme !== "light") {
      screenTheme = root.dataset.theme;
      root.dataset.theme = "light";
    }
    fitEquations();
  }

  function afterPrint() {
    if (screenTheme !== null) {
      document.documentElement.dataset.theme = screenTheme;
      screenTheme = null;
    }
    unfitEquations();
  }

  window.softprobFitEquations = fitEquations;
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  window.addEventListener("resize", markAll, { passive: true });
  window.addEventListener("load", function () {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      mj.startup.promise.then(markAll);
    } else {
      markAll();
    }
  });
})();
