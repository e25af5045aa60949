#!/usr/bin/python3
"""Take the README's screenshots from a running Odoo with llm_mcp_server installed.

Drives headless Chromium over the DevTools protocol (python3-websocket, python3-requests: the packages Odoo's
own browser tests use) as a person would: MCP Server settings, Preferences → Account Security, New MCP Key →
password → name, read-only → the one-time result with the client configurations, My MCP Keys, and the
Prompts (LLM → Configuration → Prompts, list and one prompt's messages), and the Tools list. Writes
docs/screenshots/*.png, and copies those the addons' manifests show (``images``) to their static/description/.

    scripts/screenshots.py --url http://127.0.0.1:8069 --db odoo --login admin --password admin

It creates a real MCP key for that user: run it against a throw-away database (scripts/screenshots.sh does).
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
# The screenshots an addon's manifest shows in the Apps screen (its "images"): docs/screenshots/<name> → here.
MANIFEST_IMAGES = {
    "new-mcp-key-result.png": "odoo_addon/llm_mcp_server/static/description/new-mcp-key-result.png",
    "mcp-server-settings.png": "odoo_addon/llm_mcp_server/static/description/mcp-server-settings.png",
    "tools.png": "odoo_addon/llm_tool/static/description/tools.png",
}

# Page-side helpers: wait for a selector, click it, type into an input the way Owl listens to it.
PAGE_HELPERS = """
window.__shot = {
    async waitFor(selector, timeout = 15000) {
        const start = Date.now();
        while (Date.now() - start < timeout) {
            const element = document.querySelector(selector);
            if (element && element.offsetParent !== null) return element;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error("Timed out waiting for " + selector);
    },
    async click(selector) {
        (await this.waitFor(selector)).click();
    },
    async clickText(selector, text, timeout = 15000) {
        const start = Date.now();
        while (Date.now() - start < timeout) {
            const element = [...document.querySelectorAll(selector)].find((e) => e.textContent.includes(text));
            if (element) return element.click();
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error("Timed out waiting for " + selector + " containing " + text);
    },
    async type(selector, value) {
        const input = await this.waitFor(selector);
        input.focus();
        input.value = value;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
        input.blur();
    },
};
"""


class Browser:
    """One headless Chromium page, driven over the DevTools protocol."""

    def __init__(self, chromium, width, height):
        self.profile = tempfile.mkdtemp(prefix="llm_mcp_shots_")
        self.process = subprocess.Popen([
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--remote-debugging-port=0", "--user-data-dir=" + self.profile,
            "--window-size=%d,%d" % (width, height), "about:blank",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile, "DevToolsActivePort")
        for _attempt in range(100):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        else:
            self.close()
            raise RuntimeError("Chromium did not start (no DevToolsActivePort)")
        port = port_file.read_text().split()[0]
        pages = requests.get("http://127.0.0.1:%s/json" % port, timeout=10).json()
        page = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)
        self.next_id = 0

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message["result"]

    def run(self, code):
        """Evaluate ``code`` (an async function body) in the page; raise if it throws."""
        result = self.send("Runtime.evaluate", expression="(async () => {%s})()" % code,
                           awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    def goto(self, url, ready_selector):
        self.send("Page.navigate", url=url)
        time.sleep(0.5)
        for _attempt in range(100):
            if self.send("Runtime.evaluate", expression="document.readyState",
                         returnByValue=True)["result"].get("value") == "complete":
                break
            time.sleep(0.1)
        self.run(PAGE_HELPERS)
        self.run("await __shot.waitFor(%s);" % json.dumps(ready_selector))

    def screenshot(self, path):
        # Let animations (dialog fade-in, notifications) settle first.
        time.sleep(0.8)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        print("wrote", path)

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def login(url, db, user, password):
    """Return a logged-in requests session for ``user`` (JSON-RPC /web/session/authenticate)."""
    session = requests.Session()
    response = session.post(url + "/web/session/authenticate", json={
        "jsonrpc": "2.0", "method": "call", "params": {"db": db, "login": user, "password": password}},
        timeout=30)
    body = response.json()
    if body.get("error") or not body.get("result", {}).get("uid"):
        raise SystemExit("Login as %s on %s failed: %s" % (user, url, body.get("error", {}).get("message")))
    return session


def set_public_url(session, url, public_url):
    """Write the MCP Server setting the configurations are filled with (what a reverse proxy would use)."""
    def call(model, method, *args):
        response = session.post(url + "/web/dataset/call_kw", json={"jsonrpc": "2.0", "method": "call", "params": {
            "model": model, "method": method, "args": list(args), "kwargs": {}}}, timeout=30).json()
        if response.get("error"):
            raise SystemExit("%s.%s failed: %s" % (model, method, response["error"].get("message")))
        return response["result"]
    [config] = call("llm.mcp.config", "search", [])
    call("llm.mcp.config", "write", [config], {"public_url": public_url})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--public-url", help="set the MCP Server's public URL first (needs an LLM manager)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--only", choices=["keys", "prompts", "tools"], help="take only these screens (default: all)")
    args = parser.parse_args()
    url = args.url.rstrip("/")
    os.makedirs(args.out, exist_ok=True)

    session = login(url, args.db, args.login, args.password)
    if args.public_url:
        set_public_url(session, url, args.public_url)
    browser = Browser(args.chromium, 1280, 1000)
    try:
        host = requests.utils.urlparse(url).hostname
        browser.send("Network.enable")
        browser.send("Network.setCookie", name="session_id", value=session.cookies["session_id"], domain=host, path="/")

        if args.only in (None, "keys"):
            key_screens(browser, url, args)
        if args.only in (None, "prompts"):
            prompt_screens(browser, url, args)
        if args.only in (None, "tools"):
            tool_screens(browser, url, args)
    finally:
        browser.close()
    for name, target in MANIFEST_IMAGES.items():
        taken = Path(args.out, name)
        if taken.exists() and Path(args.out).resolve() == (ROOT / "docs" / "screenshots").resolve():
            shutil.copyfile(taken, ROOT / target)
            print("copied", name, "to", target)
    return 0


def key_screens(browser, url, args):
    """The MCP Server settings, and making a key from Preferences to My MCP Keys."""
    # 1. LLM → Configuration → MCP Server.
    browser.goto(url + "/odoo/action-llm_mcp_server.llm_mcp_config_action", ".o_form_view [name=server_name]")
    browser.screenshot(os.path.join(args.out, "mcp-server-settings.png"))

    # 2. Preferences → Account Security, where people start.
    browser.goto(url + "/odoo", ".o_user_menu")
    browser.run("""
        await __shot.click(".o_user_menu .dropdown-toggle");
        await __shot.click("[data-menu=settings]");
        await __shot.clickText(".modal a[role=tab]", "Account Security");
        (await __shot.waitFor(".modal button[name=action_new_mcp_key]")).scrollIntoView({block: "center"});
    """)
    browser.screenshot(os.path.join(args.out, "preferences-account-security.png"))

    # 3. New MCP Key → identity check → name, read-only → the one-time result.
    browser.run("""
        await __shot.click(".modal button[name=action_new_mcp_key]");
        await __shot.type(".modal [name=password] input", %s);
        await __shot.clickText(".modal button", "Confirm Password");
        await __shot.type(".modal .o_form_view [name=name] input", "Claude Desktop on my laptop");
        await __shot.click(".modal .o_form_view [name=read_only] input[type=checkbox]");
        await new Promise((resolve) => setTimeout(resolve, 300));
        await __shot.click(".modal button[name=action_create_key]");
        await __shot.waitFor(".modal .o_llm_mcp_key_show .o_llm_mcp_config");
    """ % json.dumps(args.password))
    browser.screenshot(os.path.join(args.out, "new-mcp-key-result.png"))

    # 4. My MCP Keys, with the key just made.
    browser.goto(url + "/odoo/action-llm_mcp_server.llm_mcp_key_action_mine", ".o_list_view .o_data_row")
    browser.screenshot(os.path.join(args.out, "my-mcp-keys.png"))


def prompt_screens(browser, url, args):
    """LLM → Configuration → Prompts: the list, then a prompt's messages."""
    browser.goto(url + "/odoo/action-llm_mcp_server.llm_mcp_prompt_action", ".o_list_view .o_data_row")
    browser.screenshot(os.path.join(args.out, "prompts.png"))
    browser.run("""
        await __shot.clickText(".o_list_view .o_data_row td", "sales_customer_situation");
        await __shot.clickText(".o_form_view .nav-link", "Messages");
        await __shot.waitFor(".o_form_view .o_field_one2many[name=message_ids] .o_data_row");
    """)
    browser.screenshot(os.path.join(args.out, "prompt-messages.png"))


def tool_screens(browser, url, args):
    """LLM → Tools: the registry, built-in and decorated tools with their flags."""
    browser.goto(url + "/odoo/action-llm_tool.action_llm_tool", ".o_list_view .o_data_row")
    browser.screenshot(os.path.join(args.out, "tools.png"))


if __name__ == "__main__":
    sys.exit(main())
