// A provider written with @wix/sdk that reads wixsim's menu and operation webhooks with
// webhooks.process. Listens on 127.0.0.1, prints "listening <port>", shows what its handlers got at GET /seen.
import http from 'node:http';
import * as labels from '@wix/auto_sdk_restaurants_item-labels';
import * as groups from '@wix/auto_sdk_restaurants_item-modifier-groups';
import * as modifiers from '@wix/auto_sdk_restaurants_item-modifiers';
import * as variants from '@wix/auto_sdk_restaurants_item-variants';
import * as items from '@wix/auto_sdk_restaurants_items';
import * as menus from '@wix/auto_sdk_restaurants_menus';
import * as operations from '@wix/auto_sdk_restaurants_operations';
import * as sections from '@wix/auto_sdk_restaurants_sections';
import { AppStrategy, createClient } from '@wix/sdk';
import { env, serveProvider } from './wixsim.mjs';

const appId = env('WIX_APP_ID');
const client = createClient({
  auth: AppStrategy({ appId, publicKey: env('WIX_PUBLIC_KEY') }),
  modules: { labels, groups, modifiers, variants, items, menus, operations, sections },
});
const seen = { events: [], errors: [] };

function record(type, event) {
  const identity = event.metadata.identity;
  seen.events.push({
    type,
    entityId: event.metadata.entityId,
    entity: event.entity ?? null,
    createdDateIsDate: event.entity ? event.entity._createdDate instanceof Date : null,
    eventTimeIsDate: event.metadata.eventTime instanceof Date,
    sequence: event.metadata.entityEventSequence,
    instanceId: event.metadata.instanceId,
    identity,
    // What a provider does with the identity: skip the echo of its own writes.
    ownWrite: identity?.identityType === 'APP' && identity?.appId === appId,
  });
}

const handlers = {
  menus: ['onMenuCreated', 'onMenuUpdated', 'onMenuDeleted'],
  sections: ['onSectionCreated', 'onSectionUpdated', 'onSectionDeleted'],
  items: ['onItemCreated', 'onItemUpdated', 'onItemDeleted'],
  variants: ['onItemVariantCreated', 'onItemVariantUpdated', 'onItemVariantDeleted'],
  modifiers: ['onItemModifierCreated', 'onItemModifierUpdated', 'onItemModifierDeleted'],
  groups: ['onItemModifierGroupCreated', 'onItemModifierGroupUpdated', 'onItemModifierGroupDeleted'],
  labels: ['onItemLabelCreated', 'onItemLabelUpdated', 'onItemLabelDeleted'],
  operations: ['onOperationUpdated'],
};
for (const [module, names] of Object.entries(handlers)) {
  for (const name of names) {
    if (typeof client[module][name] !== 'function') throw new Error(`${module}.${name} is not an event`);
    client[module][name]((event) => record(`${module}.${name}`, event));
  }
}

serveProvider(http, client, seen);
