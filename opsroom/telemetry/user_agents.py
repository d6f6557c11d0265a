"""What a User-Agent header says about the client: platform, device, OS, app or browser version.

Covers the host app's own clients ("AppName/1.2.3 (iPhone; iOS 17.2; ...)", "(Linux; Android
14; ...)") and the common browsers; anything else is platform "other" with the raw string kept.
"""

import re
from dataclasses import dataclass

_APP = re.compile(r"^(?P<app>[A-Za-z][\w.-]*)/(?P<version>[\d.]+)\s*\((?P<inside>[^)]*)\)")
_IOS = re.compile(r"\b(iPhone|iPad|iPod)\b.*?\b(?:iOS|CPU (?:iPhone )?OS) (?P<version>[\d._]+)")
_ANDROID = re.compile(r"Android (?P<version>[\d.]+)")
_MAC = re.compile(r"Mac OS X (?P<version>[\d._]+)")
_WINDOWS = re.compile(r"Windows NT (?P<version>[\d.]+)")
_BROWSERS = (
    ("Edge", re.compile(r"Edg/(?P<version>\d+)")),
    ("Firefox", re.compile(r"Firefox/(?P<version>\d+)")),
    ("Chrome", re.compile(r"Chrome/(?P<version>\d+)")),
    ("Safari", re.compile(r"Version/(?P<version>\d+)[\d.]* .*Safari/")),
)
_WINDOWS_NAMES = {"10.0": "10 or 11", "6.3": "8.1", "6.2": "8", "6.1": "7"}


@dataclass(frozen=True)
class ClientFacts:
    platform: str  # ios, android, web, other
    device: str  # iPhone, iPad, Android, Mac, Windows PC, Linux PC, "" when unknown
    os_name: str  # iOS, Android, macOS, Windows, Linux, ""
    os_version: str
    app_version: str  # the host app's version, for its own clients
    browser: str  # "Chrome 130", for browsers

    @property
    def key(self) -> str:
        """One device kind: the same phone keeps its key across app and OS updates."""
        return f"{self.platform}|{self.device}|{self.browser.split(' ')[0]}"


def user_agent_parse(user_agent: str) -> ClientFacts:
    """The client a User-Agent header names."""
    text = user_agent or ""
    app = _APP.match(text)
    app_version = app.group("version") if app and not text.startswith("Mozilla/") else ""
    browser = ""
    if text.startswith("Mozilla/"):
        for name, pattern in _BROWSERS:
            found = pattern.search(text)
            if found:
                browser = f"{name} {found.group('version')}"
                break
    if ios := _IOS.search(text):
        device, version = ios.group(1), ios.group("version").replace("_", ".")
        return ClientFacts("ios", device, "iOS", version, app_version, browser)
    if android := _ANDROID.search(text):
        return ClientFacts(
            "android", "Android", "Android", android.group("version"), app_version, browser
        )
    platform = "web" if browser else "other"
    if mac := _MAC.search(text):
        version = mac.group("version").replace("_", ".")
        return ClientFacts(platform, "Mac", "macOS", version, app_version, browser)
    if windows := _WINDOWS.search(text):
        version = _WINDOWS_NAMES.get(windows.group("version"), windows.group("version"))
        return ClientFacts(platform, "Windows PC", "Windows", version, app_version, browser)
    if "Linux" in text:
        return ClientFacts(platform, "Linux PC", "Linux", "", app_version, browser)
    return ClientFacts(platform, "", "", "", app_version, browser)
