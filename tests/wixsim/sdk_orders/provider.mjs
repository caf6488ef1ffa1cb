// A provider written with @wix/sdk reading Restaurants Orders v3 webhooks (webhooks.process with the
// restaurant orders module). Listens on 127.0.0.1, prints "listening <port>", and shows what its
// handlers received at GET /seen.
import http from 'node:http';
import * as orders from '@wix/auto_sdk_restaurants_orders';
import { AppStrategy, createClient } from '@wix/sdk';
import { env, serveProvider } from '../sdk_shared/wixsim.mjs';

const client = createClient({
  auth: AppStrategy({ appId: env('WIX_APP_ID'), publicKey: env('WIX_PUBLIC_KEY') }),
  modules: { orders },
});
const seen = { events: [], errors: [] };

function record(type, order, event) {
  seen.events.push({
    type,
    orderId: order?._id,
    status: order?.status,
    lastMessage: order?.activities?.at(-1)?.message ?? null,
    updatedDateIsDate: order ? order._updatedDate instanceof Date : null,
    entityId: event.metadata.entityId,
    eventId: event.metadata._id,
    eventTimeIsDate: event.metadata.eventTime instanceof Date,
    instanceId: event.metadata.instanceId,
    identity: event.metadata.identity,
  });
}

client.orders.onOrderNewOrder((event) => record('order_new_order', event.data.order, event));
client.orders.onOrderAccepted((event) => record('order_accepted', event.data.order, event));
client.orders.onOrderCanceled((event) => record('order_canceled', event.data.order, event));
client.orders.onOrderFulfilled((event) => record('order_fulfilled', event.data.order, event));

serveProvider(http, client, seen);
