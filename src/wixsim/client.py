"""WixSimClient: a small synchronous client for the /_sim control API (and raw Wix API calls)."""

from __future__ import annotations

from typing import Any

import httpx


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _camel_keys(values: dict[str, Any]) -> dict[str, Any]:
    return {_camel(k): v for k, v in values.items()}


class WixSimError(RuntimeError):
    """A control API call failed."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}")
        self.response = response


class WixSimClient:
    """Drive a running wixsim. Keyword arguments may be snake_case or camelCase (sent as camelCase)."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)
        self._app: dict[str, Any] | None = None
        self._tokens: dict[str, str] = {}

    # ---- plumbing -----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.http.close()

    def _sim(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        params = {k: v for k, v in (params or {}).items() if v is not None}
        response = self.http.request(method, f"/_sim{path}", json=json, params=params or None)
        if response.status_code >= 400:
            raise WixSimError(response)
        return response.json()

    @property
    def app(self) -> dict[str, Any]:
        """{appId, appSecret, publicKeyPem, privateKeyPem} of the emulated app registration."""
        if self._app is None:
            self._app = self._sim("GET", "/app")
        return self._app

    @property
    def app_id(self) -> str:
        """The app id (JWT `aud`, OAuth client_id)."""
        return self.app["appId"]

    @property
    def app_secret(self) -> str:
        """The app secret (OAuth client_secret, dashboard instance HMAC key)."""
        return self.app["appSecret"]

    @property
    def public_key_pem(self) -> str:
        """The public key that verifies Wix's SPI calls and webhooks."""
        return self.app["publicKeyPem"]

    # ---- state --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget sites, orders, tokens, faults and the request log; restore start-up settings."""
        self._sim("POST", "/reset")
        self._tokens.clear()

    def settings(self, **fields: Any) -> dict[str, Any]:
        """Read (no args) or change settings (rate_limit_per_minute, token_lifetime_seconds, ...)."""
        if not fields:
            return self._sim("GET", "/settings")
        return self._sim("PATCH", "/settings", json=_camel_keys(fields))

    def set_rate_limit(self, per_minute: int | None) -> dict[str, Any]:
        """Requests per minute per instance; None or 0 switches the limit off."""
        return self.settings(rate_limit_per_minute=per_minute or 0)

    def set_token_lifetime(self, seconds: int) -> dict[str, Any]:
        """Lifetime of access tokens minted from now on."""
        return self.settings(token_lifetime_seconds=seconds)

    def expire_tokens(self, instance_id: str | None = None) -> int:
        """Expire already-issued tokens (of one instance, or all); returns how many."""
        self._tokens.clear()
        return self._sim("POST", "/tokens/expire", json={"instanceId": instance_id})["expired"]

    # ---- sites --------------------------------------------------------------------------------
    def create_site(self, **spec: Any) -> dict[str, Any]:
        """Create a site. spec: instance_id, name, currency, languages, owner_user_id, provider_base_uri,
        webhook_url, dashboard_url, configurations (int or [{name, location_id, enabled, catalog: {menus}}]),
        send_install_webhook. Returns the site with `configurations` [{id, catalogId, locationId, ...}]."""
        body = _camel_keys(spec)
        if isinstance(body.get("configurations"), list):
            body["configurations"] = [_camel_keys(c) for c in body["configurations"]]
        return self._sim("POST", "/sites", json=body)

    def get_site(self, instance_id: str) -> dict[str, Any]:
        """A site with its configurations."""
        return self._sim("GET", f"/sites/{instance_id}")

    def update_site(self, instance_id: str, **fields: Any) -> dict[str, Any]:
        """Change provider_base_uri, webhook_url, dashboard_url, currency, languages, locale, installed."""
        return self._sim("PATCH", f"/sites/{instance_id}", json=_camel_keys(fields))

    def add_configuration(self, instance_id: str, **spec: Any) -> dict[str, Any]:
        """Add a configuration (name, location_id, enabled, catalog) to a site."""
        return self._sim("POST", f"/sites/{instance_id}/configurations", json=_camel_keys(spec))

    def update_configuration(self, configuration_id: str, **fields: Any) -> dict[str, Any]:
        """Change a configuration's name, enabled, archived."""
        return self._sim("PATCH", f"/configurations/{configuration_id}", json=_camel_keys(fields))

    # ---- catalogs -----------------------------------------------------------------------------
    def catalog(self, catalog_id: str) -> dict[str, Any]:
        """{catalog, live, draft, draftCreatedDate, publishCount}."""
        return self._sim("GET", f"/catalogs/{catalog_id}")

    def live_catalog(self, catalog_id: str) -> dict[str, Any]:
        """The live catalog: {menus, sections, items}."""
        return self.catalog(catalog_id)["live"]

    def site_menus(self, instance_id: str) -> dict[str, Any]:
        """New generation: {instanceId, locations: [{id, name, operationId, menus: [...nested]}], entities}."""
        return self._sim("GET", f"/sites/{instance_id}/menus")

    def merchant_create(self, instance_id: str, kind: str, **fields: Any) -> dict[str, Any]:
        """New generation: the merchant creates a menu entity in Wix's dashboard (kind: menu, section,
        item, variant, modifier, modifierGroup, label; fields as the Menus API takes them).
        Returns {entity, events}."""
        return self._sim("POST", f"/sites/{instance_id}/menus/{kind}", json=fields)

    def merchant_edit(
        self, instance_id: str, kind: str, entity_id: str, *, as_app: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """New generation: the merchant edits an entity (revision + 1, an `_updated` event as WIX_USER); with
        `as_app`, another app installed on the site does (identity APP with that app id)."""
        params = {"asApp": as_app} if as_app else None
        return self._sim("PATCH", f"/sites/{instance_id}/menus/{kind}/{entity_id}", json=fields, params=params)

    def merchant_delete(self, instance_id: str, kind: str, entity_id: str) -> dict[str, Any]:
        """New generation: the merchant deletes an entity (a `_deleted` event as WIX_USER)."""
        return self._sim("DELETE", f"/sites/{instance_id}/menus/{kind}/{entity_id}")

    def merchant_operation(self, instance_id: str, operation_id: str, **fields: Any) -> dict[str, Any]:
        """New generation: the merchant changes onlineOrderingStatus (pausedUntilOptions) of an operation."""
        return self._sim("PATCH", f"/sites/{instance_id}/operations/{operation_id}", json=fields)

    def menu_events(self, instance_id: str | None = None, event_type: str | None = None) -> list[dict[str, Any]]:
        """Menu/operation webhooks sent: [{seq, time, instanceId, eventType, url, payload, delivered,
        status, error}]."""
        return self._sim("GET", "/menu-events", params={"instanceId": instance_id, "eventType": event_type})["events"]

    def redeliver_menu_event(self, seq: int, **opts: Any) -> dict[str, Any]:
        """Send a logged menu webhook again (Wix's retries). opts: variant (a broken signature, e.g.
        "tampered"), instance_id (the same signed event naming another instance). The provider's answer."""
        return self._sim("POST", f"/menu-events/{seq}/redeliver", json=_camel_keys(opts))

    def drain_menu_events(self) -> list[dict[str, Any]]:
        """Wait until queued menu/operation webhooks were delivered (or failed); all logged events."""
        return self._sim("POST", "/menu-events/drain")["events"]

    def draft_catalog(self, catalog_id: str) -> dict[str, Any] | None:
        """The draft catalog {menus, sections, items}, or None when there is no draft."""
        return self.catalog(catalog_id)["draft"]

    def set_live_catalog(self, catalog_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Replace the live catalog from a nested {menus: [...]} spec."""
        return self._sim("PUT", f"/catalogs/{catalog_id}/live", json=spec)

    # ---- Wix's outbound calls -----------------------------------------------------------------
    def spi_call(self, method: str, instance_id: str, **opts: Any) -> dict[str, Any]:
        """One signed SPI call (method: list-account-ids, get-configuration-status, sync-catalog,
        get-catalog-sync-status, validate-order, create-order). opts: account_id, configuration_id,
        request, provider_base_uri, style (jwt|digest), variant, identity, request_id, metadata (merged
        over the generated metadata; None deletes a key), content_type, timeout_seconds.
        Returns {status, body, headers, error, elapsedMs, url, request, metadata, jwt}."""
        return self._sim("POST", f"/spi/{method}", json={"instanceId": instance_id, **_camel_keys(opts)})

    def checkout(self, instance_id: str, configuration_id: str, lines: list[dict[str, Any]], **opts: Any) -> dict:
        """A customer checkout. lines: [{itemId, quantity, options: [{name, choices}], comment}]. opts:
        account_id, fulfillment_type, fee, tip, discounts, loyalty_amount, service_fees, customer, tax,
        overrides {dotted.path: value}, provider_base_uri, create_timeout_seconds, max_resends, ...
        Returns {orderId, order, accountId, validate, create{attempts}, resendCount, posOrderId, outcome}."""
        body = {
            "instanceId": instance_id,
            "configurationId": configuration_id,
            "lines": lines,
            **_camel_keys(opts),
        }
        return self._sim("POST", "/checkout", json=body)

    # ---- eCommerce (new-generation sites) --------------------------------------------------------
    def ecom_checkout(self, instance_id: str, location_id: str, lines: list[dict[str, Any]], **opts: Any) -> dict:
        """A checkout on a new-generation site. lines: [{itemId, quantity, variantId, modifiers: [{groupId,
        modifierIds}], specialRequests}]. opts: fulfillment (PICKUP|DELIVERY), payment (CARD|CASH), buyer,
        address, buyer_note, tax, overrides, validations_base_uri.
        Returns {orderId, order, validations, events, outcome: APPROVED|BLOCKED}."""
        body = {"instanceId": instance_id, "locationId": location_id, "lines": lines, **_camel_keys(opts)}
        return self._sim("POST", "/checkout", json=body)

    def ecom_cancel(self, order_id: str, **opts: Any) -> dict[str, Any]:
        """Cancel as the merchant in Wix's dashboard. opts: refund, custom_message, restock_all_items."""
        return self._sim("POST", f"/orders/{order_id}/cancel", json=_camel_keys(opts))

    def ecom_refund(self, order_id: str, amount: str | None = None, reason: str | None = None) -> dict[str, Any]:
        """Refund everything paid (or `amount`) as the merchant would."""
        return self._sim("POST", f"/orders/{order_id}/refund", json={"amount": amount, "reason": reason})

    def ecom_mark_paid(self, order_id: str) -> dict[str, Any]:
        """Mark an unpaid (cash) order as paid."""
        return self._sim("POST", f"/orders/{order_id}/mark-paid")

    def ecom_events(self, instance_id: str | None = None, event_type: str | None = None) -> list[dict[str, Any]]:
        """eCom webhooks delivered so far (after waiting for the queued ones)."""
        self._sim("POST", "/events/drain")
        return self._sim("GET", "/events", params={"instanceId": instance_id, "eventType": event_type})["events"]

    def redeliver_ecom_event(self, event_id: str) -> dict[str, Any]:
        """Send a delivered eCom webhook again (same signed body), as Wix's retries do; its delivery."""
        return self._sim("POST", f"/events/{event_id}/redeliver")

    def send_webhook(self, instance_id: str, event_type: str, **opts: Any) -> dict[str, Any]:
        """Send AppInstalled/AppRemoved. opts: url, variant, data, apply. Returns the provider's answer."""
        return self._sim(
            "POST",
            "/webhooks",
            json={"instanceId": instance_id, "eventType": event_type, **_camel_keys(opts)},
        )

    def dashboard_url(self, instance_id: str, variant: str = "valid", **opts: Any) -> str:
        """A dashboard iframe URL for the site's owner (variants: valid, forged, tampered, expired,
        visitor, aid). opts: url, age_seconds."""
        body = {"instanceId": instance_id, "variant": variant, **_camel_keys(opts)}
        return self._sim("POST", "/dashboard-url", json=body)["url"]

    # ---- faults -------------------------------------------------------------------------------
    def inject_fault(self, endpoint: str, kind: str, **opts: Any) -> dict[str, Any]:
        """Fault on an endpoint name ('*' for all). kind: latency|429|5xx|drop. opts: count, fraction,
        seed, latency_ms, status, retry_after (None = no Retry-After header), instance_id, phase ("after":
        a 5xx or drop once the call has run, its effect kept: a lost answer)."""
        return self._sim("POST", "/faults", json={"endpoint": endpoint, "kind": kind, **_camel_keys(opts)})

    def faults(self) -> list[dict[str, Any]]:
        """Active fault rules."""
        return self._sim("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._sim("DELETE", "/faults")

    # ---- what reached Wix ---------------------------------------------------------------------
    def orders(self, instance_id: str | None = None) -> list[dict[str, Any]]:
        """Orders with statusHistory, posOrderId, checkout answers."""
        return self._sim("GET", "/orders", params={"instanceId": instance_id})["orders"]

    def order(self, order_id: str) -> dict[str, Any]:
        """One order with its history."""
        return self._sim("GET", f"/orders/{order_id}")

    def set_order_status(
        self, order_id: str, status: str, message: str | None = None, *, emit: bool = True
    ) -> dict[str, Any]:
        """Wix-side status change as the site owner (no transition rules), e.g. PENDING -> NEW; raises the
        status's order webhook unless `emit` is False."""
        body = {"status": status, "message": message, "emit": emit}
        return self._sim("POST", f"/orders/{order_id}/status", json=body)

    def order_events(self, instance_id: str | None = None, event_type: str | None = None) -> list[dict[str, Any]]:
        """Orders v3 webhooks sent so far (after waiting for the queued ones), with delivery results."""
        self._sim("POST", "/order-events/drain")
        return self._sim("GET", "/order-events", params={"instanceId": instance_id, "eventType": event_type})["events"]

    def redeliver_order_event(self, seq: int) -> dict[str, Any]:
        """Send a logged Orders v3 webhook again, as Wix's retries do; the new log entry (delivered)."""
        return self._sim("POST", f"/order-events/{seq}/redeliver")

    def request_log(self, endpoint: str | None = None, instance_id: str | None = None) -> dict[str, Any]:
        """{requests: [{seq, time, method, path, endpoint, instanceId, requestId, status, fault, body}],
        counts, total}."""
        return self._sim("GET", "/requests", params={"endpoint": endpoint, "instanceId": instance_id})

    def request_counts(self, instance_id: str | None = None) -> dict[str, int]:
        """Calls per endpoint name."""
        return self.request_log(instance_id=instance_id)["counts"]

    def clear_request_log(self) -> None:
        """Forget logged calls."""
        self._sim("DELETE", "/requests")

    # ---- raw Wix API --------------------------------------------------------------------------
    def wix_token(self, instance_id: str, fresh: bool = False) -> str:
        """An access token for an instance through the real OAuth endpoint (cached unless fresh)."""
        if fresh or instance_id not in self._tokens:
            response = self.http.post(
                "/oauth2/token",
                json={
                    "grant_type": "client_credentials",
                    "client_id": self.app_id,
                    "client_secret": self.app_secret,
                    "instance_id": instance_id,
                },
            )
            if response.status_code != 200:
                raise WixSimError(response)
            self._tokens[instance_id] = response.json()["access_token"]
        return self._tokens[instance_id]

    def wix(
        self,
        method: str,
        path: str,
        *,
        instance_id: str | None = None,
        token: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """A raw call to a Wix API path (authorized for instance_id, or with the given token)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is None and instance_id is not None:
            token = self.wix_token(instance_id)
        if token is not None:
            headers.setdefault("Authorization", token)
        return self.http.request(method, path, headers=headers, **kwargs)
