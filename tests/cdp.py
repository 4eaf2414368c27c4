#!/usr/bin/env python3
# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at http://mozilla.org/MPL/2.0/.
"""cdp.py - drives headless Chromium through the DevTools protocol, with
the Python standard library only (tests/dashboard.sh, scripts/dashboard-shot.sh).

Chromium is started with --remote-debugging-pipe: it reads commands on its
fd 3 and writes answers and events on its fd 4, one JSON message each,
ended by a NUL byte. No websocket, no port, nothing else to install.

    cdp.py [--chromium PATH] [--size 1440x900] [--timeout S] URL STEP...

Steps run in order; each is a word and its arguments:
    wait EXPR            until the JavaScript EXPR is truthy in the page
                         (checked every 50 ms; fails after --timeout s)
    until EXPR           the same, but prints "true", or "false" at the
                         deadline, and goes on
    eval EXPR            print EXPR's value on a line of its own: a string
                         as it is (newlines as spaces), anything else as JSON
    sh COMMAND           run COMMAND with /bin/sh; fails unless it exits 0
    type SELECTOR TEXT   focus the element and type TEXT (Input.insertText)
    key NAME             press Enter, Tab, Escape or a character key
    focus SELECTOR       focus the element
    click SELECTOR       a real mouse click on the element's centre
    shot FILE            a PNG screenshot of the viewport
    noerrors             fail if the page threw an uncaught exception
Dialogs (confirm, alert) are accepted. Exits 0 when every step passed,
1 when one failed (why on stderr, with the page's text), 2 on bad usage.
"""
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import base64

KEYS = {"Enter": (13, "\r"), "Tab": (9, ""), "Escape": (27, ""), "Space": (32, " ")}


class Failed(Exception):
    pass


class Browser:
    def __init__(self, chromium, size, timeout):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="ztask-cdp.")
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # The child's ends are moved out of the way of fds 3 and 4 first.
        a = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        b = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def child_fds():
            os.dup2(a, 3)
            os.dup2(b, 4)

        width, height = size.split("x")
        self.size = (int(width), int(height))
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
                "--window-size=%s,%s" % (width, height), "--hide-scrollbars", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--disable-component-update", "--mute-audio",
                "--force-color-profile=srgb", "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=child_fds, close_fds=False, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(a)
        os.close(b)
        os.set_inheritable(to_child_w, False)
        os.set_inheritable(from_child_r, False)
        self.out = to_child_w
        self.inp = from_child_r
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.exceptions = []

    def close(self):
        try:
            os.close(self.out)
        except OSError:
            pass
        try:
            self.proc.terminate()
            self.proc.wait(5)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failed("chromium did not answer in time")
            ready, _, _ = select.select([self.inp], [], [], left)
            if not ready:
                continue
            data = os.read(self.inp, 1 << 16)
            if not data:
                raise Failed("chromium closed the DevTools pipe (exit %s)" % self.proc.poll())
            self.buf += data
        message, self.buf = self.buf.split(b"\0", 1)
        return json.loads(message)

    def _event(self, m):
        method = m.get("method", "")
        if method == "Page.javascriptDialogOpening":
            self.send_async("Page.handleJavaScriptDialog", {"accept": True})
        elif method == "Runtime.exceptionThrown":
            d = m["params"]["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text", "")
            self.exceptions.append(text)
            sys.stderr.write("cdp: page exception: %s\n" % text)

    def send_async(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.out, data):]
        return self.next_id

    def call(self, method, params=None, session=True):
        wanted = self.send_async(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == wanted:
                if "error" in m:
                    raise Failed("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            if "method" in m:
                self._event(m)

    def open(self, url):
        targets = self.call("Target.getTargets", session=False)["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        if pages:
            target = pages[0]["targetId"]
        else:
            target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        width, height = self.size
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": url})

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise Failed("%s: %s" % (expr, d.get("exception", {}).get("description") or d.get("text")))
        return r.get("result", {}).get("value")

    def page_text(self):
        try:
            return self.evaluate("document.body ? document.body.innerText : ''") or ""
        except Failed:
            return ""


ARITY = {"wait": 1, "until": 1, "sh": 1, "eval": 1, "type": 2, "key": 1, "focus": 1, "click": 1, "shot": 1, "noerrors": 0}


def run(browser, steps, wait_s):
    i = 0
    while i < len(steps):
        word = steps[i]
        arity = ARITY
        if word not in arity or len(steps) - (i + 1) < arity[word]:
            raise SystemExit("cdp.py: bad step '%s' (see the usage at the top of tests/cdp.py)" % word)
        args = steps[i + 1:i + 1 + arity[word]]
        i += 1 + arity[word]
        if word in ("wait", "until"):
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    if browser.evaluate("!!(%s)" % args[0]):
                        met = True
                        break
                except Failed:
                    pass  # the page is loading: its scripts are not there yet
                if time.monotonic() >= deadline:
                    met = False
                    break
                time.sleep(0.05)
            if word == "until":
                print("true" if met else "false", flush=True)
            elif not met:
                raise Failed("still false after %g s: %s" % (wait_s, args[0]))
        elif word == "sh":
            rc = subprocess.call(["/bin/sh", "-c", args[0]], stdin=subprocess.DEVNULL, stdout=sys.stderr)
            if rc != 0:
                raise Failed("exit %d from: %s" % (rc, args[0]))
        elif word == "eval":
            value = browser.evaluate(args[0])
            if isinstance(value, str):
                print(" ".join(value.splitlines()), flush=True)
            else:
                print(json.dumps(value), flush=True)
        elif word in ("focus", "type"):
            sel = json.dumps(args[0])
            if not browser.evaluate("(function(){var e=document.querySelector(%s); if(!e) return false; "
                                    "e.focus(); return document.activeElement===e;})()" % sel):
                raise Failed("cannot focus %s" % args[0])
            if word == "type":
                browser.call("Input.insertText", {"text": args[1]})
        elif word == "key":
            code, text = KEYS.get(args[0], (ord(args[0].upper()[0]), args[0]))
            base = {"key": args[0], "code": args[0], "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
            down = dict(base, type="keyDown")
            if text:
                down["text"] = text
            browser.call("Input.dispatchKeyEvent", down)
            browser.call("Input.dispatchKeyEvent", dict(base, type="keyUp"))
        elif word == "click":
            sel = json.dumps(args[0])
            point = browser.evaluate("(function(){var e=document.querySelector(%s); if(!e) return null; "
                                     "e.scrollIntoView({block:'center'}); var r=e.getBoundingClientRect(); "
                                     "return [r.left+r.width/2, r.top+r.height/2];})()" % sel)
            if not point:
                raise Failed("nothing to click: %s" % args[0])
            for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
                event = {"type": kind, "x": point[0], "y": point[1]}
                if kind != "mouseMoved":
                    event.update(button="left", clickCount=1)
                browser.call("Input.dispatchMouseEvent", event)
        elif word == "shot":
            data = browser.call("Page.captureScreenshot", {"format": "png"})["data"]
            with open(args[0], "wb") as f:
                f.write(base64.b64decode(data))
        elif word == "noerrors":
            if browser.exceptions:
                raise Failed("the page threw: %s" % "; ".join(browser.exceptions))


def main(argv):
    chromium, size, timeout = os.environ.get("CHROMIUM", "chromium"), "1440x900", 20.0
    args = argv[1:]
    while args and args[0].startswith("--"):
        if len(args) < 2:
            raise SystemExit(2)
        if args[0] == "--chromium":
            chromium = args[1]
        elif args[0] == "--size":
            size = args[1]
        elif args[0] == "--timeout":
            timeout = float(args[1])
        else:
            sys.stderr.write("cdp.py: unknown option %s\n" % args[0])
            return 2
        args = args[2:]
    if not args:
        sys.stderr.write(__doc__)
        return 2
    browser = Browser(chromium, size, timeout)
    try:
        browser.open(args[0])
        run(browser, args[1:], timeout)
        return 0
    except Failed as e:
        sys.stderr.write("cdp: %s\n" % e)
        text = browser.page_text() if browser.proc.poll() is None else ""
        if text:
            sys.stderr.write("cdp: the page reads:\n" + "".join("  | " + l + "\n" for l in text.splitlines()[:80]))
        return 1
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
