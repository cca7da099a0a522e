// 我的证照: the 亮证 countdown, and the authorization form showing only the chosen grantee's
// fields. The pages work without it: the server states the expiry time and takes every field.
(function () {
  "use strict";

  function countdown(card) {
    var left = parseInt(card.getAttribute("data-seconds"), 10) || 0;
    var deadline = Date.now() + left * 1000;
    var label = card.querySelector("[data-countdown-left]");
    var expired = card.querySelector("[data-countdown-expired]");
    function tick() {
      var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(seconds / 60);
      label.textContent = (minutes ? minutes + " 分 " : "") + (seconds % 60) + " 秒";
      if (seconds === 0) {
        card.classList.add("is-expired");
        expired.hidden = false;
        return;
      }
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  function granteeForm(form) {
    function update() {
      var chosen = form.querySelector("input[name=grantee_kind]:checked");
      form.querySelectorAll("[data-grantee]").forEach(function (part) {
        part.hidden = chosen !== null && part.getAttribute("data-grantee") !== chosen.value;
      });
    }
    form.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-countdown]").forEach(countdown);
    document.querySelectorAll("[data-grantee-form]").forEach(granteeForm);
  });
})();
