import pytest

from opsroom.telemetry.user_agents import user_agent_parse


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (
            "LittleBites/5.26.0 (iPhone; iOS 17.2; Scale/3.00)",
            ("ios", "iPhone", "iOS", "17.2", "5.26.0", ""),
        ),
        (
            "LittleBites/5.25.0 (Linux; Android 14; okhttp/4.12.0)",
            ("android", "Android", "Android", "14", "5.25.0", ""),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/130.0.0.0 Safari/537.36",
            ("web", "Mac", "macOS", "10.15.7", "", "Chrome 130"),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
            ("web", "Windows PC", "Windows", "10 or 11", "", "Firefox 128"),
        ),
        ("curl/8.5.0", ("other", "", "", "", "", "")),
        ("", ("other", "", "", "", "", "")),
    ],
    ids=["ios-app", "android-app", "chrome-mac", "firefox-windows", "curl", "empty"],
)
def test_a_user_agent_names_its_client(user_agent, expected):
    client = user_agent_parse(user_agent)
    assert (
        client.platform,
        client.device,
        client.os_name,
        client.os_version,
        client.app_version,
        client.browser,
    ) == expected
