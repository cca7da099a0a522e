/* 一网 portal: progressive enhancement only. Every page works without this file:
   the print button stays hidden (browsers print from their menu) and the region switcher
   is a link to the server-rendered chooser. */
(function () {
  "use strict";

  function enablePrintButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  /* The header's region switcher as a dropdown: browse down the five levels with
     GET /api/regions/<code>, then navigate to /region/?code=… so the server sets the choice. */
  function RegionSwitcher(root) {
    this.root = root;
    this.link = root.querySelector("[data-region-change]");
    this.startCode = root.getAttribute("data-code");
    this.next = window.location.pathname + window.location.search;
    this.build();
  }

  RegionSwitcher.prototype.build = function () {
    var self = this;
    this.button = element("button", {
      type: "button",
      class: "region-change",
      "aria-expanded": "false",
      "aria-controls": "region-panel",
    }, "切换地区");
    this.panel = element("div", {
      id: "region-panel",
      class: "region-panel",
      role: "region",
      "aria-labelledby": "region-panel-title",
    });
    this.panel.hidden = true;
    this.title = element("p", {
      id: "region-panel-title",
      class: "region-panel-title",
      tabindex: "-1",
    }, "选择地区");
    this.crumbs = element("ol", { class: "region-crumbs", "aria-label": "地区层级" });
    this.actions = element("div", { class: "region-panel-actions" });
    this.status = element("p", { class: "region-status", role: "status" });
    this.options = element("ul", { class: "region-options", "aria-label": "下级地区" });
    var close = element("button", { type: "button", class: "button button-plain" }, "关闭");
    close.addEventListener("click", function () {
      self.close(true);
    });
    [this.title, this.crumbs, this.actions, this.status, this.options, close].forEach(
      function (part) {
        self.panel.appendChild(part);
      }
    );
    this.button.addEventListener("click", function () {
      if (self.panel.hidden) {
        self.open();
      } else {
        self.close(false);
      }
    });
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        self.close(true);
      }
    });
    this.link.replaceWith(this.button);
    this.root.appendChild(this.panel);
  };

  RegionSwitcher.prototype.open = function () {
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.load(this.startCode);
    this.title.focus();
  };

  RegionSwitcher.prototype.close = function (returnFocus) {
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (returnFocus) {
      this.button.focus();
    }
  };

  RegionSwitcher.prototype.chooserUrl = function (code) {
    return "/region/choose/?code=" + encodeURIComponent(code) +
      "&next=" + encodeURIComponent(this.next);
  };

  RegionSwitcher.prototype.load = function (code) {
    var self = this;
    this.status.textContent = "正在加载…";
    fetch("/api/regions/" + encodeURIComponent(code), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (region) {
        self.show(region);
      })
      .catch(function () {
        // The server-rendered chooser does the same job without this script.
        window.location.href = self.chooserUrl(code);
      });
  };

  RegionSwitcher.prototype.show = function (region) {
    var self = this;
    this.crumbs.replaceChildren();
    region.path.forEach(function (step) {
      var item = element("li");
      var button = element("button", { type: "button" }, step.name);
      if (step.code === region.code) {
        button.setAttribute("aria-current", "location");
      }
      button.addEventListener("click", function () {
        self.load(step.code);
      });
      item.appendChild(button);
      self.crumbs.appendChild(item);
    });
    var confirm = element("a", {
      class: "button button-primary region-confirm",
      href: "/region/?code=" + encodeURIComponent(region.code) +
        "&next=" + encodeURIComponent(this.next),
    }, "设为当前地区：" + region.name);
    this.actions.replaceChildren(confirm);
    this.options.replaceChildren();
    region.children.forEach(function (child) {
      var item = element("li");
      var button = element("button", { type: "button" }, child.name);
      button.addEventListener("click", function () {
        self.load(child.code);
      });
      item.appendChild(button);
      self.options.appendChild(item);
    });
    this.status.textContent = region.children.length
      ? region.name + "：共 " + region.children.length + " 个下级地区，点击名称继续选择"
      : region.name + " 已是最末一级地区";
    // The clicked button is gone with the old list: keep keyboard users inside the panel.
    this.title.focus();
  };

  /* On a phone the search filters would push the results below the fold: fold them away. */
  function foldOnNarrowScreens() {
    if (!window.matchMedia("(max-width: 45rem)").matches) {
      return;
    }
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (details) {
      details.open = false;
    });
  }

  /* "获取验证码" posts the phone and comes back to the page, which empties what was typed.
     With script, the code is asked for in the background and the answer read out instead. */
  function sendCodesInPlace() {
    document.querySelectorAll("button[data-send-code]").forEach(function (button) {
      var status = document.createElement("p");
      status.className = "field-hint";
      status.setAttribute("role", "status");
      button.insertAdjacentElement("afterend", status);
      button.addEventListener("click", function (event) {
        var form = button.form;
        event.preventDefault();
        var body = new FormData();
        body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
        body.append("phone", form.elements.phone.value);
        fetch(button.formAction, {
          method: "POST",
          body: body,
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) { return response.json(); })
          .then(function (answer) { status.textContent = answer.message; })
          .catch(function () { status.textContent = "验证码发送失败，请稍后再试"; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enablePrintButtons();
    if (window.fetch && window.FormData) {
      sendCodesInPlace();
    }
    foldOnNarrowScreens();
    document.querySelectorAll("[data-region-switcher]").forEach(function (root) {
      if (root.getAttribute("data-code") && window.fetch) {
        new RegionSwitcher(root);
      }
    });
  });
})();
