"""Per-instance rate limit: 429 with Retry-After, per instance, configurable and switchable off."""

from __future__ import annotations

CONFIGS = "/restaurants/v1/pos-integration/configurations"


def hammer(wixsim, instance_id, n):
    """n calls; their status codes."""
    return [wixsim.wix("GET", CONFIGS, instance_id=instance_id).status_code for _ in range(n)]


def test_default_limit_is_200_per_minute(wixsim):
    assert wixsim.settings()["rateLimitPerMinute"] == 200


def test_calls_over_the_limit_get_429_with_retry_after(wixsim, site):
    wixsim.set_rate_limit(5)
    wixsim.wix_token(site.instance_id)
    assert hammer(wixsim, site.instance_id, 5) == [200] * 5
    response = wixsim.wix("GET", CONFIGS, instance_id=site.instance_id)
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.json()["details"]["applicationError"]["code"] == "TOO_MANY_REQUESTS"


def test_limit_is_per_instance(wixsim, site):
    wixsim.set_rate_limit(3)
    other = wixsim.create_site()["instanceId"]
    assert hammer(wixsim, site.instance_id, 4)[-1] == 429
    assert hammer(wixsim, other, 3) == [200] * 3


def test_limit_can_be_switched_off(wixsim, site):
    wixsim.set_rate_limit(None)
    assert set(hammer(wixsim, site.instance_id, 30)) == {200}


def test_control_api_is_never_rate_limited(wixsim, site):
    wixsim.set_rate_limit(2)
    hammer(wixsim, site.instance_id, 3)
    for _ in range(5):
        wixsim.get_site(site.instance_id)


def test_rejected_calls_are_logged_as_rate_limited(wixsim, site):
    wixsim.set_rate_limit(1)
    hammer(wixsim, site.instance_id, 2)
    log = wixsim.request_log(endpoint="listConfigurations")["requests"]
    assert [(r["status"], r["fault"]) for r in log] == [(200, None), (429, "rate_limit")]


def test_reset_restores_the_start_up_limit(wixsim):
    wixsim.set_rate_limit(7)
    wixsim.reset()
    assert wixsim.settings()["rateLimitPerMinute"] == 200
