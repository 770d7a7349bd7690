/**
 * The `/status` page: one HTML document with its CSS and script inline (no
 * framework, nothing fetched from elsewhere) that polls `status.json` every
 * second and turns counter differences into rates. Every value is written
 * with `textContent`, so event names and plug errors cannot inject markup.
 *
 * @example
 * ```ts ignore
 * new Response(STATUS_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
 * ```
 * @module
 */

/** How often the page polls `status.json`, in ms. */
export const STATUS_POLL_MS = 1000;

/** The whole page. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ssocket status</title>
<style>
  :root { --fg: #1d2430; --muted: #6b7585; --line: #e3e7ee; --bg: #f6f8fb; --ok: #1a7f37;
    --bad: #c62828; --warn: #b26a00; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); }
  body { margin: 0; background: var(--bg); }
  header { display: flex; gap: 1rem; align-items: baseline; padding: .8rem 1.5rem;
    background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 1.15rem; margin: 0; }
  header .muted { color: var(--muted); }
  #state { font-weight: 600; }
  main { padding: 1rem 1.5rem; display: grid; gap: 1rem;
    grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); }
  .cards { grid-column: 1 / -1; display: grid; gap: .8rem;
    grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
  section.wide { grid-column: span 2; }
  @media (max-width: 720px) { section.wide { grid-column: auto; } }
  .card, section { background: #fff; border: 1px solid var(--line); border-radius: 8px; }
  .card { padding: .7rem .9rem; }
  .card b { display: block; font-size: 1.5rem; font-variant-numeric: tabular-nums; }
  .card span { color: var(--muted); font-size: .85rem; }
  section h2 { font-size: .95rem; margin: 0; padding: .6rem .9rem; border-bottom: 1px solid var(--line); }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  td, th { text-align: left; padding: .35rem .9rem; border-bottom: 1px solid var(--line); }
  th { color: var(--muted); font-weight: 500; font-size: .85rem; }
  td.n { text-align: right; } th.n { text-align: right; }
  .loaded, .ok { color: var(--ok); } .failed, .bad { color: var(--bad); } .removed { color: var(--muted); }
  .err { color: var(--bad); font-size: .85rem; word-break: break-word; }
  .empty { color: var(--muted); padding: .6rem .9rem; }
</style>
</head>
<body>
<header>
  <h1>ssocket</h1>
  <span class="muted" id="version"></span>
  <span id="state"></span>
  <span class="muted" id="updated">connecting…</span>
</header>
<main>
  <div class="cards">
    <div class="card"><b id="connections">–</b><span>connections</span></div>
    <div class="card"><b id="calls">–</b><span>plugs running</span></div>
    <div class="card"><b id="in-rate">–</b><span>messages in / s</span></div>
    <div class="card"><b id="out-rate">–</b><span>frames out / s</span></div>
    <div class="card"><b id="bytes-rate">–</b><span>bytes in / out per s</span></div>
    <div class="card"><b id="error-rate">–</b><span>errors / s</span></div>
  </div>
  <section class="wide"><h2>Plugs</h2><table id="plugs"></table></section>
  <section><h2>Errors by code</h2><table id="errors"></table></section>
  <section><h2>Rooms on this node</h2><table id="rooms"></table></section>
  <section><h2>Cluster</h2><table id="cluster"></table></section>
</main>
<script type="module">
  const $ = (id) => document.getElementById(id);
  let previous;
  const rate = (now, before, key, seconds) =>
    before ? Math.max(0, (now[key] - before[key]) / seconds) : 0;
  const fmt = (n) => n >= 1e6 ? (n / 1e6).toFixed(1) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k"
    : Number.isInteger(n) ? String(n) : n.toFixed(1);

  function table(id, head, rows, empty) {
    const el = $(id);
    el.replaceChildren();
    if (rows.length === 0) {
      const td = el.insertRow().insertCell();
      td.className = "empty";
      td.textContent = empty;
      return;
    }
    const tr = el.createTHead().insertRow();
    for (const [text, cls] of head) {
      const th = document.createElement("th");
      th.textContent = text;
      if (cls) th.className = cls;
      tr.append(th);
    }
    const body = el.createTBody();
    for (const row of rows) {
      const r = body.insertRow();
      for (const [text, cls] of row) {
        const td = r.insertCell();
        td.textContent = text;
        if (cls) td.className = cls;
        // A row of one cell (a plug's last error) spans the table.
        if (row.length === 1) td.colSpan = head.length;
      }
    }
  }

  function render(s) {
    const seconds = previous ? Math.max(0.001, (s.time - previous.time) / 1000) : 1;
    $("version").textContent = "v" + s.version + " · up " + fmt(s.uptimeSeconds) + " s";
    $("state").textContent = s.draining ? "draining" : "serving";
    $("state").className = s.draining ? "bad" : "ok";
    $("updated").textContent = "updated " + new Date(s.time).toLocaleTimeString();
    $("connections").textContent = fmt(s.connections);
    $("calls").textContent = fmt(s.callsRunning);
    $("in-rate").textContent = fmt(rate(s, previous, "received", seconds));
    $("out-rate").textContent = fmt(rate(s, previous, "sent", seconds));
    $("bytes-rate").textContent = fmt(rate(s, previous, "bytesReceived", seconds)) + " / " +
      fmt(rate(s, previous, "bytesSent", seconds));
    $("error-rate").textContent = fmt(rate(s, previous, "errorTotal", seconds));
    table("plugs", [["event"], ["state"], ["messages", "n"], ["mean ms", "n"]],
      s.plugs.flatMap((p) => {
        const row = [[p.event], [p.state + (p.state === "failed" && p.serving ? ", old version serving" : ""), p.state],
          [fmt(p.received), "n"], [p.runs ? (p.meanMs).toFixed(2) : "–", "n"]];
        return p.lastError ? [row, [["↳ " + p.lastError, "err"]]] : [row];
      }), "No plug loaded");
    table("errors", [["code"], ["total", "n"]],
      s.errors.map(([code, n]) => [[code], [fmt(n), "n"]]), "No errors");
    table("rooms", [["room"], ["members here", "n"]],
      s.rooms.map((r) => [[r.room], [fmt(r.members), "n"]]),
      s.roomCount > s.rooms.length ? "" : "No rooms");
    const c = s.cluster;
    table("cluster", [["", ""], [""]], c.clustered ? [
      [["link"], [c.healthy ? "up" : "down", c.healthy ? "ok" : "bad"]],
      [["this node"], [c.nodeId ?? "–"]],
      [["peers"], [c.peers ? String(c.peers.length) : "unknown"]],
      ...(c.peers ?? []).map((id) => [["peer"], [id]]),
      [["publish errors"], [fmt(c.publishErrors)]],
    ] : [], "Single process (no cluster.redisUrl)");
    previous = s;
  }

  async function poll() {
    try {
      const response = await fetch("status.json", { cache: "no-store", credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      render(await response.json());
    } catch (err) {
      $("updated").textContent = "cannot reach the server (" + err.message + ")";
    }
    setTimeout(poll, ${STATUS_POLL_MS});
  }
  poll();
</script>
</body>
</html>
`;
