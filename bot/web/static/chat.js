// The web chat page (bot/web/chat.py). Messages arrive as HTML made safe by the server
// (bot/web/chat_render.py); this script only places them, sends what the visitor types or
// presses, and listens for staff replies (server-sent events). No inline code: the page's
// Content-Security-Policy forbids it.
"use strict";
(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const text = document.getElementById("text");
  const mode = document.getElementById("mode");
  const status = document.getElementById("status");
  let words = JSON.parse(document.body.dataset.words || "{}");
  let toStaff = false;
  let last = 0;
  let source = null;
  let session = null; // the conversation shown (history's "session" tag)
  let inUse = document.getElementById("language").value; // the picker's language in force
  let sending = null; // the typed message on its way: Send is disabled meanwhile
  const sendButton = document.getElementById("send");

  function place(item) {
    const holder = document.createElement("div");
    holder.innerHTML = item.html; // server-escaped (chat_render.py)
    const node = holder.firstElementChild;
    if (!node) return;
    const old = item.id ? log.querySelector('[data-id="' + item.id + '"]') : null;
    if (old) {
      // a copy older than the one shown (the stream's, sent before a 👎 whose answer came
      // first) would take back the change: what is shown stays
      if (Number(node.dataset.rev || 0) < Number(old.dataset.rev || 0)) return;
      redraw(old, node); // a list chosen from, an answer rated
      return;
    }
    log.appendChild(node);
    if (item.id) last = Math.max(last, item.id);
    // a long answer is read from its start; the visitor's own line just comes into view
    node.scrollIntoView({ block: item.role === "visitor" ? "end" : "start" });
  }

  // A message drawn again: only its parts that changed are replaced (the buttons under an
  // answer), so that a screen reader reads out those, not the whole answer again.
  function redraw(old, node) {
    const parts = Array.from(node.children);
    if (old.className !== node.className || old.children.length !== parts.length) {
      old.replaceWith(node);
      return;
    }
    old.lang = node.lang; // the language its labels and buttons are now in
    if (node.dataset.rev) old.dataset.rev = node.dataset.rev;
    parts.forEach(function (part, i) {
      if (old.children[i].isEqualNode(part)) return;
      old.children[i].replaceWith(part);
      // a question asked in it (the reason for a 👎) with its buttons: brought into view,
      // not left below the visible part of the conversation
      if (part.querySelector("[role=group]")) {
        part.scrollIntoView({ block: "nearest", behavior: motion() });
      }
    });
  }

  // Scrolling glides, unless the visitor asked their system for less motion.
  function motion() {
    return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  }

  function setUi(ui) {
    if (!ui) return;
    words = ui.words;
    document.documentElement.lang = ui.lang;
    document.documentElement.dir = ui.dir;
    document.querySelectorAll("[data-word]").forEach(function (el) {
      const w = words[el.dataset.word];
      if (w) el.textContent = w;
    });
    document.querySelectorAll("[data-word-placeholder]").forEach(function (el) {
      el.placeholder = words[el.dataset.wordPlaceholder] || el.placeholder;
    });
    document.querySelectorAll("[data-word-label]").forEach(function (el) {
      el.setAttribute("aria-label", words[el.dataset.wordLabel] || "");
    });
    // the language picked, or "automatic": each message answered in its own
    const picker = document.getElementById("language");
    inUse = ui.chosen || "auto";
    // a language the visitor is passing through with the arrow keys stays shown
    if (document.activeElement !== picker) picker.value = inUse;
  }

  // A notice of the page's own (not stored), e.g. when the server cannot be reached.
  function notice(words_key) {
    const node = document.createElement("div");
    node.className = "msg bot notice";
    node.setAttribute("dir", "auto");
    const p = document.createElement("p");
    p.className = "text";
    p.textContent = words[words_key] || "…";
    node.appendChild(p);
    log.appendChild(node);
    node.scrollIntoView({ block: "start" });
    status.textContent = p.textContent;
  }

  async function post(path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
    } catch (err) {
      notice("web_offline");
      return null;
    }
    let data = {};
    try {
      data = await response.json();
    } catch (err) {
      data = {};
    }
    if (data.session && session && data.session !== session) {
      // Answered in another conversation than the one shown ("Forget me" in another tab
      // gave this browser a new one): show that one, with what was just sent.
      reload();
      return { ok: response.ok, data: data };
    }
    if (data.session) session = data.session;
    const shown = data.messages || [];
    shown.forEach(place);
    setUi(data.ui);
    if (!response.ok && !shown.length) notice("web_offline"); // a proxy's error page
    return { ok: response.ok, data: data };
  }

  // After a button the visitor goes on typing: focus returns to the message box, where a
  // keyboard or screen-reader user can write at once while the log (a live region) reads out
  // what the button brought; left on the button, it would be lost when the button goes (a
  // list chosen from). Not after a tap on a touch screen: there it would open the on-screen
  // keyboard over the answer just asked for.
  function backToTyping(event) {
    if (event.pointerType !== "touch") text.focus({ preventScroll: true });
  }

  // "Talk to a person": the message box says so (its name and placeholder), not "Type your
  // question"; Escape in it, or Cancel, goes back to asking the bot.
  const textLabel = document.getElementById("text-label");
  function setStaffMode(on) {
    toStaff = on;
    mode.hidden = !on;
    const key = on ? "web_staff_mode" : "web_placeholder";
    textLabel.dataset.word = key;
    text.dataset.wordPlaceholder = key;
    textLabel.textContent = words[key] || textLabel.textContent;
    text.placeholder = words[key] || text.placeholder;
    text.focus();
  }

  form.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toStaff) {
      event.preventDefault();
      event.stopPropagation(); // in the widget, the panel stays open
      setStaffMode(false);
    }
  });

  // A fast typist's next message, Enter pressed while the one before is on its way: sent
  // as soon as that one is done, in order, as chat apps do (it stays in the box till then).
  // The same text again (Enter pressed twice) is the message on its way, not a new one.
  let queued = null;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    if (sending) {
      if (value !== sending) queued = { value: value, staff: toStaff };
      return;
    }
    deliver(value, toStaff);
  });

  async function deliver(value, staff) {
    sending = value;
    sendButton.disabled = true;
    let sent = null;
    try {
      sent = await post(staff ? "/chat/act" : "/chat/send",
        staff ? { act: "staff", text: value } : { text: value });
    } finally {
      sending = null;
      sendButton.disabled = false;
    }
    if (sent && sent.ok) {
      // The reply may have come by the stream before this response: what the visitor has
      // typed since is the next message, not this one, and stays.
      if (text.value.trim() === value) text.value = "";
      if (staff) setStaffMode(false);
    }
    text.focus();
    const next = queued;
    queued = null;
    // not after a failure: the page said so, and the text is still in the box
    if (next && sent && sent.ok && text.value.trim() === next.value) {
      deliver(next.value, next.staff);
    }
  }

  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // The buttons whose request is on its way: pressed again meanwhile (a double click), they
  // send nothing more.
  const pressing = new Set();

  log.addEventListener("click", function (event) {
    // "/staff" named in an answer: the "Talk to a person" button's own press
    if (event.target.closest("button[data-opens=staff]")) {
      document.getElementById("staff").click();
      return;
    }
    const el = event.target.closest("button[data-act]");
    if (!el) return;
    backToTyping(event);
    if (el.getAttribute("aria-pressed") === "true") return; // chosen already: nothing to send
    const shown = el.dataset.shown && log.querySelector('[data-id="' + el.dataset.shown + '"]');
    if (shown) {
      // a "See also" entry opened already: its answer is brought into view, not asked again
      shown.scrollIntoView({ block: "start" });
      return;
    }
    const body = Object.assign({}, el.dataset);
    const key = JSON.stringify(body);
    if (pressing.has(key)) return;
    pressing.add(key);
    post("/chat/act", body).finally(function () {
      pressing.delete(key);
    });
  });

  document.getElementById("topics").addEventListener("click", function (event) {
    backToTyping(event);
    post("/chat/act", { act: "topics" });
  });
  document.getElementById("staff").addEventListener("click", function () {
    setStaffMode(true);
    status.textContent = words.web_staff_prompt || "";
  });
  document.getElementById("cancel").addEventListener("click", function () {
    setStaffMode(false);
  });
  // The language picker. Picked with the mouse (or from its opened list), a language applies
  // at once. A closed <select> also changes on every arrow key (Chromium fires `change` each
  // time): a keyboard user passing through languages would switch the page at each one, so
  // there a language applies only when confirmed, with Enter or by leaving the picker;
  // Escape puts back the one in use (WCAG 3.2.2, on input).
  const picker = document.getElementById("language");
  let browsing = false; // the coming `change` is an arrow key's (or a letter's) in the closed picker
  let asking = null; // the language asked for, until the answer comes
  function applyLanguage() {
    const lang = picker.value;
    if (lang === inUse || lang === asking) return;
    asking = lang;
    post("/chat/act", { act: "language", lang: lang }).finally(function () {
      asking = null;
    });
  }
  picker.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      applyLanguage();
    } else if (event.key === "Escape" && picker.value !== inUse) {
      event.stopPropagation(); // the widget's panel stays open
      picker.value = inUse;
    } else if (!event.altKey && !event.ctrlKey && !event.metaKey && event.key !== "Tab") {
      browsing = true;
      setTimeout(function () { browsing = false; }, 0); // its `change` comes before this
    }
  });
  picker.addEventListener("pointerdown", function () { browsing = false; });
  picker.addEventListener("change", function () {
    if (!browsing) applyLanguage();
  });
  picker.addEventListener("blur", applyLanguage);
  document.getElementById("forget").addEventListener("click", async function () {
    if (!window.confirm(words.web_forget_confirm || "?")) return;
    const embed = document.body.classList.contains("embed");
    const done = await post("/chat/forget", { embed: embed });
    if (done && done.data.forgotten) {
      // A new, empty conversation goes on under the new session the answer set.
      if (source) source.close();
      const said = log.lastElementChild;
      log.replaceChildren();
      if (said) log.appendChild(said);
      last = 0;
      session = null; // the next reply names it
      listen();
    }
  });

  // Inside the widget's panel, Escape asks the centre's page to close it.
  if (document.body.classList.contains("embed") && window.parent !== window) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") window.parent.postMessage({ faqChat: "close" }, "*");
    });
  }

  function listen() {
    source = new EventSource("/chat/events?after=" + last);
    source.onmessage = function (event) {
      place(JSON.parse(event.data));
    };
  }

  function reload() {
    if (source) source.close();
    log.replaceChildren();
    last = 0;
    fetch("/chat/messages", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        session = data.session || null;
        (data.messages || []).forEach(place);
        setUi(data.ui);
        listen();
      });
  }

  reload();
})();
