// A provider written with @wix/sdk: the eCom Validations service plugin (provideHandlers, answered
// through servicePlugins.processRequest) and order webhooks (webhooks.process with the orders and
// fulfillments modules). Listens on 127.0.0.1, prints "listening <port>", and shows what its
// handlers received at GET /seen.
import http from 'node:http';
import * as orders from '@wix/auto_sdk_ecom_orders';
import * as fulfillments from '@wix/auto_sdk_ecom_order-fulfillments';
import * as validations from '@wix/auto_sdk_ecom_validations';
import { AppStrategy, createClient } from '@wix/sdk';
import { env, serveProvider } from './wixsim.mjs';

const client = createClient({
  auth: AppStrategy({ appId: env('WIX_APP_ID'), publicKey: env('WIX_PUBLIC_KEY') }),
  modules: { orders, fulfillments, validations },
});
const seen = { validations: [], events: [], errors: [] };

client.validations.provideHandlers({
  async getValidationViolations({ request, metadata }) {
    const lines = request.validationInfo.lineItems;
    seen.validations.push({ request, metadata });
    const quantity = lines.reduce((sum, line) => sum + line.quantity, 0);
    if (quantity > 5) {
      return {
        violations: [{ severity: 'ERROR', target: { other: { name: 'OTHER_DEFAULT' } }, description: 'At most 5 items' }],
      };
    }
    return {
      violations: [
        { severity: 'WARNING', target: { lineItem: { name: 'LINE_ITEM_DEFAULT', _id: lines[0]._id } }, description: 'Busy' },
      ],
    };
  },
});

function record(type, order, event, extra = {}) {
  seen.events.push({
    type,
    orderId: order?._id,
    status: order?.status,
    paymentStatus: order?.paymentStatus,
    fulfillmentStatus: order?.fulfillmentStatus,
    createdDateIsDate: order ? order._createdDate instanceof Date : null,
    entityId: event.metadata.entityId,
    eventId: event.metadata._id,
    eventTimeIsDate: event.metadata.eventTime instanceof Date,
    instanceId: event.metadata.instanceId,
    identity: event.metadata.identity,
    ...extra,
  });
}

client.orders.onOrderCreated((event) => record('order_created', event.entity, event));
client.orders.onOrderUpdated((event) => record('order_updated', event.entity, event));
client.orders.onOrderApproved((event) => record('order_approved', event.data.order, event));
client.orders.onOrderCanceled((event) =>
  record('order_canceled', event.data.order, event, { customMessage: event.data.customMessage }),
);
client.orders.onOrderPaymentStatusUpdated((event) =>
  record('order_payment_status_updated', event.data.order, event, { previous: event.data.previousPaymentStatus }),
);
client.orders.onOrderFulfilled((event) =>
  record('order_fulfilled', event.data.order, event, { newFulfillmentStatus: event.data.newFulfillmentStatus }),
);
client.fulfillments.onFulfillmentsUpdated((event) =>
  record('fulfillments_updated', null, event, {
    orderId: event.entity.orderId,
    statuses: event.entity.fulfillments.map((f) => f.status),
    fulfillmentIds: event.entity.fulfillments.map((f) => f._id),
  }),
);

serveProvider(http, client, seen, async (url, text) => {
  if (!url.startsWith('/validations/')) return null;
  return client.servicePlugins.processRequest(new Request(`http://127.0.0.1${url}`, { method: 'POST', body: text }));
});
