/* The live scoreboard: keeps the server-rendered top 10 live over /ws/leaderboard/live
 * (board.js draws it).
 *
 * A dropped socket shows "reconnecting", retries with exponential backoff and jitter,
 * and refetches GET /api/v1/leaderboard once it is back. Updates carrying a `seq`
 * older than the last one seen on the current connection are dropped.
 */
(function () {
  "use strict";

  var board = document.getElementById("board");
  var Board = window.ScoreboardBoard;
  if (!board || !Board) return;
  var connection = document.getElementById("connection");
  var connectionText = document.getElementById("connection-text");

  var WS_PATH = board.getAttribute("data-ws-path") || "/ws/leaderboard/live";
  var API_URL = board.getAttribute("data-api-url") || "/api/v1/leaderboard?limit=10";
  var BACKOFF_BASE_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var RATE_LIMITED_MS = 30000;
  var HEARTBEAT_MS = 25000;
  var HEARTBEAT_TIMEOUT_MS = 10000;
  var TOKEN_KEYS = ["scoreboard.token", "accessToken", "token"];

  var picker = document.getElementById("board-select");
  if (picker && picker.form) {
    picker.addEventListener("change", function () { picker.form.submit(); });
  }

  var socket = null;
  var attempts = 0;
  var everConnected = false;
  var reconnectTimer = null;
  var countdownTimer = null;
  var heartbeatTimer = null;
  var heartbeatDeadline = null;
  var lastSeq = null;
  var generation = 0;

  // --- who is looking -----------------------------------------------------------------
  function readToken() {
    try {
      for (var i = 0; i < TOKEN_KEYS.length; i++) {
        var value = window.localStorage.getItem(TOKEN_KEYS[i]);
        if (value) return value;
      }
    } catch (e) { /* storage disabled */ }
    return null;
  }

  function claimsOf(jwt) {
    try {
      var part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (part.length % 4) part += "=";
      return JSON.parse(window.atob(part));
    } catch (e) {
      return null;
    }
  }

  var token = readToken();
  var me = null;
  (function () {
    var claims = token ? claimsOf(token) : null;
    if (!claims || (claims.exp && claims.exp * 1000 < Date.now())) {
      token = null;
      return;
    }
    me = claims.userId ? String(claims.userId) : null;
  })();

  function forgetViewer() {
    token = null;
    me = null;
    Board.setViewer(null);
  }

  // --- rendering ----------------------------------------------------------------------

  // --- connection state ---------------------------------------------------------------
  function setState(state, text) {
    connection.setAttribute("data-state", state);
    connectionText.textContent = text;
  }

  function backoffDelay(attempt) {
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, attempt));
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2); // "equal jitter"
  }

  function scheduleReconnect(minimumMs) {
    window.clearTimeout(reconnectTimer);
    window.clearInterval(countdownTimer);
    var delay = Math.max(minimumMs || 0, backoffDelay(attempts));
    attempts += 1;
    var due = Date.now() + delay;
    var tick = function () {
      var seconds = Math.max(1, Math.ceil((due - Date.now()) / 1000));
      setState("reconnecting", "Reconnecting… next try in " + seconds + " s");
    };
    tick();
    countdownTimer = window.setInterval(tick, 1000);
    reconnectTimer = window.setTimeout(function () {
      window.clearInterval(countdownTimer);
      connect();
    }, delay);
  }

  function refetch() {
    var started = generation;
    var headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    return window.fetch(API_URL, { headers: headers, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        // A socket message that arrived meanwhile is newer than this answer.
        if (!body || !body.data || generation !== started) return;
        generation += 1;
        // /leaderboard answers `leaderboard`, a named board's /records answers `records`.
        Board.apply(body.data.leaderboard || body.data.records,
                    body.data.lastUpdated || new Date().toISOString());
      })
      .catch(function () { /* the socket will bring the state */ });
  }

  function startHeartbeat() {
    stopHeartbeat();
    heartbeatTimer = window.setInterval(function () {
      send({ event: "ping", timestamp: Date.now() });
      window.clearTimeout(heartbeatDeadline);
      heartbeatDeadline = window.setTimeout(function () {
        if (socket) socket.close(4000, "heartbeat timeout");
      }, HEARTBEAT_TIMEOUT_MS);
    }, HEARTBEAT_MS);
  }

  function stopHeartbeat() {
    window.clearInterval(heartbeatTimer);
    window.clearTimeout(heartbeatDeadline);
  }

  function send(message) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(message));
  }

  function handleMessage(message) {
    if (!message || typeof message !== "object") return;
    window.clearTimeout(heartbeatDeadline);
    var data = message.data || {};
    var seq = typeof data.seq === "number" ? data.seq : (typeof message.seq === "number" ? message.seq : null);
    if (message.event === "leaderboard:initial") {
      lastSeq = seq;
      generation += 1;
      Board.apply(data.leaderboard, data.updatedAt);
      setState("live", "Live");
    } else if (message.event === "leaderboard:update") {
      if (seq !== null && lastSeq !== null && seq < lastSeq) return; // stale: a newer one was shown
      if (seq !== null) lastSeq = seq;
      generation += 1;
      Board.apply(data.leaderboard, data.updatedAt);
    } else if (message.event === "score:update") {
      if (me !== null && String(data.userId) === me) {
        Board.flashRow(me);
        Board.announce("Your score is now " + Board.formatScore(data.newScore) +
          (data.newRank ? ", rank " + data.newRank : "") + ".");
      }
    } else if (message.event === "ping") {
      send({ event: "pong", timestamp: message.timestamp });
    }
  }

  function connect() {
    window.clearTimeout(reconnectTimer);
    if (!everConnected) setState("connecting", "Connecting…");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try {
      ws = new window.WebSocket(scheme + window.location.host + WS_PATH);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    var reconnecting = everConnected || attempts > 0; // the server-rendered rows may be stale
    ws.onopen = function () {
      if (token) ws.send(JSON.stringify({ type: "auth", token: token }));
      attempts = 0;
      everConnected = true;
      lastSeq = null; // a restarted server may count from the beginning again
      setState("live", "Live");
      startHeartbeat();
      if (reconnecting) refetch();
    };
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handleMessage(message);
    };
    ws.onclose = function (event) {
      if (socket !== ws) return;
      socket = null;
      stopHeartbeat();
      if (event.code === 4401) {
        forgetViewer(); // a bad or expired token: carry on as a guest
        scheduleReconnect();
      } else if (event.code === 4403) {
        forgetViewer();
        Board.announce("This account is banned; showing the public leaderboard.");
        scheduleReconnect();
      } else if (event.code === 4429) {
        scheduleReconnect(RATE_LIMITED_MS);
      } else {
        scheduleReconnect();
      }
    };
  }

  window.addEventListener("online", function () {
    if (!socket) { attempts = 0; connect(); }
  });

  Board.setViewer(me);
  window.ScoreboardLive = {
    apply: Board.apply,
    handleMessage: handleMessage,
    backoffDelay: backoffDelay,
    state: function () { return connection.getAttribute("data-state"); },
    lastSeq: function () { return lastSeq; },
    viewer: function () { return me; }
  };
  connect();
})();
