"""A station's group chat robot (WeCom or DingTalk): where its webhook may point, and the message's shape.

A webhook is https to a public address. Anything else (plain http, a loopback, private, link-local
or otherwise reserved address, a name such as `localhost`) is refused, unless the setting
`WEBHOOK_ALLOW_PRIVATE` allows it (development, `make run`). The rule is applied when the URL is
set and again, on the addresses the name resolves to, before each delivery: a public name that
later resolves to an internal address is not called.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

LOCAL_NAMES = ("localhost", "localhost.localdomain")
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why `url` cannot be a station's webhook, or None."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("https", "http") or not host:
        return "a webhook is an https URL"
    if parts.username or parts.password:
        return "a webhook URL carries no user name or password"
    if allow_private:
        return None
    if parts.scheme != "https":
        return "a webhook is an https URL"
    if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES) or "." not in host.strip("[]"):
        return "a webhook points at a public address"
    try:
        if _private(host.strip("[]")):
            return "a webhook points at a public address"
    except ValueError:
        pass  # a name: checked again on its addresses before each delivery
    return None


def resolves_to_private(url: str) -> bool:
    """Whether the URL's host resolves to any non-public address (a blocking call: run it in a thread)."""
    host = urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False  # unresolvable: the delivery itself fails and is retried
    return any(_private(info[4][0].split("%")[0]) for info in found)


def text(body: dict) -> tuple[str, str]:
    """The message's title and markdown, in Chinese (a station's group chat reads Chinese)."""
    lines = [
        f"### {'工单改派' if body.get('kind') == 'redispatch' else '派工通知'} {body['number']}",
        f"> 故障等级：**{body.get('level')} 级**",
        f"> 现场地址：{body.get('site_address') or '—'}",
        f"> 技术员：{body.get('technician') or '—'}（{body.get('station')}）",
    ]
    if body.get("serial_number"):
        lines.append(f"> 机组编号：{body['serial_number']}")
    if body.get("description"):
        lines.append(f"> 故障描述：{body['description'][:200]}")
    titles = {"on_site": "到场时限", "fixed": "修复时限"}
    for name, title in titles.items():
        due = (body.get("due") or {}).get(name)
        if due:
            lines.append(f"> {title}：{due}")
    title = f"{'工单改派' if body.get('kind') == 'redispatch' else '派工通知'} {body['number']}"
    return title, "\n".join(lines)


def payload(kind: str, body: dict) -> dict:
    """What the robot of `kind` takes: WeCom `{"msgtype": "markdown", "markdown": {"content"}}`, DingTalk
    `{"msgtype": "markdown", "markdown": {"title", "text"}}`."""
    title, content = text(body)
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": content}}
    return {"msgtype": "markdown", "markdown": {"content": content}}


def answer_problem(status: int, answer: object) -> str | None:
    """Why a robot's answer is a failure, or None. Both answer 200 with `errcode` 0 when they took it."""
    if status != 200:
        return f"HTTP {status}"
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
        return f"errcode {answer.get('errcode')}: {str(answer.get('errmsg', ''))[:200]}"
    return None
