// Placeholder: the dashboard (helper C's web/app.js) replaces it.
"use strict";
fetch("api/v1/stats").then(function (r) { return r.json(); }).then(function (s) {
  document.getElementById("status").textContent = s.queued + " queued, " + s.running + " running";
});
