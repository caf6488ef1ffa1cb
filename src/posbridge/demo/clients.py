"""The demo's two HTTP counterparts: posbridge's admin API (the operator) and wixsim's control API (Wix).

Thin on purpose: each method is one documented call, answers come back as decoded JSON, and a
non-2xx answer raises `CallFailed` carrying the status and the body's error code, so a step can
name what was answered.
"""

from __future__ import annotations

from typing import Any

import httpx

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class CallFailed(RuntimeError):
    """A call answered with an unexpected status; `status` and `codes` say what came back."""

    def __init__(self, method: str, path: str, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:300]
        self.body = body
        self.codes = error_codes(body)
        super().__init__(f"{method} {path} → {self.status} {', '.join(self.codes) or str(body)[:300]}")


def error_codes(body: Any) -> list[str]:
    """Every error code in an error body, first one first, whichever of Wix's shapes it uses."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            code = value.get("code")
            if isinstance(code, str) and code not in found:
                found.append(code)
            for key, child in value.items():
                if key != "code":
                    walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(body)
    return found


class _Json:
    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=TIMEOUT, headers=headers or {})

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise CallFailed(method, path, response)
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()


class Admin(_Json):
    """posbridge's admin API (`/api/v1`), with the operator's bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(base_url + "/api/v1", {"Authorization": f"Bearer {token}"})

    def import_menu(self, document: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", "/imports", json=document)
        return result

    def issue_api_key(self, merchant_id: str) -> str:
        return str(self.call("POST", f"/merchants/{merchant_id}/api-key")["apiKey"])

    def link_account(
        self, instance_id: str, account_id: str, api_key: str, contact: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"accountId": account_id, "credentials": api_key}
        if contact is not None:
            body["contact"] = contact
        result: dict[str, Any] = self.call("POST", f"/instances/{instance_id}/accounts", json=body)
        return result

    def instances(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/instances", params={"limit": 200})["items"])

    def pair(
        self, instance_id: str, configuration_id: str, location_id: str, menu_ids: list[str] | None
    ) -> dict[str, Any]:
        body = {"locationId": location_id, "menuIds": menu_ids}
        result: dict[str, Any] = self.call(
            "PUT", f"/instances/{instance_id}/configurations/{configuration_id}", json=body
        )
        return result

    def business_locations(self, instance_id: str) -> dict[str, Any]:
        """`{instanceId, generation, locations: [{id, name, default, archived}]}` (read from Wix)."""
        result: dict[str, Any] = self.call("GET", f"/instances/{instance_id}/business-locations")
        return result

    def pair_business_location(
        self, instance_id: str, business_location_id: str, location_id: str, menu_ids: list[str] | None
    ) -> dict[str, Any]:
        body = {"locationId": location_id, "menuIds": menu_ids}
        path = f"/instances/{instance_id}/business-locations/{business_location_id}"
        result: dict[str, Any] = self.call("PUT", path, json=body)
        return result

    def request_sync(self, instance_id: str, configuration_id: str) -> dict[str, Any]:
        """The operator's Sync now (202 with the pending sync)."""
        path = f"/instances/{instance_id}/configurations/{configuration_id}/syncs"
        result: dict[str, Any] = self.call("POST", path)
        return result

    def syncs(self, instance_id: str, configuration_id: str) -> list[dict[str, Any]]:
        """The configuration's syncs, newest first."""
        return list(self.call("GET", f"/instances/{instance_id}/configurations/{configuration_id}/syncs"))

    def sync(self, instance_id: str, configuration_id: str, sync_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "GET", f"/instances/{instance_id}/configurations/{configuration_id}/syncs/{sync_id}"
        )
        return result

    def wix_edits(self, instance_id: str, configuration_id: str) -> list[dict[str, Any]]:
        """Edits made in Wix to what a new-generation location syncs, newest first (what changed, what the
        next sync does with it)."""
        path = f"/instances/{instance_id}/configurations/{configuration_id}/wix-edits"
        return list(self.call("GET", path))

    def orders(self, instance_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", "/orders", params={"instanceId": instance_id, "limit": 200})["items"])

    def order(self, instance_id: str, order_id: str) -> dict[str, Any]:
        """One order whole (lines, history, pushes to Wix)."""
        result: dict[str, Any] = self.call("GET", f"/orders/{order_id}", params={"instanceId": instance_id})
        return result

    def act(self, instance_id: str, order_id: str, action: str, reason: str | None = None) -> dict[str, Any]:
        """A kitchen action (accept, ready, fulfill, cancel) on the site's order."""
        body = {"reason": reason, "actor": "KITCHEN"}
        result: dict[str, Any] = self.call(
            "POST", f"/orders/{order_id}/{action}", params={"instanceId": instance_id}, json=body
        )
        return result

    def eighty_six(self, instance_id: str, merchant: str, location: str, item: str, for_: str) -> dict[str, Any]:
        """86 an item at a location for a while (the kitchen ran out); it comes back by itself."""
        body = {"merchantId": merchant, "locationId": location, "for": for_}
        result: dict[str, Any] = self.call("POST", f"/stock/{item}/86", params={"instanceId": instance_id}, json=body)
        return result


class Wix(_Json):
    """wixsim's control API (`/_sim`): what the site owner, Wix itself and its customers do."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url + "/_sim")

    def create_site(self, spec: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", "/sites", json=spec)
        return result

    def catalog(self, catalog_id: str) -> dict[str, Any]:
        """`{catalog, live{menus, sections, items}, draft, publishCount}`."""
        result: dict[str, Any] = self.call("GET", f"/catalogs/{catalog_id}")
        return result

    def site_menus(self, instance_id: str) -> dict[str, Any]:
        """New generation: the Menus API's state by business location (`{locations: [{id, name, menus}]}`)."""
        result: dict[str, Any] = self.call("GET", f"/sites/{instance_id}/menus")
        return result

    def ecom_checkout(self, basket: dict[str, Any]) -> dict[str, Any]:
        """New generation: a customer's eCommerce checkout (the Validations plugin asked first)."""
        result: dict[str, Any] = self.call("POST", "/checkout", json=basket)
        return result

    def merchant_edit(self, instance_id: str, kind: str, entity_id: str, **fields: Any) -> dict[str, Any]:
        """New generation: the site owner edits a Menus API entity in Wix's dashboard (Wix announces it)."""
        result: dict[str, Any] = self.call("PATCH", f"/sites/{instance_id}/menus/{kind}/{entity_id}", json=fields)
        return result

    def ecom_cancel(self, order_id: str, message: str) -> dict[str, Any]:
        """New generation: the site owner cancels an eCom order in Wix's dashboard, with a message."""
        result: dict[str, Any] = self.call("POST", f"/orders/{order_id}/cancel", json={"customMessage": message})
        return result

    def ecom_refund(self, order_id: str, reason: str) -> dict[str, Any]:
        """New generation: the site owner refunds everything paid for an eCom order."""
        result: dict[str, Any] = self.call("POST", f"/orders/{order_id}/refund", json={"reason": reason})
        return result

    def spi(self, method: str, instance_id: str, **fields: Any) -> dict[str, Any]:
        """One signed SPI call from Wix to posbridge: `{status, body, error, elapsedMs, request, metadata}`."""
        body = {"instanceId": instance_id, **{k: v for k, v in fields.items() if v is not None}}
        result: dict[str, Any] = self.call("POST", f"/spi/{method}", json=body)
        return result

    def checkout(self, basket: dict[str, Any]) -> dict[str, Any]:
        """A customer's checkout: Validate Order, then (on 200) the order at Wix and Create Order."""
        result: dict[str, Any] = self.call("POST", "/checkout", json=basket)
        return result

    def orders(self, instance_id: str) -> list[dict[str, Any]]:
        """The orders Wix recorded for a site."""
        return list(self.call("GET", "/orders", params={"instanceId": instance_id})["orders"])

    def order(self, order_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", f"/orders/{order_id}")
        return result

    def cancel_in_dashboard(self, order_id: str, message: str) -> dict[str, Any]:
        """The site owner cancels the order in Wix's dashboard (Wix then sends its order_canceled webhook)."""
        result: dict[str, Any] = self.call(
            "POST", f"/orders/{order_id}/status", json={"status": "CANCELED", "message": message}
        )
        return result

    def calls_so_far(self) -> int:
        """How many calls reached Wix's APIs (the request log's newest sequence number)."""
        log = self.call("GET", "/requests")
        requests = log["requests"]
        return int(requests[-1]["seq"]) if requests else 0
