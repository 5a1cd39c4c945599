// The web chat widget: one <script src="https://BOT-HOST/widget.js" defer></script> on the
// centre's site adds a button that opens the chat (BOT-HOST/chat?embed=1) in a panel.
// It runs only on the origins listed in [web] chat_origins; the chat page itself refuses to
// be framed anywhere else (Content-Security-Policy frame-ancestors). Served by
// bot/web/chat.py, which fills in the origins and the words.
(function () {
  "use strict";
  var origins = __ORIGINS__;
  var words = __WORDS__;
  if (origins.indexOf(window.location.origin) < 0) {
    if (window.console) window.console.warn("chat widget: " + window.location.origin + " is not in [web] chat_origins");
    return;
  }
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/widget.js", window.location.href).origin;
  var lang = (navigator.language || "en").toLowerCase().split("-")[0];
  var say = words[lang] || words.en || { open: "Chat", close: "Close" };

  function start() {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "\uD83D\uDCAC " + say.open;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "faq-chat-panel");
    var s = button.style;
    s.position = "fixed"; s.bottom = "16px"; s.right = "16px"; s.zIndex = "2147483000";
    s.padding = "12px 18px"; s.border = "0"; s.borderRadius = "24px"; s.cursor = "pointer";
    s.background = "#1f4e79"; s.color = "#fff"; s.font = "16px system-ui, sans-serif";
    s.boxShadow = "0 2px 8px rgba(0,0,0,.3)";

    var panel = document.createElement("div");
    panel.id = "faq-chat-panel";
    panel.hidden = true;
    var p = panel.style;
    p.position = "fixed"; p.bottom = "76px"; p.right = "16px"; p.zIndex = "2147483000";
    p.width = "min(400px, calc(100vw - 32px))"; p.height = "min(600px, calc(100vh - 100px))";
    p.boxShadow = "0 4px 16px rgba(0,0,0,.3)"; p.borderRadius = "8px"; p.overflow = "hidden";
    p.background = "#fff";

    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00D7";
    close.setAttribute("aria-label", say.close);
    var c = close.style;
    c.position = "absolute"; c.top = "6px"; c.right = "8px"; c.border = "0"; c.zIndex = "1";
    c.background = "transparent"; c.color = "#fff"; c.font = "22px system-ui, sans-serif"; c.cursor = "pointer";

    var frame = null;
    function toggle(open) {
      if (open && !frame) {
        frame = document.createElement("iframe");
        frame.src = base + "/chat?embed=1";
        frame.title = say.open;
        frame.style.width = "100%"; frame.style.height = "100%"; frame.style.border = "0";
        panel.appendChild(frame);
      }
      panel.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) frame.focus(); else button.focus();
    }
    button.addEventListener("click", function () { toggle(panel.hidden); });
    close.addEventListener("click", function () { toggle(false); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !panel.hidden) toggle(false);
    });
    window.addEventListener("message", function (e) {
      if (e.origin === base && e.data && e.data.faqChat === "close" && !panel.hidden) toggle(false);
    });
    panel.appendChild(close);
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
