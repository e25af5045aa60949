"""Ready-to-paste MCP client configurations for one key and one public URL.

Pure functions (no Odoo import) so they can be tested by parsing their output: every JSON snippet is built
with ``json.dumps``, every shell word is quoted with ``shlex.quote`` and the TOML strings are JSON-quoted
(TOML basic strings accept JSON escapes), so a URL or a server name with odd characters cannot break them.
"""

import json
import re
import shlex
from urllib.parse import urlsplit

# The protocol revision the curl example speaks: stateless, no initialize needed.
CURL_PROTOCOL_VERSION = "2026-07-28"


def server_slug(server_name):
    """Return a client-side server name made of ``[a-z0-9-]`` (a TOML bare key, a JSON key, a CLI word)."""
    slug = re.sub(r"[^a-z0-9]+", "-", (server_name or "").lower()).strip("-")
    return slug or "odoo"


def token_env_var(slug):
    """Return the environment variable name Codex reads the key from, e.g. ``ODOO_MCP_API_KEY``."""
    return re.sub(r"[^A-Z0-9]+", "_", slug.upper()).strip("_") + "_API_KEY"


def is_cleartext_remote(url):
    """True for a plain-http URL to another machine: keys would cross the network unencrypted."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") not in ("localhost", "127.0.0.1", "::1")


def _json(value):
    return json.dumps(value, indent=2) + "\n"


MCP_REMOTE = "mcp-remote@0.15.1"


def claude_desktop(slug, url, key):
    # Claude Desktop only starts stdio servers: mcp-remote bridges to HTTP. The header value travels in
    # `env` and is written "Authorization:${AUTH_HEADER}" without a space: Claude Desktop on Windows
    # splits arguments on spaces, which is mcp-remote's documented pitfall. The version is pinned to the one
    # our tests run: npx would otherwise reuse whatever release it has cached, and early releases (0.1.x)
    # print the whole key to stderr.
    args = ["-y", MCP_REMOTE, url, "--header", "Authorization:${AUTH_HEADER}"]
    if is_cleartext_remote(url):
        # mcp-remote refuses http:// to anything but localhost unless told otherwise.
        args.append("--allow-http")
    return _json({"mcpServers": {slug: {"command": "npx", "args": args, "env": {"AUTH_HEADER": "Bearer " + key}}}})


def claude_code(slug, url, key):
    return shlex.join(["claude", "mcp", "add", "--transport", "http", slug, url,
                       "--header", "Authorization: Bearer " + key]) + "\n"


def codex_toml(slug, url):
    # Codex refuses an inline token in config.toml: it reads it from the variable named here.
    return "[mcp_servers.%s]\nurl = %s\nbearer_token_env_var = %s\n" % (
        slug, json.dumps(url), json.dumps(token_env_var(slug)))


def codex_env(slug, key):
    return "export %s=%s\n" % (token_env_var(slug), shlex.quote(key))


def cursor(slug, url, key):
    return _json({"mcpServers": {slug: {"url": url, "headers": {"Authorization": "Bearer " + key}}}})


def vscode(slug, url, key):
    return _json({"servers": {slug: {"type": "http", "url": url,
                                     "headers": {"Authorization": "Bearer " + key}}}})


def gemini(slug, url, key):
    return _json({"mcpServers": {slug: {"httpUrl": url, "headers": {"Authorization": "Bearer " + key}}}})


def curl_tools_list(url, key):
    """A 2026-07-28 ``tools/list``: one stateless POST, version in the header and in ``params._meta``."""
    body = json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "tools/list",
        "params": {"_meta": {
            "io.modelcontextprotocol/protocolVersion": CURL_PROTOCOL_VERSION,
            "io.modelcontextprotocol/clientInfo": {"name": "curl", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {},
        }},
    }, separators=(",", ":"))
    return shlex.join([
        "curl", "-sS", url,
        "-H", "Authorization: Bearer " + key,
        "-H", "Accept: application/json, text/event-stream",
        "-H", "Content-Type: application/json",
        "-H", "MCP-Protocol-Version: " + CURL_PROTOCOL_VERSION,
        "-H", "Mcp-Method: tools/list",
        "--data", body,
    ]) + "\n"


def build_client_configs(server_name, url, key):
    """Return ``{field name: text}`` for every client the New MCP Key wizard shows."""
    slug = server_slug(server_name)
    return {
        "config_claude_desktop": claude_desktop(slug, url, key),
        "config_claude_code": claude_code(slug, url, key),
        "config_codex": codex_toml(slug, url),
        "config_codex_env": codex_env(slug, key),
        "config_cursor": cursor(slug, url, key),
        "config_vscode": vscode(slug, url, key),
        "config_gemini": gemini(slug, url, key),
        "config_curl": curl_tools_list(url, key),
    }
