"use strict";
// The status page: one Server-Sent Events stream (/events) pushes each snapshot and its new chart points.
// Orders go to the control API with the start-up token (kept in sessionStorage, sent as a header).

const RECOVERING_SECS = 10;  // a feed fresh again after stale/degraded shows as recovering this long
const LC = window.LightweightCharts;
const dashboard = { charts: {}, equity: null, history: null, status: null, feedMarks: {}, startedAt: null };
window.dashboard = dashboard;

const token = (() => {
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  if (given) {
    sessionStorage.setItem("nautilus-node-token", given);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem("nautilus-node-token");
})();

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

const drawn = new Map();  // table id -> the rows it shows: a table is redrawn only when they change, so a
                         // click on one of its buttons is never lost to a redraw

// The status JSON carries amounts as numbers beside their currency; they are formatted here, for people.
function money(amount, currency) {
  if (amount === null || amount === undefined) return "\u2014";
  const [whole, cents] = Math.abs(amount).toFixed(2).split(".");  // grouped by hand: browsers' locales differ
  return (amount < 0 ? "-" : "") + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + cents + " " + currency;
}

function fillTable(id, columns, rows, rowClass) {
  const table = document.getElementById(id);
  const signature = JSON.stringify(rows);
  if (drawn.get(id) === signature && table.firstChild) return false;
  drawn.set(id, signature);
  table.replaceChildren();
  if (!rows.length) {
    const tr = el("tr"); tr.appendChild(el("td", "none", "empty")); table.appendChild(tr); return true;
  }
  const head = el("tr");
  columns.forEach(([label]) => head.appendChild(el("th", label)));
  table.appendChild(head);
  rows.forEach(row => {
    const tr = el("tr", null, rowClass ? rowClass(row) : "");
    columns.forEach(([, key, cls]) => {
      const value = typeof key === "function" ? key(row) : row[key];
      const c = typeof cls === "function" ? cls(row) : cls;
      if (value instanceof Node) { const td = el("td", null, c); td.appendChild(value); tr.appendChild(td); }
      else tr.appendChild(el("td", value === null || value === undefined ? "\u2014" : value, c));
    });
    table.appendChild(tr);
  });
  return true;
}

function fillList(id, items) {
  const list = document.getElementById(id);
  list.replaceChildren();
  if (!items.length) { list.appendChild(el("li", "none", "empty")); return; }
  items.forEach(item => list.appendChild(el("li", item)));
}

function pairs(id, entries) {
  if (fillTable(id, [["", 0], ["", 1, (r) => r[2] || ""]], entries)) document.getElementById(id).firstChild?.remove();
}

// -- charts -------------------------------------------------------------------------------------------------

function lineData(points) {  // [[t, v]] -> one point per whole second, ascending (the chart's time grid)
  const bySecond = new Map();
  points.forEach(([t, v]) => bySecond.set(Math.floor(t), v));
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
}

function candleData(candles) {
  const bySecond = new Map();
  candles.forEach(([t, open, high, low, close]) => bySecond.set(Math.floor(t), { open, high, low, close }));
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([time, c]) => ({ time, ...c }));
}

function chartOptions(height) {
  return { height, layout: { attributionLogo: false }, timeScale: { timeVisible: true, secondsVisible: true },
           rightPriceScale: { scaleMargins: { top: 0.15, bottom: 0.15 } } };
}

function instrumentChart(instrumentId) {
  let entry = dashboard.charts[instrumentId];
  if (entry) return entry;
  document.getElementById("charts-empty")?.remove();
  const box = el("div", null, "instrument-chart");
  box.dataset.instrument = instrumentId;
  box.appendChild(el("h3", instrumentId));
  const holder = el("div", null, "chart");
  box.appendChild(holder);
  document.getElementById("charts").appendChild(box);
  const chart = LC.createChart(holder, chartOptions(260));
  entry = { chart, holder, line: null, candles: null, markers: null, fills: [], times: [] };
  dashboard.charts[instrumentId] = entry;
  new ResizeObserver(() => chart.applyOptions({ width: holder.clientWidth })).observe(holder);
  return entry;
}

function markedSeries(entry) { return entry.line || entry.candles; }

function addPrices(instrumentId, points, replace) {
  const entry = instrumentChart(instrumentId);
  if (!entry.line) entry.line = entry.chart.addSeries(LC.LineSeries, { color: "#2962ff", lineWidth: 2, title: "mid" });
  const data = lineData(points);
  if (replace) entry.line.setData(data);
  else data.forEach(p => { const last = entry.line.data().at(-1); if (!last || p.time >= last.time) entry.line.update(p); });
  entry.times = entry.line.data().map(p => p.time);
}

function addCandles(instrumentId, candles, replace) {
  const entry = instrumentChart(instrumentId);
  if (!entry.candles) entry.candles = entry.chart.addSeries(LC.CandlestickSeries, { upColor: "#1b7f3b", downColor: "#b3261e", borderVisible: false, wickUpColor: "#1b7f3b", wickDownColor: "#b3261e" });
  const data = candleData(candles);
  if (replace) entry.candles.setData(data);
  else data.forEach(c => { const last = entry.candles.data().at(-1); if (!last || c.time >= last.time) entry.candles.update(c); });
  if (!entry.line) entry.times = entry.candles.data().map(c => c.time);
}

function snapTime(entry, t) {  // a marker sits on a time the series has: the last one at or before the fill
  const second = Math.floor(t);
  let best = entry.times.length ? entry.times[0] : second;
  for (const time of entry.times) { if (time <= second) best = time; else break; }
  return best;
}

function addFills(instrumentId, fills, replace) {
  const entry = instrumentChart(instrumentId);
  entry.fills = (replace ? [] : entry.fills).concat(fills);
}

function drawMarkers(entry) {
  const series = markedSeries(entry);
  if (!series) return;
  const markers = entry.fills.map(f => ({
    time: snapTime(entry, f.time),
    position: f.side === "BUY" ? "belowBar" : "aboveBar",
    color: f.side === "BUY" ? "#1b7f3b" : "#b3261e",
    shape: f.side === "BUY" ? "arrowUp" : "arrowDown",
    text: (f.side === "BUY" ? "B " : "S ") + f.quantity + " @ " + (entry.precision === undefined ? f.price : f.price.toFixed(entry.precision)),
  })).sort((a, b) => a.time - b.time);
  if (!entry.markers) entry.markers = LC.createSeriesMarkers(series, markers);
  else entry.markers.setMarkers(markers);
}

function equityChart() {
  if (dashboard.equity) return dashboard.equity;
  const holder = document.getElementById("equity-chart");
  const chart = LC.createChart(holder, { ...chartOptions(160), leftPriceScale: { visible: true } });
  const equity = chart.addSeries(LC.LineSeries, { color: "#2962ff", lineWidth: 2, title: "equity", priceScaleId: "right" });
  const unrealized = chart.addSeries(LC.LineSeries, { color: "#8a5a00", lineWidth: 1, title: "unrealized", priceScaleId: "left" });
  new ResizeObserver(() => chart.applyOptions({ width: holder.clientWidth })).observe(holder);
  dashboard.equity = { chart, equity, unrealized, first: null };
  return dashboard.equity;
}

function addEquity(points, replace) {
  if (!points.length) return;
  const chart = equityChart();
  const equity = lineData(points.filter(p => p[1] !== null).map(p => [p[0], p[1]]));
  const unrealized = lineData(points.map(p => [p[0], p[2]]));
  if (chart.first === null && equity.length) chart.first = equity[0].value;
  if (replace) { chart.equity.setData(equity); chart.unrealized.setData(unrealized); }
  else { equity.forEach(p => chart.equity.update(p)); unrealized.forEach(p => chart.unrealized.update(p)); }
}

const FIT_BELOW_POINTS = 600;  // until a chart holds this many points, it shows all of them

function fitSmall(entry) {
  const series = entry.line || entry.candles;
  if (series && series.data().length < FIT_BELOW_POINTS) entry.chart.timeScale().fitContent();
}

function applyChart(update, replace) {
  Object.entries(update.prices || {}).forEach(([id, points]) => addPrices(id, points, replace));
  Object.entries(update.candles || {}).forEach(([id, candles]) => addCandles(id, candles, replace));
  Object.entries(update.fills || {}).forEach(([id, fills]) => addFills(id, fills, replace));
  Object.values(dashboard.charts).forEach(entry => { drawMarkers(entry); fitSmall(entry); });
  addEquity(update.equity || [], replace);
  if (dashboard.equity) fitSmall({ chart: dashboard.equity.chart, line: dashboard.equity.equity });
  Object.entries(update.feed_states || {}).forEach(([key, marks]) => {
    dashboard.feedMarks[key] = (replace ? [] : dashboard.feedMarks[key] || []).concat(marks);
  });
}

function formatCharts(s) {  // prices shown to the instrument's tick
  s.instruments.forEach(rules => {
    const entry = dashboard.charts[rules.instrument_id];
    if (!entry || entry.formatted) return;
    const precision = (rules.price_increment.split(".")[1] || "").length;
    const priceFormat = { type: "price", precision, minMove: Number(rules.price_increment) };
    [entry.line, entry.candles].forEach(series => series && series.applyOptions({ priceFormat }));
    entry.formatted = Boolean(entry.line || entry.candles);
    entry.precision = precision;
    drawMarkers(entry);
  });
}

// -- feed health strip --------------------------------------------------------------------------------------

function segments(marks, now) {  // [[t, state]] -> [{from, to, state}], fresh after trouble shown as recovering
  const result = [];
  marks.forEach(([t, state], i) => {
    const to = i + 1 < marks.length ? marks[i + 1][0] : now;
    const previous = i > 0 ? marks[i - 1][1] : null;
    if (state === "fresh" && (previous === "stale" || previous === "degraded")) {
      const until = Math.min(to, t + RECOVERING_SECS);
      result.push({ from: t, to: until, state: "recovering" });
      if (until < to) result.push({ from: until, to, state });
    } else result.push({ from: t, to, state });
  });
  return result;
}

function renderFeedHealth(nowSecs) {
  const holder = document.getElementById("feed-health");
  holder.replaceChildren();
  const keys = Object.keys(dashboard.feedMarks).sort();
  if (!keys.length) { holder.appendChild(el("p", "no feeds yet", "empty")); return; }
  const start = Math.min(...keys.map(k => dashboard.feedMarks[k][0][0]));
  const span = Math.max(nowSecs - start, 1);
  keys.forEach(key => {
    const row = el("div", null, "strip");
    row.dataset.feed = key;
    const parts = segments(dashboard.feedMarks[key], nowSecs);
    const current = parts.length ? parts[parts.length - 1].state : "waiting";
    row.appendChild(el("span", key + " \u2014 " + current, "label"));
    const bar = el("div", null, "bar");
    parts.forEach(p => {
      const seg = el("span", null, "seg-" + p.state);
      seg.style.left = (100 * (p.from - start) / span) + "%";
      seg.style.width = Math.max(100 * (p.to - p.from) / span, 0.3) + "%";
      seg.title = p.state + " from " + new Date(p.from * 1000).toISOString();
      bar.appendChild(seg);
    });
    row.appendChild(bar);
    holder.appendChild(row);
  });
}

// -- the order ticket ---------------------------------------------------------------------------------------

const ticket = document.getElementById("ticket");
const ticketResult = document.getElementById("ticket-result");

function setResult(text, ok) { ticketResult.textContent = text; ticketResult.className = ok ? "ok" : "error"; }

const ON_STOP = {
  cancel: "when the node stops, its working orders from here are cancelled (node.on_stop = cancel)",
  flatten: "when the node stops, its orders from here are cancelled and their positions closed (node.on_stop = flatten)",
  keep: "when the node stops, orders and positions from here stay at the venue (node.on_stop = keep)",
};

function renderTicket(s) {
  const select = document.getElementById("ticket-instrument");
  const ids = s.instruments.map(i => i.instrument_id);
  if ([...select.options].map(o => o.value).join() !== ids.join()) {
    const chosen = select.value;
    select.replaceChildren(...ids.map(id => { const o = el("option", id); o.value = id; return o; }));
    if (ids.includes(chosen)) select.value = chosen;
  }
  showRules();
  document.getElementById("ticket-on-stop").textContent = ON_STOP[s.node.on_stop] || "";
  document.getElementById("ticket-submit").disabled = !token;
  if (!token && !ticketResult.textContent) setResult("read-only: open the page with the ?token=\u2026 address printed at start-up to trade", false);
}

function showRules() {
  const s = dashboard.status;
  const rules = s && s.instruments.find(i => i.instrument_id === document.getElementById("ticket-instrument").value);
  const text = rules ? "tick " + rules.price_increment + " " + rules.quote_currency + ", size step " + rules.size_increment +
    (rules.min_quantity ? ", min " + rules.min_quantity : "") + (rules.max_quantity ? ", max " + rules.max_quantity : "") : "no instrument loaded";
  document.getElementById("ticket-rules").textContent = text;
  if (rules) {
    document.getElementById("ticket-quantity").step = rules.size_increment;
    document.getElementById("ticket-price").step = rules.price_increment;
  }
}

document.getElementById("ticket-instrument").addEventListener("change", showRules);
document.getElementById("ticket-type").addEventListener("change", (e) => {
  document.getElementById("ticket-price").disabled = e.target.value === "MARKET";
});

async function control(method, path, body) {
  const response = await fetch(path, {
    method, headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  const answer = await response.json().catch(() => ({ error: "HTTP " + response.status }));
  if (!response.ok) throw new Error(answer.error || ("HTTP " + response.status));
  return answer;
}

ticket.addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(ticket);
  const order = { instrument_id: form.get("instrument_id"), side: form.get("side"), quantity: form.get("quantity"),
                  type: form.get("type"), time_in_force: form.get("time_in_force") };
  if (order.type !== "MARKET") order.price = form.get("price");
  try {
    const answer = await control("POST", "api/orders", order);
    setResult("submitted " + answer.client_order_id, true);
  } catch (error) { setResult(error.message, false); }
});

async function cancelOrder(clientOrderId) {
  try {
    await control("DELETE", "api/orders/" + encodeURIComponent(clientOrderId));
    setResult("cancel requested for " + clientOrderId, true);
  } catch (error) { setResult(error.message, false); }
}

function cancelButton(order) {
  if (!order.strategy_id.startsWith("ManualOrders") || !token) return null;
  const button = el("button", "cancel", "cancel");
  button.type = "button";
  button.dataset.order = order.client_order_id;
  button.addEventListener("click", () => cancelOrder(order.client_order_id));
  return button;
}

// -- the kill switch: halt (with a confirmation) and resume ----------------------------------------------------

const haltConfirm = document.getElementById("halt-confirm");
const haltResult = document.getElementById("halt-result");
function setHaltResult(text, ok) { haltResult.textContent = text; haltResult.className = ok ? "ok" : "error"; }

document.getElementById("halt").addEventListener("click", () => {
  const flatten = document.getElementById("halt-flatten").checked;
  document.getElementById("halt-confirm-text").textContent = "Cancel every open order" +
    (flatten ? " and close every position with market orders" : "") + ", and stop all strategies trading?";
  haltConfirm.hidden = false;
});
document.getElementById("halt-cancelled").addEventListener("click", () => { haltConfirm.hidden = true; });
document.getElementById("halt-confirmed").addEventListener("click", async () => {
  haltConfirm.hidden = true;
  try {
    const answer = await control("POST", "api/halt", { flatten: document.getElementById("halt-flatten").checked, by: "page" });
    setHaltResult(answer.cancelled_orders + " orders cancelled, " + answer.closing_positions + " positions closing", true);
  } catch (error) { setHaltResult(error.message, false); }
});
document.getElementById("resume").addEventListener("click", async () => {
  try { await control("POST", "api/resume", {}); setHaltResult("trading resumed", true); }
  catch (error) { setHaltResult(error.message, false); }
});

function renderTrading(s) {
  const t = s.trading;
  const badge = document.getElementById("trading-state");
  badge.textContent = t ? t.state : "unknown";
  badge.className = t ? (t.state === "ACTIVE" ? "healthy" : "unhealthy") : "unknown";
  document.getElementById("trading-detail").textContent = t && t.state !== "ACTIVE" && t.by
    ? "since " + t.since + " by " + t.by + " (" + t.reason + (t.flatten ? ", flattened" : "") + ")" : "";
  document.getElementById("halt").disabled = !token || !t;
  document.getElementById("resume").disabled = !token || !t || t.state === "ACTIVE";
}

// -- the snapshot -------------------------------------------------------------------------------------------


function render(s) {
  dashboard.status = s;
  const ageSecs = (Date.now() - Date.parse(s.generated_at)) / 1000;
  const limit = Math.max(3 * s.interval_secs, 5);
  const reasons = s.health.reasons.slice();
  if (ageSecs > limit) reasons.unshift("status snapshot is " + Math.round(ageSecs) + " s old: the node is not updating it");
  const healthy = s.health.healthy && ageSecs <= limit;
  const overall = document.getElementById("overall");
  overall.textContent = healthy ? "HEALTHY" : "UNHEALTHY";
  overall.className = healthy ? "healthy" : "unhealthy";
  document.getElementById("meta").textContent = "snapshot " + s.generated_at + " (pushed by the node as it changes)";
  fillList("reasons", reasons);

  const n = s.node;
  pairs("node", [["trader", n.trader_id], ["state", n.state], ["started", n.started_at],
                 ["uptime", Math.round(n.uptime_secs) + " s"], ["market", n.market_open ? "open" : "closed"]]);
  const g = s.gateway;
  pairs("gateway", [["address", g.host === null ? null : g.host + ":" + g.port], ["client id", g.client_id],
                    ["state", g.state, "state-" + g.state], ["since", g.since],
                    ["server version", g.server_version], ["connection time", g.connection_time],
                    ["market data farm", g.market_data_farm, "state-" + g.market_data_farm],
                    ["historical data farm", g.historical_data_farm, "state-" + g.historical_data_farm],
                    ["sec-def farm", g.security_definition_farm, "state-" + g.security_definition_farm],
                    ["reconnects", g.reconnects]]);
  fillTable("codes", [["code", "code"], ["at", "at"], ["message", "message"]], g.codes.slice().reverse());

  const p = s.pnl;
  const pnl = document.getElementById("pnl");
  if (!p) pnl.textContent = "no account reported yet";
  else {
    const first = dashboard.equity && dashboard.equity.first;
    const change = first !== null && first !== undefined && p.equity !== null ? p.equity - first : null;
    pnl.textContent = "equity " + money(p.equity, p.currency) + " (since start " + money(change, p.currency) +
      "), unrealized " + money(p.unrealized, p.currency);
  }

  const accounts = document.getElementById("accounts");
  accounts.replaceChildren();
  if (!s.accounts.length) {
    accounts.appendChild(el("p", s.account_id ? "account " + s.account_id + " not reported" : "no account reported", "empty"));
  }
  s.accounts.forEach(a => {
    accounts.appendChild(el("p", a.account_id + " \u2014 reported " + a.reported_at, "account-id"));
    const table = el("table"); table.id = "account-" + a.account_id; accounts.appendChild(table);
    const rows = a.balances.map(b => ({what: "balance " + b.currency, total: money(b.total, b.currency),
      free: money(b.free, b.currency), locked: money(b.locked, b.currency)}))
      .concat(a.margins.map(m => ({what: "margin " + m.currency, total: "init " + money(m.initial, m.currency),
        free: "maint " + money(m.maintenance, m.currency), locked: ""})));
    fillTable(table.id, [["", "what"], ["equity / total", "total", "num"], ["free", "free", "num"], ["locked", "locked", "num"]], rows);
  });

  fillTable("positions", [["instrument", "instrument_id"], ["side", "side"], ["quantity", "quantity", "num"],
    ["avg price", "avg_px_open", "num"], ["unrealized PnL", r => money(r.unrealized_pnl, r.pnl_currency), "num"],
    ["realized PnL", r => money(r.realized_pnl, r.pnl_currency), "num"],
    ["strategy", "strategy_id"]], s.positions);
  fillTable("limits", [["limit", "name"], ["instrument", "instrument_id"], ["used", "used", "num"],
    ["of", "limit", "num"], ["use", r => r.percent + " %", "num"], ["", r => r.breached ? "BREACHED" : "", r => r.breached ? "state-broken" : ""]],
    s.limits || [], r => "limit" + (r.breached ? " breached" : ""));
  fillTable("broker-positions", [["instrument", "instrument_id"], ["IB", r => r.broker === null ? "not reported" : r.broker, "num"],
    ["strategies", "node", "num"], ["by strategy", r => Object.entries(r.strategies).map(([k, v]) => k + " " + v).join(", ") || "none"],
    ["", r => r.mismatch ? "MISMATCH since " + r.since : "agree", r => r.mismatch ? "state-broken" : "state-ok"]],
    s.broker_positions || [], r => "broker-position" + (r.mismatch ? " mismatch" : ""));
  const alerting = s.alerts;
  document.getElementById("alert-destinations").textContent = alerting
    ? alerting.destinations.map(d => d.name + ": " + d.sent + " sent, " + d.failed + " failed" + (d.dropped ? ", " + d.dropped + " dropped" : "")).join("; ") +
      " (" + alerting.suppressed + " of " + alerting.raised + " suppressed as repeats)"
    : "no alert destination configured ([alerts] urls / webhooks)";
  fillTable("alerts", [["at", "at"], ["", "kind"], ["title", "title"], ["message", "message"], ["", "outcome"]],
    alerting ? alerting.recent.slice().reverse() : [], r => "alert alert-" + r.kind);
  fillTable("orders", [["order", "client_order_id"], ["instrument", "instrument_id"], ["side", "side"], ["type", "type"],
    ["qty", "quantity", "num"], ["filled", "filled_qty", "num"], ["price", "price", "num"],
    ["trigger", "trigger_price", "num"], ["tif", "time_in_force"], ["status", "status"], ["strategy", "strategy_id"],
    ["", cancelButton]], s.orders, r => "order");
  fillTable("fills", [["at", "at"], ["order", "client_order_id"], ["instrument", "instrument_id"], ["side", "side"],
    ["qty", "quantity", "num"], ["price", "price", "num"], ["commission", r => money(r.commission, r.commission_currency), "num"]], s.fills.slice().reverse());
  fillTable("feeds", [["feed", "name"], ["type", "data_type"], ["required", r => r.required ? "yes" : "no"],
    ["state", "state", r => "state-" + r.state], ["last event", "last_event_at"], ["age (s)", "age_secs", "num"],
    ["rate (/s)", "rate_per_sec", "num"], ["events", "count", "num"], ["detail", "reason"]], s.feeds, r => "feed feed-" + r.state);
  fillTable("strategies", [["strategy", "strategy_id"], ["state", "state", r => "state-" + r.state], ["detail", "reason"]], s.strategies);
  fillTable("latency", [["", "what"], ["count", "count", "num"], ["p50 (ms)", "p50_ms", "num"],
    ["p99 (ms)", "p99_ms", "num"]], latencyRows(s.latency));
  fillList("warnings", s.warnings);
  renderTicket(s);
  renderTrading(s);
  formatCharts(s);
  renderFeedHealth(Date.parse(s.generated_at) / 1000);
}

function latencyRows(latency) {  // the node's submit -> accepted / filled, then each instrument's quote age
  if (!latency) return [];
  const rows = [{what: "submit \u2192 accepted", ...latency.submit_to_accepted},
                {what: "submit \u2192 filled", ...latency.submit_to_filled}];
  Object.entries(latency.quote_age).forEach(([name, f]) => rows.push({what: "quote age at decision " + name, ...f}));
  return rows.map(({what, count, p50_ms, p99_ms}) => ({what, count, p50_ms, p99_ms}));
}

function unreachable(message) {
  const overall = document.getElementById("overall");
  overall.textContent = "NO RESPONSE";
  overall.className = "unhealthy";
  document.getElementById("meta").textContent = message;
}

function starting(reasons) {
  const overall = document.getElementById("overall");
  overall.textContent = "STARTING";
  overall.className = "unhealthy";
  document.getElementById("meta").textContent = reasons.join("; ");
}

// The state at once from /status, not only once the event stream pushes its first snapshot.
fetch("status", {cache: "no-store"})
  .then(async (response) => {
    const body = await response.json();
    if (dashboard.status) return;  // the stream was first
    if (body.generated_at) render(body); else starting(body.reasons || ["no status snapshot yet"]);
  })
  .catch(() => { if (!dashboard.status) unreachable("the node does not answer /status"); });

const events = new EventSource("events");
events.addEventListener("history", (e) => { dashboard.history = JSON.parse(e.data); applyChart(dashboard.history, true); });
events.addEventListener("chart", (e) => applyChart(JSON.parse(e.data), false));
events.addEventListener("status", (e) => render(JSON.parse(e.data)));
events.addEventListener("error", () => unreachable("the node does not answer (reconnecting to its event stream\u2026)"));
