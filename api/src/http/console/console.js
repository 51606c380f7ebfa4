// The inbox console: plain JavaScript on the public API, no build step. The key lives in this
// tab's sessionStorage and travels only in the Authorization header (never in a URL). Every
// value from the API is shown with textContent, never as HTML.
"use strict";

const KEY = "whatsapp-service.console.key";
const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem(KEY), selected: null, lastEventId: null, stream: null, agents: [] };

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c);
  return e;
}

function showError(text) { $("error").textContent = text || ""; }

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${state.key}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) {
    const e = (data && data.error) || { code: String(r.status), message: r.statusText };
    throw new Error(`${e.code}: ${e.message}`);
  }
  return data;
}

// Runs an action, showing its error in the header instead of throwing.
async function attempt(f) {
  try { showError(""); return await f(); } catch (e) { showError(e.message); return undefined; }
}

function messageText(m) {
  const c = m.content || {};
  if (c.type === "text") return c.text || "";
  const inner = c[c.type] || {};
  const caption = c.caption || inner.caption || inner.body || inner.title || "";
  return `[${m.messageType || c.type}] ${caption}`.trim();
}

function when(iso) { return iso ? new Date(iso).toLocaleTimeString() : ""; }

// The inbox list.
async function loadConversations() {
  const params = new URLSearchParams({ limit: "50" });
  if ($("filter-state").value) params.set("inboxState", $("filter-state").value);
  const q = $("search").value.trim();
  if (q.length >= 2) params.set("q", q);
  const page = await api("GET", `/api/v1/conversations?${params}`);
  const list = $("conversations");
  list.replaceChildren(...page.conversations.map((c) => {
    const li = el("li", { className: "conv" + (c.id === state.selected ? " selected" : "") });
    li.dataset.id = c.id;
    if (c.unreadCount > 0) li.append(el("span", { className: "unread", textContent: String(c.unreadCount) }));
    li.append(el("strong", { textContent: `+${c.waId}` }), el("br"),
      el("span", { className: "muted", textContent: `${c.inboxState} · ${when(c.lastMessageAt)}${c.assignedAgentId ? " · " + agentName(c.assignedAgentId) : ""}` }));
    li.addEventListener("click", () => { state.selected = c.id; loadConversations(); loadThread(); });
    return li;
  }));
}

function agentName(id) {
  const a = state.agents.find((x) => x.id === id);
  return a ? a.name : "assigned";
}

// One conversation: its messages (oldest first), notes, and the actions.
async function loadThread() {
  const id = state.selected;
  if (!id) return;
  const [detail, notes] = await Promise.all([
    api("GET", `/api/v1/conversations/${id}`),
    api("GET", `/api/v1/conversations/${id}/notes`),
  ]);
  if (id !== state.selected) return;
  const c = detail.conversation;
  $("no-thread").hidden = true;
  $("thread").hidden = false;
  $("thread").dataset.id = id;
  $("thread-who").textContent = `+${c.waId}`;
  $("thread-state").textContent = c.inboxState;
  $("thread-window").textContent = c.window && c.window.isOpen ? "window open" : "window closed: templates only";
  $("close").hidden = c.inboxState === "closed";
  $("pending").hidden = c.inboxState === "pending";
  $("reopen").hidden = c.inboxState !== "closed";
  if (c.assignedAgentId) $("assign-to").value = c.assignedAgentId;
  const messages = [...detail.messages].reverse();
  $("messages").replaceChildren(...messages.map((m) => {
    const li = el("li", { className: `msg ${m.direction}` });
    li.dataset.id = m.id;
    li.dataset.status = m.status;
    const who = m.direction === "outbound" && m.sentBy ? `${m.sentBy.type} · ` : "";
    li.append(el("span", { className: "text", textContent: messageText(m) }),
      el("span", { className: "meta", textContent: `${who}${when(m.timestamp)}${m.direction === "outbound" ? " · " + m.status : ""}` }));
    return li;
  }));
  $("notes").replaceChildren(...notes.items.map((n) =>
    el("li", { textContent: n.body, title: `${n.author} · ${n.createdAt}` })));
  // Blue ticks are the agent's choice, not a side effect of reading: the newest unread customer
  // message is marked read (which marks the earlier ones too).
  const newestIn = detail.messages.find((m) => m.direction === "inbound");
  if (c.unreadCount > 0 && newestIn) {
    await attempt(() => api("POST", `/api/v1/messages/${newestIn.id}/read`));
  }
}

async function loadAgents() {
  const page = await api("GET", "/api/v1/agents?active=true");
  state.agents = page.items;
  $("assign-to").replaceChildren(...page.items.map((a) => el("option", { value: a.id, textContent: `${a.name} (${a.status})` })));
}

// The sandbox plays the customer: shown only when the service runs one.
async function loadCustomerPanel() {
  const probe = await fetch("/sandbox/outbox");
  if (!probe.ok) return;
  const accounts = await api("GET", "/api/v1/accounts");
  $("cust-number").replaceChildren(...accounts.accounts.map((a) =>
    el("option", { value: a.phoneNumberId, textContent: a.displayPhoneNumber })));
  $("customer").hidden = accounts.accounts.length === 0;
}

// Live updates: /api/v1/stream read with fetch (EventSource cannot send the key in a header).
let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { attempt(loadConversations); attempt(loadThread); }, 150);
}

function onEvent(block) {
  let id = null, type = null, data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const at = line.indexOf(":");
    const field = at < 0 ? line : line.slice(0, at);
    const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") type = value;
    else if (field === "data") data += value;
  }
  if (!type) return;
  if (id) state.lastEventId = id;
  const events = $("events");
  events.prepend(el("li", { textContent: `${new Date().toLocaleTimeString()} ${type}` }));
  while (events.children.length > 30) events.lastChild.remove();
  refreshSoon();
}

async function follow() {
  const mine = {};
  state.stream = mine;
  while (state.stream === mine) {
    try {
      const headers = { Authorization: `Bearer ${state.key}` };
      if (state.lastEventId) headers["Last-Event-ID"] = state.lastEventId;
      const r = await fetch("/api/v1/stream", { headers });
      if (!r.ok) throw new Error(`stream: ${r.status}`);
      $("live").className = "on";
      $("live").textContent = "live";
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done || state.stream !== mine) break;
        buffer = (buffer + value).replace(/\r\n/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          onEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (_) { /* reconnect below */ }
    $("live").className = "off";
    $("live").textContent = "reconnecting";
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function start() {
  $("key").value = "";
  $("forget").hidden = false;
  $("app").hidden = false;
  const ok = await attempt(async () => { await loadConversations(); return true; });
  if (!ok) return;
  await attempt(loadAgents);
  await attempt(loadCustomerPanel);
  follow();
}

function wire() {
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const k = $("key").value.trim();
    if (!k) return;
    state.key = k;
    sessionStorage.setItem(KEY, k);
    start();
  });
  $("forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); location.reload(); });
  $("filter-state").addEventListener("change", () => attempt(loadConversations));
  $("search").addEventListener("input", () => attempt(loadConversations));
  $("reply-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text || !state.selected) return;
    attempt(async () => {
      await api("POST", `/api/v1/conversations/${state.selected}/messages`, { content: { type: "text", text } });
      $("reply-text").value = "";
      await loadThread();
    });
  });
  $("note-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const body = $("note-text").value.trim();
    if (!body || !state.selected) return;
    attempt(async () => {
      await api("POST", `/api/v1/conversations/${state.selected}/notes`, { body });
      $("note-text").value = "";
      await loadThread();
    });
  });
  $("assign").addEventListener("click", () => attempt(async () => {
    await api("POST", `/api/v1/conversations/${state.selected}/assign`, { memberId: $("assign-to").value });
    await loadConversations();
  }));
  $("close").addEventListener("click", () => attempt(async () => {
    const reason = $("close-reason").value.trim();
    await api("POST", `/api/v1/conversations/${state.selected}/close`, reason ? { reason } : {});
    $("close-reason").value = "";
    await loadThread();
  }));
  $("pending").addEventListener("click", () => attempt(async () => {
    const reason = $("close-reason").value.trim();
    await api("POST", `/api/v1/conversations/${state.selected}/pending`, reason ? { reason } : {});
    $("close-reason").value = "";
    await loadThread();
  }));
  $("reopen").addEventListener("click", () => attempt(async () => {
    await api("POST", `/api/v1/conversations/${state.selected}/reopen`, {});
    await loadThread();
  }));
  $("customer-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("cust-text").value.trim();
    if (!text) return;
    attempt(async () => {
      const r = await fetch("/sandbox/customers/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phoneNumberId: $("cust-number").value, from: $("cust-phone").value, name: $("cust-name").value, text }),
      });
      if (!r.ok) throw new Error(`sandbox: ${(await r.json()).error.message}`);
      $("cust-text").value = "";
    });
  });
  if (state.key) start();
}

wire();
