#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol (--remote-debugging-pipe: no extra
package) through the dashboard of a running `nightshift serve`, for the dashboard's test:
sign in with a token, read the home page, press retry on a job; filter the jobs of QUEUE, page
through them and retry them all with the bulk button; measure every page's width on a 390 px
phone; and keep screenshots.

    browser-check.py BASE_URL TOKEN JOB_ID OUT_DIR QUEUE

Prints one JSON object with what each page rendered (text and DOM facts), for the test to
check. The browser runs no page script of ours: the pages have none; the protocol reads them."""
import base64, json, os, shutil, subprocess, sys, tempfile, time

base, token, job_id, out, queue = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
chromium = next((p for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] if os.path.exists(p)), None)
if not chromium:
    sys.exit("chromium is not installed (Debian package chromium; ops/test.sh installs it)")
os.makedirs(out, exist_ok=True)
profile = tempfile.mkdtemp(prefix="ns-chromium-")
to_browser_r, to_browser_w = os.pipe()
from_browser_r, from_browser_w = os.pipe()
os.set_inheritable(to_browser_r, True)
os.set_inheritable(from_browser_w, True)
# Chromium reads commands on fd 3 and writes replies on fd 4.
browser = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
     "--remote-debugging-pipe", f"--user-data-dir={profile}", "--window-size=412,900", "about:blank"],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    preexec_fn=lambda: (os.dup2(to_browser_r, 3), os.dup2(from_browser_w, 4)), close_fds=False)
os.close(to_browser_r)
os.close(from_browser_w)
reader = os.fdopen(from_browser_r, "rb", buffering=0)
pending = b""
next_id = 0
events = []

def receive(deadline):
    global pending
    while b"\0" not in pending:
        if time.time() > deadline:
            raise TimeoutError("no answer from chromium")
        chunk = reader.read(65536)
        if not chunk:
            raise EOFError("chromium exited")
        pending += chunk
    message, pending = pending.split(b"\0", 1)
    return json.loads(message)

def call(method, params=None, session=None, timeout=30):
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_browser_w, json.dumps(message).encode() + b"\0")
    deadline = time.time() + timeout
    while True:
        reply = receive(deadline)
        if reply.get("id") == next_id:
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            return reply.get("result", {})
        events.append(reply)

def wait_for_load(session, timeout=30):
    deadline = time.time() + timeout
    while True:
        for event in events:
            if event.get("method") == "Page.loadEventFired" and event.get("sessionId") == session:
                events.remove(event)
                return
        events.append(receive(deadline))

def evaluate(session, expression):
    return call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)["result"].get("value")

def goto(session, url):
    call("Page.navigate", {"url": url}, session)
    wait_for_load(session)

def screenshot(session, name):
    data = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(os.path.join(out, name), "wb") as f:
        f.write(base64.b64decode(data))

result = {}
try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", session=session)
    call("Runtime.enable", session=session)

    goto(session, base + "/")
    result["unsigned_path"] = evaluate(session, "location.pathname")
    result["sign_in_form"] = evaluate(session, "document.querySelectorAll('form[action=\"/sign-in\"] textarea[name=token]').length")
    screenshot(session, "01-sign-in.png")

    evaluate(session, f"document.querySelector('textarea[name=token]').value = {json.dumps(token)}; "
                      "document.querySelector('form[action=\"/sign-in\"]').submit(); true")
    wait_for_load(session)
    result["home_path"] = evaluate(session, "location.pathname")
    result["home_title"] = evaluate(session, "document.querySelector('h1').textContent")
    result["home_lines"] = evaluate(session, "[...document.querySelectorAll('ul.net li')].map(li => [li.dataset.status, li.querySelector('strong').textContent])")
    result["home_text"] = evaluate(session, "document.body.innerText")
    result["cookie_visible_to_script"] = evaluate(session, "document.cookie")
    screenshot(session, "02-home.png")

    goto(session, f"{base}/ui/jobs/{job_id}")
    result["job_state_before"] = evaluate(session, "[document.getElementById('state').dataset.state, document.getElementById('state').textContent]")
    result["job_text"] = evaluate(session, "document.body.innerText")
    result["retry_buttons"] = evaluate(session, f"document.querySelectorAll('form[action=\"/ui/jobs/{job_id}/retry\"] button').length")
    screenshot(session, "03-job-discarded.png")
    evaluate(session, f"document.querySelector('form[action=\"/ui/jobs/{job_id}/retry\"] button').click(); true")
    wait_for_load(session)
    result["job_state_after"] = evaluate(session, "[document.getElementById('state').dataset.state, document.getElementById('state').textContent]")
    screenshot(session, "04-job-retried.png")

    for name in ["queues", "backups", "extratos"]:
        goto(session, f"{base}/ui/{name}")
        result[f"{name}_title"] = evaluate(session, "document.querySelector('h1').textContent")
        result[f"{name}_svg"] = evaluate(session, "document.querySelectorAll('svg').length")
        result[f"{name}_text"] = evaluate(session, "document.body.innerText")
        screenshot(session, f"05-{name}.png")

    # The Jobs page as a person uses it: the filter form, the next page, the bulk retry.
    goto(session, f"{base}/ui/jobs")
    evaluate(session, "document.querySelector('select[name=state]').value = 'discarded'; "
                      f"document.querySelector('input[name=queue]').value = {json.dumps(queue)}; "
                      "document.querySelector('form.filters').submit(); true")
    wait_for_load(session)
    rows = "[...document.querySelectorAll('#jobs tr[data-job]')].map(tr => [+tr.dataset.job, tr.querySelector('[data-state]').dataset.state, tr.children[2].textContent])"
    result["filtered_search"] = evaluate(session, "location.search")
    result["filtered_rows"] = evaluate(session, rows)
    result["filtered_text"] = evaluate(session, "document.body.innerText")
    screenshot(session, "06-jobs-filtered.png")
    evaluate(session, "document.getElementById('next-page').click(); true")
    wait_for_load(session)
    result["next_rows"] = evaluate(session, rows)
    result["next_has_next"] = evaluate(session, "document.getElementById('next-page') !== null")
    evaluate(session, "document.getElementById('first-page').click(); true")
    wait_for_load(session)
    evaluate(session, "document.getElementById('bulk-retry').click(); true")
    wait_for_load(session)
    result["bulk_count"] = evaluate(session, "document.getElementById('bulk-count').textContent")
    screenshot(session, "07-bulk-confirm.png")
    evaluate(session, "document.getElementById('bulk-confirm').click(); true")
    wait_for_load(session)
    result["after_bulk_search"] = evaluate(session, "location.search")

    # A 390 px phone: no page may be wider than the screen (tables scroll in their own box).
    call("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}, session)
    widths = {}
    for path in ["/", "/ui/jobs", f"/ui/jobs?queue={queue}", f"/ui/jobs/{job_id}", "/ui/queues", "/ui/schedules",
                 "/ui/backups", "/ui/extratos", "/ui/branches"]:
        goto(session, base + path)
        widths[path] = [evaluate(session, "document.documentElement.scrollWidth"), evaluate(session, "window.innerWidth")]
    result["phone_widths"] = widths
    screenshot(session, "08-phone-jobs.png")
finally:
    try:
        call("Browser.close", timeout=5)
    except Exception:
        pass
    browser.kill()
    browser.wait()
    shutil.rmtree(profile, ignore_errors=True)
print(json.dumps(result, ensure_ascii=False))
