"""Wix's new generation of restaurants ("Wix Restaurants (New)"): business locations, operations, Menus API.

Contract for other wixsim modules (the eCommerce half reads menus through it):

- A site with `Site.generation == "new"` has one `NewGenSite` in `StateData.newgen[instance_id]`; get it
  with `wixsim.newgen.access.newgen_site(store, instance_id)` (404 `SITE_NOT_FOUND` for an unknown site,
  428 `MENUS_APP_NOT_INSTALLED` for a legacy one). Everything below is stored in **REST wire form**
  (camelCase dicts exactly as the Wix APIs answer: `id`, `revision` as a decimal string,
  `createdDate`/`updatedDate` RFC 3339), in creation order.
- `NewGenSite.locations`: Locations API `Location`s by id (the first one is `default`).
- `NewGenSite.operation_group` and `NewGenSite.operations` (one `Operation` per location; `businessLocationId`,
  `fulfillmentIds`, `onlineOrderingStatus`), `NewGenSite.fulfillment_methods` (a PICKUP and a DELIVERY method
  per location, with `fee`/`minOrderPrice` decimal strings), `NewGenSite.ordering_settings` (menu
  ordering settings by menu id: `menuId`, `operationId`, `onlineOrderingEnabled`, `businessLocationId`).
- `NewGenSite.menus` (`MenuStore`): dicts by id for `menus`, `sections`, `items`, `variants`, `modifiers`,
  `modifier_groups`, `labels`; `MenuStore.pool(kind)` gives one by its kind name (`ENTITY_KINDS`).
  Menus/sections carry `businessLocationId`; items, variants, modifiers and groups `businessLocationIds`
  (derived from what references them); labels have no location.
- Prices are decimal strings (≤ 3 decimals): `item.priceInfo.price`, or per variant in
  `item.priceVariants.variants[].priceInfo.price`; a modifier's surcharge is on its group's entry,
  `modifierGroup.modifiers[].additionalChargeInfo.additionalCharge`. Read them with `wixsim.newgen.pricing.item_price`
  and `pricing.modifier_charge` (Decimal), never by hand.
- Treat these dicts as read-only outside `wixsim.newgen`: menu writes go through the Menus API handlers of
  this package, which keep revisions, dates, derived locations and the menu events right. A write that
  changes links must go through `writes` (or be followed by `locations.derive_all`): the store keeps a
  child → parents index for deriving locations that only those keep current.
"""
