/* The leaderboard table: rendering, FLIP moves, highlights and announcements.
 *
 * Player text only ever reaches the page through textContent, never as markup.
 * Rows move to their new rank with a FLIP animation (First, Last, Invert, Play);
 * changed scores flash; the viewer's own row is marked. live.js feeds it.
 */
(function () {
  "use strict";

  var rows = document.getElementById("rows");
  if (!rows) return;
  var announcer = document.getElementById("announcer");
  var empty = document.getElementById("empty");
  var updatedAt = document.getElementById("updated-at");
  var reduceMotion = !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  var viewer = null;

  function formatScore(score) {
    return String(score);
  }

  function formatTime(stamp) {
    var date = new Date(stamp);
    if (isNaN(date.getTime())) return String(stamp);
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function rowFor(userId) {
    var list = rows.children;
    for (var i = 0; i < list.length; i++) {
      if (list[i].getAttribute("data-user-id") === userId) return list[i];
    }
    return null;
  }

  function createRow(entry) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-user-id", String(entry.userId));
    var rank = document.createElement("td");
    rank.className = "rank";
    var player = document.createElement("th");
    player.className = "player";
    player.setAttribute("scope", "row");
    var name = document.createElement("bdi"); // isolates a right-to-left name from the text around it
    name.className = "name";
    name.setAttribute("dir", "auto");
    player.appendChild(name);
    var score = document.createElement("td");
    score.className = "score";
    tr.appendChild(rank);
    tr.appendChild(player);
    tr.appendChild(score);
    return tr;
  }

  function flash(row) {
    row.classList.remove("changed");
    void row.offsetWidth; // restart the animation
    row.classList.add("changed");
  }

  function markMe() {
    var list = rows.children;
    for (var i = 0; i < list.length; i++) {
      var row = list[i];
      var mine = viewer !== null && row.getAttribute("data-user-id") === viewer;
      row.classList.toggle("me", mine);
      var badge = row.querySelector(".you");
      if (mine && !badge) {
        badge = document.createElement("span");
        badge.className = "you";
        badge.textContent = "(you)";
        row.querySelector(".player").appendChild(badge);
      } else if (!mine && badge) {
        badge.parentNode.removeChild(badge);
      }
      if (mine) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  }

  function announce(text) {
    if (!text) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function applyLeaderboard(entries, stamp) {
    if (!Array.isArray(entries)) return false;
    var first = {};
    var existing = rows.children;
    for (var i = 0; i < existing.length; i++) {
      first[existing[i].getAttribute("data-user-id")] = existing[i].getBoundingClientRect().top;
    }
    var keep = {};
    var news = [];
    entries.forEach(function (entry) {
      if (!entry || entry.userId === undefined || entry.userId === null) return;
      var id = String(entry.userId);
      keep[id] = true;
      var row = rowFor(id);
      var isNew = !row;
      if (isNew) row = createRow(entry);
      var oldScore = row.getAttribute("data-score");
      var oldRank = row.getAttribute("data-rank");
      row.setAttribute("data-score", String(entry.score));
      row.setAttribute("data-rank", String(entry.rank));
      row.querySelector(".rank").textContent = String(entry.rank);
      var shown = String(entry.displayName || entry.username); // text, never markup
      row.querySelector(".name").textContent = shown;
      row.querySelector(".score").textContent = formatScore(entry.score);
      rows.appendChild(row); // moves existing rows into the new order
      if (isNew) {
        flash(row);
        news.push(shown + " entered at rank " + entry.rank);
      } else if (oldScore !== String(entry.score)) {
        flash(row);
        if (oldRank !== String(entry.rank)) news.push(shown + " is now rank " + entry.rank);
        else news.push(shown + " now has " + formatScore(entry.score) + " points");
      }
    });
    Array.prototype.slice.call(rows.children).forEach(function (row) {
      if (!keep[row.getAttribute("data-user-id")]) rows.removeChild(row);
    });
    playFlip(first);
    markMe();
    empty.hidden = rows.children.length > 0;
    if (stamp) {
      updatedAt.setAttribute("datetime", String(stamp));
      updatedAt.textContent = formatTime(stamp);
    }
    if (news.length) announce(news.slice(0, 3).join(". ") + ".");
    return true;
  }

  // FLIP: First positions were measured; Last is the new layout; Invert with a transform;
  // Play by transitioning the transform away.
  function playFlip(first) {
    if (reduceMotion) return;
    Array.prototype.forEach.call(rows.children, function (row) {
      var before = first[row.getAttribute("data-user-id")];
      if (before === undefined) return;
      var delta = before - row.getBoundingClientRect().top;
      if (!delta) return;
      row.style.transition = "none";
      row.style.transform = "translateY(" + delta + "px)";
      row.classList.add("moving");
      void row.offsetHeight;
      window.requestAnimationFrame(function () {
        row.style.transition = "transform 450ms cubic-bezier(.2,.8,.2,1)";
        row.style.transform = "";
        window.setTimeout(function () { row.classList.remove("moving"); row.style.transition = ""; }, 500);
      });
    });
  }

  window.ScoreboardBoard = {
    apply: applyLeaderboard,
    announce: announce,
    formatScore: formatScore,
    flashRow: function (userId) {
      var row = rowFor(String(userId));
      if (row) flash(row);
    },
    setViewer: function (userId) {
      viewer = userId === null || userId === undefined ? null : String(userId);
      markMe();
    }
  };
})();
