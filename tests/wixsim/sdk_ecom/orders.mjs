// Drive wixsim's eCom Orders and Order Fulfillments with @wix/auto_sdk_ecom_orders and
// @wix/auto_sdk_ecom_order-fulfillments. argv[2]: "wixapis" or "custom". Prints a JSON summary.
import assert from 'node:assert/strict';
import * as orders from '@wix/auto_sdk_ecom_orders';
import * as fulfillments from '@wix/auto_sdk_ecom_order-fulfillments';
import { appClient, env, redirectToWixsim } from './wixsim.mjs';

const form = process.argv[2];
redirectToWixsim(env('WIXSIM_URL'));
const client = appClient({ orders, fulfillments }, form);
const orderId = env('ORDER_ID');
const cancelId = env('CANCEL_ORDER_ID');

const order = await client.orders.getOrder(orderId);
assert.equal(order._id, orderId);
assert.equal(order.status, 'APPROVED');
assert.ok(order._createdDate instanceof Date, 'createdDate becomes a Date');
const line = order.lineItems[0];
assert.equal(line.catalogReference.appId, '9a5d83fd-8570-482e-81ab-cfa88942ee60');
assert.ok(line.modifierGroups[0]._id, 'typed modifier groups carry ids');

const found = await client.orders.searchOrders({ filter: { status: 'APPROVED' }, cursorPaging: { limit: 1 } });
assert.equal(found.orders.length, 1);
assert.equal(found.metadata.hasNext, true);
const next = await client.orders.searchOrders({ cursorPaging: { limit: 1, cursor: found.metadata.cursors.next } });
assert.equal(next.orders.length, 1);
assert.notEqual(next.orders[0]._id, found.orders[0]._id);

const added = await client.orders.addActivities(orderId, {
  orderActivities: [{ activityType: 'MERCHANT_COMMENT', merchantComment: { message: 'Sent to the kitchen' } }],
});
assert.equal(added.activityIds.length, 1);
assert.equal(added.order.activities.at(-1).merchantComment.message, 'Sent to the kitchen');

const created = await client.fulfillments.createFulfillment(orderId, {
  lineItems: order.lineItems.map((l) => ({ _id: l._id, quantity: l.quantity })),
  status: 'Accepted',
});
const fulfillmentId = created.fulfillmentId;
assert.ok(fulfillmentId);
assert.equal(created.orderWithFulfillments.fulfillments[0].status, 'Accepted');
assert.ok(created.orderWithFulfillments.fulfillments[0]._createdDate instanceof Date);

const updated = await client.fulfillments.updateFulfillment(
  { orderId, fulfillmentId },
  { fulfillment: { status: 'Ready', completed: false } },
);
const listed = await client.fulfillments.listFulfillmentsForSingleOrder(orderId);
assert.equal(listed.orderWithFulfillments.fulfillments[0].status, 'Ready');

let refused = null;
try {
  await client.fulfillments.updateFulfillment({ orderId, fulfillmentId }, { fulfillment: { status: 'ready' } });
} catch (err) {
  refused = err.details?.validationError ?? err.message;
}
assert.ok(refused, 'a wrongly cased status is refused');

const deleted = await client.fulfillments.deleteFulfillment({ orderId, fulfillmentId });
assert.deepEqual(deleted.orderWithFulfillments.fulfillments, []);

const other = await client.orders.getOrder(cancelId);
const bulk = await client.fulfillments.bulkCreateFulfillments([
  { orderId: cancelId, fulfillments: [{ lineItems: [{ _id: other.lineItems[0]._id }], status: 'Pending' }] },
  { orderId: '00000000-0000-0000-0000-000000000000', fulfillments: [{ lineItems: [{ _id: other.lineItems[0]._id }] }] },
]);
assert.deepEqual(
  bulk.results.map((r) => r.itemMetadata.success),
  [true, false],
);
assert.equal(bulk.bulkActionMetadata.totalFailures, 1);
assert.equal(bulk.results[0].ordersWithFulfillments.fulfillments[0].status, 'Pending');

const canceled = await client.orders.cancelOrder(cancelId, { customMessage: 'Out of dough' });
assert.equal(canceled.order.status, 'CANCELED');

let missing = null;
try {
  await client.orders.getOrder('00000000-0000-0000-0000-000000000000');
} catch (err) {
  missing = err.details?.applicationError?.code ?? err.message;
}

console.log(JSON.stringify({ form, updated: Boolean(updated), missing, refused: Boolean(refused) }));
