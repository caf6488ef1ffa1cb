// Wix's SDK packages for Restaurants (New) menus, Locations and Operations, driving wixsim.
// Usage: node menus.mjs <wixapis|custom>. Prints one JSON line of what it saw; exits non-zero on a failure.
import assert from 'node:assert/strict';
import * as locations from '@wix/auto_sdk_business-tools_locations';
import * as labels from '@wix/auto_sdk_restaurants_item-labels';
import * as groups from '@wix/auto_sdk_restaurants_item-modifier-groups';
import * as modifiers from '@wix/auto_sdk_restaurants_item-modifiers';
import * as variants from '@wix/auto_sdk_restaurants_item-variants';
import * as items from '@wix/auto_sdk_restaurants_items';
import * as ordering from '@wix/auto_sdk_restaurants_menu-ordering-settings';
import * as menus from '@wix/auto_sdk_restaurants_menus';
import * as operations from '@wix/auto_sdk_restaurants_operations';
import * as sections from '@wix/auto_sdk_restaurants_sections';
import { appClient, env, redirectToWixsim } from './wixsim.mjs';

const form = process.argv[2];
redirectToWixsim(env('WIXSIM_URL'));
const wix = appClient({ locations, labels, groups, modifiers, variants, items, ordering, menus, operations, sections }, form);
const seen = {};

async function refused(promise) {
  try {
    await promise;
  } catch (err) {
    return { status: err.details?.applicationError ? err.details : null, code: err.details?.applicationError?.code, message: err.message };
  }
  throw new Error('expected the call to be refused');
}

// Locations and operations
const { locations: locs } = await wix.locations.listLocations();
seen.locations = locs.map((l) => l._id);
const second = locs[1];
assert.equal((await wix.locations.getLocation(second._id))._id, second._id);
const { operations: ops } = await wix.operations.listOperations();
assert.deepEqual(ops.map((o) => o.businessLocationId), seen.locations);
const op = await wix.operations.getOperation(ops[1]._id);
assert.ok(op._createdDate instanceof Date);
const paused = await wix.operations.updateOperation(op._id, { revision: op.revision, onlineOrderingStatus: 'DISABLED' });
assert.equal(paused.onlineOrderingStatus, 'DISABLED');
assert.equal(paused.revision, String(Number(op.revision) + 1));
const queriedOps = await wix.operations.queryOperation().eq('default', true).find();
assert.deepEqual(queriedOps.items.map((o) => o._id), [ops[0]._id]);

// Build a menu bottom-up, as Wix's guide does: variants, labels, modifiers, groups, items, sections, menu
const small = await wix.variants.createVariant({ name: 'Small' });
const { results: bigResults } = await wix.variants.bulkCreateVariants([{ name: 'Large' }, { name: 'Family' }], { returnEntity: true });
const [large] = bigResults.map((r) => r.variant);
const spicy = await wix.labels.createLabel({ name: 'Spicy' });
const cheese = await wix.modifiers.createModifier({ name: 'Cheese' });
const { results: modResults } = await wix.modifiers.bulkCreateModifiers([{ name: 'Bacon' }], { returnEntity: true });
const bacon = modResults[0].modifier;
const toppings = await wix.groups.createModifierGroup({
  name: 'Toppings',
  modifiers: [
    { _id: cheese._id, additionalChargeInfo: { additionalCharge: '0.50' } },
    { _id: bacon._id, preSelected: true, additionalChargeInfo: { additionalCharge: '1.25' } },
  ],
  rule: { required: false, minSelections: 0, maxSelections: 2 },
});
assert.equal(toppings.modifiers[1]._id, bacon._id);
const pizza = await wix.items.createItem({
  name: 'Pizza',
  description: 'Wood oven',
  labels: [{ _id: spicy._id }],
  modifierGroups: [{ _id: toppings._id }],
  priceVariants: {
    variants: [
      { variantId: small._id, priceInfo: { price: '9.50' } },
      { variantId: large._id, priceInfo: { price: '13.000' } },
    ],
  },
});
assert.equal(pizza.revision, '1');
assert.ok(pizza._createdDate instanceof Date);
const { results: itemResults, bulkActionMetadata } = await wix.items.bulkCreateItems(
  [
    { name: 'Soda', priceInfo: { price: '2' } },
    { name: '', priceInfo: { price: '2' } },
    { name: 'Water', priceInfo: { price: '1' }, orderSettings: { inStock: false } },
  ],
  { returnEntity: true },
);
assert.deepEqual(bulkActionMetadata, { totalSuccesses: 2, totalFailures: 1, undetailedFailures: 0 });
assert.equal(itemResults[1].itemMetadata.success, false);
const [soda, , water] = itemResults.map((r) => r.item);
const mains = await wix.sections.createSection({ name: 'Mains', itemIds: [pizza._id] });
const { results: sectionResults } = await wix.sections.bulkCreateSections([{ name: 'Drinks', itemIds: [soda._id, water._id] }], {
  returnEntity: true,
});
const drinks = sectionResults[0].item;
const dinner = await wix.menus.createMenu({
  name: 'Dinner',
  sectionIds: [mains._id, drinks._id],
  businessLocationId: second._id,
});
assert.equal(dinner.businessLocationId, second._id);

// Derived locations follow the links
const pizzaNow = await wix.items.getItem(pizza._id);
assert.deepEqual(pizzaNow.businessLocationIds, [second._id]);
assert.deepEqual((await wix.groups.getModifierGroup(toppings._id)).businessLocationIds, [second._id]);
assert.deepEqual((await wix.modifiers.getModifier(cheese._id)).businessLocationIds, [second._id]);
assert.equal((await wix.sections.getSection(drinks._id)).businessLocationId, second._id);

// Reads: list with paging, query with cursors, count
const page1 = await wix.items.listItems({ paging: { limit: 2 } });
assert.equal(page1.items.length, 2);
assert.equal(page1.pagingMetadata.hasNext, true);
const page2 = await wix.items.listItems({ paging: { cursor: page1.pagingMetadata.cursors.next } });
const listedIds = [...page1.items, ...page2.items].map((i) => i._id);
assert.ok(listedIds.includes(pizza._id) && listedIds.includes(water._id));
const visibleMenus = await wix.menus.listMenus({ onlyVisible: true });
assert.ok(visibleMenus.menus.some((m) => m._id === dinner._id));
const firstQuery = await wix.items.queryItems().hasSome('businessLocationIds', [second._id]).ascending('name').limit(2).find();
assert.deepEqual(firstQuery.items.map((i) => i.name), ['Pizza', 'Soda']);
assert.equal(firstQuery.hasNext(), true);
const nextQuery = await firstQuery.next();
assert.deepEqual(nextQuery.items.map((i) => i.name), ['Water']);
assert.equal((await wix.items.countItems({ filter: { 'orderSettings.inStock': false } })).count, 1);
assert.equal((await wix.groups.queryModifierGroups().eq('name', 'Toppings').find()).items.length, 1);
assert.equal((await wix.labels.listLabels()).labels.length, 1);
assert.ok((await wix.variants.listVariants()).variants.length >= 3);
assert.ok((await wix.modifiers.queryModifiers().find()).items.length >= 2);
assert.equal((await wix.sections.querySections().eq('name', 'Drinks').find()).items[0]._id, drinks._id);
const { items: settings } = await wix.ordering.queryMenuOrderingSettings().eq('menuId', dinner._id).find();
assert.equal(settings[0].operationId, op._id);

// Updates with revisions; a stale revision is refused
const renamed = await wix.items.updateItem(pizza._id, { revision: pizzaNow.revision, name: 'Pizza Napoletana' });
assert.equal(renamed.revision, String(Number(pizzaNow.revision) + 1));
seen.stale = await refused(wix.items.updateItem(pizza._id, { revision: pizzaNow.revision, name: 'Lost update' }));
const { results: bulkUpdated } = await wix.items.bulkUpdateItem(
  [
    { item: { _id: soda._id, revision: soda.revision, name: 'Cola', description: 'kept out' }, mask: ['name'] },
    { item: { _id: water._id, revision: '99', name: 'Sparkling' } },
  ],
  { returnEntity: true },
);
assert.equal(bulkUpdated[0].item.name, 'Cola');
assert.equal(bulkUpdated[0].item.description, '');
assert.equal(bulkUpdated[1].itemMetadata.success, false);
seen.bulkStale = bulkUpdated[1].itemMetadata.error.code;
const menu2 = await wix.menus.updateMenu(dinner._id, { revision: dinner.revision, name: 'Supper' });
assert.equal(menu2.name, 'Supper');
const { results: menuBulk } = await wix.menus.bulkUpdateMenu([{ menu: { _id: dinner._id, revision: menu2.revision, visible: false } }], {
  returnEntity: true,
});
assert.equal(menuBulk[0].menu.visible, false);
const section2 = await wix.sections.updateSection(mains._id, { revision: mains.revision, description: 'From the oven' });
await wix.sections.bulkUpdateSection([{ section: { _id: section2._id, revision: section2.revision, name: 'Oven' } }]);
const group2 = await wix.groups.updateModifierGroup(toppings._id, { revision: toppings.revision, rule: { required: true, minSelections: 1, maxSelections: 2 } });
await wix.groups.bulkUpdateModifierGroups([{ modifierGroup: { _id: group2._id, revision: group2.revision, name: 'Extras' } }]);
const cheese2 = await wix.modifiers.updateModifier(cheese._id, { revision: cheese.revision, inStock: false });
await wix.modifiers.bulkUpdateModifiers([{ modifier: { _id: cheese2._id, revision: cheese2.revision, name: 'Mozzarella' } }]);
const small2 = await wix.variants.updateVariant(small._id, { revision: small.revision, name: 'Regular' });
await wix.variants.bulkUpdateVariants([{ variant: { _id: small2._id, revision: small2.revision, name: 'Medium' } }]);
await wix.labels.updateLabel(spicy._id, { revision: spicy.revision, name: 'Hot' });
const setting2 = await wix.ordering.updateMenuOrderingSettings(settings[0]._id, { revision: settings[0].revision, onlineOrderingEnabled: false });
assert.equal(setting2.onlineOrderingEnabled, false);

// Validation from the typings
seen.tooPrecise = await refused(wix.items.createItem({ name: 'X', priceInfo: { price: '1.0001' } }));

// Deletes, single and bulk (ids in the query string)
const { results: deleted } = await wix.items.bulkDeleteItems([water._id]);
assert.equal(deleted[0].itemMetadata.success, true);
await wix.sections.bulkDeleteSections([drinks._id]);
await wix.variants.bulkDeleteVariants([bigResults[1].variant._id]);
await wix.modifiers.bulkDeleteModifiers([bacon._id]);
const spare = await wix.groups.createModifierGroup({ name: 'Spare' });
await wix.groups.bulkDeleteModifierGroups([spare._id]);
const spareLabel = await wix.labels.createLabel({ name: 'Spare' });
await wix.labels.bulkDeleteLabels([spareLabel._id]);
await wix.labels.deleteLabel(spicy._id);
await wix.menus.deleteMenu(dinner._id);
await wix.sections.deleteSection(mains._id);
await wix.items.deleteItem(soda._id);
await wix.groups.deleteModifierGroup(toppings._id);
await wix.modifiers.deleteModifier(cheese._id);
await wix.variants.deleteVariant(small._id);
seen.missing = await refused(wix.items.getItem(soda._id));
seen.pizza = pizza._id;
console.log(JSON.stringify(seen));
