/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  app.js - the ztask dashboard: reads ztaskd's JSON API (/api/v1/, see
    docs/operations.md) and draws the page; no library, no build step.

    Polling: one request at a time and at most one a second in total, the
    most overdue of stats (every 3 s), workers (3 s), failed tasks (5 s),
    recent tasks (6 s), series (10 s) and, on a task page, that task (2 s).
    Stops while the tab is hidden (document.visibilityState).

    Token: typed into #token-input, kept in sessionStorage ("ztask.token"),
    sent only as "Authorization: Bearer ..." on the POST actions; never in
    a URL or a cookie. Without a token no action button is drawn.

    Every text from the API goes into the page through textContent or an
    attribute, never as HTML.

    Stable hooks for tests (tests/dashboard.sh) and scripts:
      #banner                     shown (no [hidden]) while the broker cannot
                                  be reached or answers 503; data-kind=
                                  "unreachable" | "unavailable"
      #total-queued #total-running #total-done #total-failed
      #total-workers #total-slots-free #total-slots-total
                                  the totals; text formatted, data-value raw
      #broker-name #broker-role #broker-backend
      #queue-body tr[data-type=T][data-paused=true|false]
        td[data-priority=P]       queued tasks of type T at priority P
        button[data-action=pause|resume][data-type=T]    (with a token)
      #workers .worker[data-worker=NAME]
        progress[data-task-id=ID] a running task's progress (value, max
                                  attributes; no value when none reported),
                                  its text in .progress-text[data-task-id=ID]
        .tag[data-label=KEY]      a label, "KEY=VALUE" (not host)
        [data-resource=NAME]      a resource but slots, "USED/TOTAL"
      #failed-tasks tr[data-task-id=ID]       a failed task; its error in
                                  .error-text[data-task-id=ID]
        button[data-action=retry][data-task-id=ID]      (with a token)
      #recent-tasks tr[data-task-id=ID][data-state=S]
        button[data-action=retry|cancel][data-task-id=ID] (with a token)
      #retry-all[data-action=retry-all]        (with a token)
      #action-result              the last action's outcome: data-status=
                                  "ok" | "error", data-http=status code
      #token-input, #token-form (submit), #token-forget, #token-state
      #task-page (route #/task/ID): #task-id, #task-state, #task-fields,
        #task-progress, #task-error, #task-history li[data-event=E]
      body[data-ready]            set once stats, workers and the failed
                                  list have all been drawn at least once
*/
(function () {
    'use strict';

    var API = 'api/v1/';            /* relative: the page is served by ztaskd */
    var TOKEN_KEY = 'ztask.token';
    var TICK_MS = 1000;             /* at most one request a second        */
    var TIMEOUT_MS = 8000;
    var PRIORITY_NAMES = { 0: 'low', 5: 'normal', 9: 'high' };  /* ztask/client.h */

    /* What to fetch and how often (ms); the overdue-most goes next. */
    var SOURCES = {
        stats: { every: 3000, path: function () { return 'stats'; } },
        workers: { every: 3000, path: function () { return 'workers'; } },
        failed: { every: 5000, path: function () { return 'tasks?state=failed&limit=50'; } },
        recent: { every: 6000, path: function () { return 'tasks?limit=15'; } },
        series: { every: 10000, path: function () { return 'series'; } },
        task: { every: 2000, path: function () { return 'tasks/' + S.taskId; } }
    };
    var ORDER = ['stats', 'workers', 'failed', 'recent', 'series', 'task'];

    var S = {
        token: '', taskId: 0, data: {}, drawn: {}, fetched: {},
        netError: null, netSince: 0, errors: {}, lastOk: 0,
        timer: null, busy: false, lastStart: 0
    };

    /* ---- small helpers ---- */

    function $(id) { return document.getElementById(id); }

    /* el('a', {href: '#/', class: 'x', 'data-task-id': 3}, 'text', child...) */
    function el(tag, attrs) {
        var node = document.createElement(tag);
        if (attrs)
            Object.keys(attrs).forEach(function (k) {
                var v = attrs[k];
                if (v === null || v === undefined || v === false) return;
                if (k === 'text') node.textContent = String(v);
                else node.setAttribute(k, v === true ? '' : String(v));
            });
        for (var i = 2; i < arguments.length; i++) {
            var c = arguments[i];
            if (c === null || c === undefined || c === false) continue;
            node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
        }
        return node;
    }

    function svg(tag, attrs) {
        var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
        Object.keys(attrs || {}).forEach(function (k) {
            if (k === 'text') node.textContent = String(attrs[k]);
            else node.setAttribute(k, String(attrs[k]));
        });
        return node;
    }

    function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

    function num(n) {
        return typeof n === 'number' && isFinite(n) ? n.toLocaleString('en-US') : '\u2013';
    }

    function setNum(id, n) {
        var node = $(id);
        node.textContent = num(n);
        node.setAttribute('data-value', typeof n === 'number' ? String(n) : '');
    }

    function priorityLabel(p) {
        return PRIORITY_NAMES[p] ? p + ' ' + PRIORITY_NAMES[p] : String(p);
    }

    function priorityShort(p) { return PRIORITY_NAMES[p] || String(p); }

    function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = '0' + n; return n; }

    function clock(ms) {
        var d = new Date(ms);
        return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    }

    function dateTime(ms) {
        if (!ms) return '';
        var d = new Date(ms);
        return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(ms) +
            '.' + pad(d.getMilliseconds(), 3);
    }

    function duration(ms) {
        if (!(ms >= 0)) return '';
        if (ms < 1000) return Math.round(ms) + ' ms';
        if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
        if (ms < 3600000) return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
        if (ms < 86400000) return Math.floor(ms / 3600000) + ' h ' + Math.round((ms % 3600000) / 60000) + ' min';
        return Math.floor(ms / 86400000) + ' d ' + Math.round((ms % 86400000) / 3600000) + ' h';
    }

    function ago(ms) {
        if (!ms) return '';
        var d = Date.now() - ms;
        if (d < 5000) return 'just now';
        if (d < 86400000 * 2) return duration(d).replace(/ \d+ (s|min)$/, '') + ' ago';
        return dateTime(ms).slice(0, 10);
    }

    function timeCell(ms) {
        return el('time', { datetime: ms ? new Date(ms).toISOString() : null, title: dateTime(ms) }, ago(ms));
    }

    function taskLink(id, focusKey) {
        return el('a', { href: '#/task/' + id, 'data-focus-key': focusKey || null }, '#' + id);
    }

    function stateBadge(state) {
        return el('span', { class: 'badge state-' + state }, state);
    }

    /* Redraws container with build(), keeping the keyboard focus on the
       element with the same data-focus-key if it is still there. */
    function redraw(container, build) {
        var active = document.activeElement, key = null;
        if (active && container.contains(active)) key = active.getAttribute('data-focus-key');
        clear(container);
        build(container);
        if (key) {
            var again = container.querySelector('[data-focus-key="' + cssEscape(key) + '"]');
            if (again) again.focus();
        }
    }

    function cssEscape(s) { return String(s).replace(/["\\]/g, '\\$&'); }

    /* ---- talking to the broker ---- */

    function request(path, options) {
        var ctl = typeof AbortController === 'function' ? new AbortController() : null;
        var timer = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT_MS) : null;
        var init = { cache: 'no-store', credentials: 'omit', redirect: 'error', signal: ctl ? ctl.signal : undefined };
        Object.keys(options || {}).forEach(function (k) { init[k] = options[k]; });
        return fetch(API + path, init).then(function (res) {
            return res.text().then(function (text) {
                var body = null;
                try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
                return { status: res.status, ok: res.ok, body: body, text: text };
            });
        }).then(function (r) { if (timer) clearTimeout(timer); return r; },
                function (e) { if (timer) clearTimeout(timer); throw e; });
    }

    function errorText(r) {
        if (r.body && typeof r.body.error === 'string') return r.body.error;
        return 'HTTP ' + r.status + (r.text ? ': ' + r.text.slice(0, 200) : '');
    }

    function nextSource() {
        var now = Date.now(), best = null, bestScore = -1;
        ORDER.forEach(function (name) {
            if (name === 'task' && !S.taskId) return;
            var last = S.fetched[name] || 0;
            var score = last ? (now - last) / SOURCES[name].every : Infinity;
            if (score === Infinity && bestScore !== Infinity) { best = name; bestScore = score; return; }
            if (score > bestScore) { best = name; bestScore = score; }
        });
        return best;
    }

    function schedule() {
        if (S.timer) clearTimeout(S.timer);
        S.timer = null;
        if (document.visibilityState === 'hidden' || S.busy) return;
        var wait = Math.max(0, S.lastStart + TICK_MS - Date.now());
        S.timer = setTimeout(tick, wait);
    }

    function tick() {
        S.timer = null;
        if (document.visibilityState === 'hidden' || S.busy) return;
        var name = nextSource();
        if (!name) return schedule();
        var forTask = S.taskId;
        S.busy = true;
        S.lastStart = Date.now();
        S.fetched[name] = S.lastStart;
        request(SOURCES[name].path()).then(function (r) {
            S.netError = null;
            if (r.ok && r.body && typeof r.body === 'object') {
                delete S.errors[name];
                S.lastOk = Date.now();
                if (name === 'task' && forTask !== S.taskId) return;
                S.data[name] = r.body;
                draw(name);
            } else if (name === 'task' && (r.status === 404 || r.status === 400)) {
                delete S.errors[name];
                S.data.task = { missing: errorText(r), id: forTask };
                draw('task');
            } else {
                S.errors[name] = { status: r.status, text: errorText(r), body: r.body };
            }
        }, function (e) {
            if (!S.netError) S.netSince = Date.now();
            S.netError = e && e.name === 'AbortError' ? 'no answer within ' + TIMEOUT_MS / 1000 + ' s'
                : 'the connection failed';
        }).then(function () {
            S.busy = false;
            drawBanner();
            drawUpdated();
            schedule();
        });
    }

    /* The next ticks fetch these first (after an action). */
    function refreshSoon() {
        for (var i = 0; i < arguments.length; i++) S.fetched[arguments[i]] = 0;
    }

    /* ---- drawing ---- */

    function draw(name) {
        var body = S.data[name];
        /* Unchanged data and token: nothing to redraw (keeps focus and
           selection still). */
        var key = JSON.stringify(body) + '|' + (S.token ? 1 : 0);
        if (S.drawn[name] === key && name !== 'series') return;
        S.drawn[name] = key;
        if (name === 'stats') drawStats(body);
        else if (name === 'workers') drawWorkers(body);
        else if (name === 'failed') drawFailed(body);
        else if (name === 'recent') drawRecent(body);
        else if (name === 'series') drawSeries(body);
        else if (name === 'task') drawTask(body);
        if (S.data.stats && S.data.workers && S.data.failed) document.body.setAttribute('data-ready', '');
    }

    function redrawAll() {
        S.drawn = {};
        Object.keys(S.data).forEach(draw);
    }

    function drawBanner() {
        var banner = $('banner'), main = $('main');
        var errs = Object.keys(S.errors).map(function (k) { return S.errors[k]; });
        clear(banner);
        if (S.netError) {
            banner.setAttribute('data-kind', 'unreachable');
            banner.appendChild(el('strong', null, 'Cannot reach the broker'));
            banner.appendChild(document.createTextNode(' (' + S.netError + ', since ' + clock(S.netSince) +
                '). Retrying every second' + (S.lastOk ? '; the figures below are from ' + clock(S.lastOk) : '') + '.'));
        } else if (errs.length) {
            var e = errs[0];
            banner.setAttribute('data-kind', e.status === 503 ? 'unavailable' : 'error');
            banner.appendChild(el('strong', null, e.status === 503 ? 'This broker cannot serve the dashboard now: '
                : 'The broker refused a request (' + e.status + '): '));
            banner.appendChild(document.createTextNode(e.text));
            if (e.body && typeof e.body.leader === 'string' && e.body.leader && e.text.indexOf(e.body.leader) < 0)
                banner.appendChild(document.createTextNode(' The leader is ' + e.body.leader + '.'));
        }
        var bad = !!(S.netError || errs.length);
        banner.hidden = !bad;
        main.classList.toggle('stale', bad);
    }

    function drawUpdated() {
        var node = $('updated');
        var bad = !!(S.netError || Object.keys(S.errors).length);
        node.classList.toggle('live', !bad && !!S.lastOk);
        node.textContent = S.lastOk ? (bad ? 'last update ' : 'live \u00b7 updated ') + clock(S.lastOk)
            : bad ? 'no data' : 'connecting\u2026';
    }

    function drawStats(st) {
        setNum('total-queued', st.queued);
        setNum('total-running', st.running);
        setNum('total-done', st.done);
        setNum('total-failed', st.failed);
        setNum('total-workers', st.workers);
        setNum('total-slots-free', st.slots_free);
        setNum('total-slots-total', st.slots);
        var later = [];
        if (st.retrying) later.push(num(st.retrying) + ' waiting to retry');
        if (st.scheduled) later.push(num(st.scheduled) + ' scheduled');
        $('total-retrying').textContent = later.join(' · ');
        var b = st.broker || {}, store = st.store || {};
        $('broker-name').textContent = b.name || 'ztaskd';
        $('broker-role').textContent = b.role || '';
        $('broker-role').title = b.endpoint ? 'endpoint ' + b.endpoint + (b.term ? ', term ' + b.term : '') : '';
        $('broker-backend').textContent = (store.backend || '') + (store.available === false ? ' (unavailable)' : '');
        $('broker-backend').classList.toggle('warn', store.available === false);
        if (!S.taskId) document.title = (b.name ? b.name + ' \u00b7 ' : '') + 'ztask';
        drawQueue(st.types || []);
    }

    function drawQueue(types) {
        var head = $('queue-head');
        if (!head.firstChild) {
            head.appendChild(el('th', { scope: 'col', class: 'type-col' }, 'Type'));
            for (var p = 0; p <= 9; p++) {
                var th = el('th', { scope: 'col', class: 'prio', title: 'priority ' + p },
                            String(p), PRIORITY_NAMES[p] ? el('span', { class: 'pname' }, PRIORITY_NAMES[p]) : null);
                head.appendChild(th);
            }
            head.appendChild(el('th', { scope: 'col', class: 'num' }, 'Total'));
            head.appendChild(el('th', { scope: 'col', class: 'num', title: 'running now' }, 'Run'));
            head.appendChild(el('th', { scope: 'col', class: 'act-col' }, el('span', { class: 'visually-hidden' }, 'Actions')));
        }
        var max = 0;
        types.forEach(function (t) { (t.queued || []).forEach(function (q) { if (q > max) max = q; }); });
        $('queue-empty').hidden = types.length > 0;
        redraw($('queue-body'), function (body) {
            types.forEach(function (t) {
                var paused = t.paused === true;
                var row = el('tr', { 'data-type': t.type, 'data-paused': String(paused), class: paused ? 'paused' : null });
                var name = el('th', { scope: 'row', class: 'type-col' }, el('span', { class: 'tname' }, t.type));
                if (paused) name.appendChild(el('span', { class: 'badge state-paused', title: 'not dispatched until resumed' }, 'paused'));
                if (t.waiting_for_plugin) name.appendChild(el('span', { class: 'badge state-warn', title: 'tasks are queued but no connected worker has this plugin' }, 'no worker'));
                row.appendChild(name);
                var total = 0;
                for (var p = 0; p <= 9; p++) {
                    var q = (t.queued || [])[p] || 0;
                    total += q;
                    var level = q && max ? 0.12 + 0.88 * Math.log(1 + q) / Math.log(1 + max) : 0;
                    var cell = el('td', { class: 'cell' + (q ? '' : ' zero') + (level > 0.6 ? ' hot' : ''),
                                          'data-priority': p, title: q + ' queued ' + t.type + ' at priority ' + priorityLabel(p) },
                                  q ? num(q) : '\u00b7');
                    if (q) cell.style.setProperty('--heat', level.toFixed(3));
                    row.appendChild(cell);
                }
                row.appendChild(el('td', { class: 'num strong' }, num(total)));
                row.appendChild(el('td', { class: 'num' }, num(t.running)));
                var act = el('td', { class: 'act-col' });
                if (S.token && typeof t.paused === 'boolean') {
                    var action = paused ? 'resume' : 'pause';
                    act.appendChild(el('button', { type: 'button', class: 'small-btn secondary', 'data-action': action,
                                                   'data-type': t.type, 'data-focus-key': action + ':' + t.type,
                                                   'aria-label': (paused ? 'Resume ' : 'Pause ') + t.type },
                                       paused ? 'Resume' : 'Pause'));
                }
                row.appendChild(act);
                body.appendChild(row);
            });
        });
    }

    function progressOf(task, done, total, text) {
        var wrap = el('div', { class: 'progress' });
        var attrs = { 'data-task-id': task.id, max: total > 0 ? total : 1, 'aria-label': 'Progress of task ' + task.id };
        if (total > 0) attrs.value = Math.min(done, total);
        wrap.appendChild(el('progress', attrs));
        var pct = total > 0 ? Math.floor(100 * Math.min(done, total) / total) + ' %' : '';
        wrap.appendChild(el('span', { class: 'progress-text', 'data-task-id': task.id },
                            [text, pct].filter(Boolean).join(' \u00b7 ') || 'no progress reported'));
        return wrap;
    }

    function drawWorkers(doc) {
        var list = doc.workers || [];
        var slots = 0, busy = 0;
        list.forEach(function (w) { slots += w.slots || 0; busy += w.busy || 0; });
        $('workers-summary').textContent = list.length ? num(busy) + ' of ' + num(slots) + ' slots busy' : '';
        $('workers-empty').hidden = list.length > 0;
        redraw($('workers'), function (box) {
            list.forEach(function (w) {
                var card = el('article', { class: 'worker' + (w.draining ? ' draining' : ''), 'data-worker': w.name,
                                           'aria-label': 'worker ' + w.name });
                var pr = w.priorities || [];
                var prText = pr.length === 10 ? 'all priorities' : pr.length ? 'priorities ' + compactLevels(pr) : 'no priority';
                card.appendChild(el('header', null,
                    el('h3', null, w.name),
                    el('span', { class: 'muted' }, w.host || ''),
                    w.draining ? el('span', { class: 'badge state-warn' }, 'draining') : null,
                    el('span', { class: 'spacer' }),
                    el('span', { class: 'slots', title: (w.busy || 0) + ' of ' + (w.slots || 0) + ' slots busy' },
                       slotDots(w.busy || 0, w.slots || 0), ' ' + (w.busy || 0) + '/' + (w.slots || 0))));
                var meta = el('p', { class: 'meta' });
                (w.plugins || []).forEach(function (pl) {
                    meta.appendChild(el('span', { class: 'chip', title: pl.name + ' ' + pl.version }, pl.name));
                });
                meta.appendChild(el('span', { class: 'muted small' }, prText));
                card.appendChild(meta);
                // What it advertises: labels as tags (host is in the header),
                // resources but slots (the dots above) as used/total.
                var labels = w.labels || {}, resources = w.resources || {};
                var tags = el('p', { class: 'meta labels' });
                Object.keys(labels).forEach(function (k) {
                    if (k === 'host' && labels[k] === w.host) return;
                    tags.appendChild(el('span', { class: 'chip tag', 'data-label': k, title: 'label ' + k },
                                        k + '=' + labels[k]));
                });
                Object.keys(resources).forEach(function (r) {
                    if (r === 'slots') return;
                    var res = resources[r] || {};
                    tags.appendChild(el('span', { class: 'muted small', 'data-resource': r,
                                                  title: r + ': ' + (res.used || 0) + ' used of ' + (res.total || 0) },
                                        r + ' ' + num(res.used || 0) + '/' + num(res.total || 0)));
                });
                if (tags.childNodes.length) card.appendChild(tags);
                var tasks = w.tasks || [];
                if (tasks.length) {
                    var ul = el('ul', { class: 'running' });
                    tasks.forEach(function (t) {
                        ul.appendChild(el('li', { 'data-task-id': t.id },
                            el('span', { class: 'what' }, taskLink(t.id, 'w:' + t.id), ' ', t.type,
                               el('span', { class: 'muted small' }, ' ' + priorityShort(t.priority))),
                            progressOf(t, t.progress_done || 0, t.progress_total || 0, t.progress_text || '')));
                    });
                    card.appendChild(ul);
                } else {
                    card.appendChild(el('p', { class: 'muted small idle' }, 'idle'));
                }
                box.appendChild(card);
            });
        });
    }

    function slotDots(busy, slots) {
        var span = el('span', { class: 'dots', 'aria-hidden': 'true' });
        for (var i = 0; i < Math.min(slots, 16); i++) span.appendChild(el('i', { class: i < busy ? 'on' : null }));
        return span;
    }

    /* [0,1,2,3,9] -> "0-3, 9" */
    function compactLevels(levels) {
        var out = [], i = 0;
        while (i < levels.length) {
            var j = i;
            while (j + 1 < levels.length && levels[j + 1] === levels[j] + 1) j++;
            out.push(j > i ? priorityShort(levels[i]) + '\u2013' + priorityShort(levels[j]) : priorityShort(levels[i]));
            i = j + 1;
        }
        return out.join(', ');
    }

    function actionButton(action, id, label) {
        return el('button', { type: 'button', class: 'small-btn' + (action === 'cancel' ? ' danger' : ''),
                              'data-action': action, 'data-task-id': id, 'data-focus-key': action + ':' + id,
                              'aria-label': label + ' task ' + id }, label);
    }

    function drawFailed(doc) {
        var tasks = doc.tasks || [];
        $('failed-empty').hidden = tasks.length > 0;
        $('retry-all').hidden = !(S.token && tasks.length);
        redraw($('failed-body'), function (body) {
            tasks.forEach(function (t) {
                var row = el('tr', { 'data-task-id': t.id });
                row.appendChild(el('td', null, taskLink(t.id, 'f:' + t.id)));
                row.appendChild(el('td', null, t.type, el('div', { class: 'muted small' },
                    priorityShort(t.priority) + ' \u00b7 ' + t.attempts + '/' + t.max_attempts + ' attempts')));
                row.appendChild(el('td', { class: 'nowrap' }, timeCell(t.finished_ms),
                    t.worker ? el('div', { class: 'muted small' }, 'on ' + t.worker) : null));
                row.appendChild(el('td', null, el('span', { class: 'error-text', 'data-task-id': t.id }, t.error || '(no error text)')));
                row.appendChild(el('td', { class: 'actions' }, S.token ? actionButton('retry', t.id, 'Retry') : null));
                body.appendChild(row);
            });
        });
    }

    function drawRecent(doc) {
        var tasks = doc.tasks || [];
        $('recent-empty').hidden = tasks.length > 0;
        redraw($('recent-body'), function (body) {
            tasks.forEach(function (t) {
                var row = el('tr', { 'data-task-id': t.id, 'data-state': t.state });
                row.appendChild(el('td', null, taskLink(t.id, 'r:' + t.id)));
                row.appendChild(el('td', null, t.type));
                row.appendChild(el('td', null, priorityLabel(t.priority)));
                row.appendChild(el('td', null, stateBadge(t.state)));
                row.appendChild(el('td', { class: 'num' }, t.attempts + '/' + t.max_attempts));
                row.appendChild(el('td', null, t.worker || ''));
                row.appendChild(el('td', { class: 'nowrap' }, timeCell(t.created_ms)));
                var cell = el('td', { class: 'actions' });
                if (S.token && (t.state === 'failed' || t.state === 'cancelled')) cell.appendChild(actionButton('retry', t.id, 'Retry'));
                if (S.token && (t.state === 'queued' || t.state === 'running' || t.state === 'scheduled')) cell.appendChild(actionButton('cancel', t.id, 'Cancel'));
                row.appendChild(cell);
                body.appendChild(row);
            });
        });
    }

    /* ---- charts (inline SVG) ---- */

    function niceMax(v) {
        if (!(v > 0)) return 1;
        var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    }

    /* lines: [{values: [..], cls: 'done', kind: 'area'|'line'|'bars'}] over times[] (ms) */
    function chart(box, times, lines, fmt, label, floor) {
        var width = Math.max(280, Math.floor(box.clientWidth || 560)), height = 132;
        var left = 46, right = 8, top = 8, bottom = 20;
        var w = width - left - right, h = height - top - bottom;
        var end = S.data.series.now_ms || Date.now(), start = end - 3600000;
        var step = (S.data.series.bucket_s || 10) * 1000;
        var max = 0;
        lines.forEach(function (l) { l.values.forEach(function (v) { if (v > max) max = v; }); });
        max = niceMax(Math.max(max, floor || 0));
        var x = function (t) { return left + w * (t - start) / (end - start); };
        var y = function (v) { return top + h - h * Math.min(v, max) / max; };
        var root = svg('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': label });
        root.appendChild(svg('title', { text: label }));
        [0, 0.5, 1].forEach(function (f) {
            var v = max * f, yy = Math.round(y(v)) + 0.5;
            root.appendChild(svg('line', { x1: left, x2: left + w, y1: yy, y2: yy, class: 'grid' }));
            root.appendChild(svg('text', { x: left - 6, y: yy + 4, 'text-anchor': 'end', class: 'axis', text: fmt(v) }));
        });
        [60, 45, 30, 15, 0].forEach(function (m) {
            var xx = x(end - m * 60000);
            root.appendChild(svg('text', { x: xx, y: height - 5, 'text-anchor': m === 60 ? 'start' : m === 0 ? 'end' : 'middle',
                                           class: 'axis', text: m ? '\u2212' + m + ' min' : 'now' }));
        });
        lines.forEach(function (l) {
            if (!times.length) return;
            if (l.kind === 'bars') {
                var bw = Math.max(1, w * step / 3600000 - 0.5);
                l.values.forEach(function (v, i) {
                    if (!v) return;
                    root.appendChild(svg('rect', { x: x(times[i]), y: y(v), width: bw, height: top + h - y(v), class: 'bar ' + l.cls }));
                });
                return;
            }
            var d = '';
            l.values.forEach(function (v, i) {
                d += (i ? 'L' : 'M') + x(times[i] + step / 2).toFixed(1) + ' ' + y(v || 0).toFixed(1);
            });
            if (l.kind === 'area') {
                var area = d + 'L' + x(times[times.length - 1] + step / 2).toFixed(1) + ' ' + (top + h) +
                    'L' + x(times[0] + step / 2).toFixed(1) + ' ' + (top + h) + 'Z';
                root.appendChild(svg('path', { d: area, class: 'area ' + l.cls }));
            }
            root.appendChild(svg('path', { d: d, class: 'line ' + l.cls }));
        });
        clear(box);
        box.appendChild(root);
    }

    function drawSeries(doc) {
        var buckets = doc.buckets || [];
        var times = buckets.map(function (b) { return b.t_ms; });
        var pick = function (k) { return buckets.map(function (b) { return +b[k] || 0; }); };
        var done = pick('done'), failed = pick('failed');
        var sum = function (a) { return a.reduce(function (s, v) { return s + v; }, 0); };
        var recent = buckets.slice(-6);
        var perMin = recent.reduce(function (s, b) { return s + (+b.done || 0); }, 0);
        var waits = recent.filter(function (b) { return b.done || b.failed || b.wait_ms_avg; });
        var wait = waits.length ? waits.reduce(function (s, b) { return s + (+b.wait_ms_avg || 0); }, 0) / waits.length : 0;
        var summary = num(sum(done)) + ' done, ' + num(sum(failed)) + ' failed in the last hour; ' +
            num(perMin) + ' done in the last minute';
        $('series-summary').textContent = summary;
        chart($('chart-throughput'), times, [{ values: done, cls: 'done', kind: 'area' }, { values: failed, cls: 'failed', kind: 'bars' }],
              function (v) { return num(Math.round(v)); }, 'Tasks done and failed per 10 seconds over the last hour: ' + summary, 2);
        chart($('chart-wait'), times, [{ values: pick('wait_ms_max'), cls: 'max', kind: 'line' }, { values: pick('wait_ms_avg'), cls: 'avg', kind: 'area' }],
              function (v) { return v ? duration(v).replace(/ \d+ (s|min)$/, '') : '0'; },
              'Queue wait per 10 seconds over the last hour; average in the last minute ' + duration(wait), 10);
    }

    /* ---- the task page ---- */

    function drawTask(t) {
        if (!t || Number(t.id) !== S.taskId) return;
        $('task-id').textContent = String(t.id);
        var missing = $('task-missing');
        missing.hidden = !t.missing;
        missing.textContent = t.missing ? 'No such task: ' + t.missing : '';
        $('task-body').hidden = !!t.missing;
        $('task-state').textContent = t.state || '';
        $('task-state').className = 'badge state-' + (t.state || 'none');
        redraw($('task-actions'), function (box) {
            if (!S.token || t.missing) return;
            if (t.state === 'failed' || t.state === 'cancelled') box.appendChild(actionButton('retry', t.id, 'Retry'));
            if (t.state === 'queued' || t.state === 'running' || t.state === 'scheduled') box.appendChild(actionButton('cancel', t.id, 'Cancel'));
        });
        if (t.missing) { clear($('task-history')); $('history-empty').hidden = true; return; }
        redraw($('task-fields'), function (dl) {
            var add = function (k, v, extra) {
                if (v === '' || v === null || v === undefined) return;
                dl.appendChild(el('div', null, el('dt', null, k), el('dd', null, v, extra || null)));
            };
            add('Type', t.type);
            add('Priority', priorityLabel(t.priority));
            add('Attempts', t.attempts + ' of ' + t.max_attempts);
            // What it asks of its worker (docs/routing.md), and why it waits.
            if (Array.isArray(t.require) && t.require.length) add('Requires', t.require.join('; '));
            if (t.version) add('Version', t.type + t.version);
            add('Needs', t.needs);
            add('Limit', t.limit);
            if (t.state === 'queued' && t.waiting && t.waiting.text) add('Waiting', t.waiting.text);
            add('Worker', t.worker);
            add('Created', dateTime(t.created_ms), el('span', { class: 'muted' }, ' ' + ago(t.created_ms)));
            if (t.started_ms) add('Started', dateTime(t.started_ms), el('span', { class: 'muted' }, ' waited ' + duration(t.started_ms - t.created_ms)));
            if (t.finished_ms) add('Finished', dateTime(t.finished_ms), t.started_ms ? el('span', { class: 'muted' }, ' ran ' + duration(t.finished_ms - t.started_ms)) : null);
            else if (t.state === 'running' && t.started_ms) add('Running for', duration(Date.now() - t.started_ms));
        });
        var pg = t.progress || {};
        var showProgress = t.state === 'running' || pg.total > 0;
        $('task-progress-wrap').hidden = !showProgress;
        if (showProgress) {
            var bar = $('task-progress');
            bar.setAttribute('data-task-id', t.id);
            bar.setAttribute('max', pg.total > 0 ? pg.total : 1);
            if (pg.total > 0) bar.setAttribute('value', Math.min(pg.done, pg.total)); else bar.removeAttribute('value');
            $('task-progress-text').textContent = [pg.text, pg.total > 0 ? Math.floor(100 * Math.min(pg.done, pg.total) / pg.total) + ' %' : '']
                .filter(Boolean).join(' \u00b7 ') || 'no progress reported';
        }
        $('task-error-wrap').hidden = !t.error;
        $('task-error').textContent = t.error || '';
        var result = typeof t.result === 'string' ? t.result
            : typeof t.result_base64 === 'string' ? '(' + num(t.result_size) + ' bytes, not text)' : '';
        $('task-result-wrap').hidden = !result;
        $('task-result').textContent = result.length > 4000 ? result.slice(0, 4000) + '\u2026' : result;
        var history = Array.isArray(t.history) ? t.history : [];
        $('history-empty').hidden = history.length > 0;
        redraw($('task-history'), function (ol) {
            history.forEach(function (h) {
                var what = [];
                if (h.attempt) what.push('attempt ' + h.attempt);
                if (h.worker) what.push('on ' + h.worker);
                ol.appendChild(el('li', { 'data-event': h.event, class: 'ev-' + h.event },
                    el('time', { datetime: new Date(h.at_ms).toISOString(), title: dateTime(h.at_ms) }, clock(h.at_ms)),
                    el('span', { class: 'badge state-' + h.event }, h.event),
                    el('span', { class: 'muted small' }, what.join(' ')),
                    h.text ? el('span', { class: 'ev-text' }, h.text) : null));
            });
        });
    }

    /* ---- actions ---- */

    function showResult(ok, text, status) {
        var box = $('action-result');
        clear(box);
        box.setAttribute('data-status', ok ? 'ok' : 'error');
        if (status) box.setAttribute('data-http', String(status)); else box.removeAttribute('data-http');
        box.appendChild(el('span', { class: 'msg' }, text));
        var close = el('button', { type: 'button', class: 'link-btn', 'aria-label': 'Dismiss' }, '\u00d7');
        close.addEventListener('click', function () { box.hidden = true; });
        box.appendChild(close);
        box.hidden = false;
    }

    function act(path, what, button) {
        if (!S.token) {
            showResult(false, what + ': enter the API token first (Token, top right).');
            return;
        }
        if (button) button.disabled = true;
        request(path, { method: 'POST', headers: { Authorization: 'Bearer ' + S.token } }).then(function (r) {
            if (r.ok) {
                var b = r.body || {};
                var text = typeof b.retried === 'number' ? (b.retried ? 'requeued ' + b.retried + ' task' + (b.retried === 1 ? '' : 's') +
                                                             (Array.isArray(b.ids) && b.ids.length ? ' (#' + b.ids.slice(0, 10).join(', #') + (b.ids.length > 10 ? ', \u2026' : '') + ')' : '')
                                                             : 'nothing to retry')
                    : typeof b.purged === 'number' ? 'purged ' + b.purged
                    : typeof b.paused === 'boolean' ? (b.paused ? 'paused' : 'resumed') + ' type ' + b.type
                    : b.state ? 'task ' + b.id + ' is now ' + b.state : 'done';
                showResult(true, what + ': ' + text + '.', r.status);
                refreshSoon('failed', 'recent', 'stats', 'task');
            } else if (r.status === 401) {
                showResult(false, what + ' refused (401): ' + errorText(r) + '. Enter the API token.', 401);
            } else if (r.status === 403) {
                showResult(false, what + ' refused (403): ' + errorText(r) + '.', 403);
            } else {
                showResult(false, what + ' failed (' + r.status + '): ' + errorText(r) + '.', r.status);
            }
        }, function () {
            showResult(false, what + ': the broker did not answer.');
        }).then(function () {
            if (button && document.body.contains(button)) button.disabled = false;
        });
    }

    document.addEventListener('click', function (ev) {
        var b = ev.target.closest ? ev.target.closest('button[data-action]') : null;
        if (!b) return;
        var a = b.getAttribute('data-action'), id = b.getAttribute('data-task-id'), type = b.getAttribute('data-type');
        if (a === 'retry' && id) act('tasks/' + encodeURIComponent(id) + '/retry', 'Retry #' + id, b);
        else if (a === 'cancel' && id) {
            if (window.confirm('Cancel task #' + id + '?')) act('tasks/' + encodeURIComponent(id) + '/cancel', 'Cancel #' + id, b);
        } else if ((a === 'pause' || a === 'resume') && type)
            act('types/' + encodeURIComponent(type) + '/' + a, (a === 'pause' ? 'Pause ' : 'Resume ') + type, b);
        else if (a === 'retry-all') {
            if (window.confirm('Requeue every failed task of the last hour?')) act('retry?state=failed&since=1h', 'Retry failed (last hour)', b);
        }
    });

    /* ---- token ---- */

    function loadToken() {
        try { S.token = window.sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { S.token = ''; }
        drawToken();
    }

    function drawToken() {
        $('token-state').textContent = S.token ? 'set' : 'none';
        $('token-state').className = S.token ? 'on' : '';
        document.body.classList.toggle('has-token', !!S.token);
    }

    $('token-form').addEventListener('submit', function (ev) {
        ev.preventDefault();
        var input = $('token-input');
        S.token = input.value.trim();
        input.value = '';
        try {
            if (S.token) window.sessionStorage.setItem(TOKEN_KEY, S.token);
            else window.sessionStorage.removeItem(TOKEN_KEY);
        } catch (e) { /* storage off: the token lasts until the page is left */ }
        drawToken();
        redrawAll();
        showResult(true, S.token ? 'Token saved for this tab: the action buttons are on.' : 'No token: the action buttons are off.');
        $('settings').open = false;
        $('settings-summary').focus();
    });

    $('token-forget').addEventListener('click', function () {
        S.token = '';
        try { window.sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing kept */ }
        $('token-input').value = '';
        drawToken();
        redrawAll();
        showResult(true, 'Token forgotten.');
    });

    /* ---- routing: #/ and #/task/ID ---- */

    function route() {
        var m = /^#\/task\/(\d{1,20})$/.exec(window.location.hash);
        var id = m ? Number(m[1]) : 0;
        var changed = id !== S.taskId;
        S.taskId = id;
        $('overview').hidden = !!id;
        $('task-page').hidden = !id;
        if (id && changed) {
            S.data.task = null;
            S.drawn.task = null;
            $('task-id').textContent = String(id);
            $('task-state').textContent = '';
            clear($('task-fields')); clear($('task-history')); clear($('task-actions'));
            $('task-missing').hidden = false;
            $('task-missing').textContent = 'Loading\u2026';
            refreshSoon('task');
            document.title = 'Task ' + id + ' \u00b7 ztask';
            $('task-h').setAttribute('tabindex', '-1');
            $('task-h').focus();
            schedule();
        } else if (!id && changed) {
            document.title = 'ztask';
            redrawAll();   /* the charts take the width they have now */
        }
    }

    window.addEventListener('hashchange', route);

    $('skip-link').addEventListener('click', function (ev) {
        ev.preventDefault();
        $('main').focus();
    });

    $('goto-form').addEventListener('submit', function (ev) {
        ev.preventDefault();
        var v = $('goto-input').value.replace(/[#\s]/g, '');
        if (/^\d{1,20}$/.test(v)) { window.location.hash = '#/task/' + v; $('goto-input').value = ''; }
    });

    document.addEventListener('keydown', function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
        var tag = (ev.target && ev.target.tagName) || '';
        if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag)) {
            if (ev.key === 'Escape') ev.target.blur();
            return;
        }
        if (ev.key === 'g') { window.location.hash = '#/'; }
        else if (ev.key === 't') { ev.preventDefault(); $('settings').open = true; $('token-input').focus(); }
        else if (ev.key === '/') { ev.preventDefault(); $('goto-input').focus(); }
        else if (ev.key === 'Escape' && $('settings').open) { $('settings').open = false; $('settings-summary').focus(); }
    });

    document.addEventListener('visibilitychange', function () {
        if (document.visibilityState === 'hidden') {
            if (S.timer) clearTimeout(S.timer);
            S.timer = null;
        } else {
            schedule();
        }
    });

    var resizeTimer = null;
    window.addEventListener('resize', function () {
        clearTimeout(resizeTimer);
        resizeTimer = setTimeout(function () { if (S.data.series) drawSeries(S.data.series); }, 150);
    });

    loadToken();
    route();
    schedule();
})();
