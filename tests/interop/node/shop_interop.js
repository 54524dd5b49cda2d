// Drives the running Baton suite with Node's gRPC stack (@grpc/grpc-js), which shares
// no code with ours. Every descriptor comes from the servers' own reflection: no .proto
// file is read here, as with grpcurl.
//
//   node shop_interop.js <scenario>
//
// Environment: BATON_GATEWAY, BATON_CATALOG, BATON_INVENTORY, BATON_ORDERS (host:port),
// BATON_API_KEY, BATON_INVENTORY_METRICS (metrics port). Exits 0 when the scenario
// holds; otherwise prints why and exits 1. Every wait is bounded.
'use strict';

const grpc = require('@grpc/grpc-js');
const http = require('http');
const { GrpcReflection } = require('grpc-js-reflection-client');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const insecure = grpc.credentials.createInsecure();
const loaderOptions = { keepCase: true, longs: Number, enums: String, defaults: true };

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

// A client for `service` on `address`, built from what the server's reflection says.
async function clientFor(address, service) {
  const reflection = new GrpcReflection(address, insecure);
  const descriptor = await reflection.getDescriptorBySymbol(service);
  const packageObject = descriptor.getPackageObject(loaderOptions);
  const Client = service.split('.').reduce((object, part) => object[part], packageObject);
  check(typeof Client === 'function', `reflection gave no client for ${service}`);
  return new Client(address, insecure);
}

// One unary call; resolves to {error, response, trailers, elapsedMs}.
function call(client, method, request, { metadata = {}, deadlineMs = 5000, onCall } = {}) {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  const start = Date.now();
  return new Promise((resolve) => {
    let trailers = null;
    const handle = client[method](
      request, md, { deadline: new Date(Date.now() + deadlineMs) },
      (error, response) => {
        const elapsedMs = Date.now() - start;
        // On error the trailers come with the error; on success, from 'status'.
        setImmediate(() => resolve({ error, response, trailers: error ? error.metadata : trailers, elapsedMs }));
      });
    handle.on('status', (status) => { trailers = status.metadata; });
    if (onCall) onCall(handle);
  });
}

function trailOf(trailers) {
  const values = trailers ? trailers.get('x-baton-budget-trail') : [];
  return values.length > 0 ? String(values[0]) : '';
}

function httpGet(port, path) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, timeout: 5000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

async function metricAtLeast(port, series, value, timeoutMs) {
  const giveUp = Date.now() + timeoutMs;
  while (Date.now() < giveUp) {
    const { body } = await httpGet(port, '/metrics');
    const line = body.split('\n').find((l) => l.startsWith(series + ' '));
    if (line && Number(line.split(' ')[1]) >= value) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

const apiKey = () => ({ 'x-api-key': env('BATON_API_KEY') });
const shop = () => clientFor(env('BATON_GATEWAY'), 'baton.shop.v1.ShopService');

async function available(client, sku) {
  const { error, response } = await call(client, 'GetProduct', { sku }, { metadata: apiKey() });
  check(!error, `GetProduct ${sku}: ${error && error.details}`);
  return response.available;
}

async function waitForAvailable(client, sku, expected) {
  const giveUp = Date.now() + 10000;
  while (Date.now() < giveUp) {
    if ((await available(client, sku)) === expected) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

async function metricAtMost(port, series, value, timeoutMs) {
  const giveUp = Date.now() + timeoutMs;
  while (Date.now() < giveUp) {
    const { body } = await httpGet(port, '/metrics');
    const line = body.split('\n').find((l) => l.startsWith(series + ' '));
    if (line && Number(line.split(' ')[1]) <= value) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

const scenarios = {
  // `grpcurl list` and `describe` on every service, through reflection.
  async reflection() {
    const expected = {
      BATON_GATEWAY: 'baton.shop.v1.ShopService',
      BATON_CATALOG: 'baton.catalog.v1.CatalogService',
      BATON_INVENTORY: 'baton.inventory.v1.InventoryService',
      BATON_ORDERS: 'baton.orders.v1.OrdersService',
    };
    for (const [variable, service] of Object.entries(expected)) {
      const reflection = new GrpcReflection(env(variable), insecure);
      const services = await reflection.listServices();
      for (const name of [service, 'grpc.health.v1.Health', 'grpc.reflection.v1alpha.ServerReflection']) {
        check(services.includes(name), `${variable} lists ${name} (got ${services})`);
      }
      const methods = await reflection.listMethods(service);
      check(methods.length >= 3, `${service} has its methods described`);
      const health = await reflection.listMethods('grpc.health.v1.Health');
      check(health.some((m) => m.name === 'Check'), 'grpc.health.v1.Health is described');
    }
  },

  async health() {
    for (const variable of ['BATON_GATEWAY', 'BATON_CATALOG', 'BATON_INVENTORY', 'BATON_ORDERS']) {
      const health = await clientFor(env(variable), 'grpc.health.v1.Health');
      const whole = await call(health, 'Check', { service: '' });
      check(!whole.error && whole.response.status === 'SERVING', `${variable} is SERVING`);
      const unknown = await call(health, 'Check', { service: 'no.such.Service' });
      check(unknown.error && unknown.error.code === grpc.status.NOT_FOUND, 'unknown service is NOT_FOUND');
    }
  },

  // The whole order flow, with trace context and request id of this client's making.
  async order_flow() {
    const client = await shop();
    const before = await available(client, 'node-tea');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const placed = await call(client, 'PlaceOrder',
      { customer: 'node', items: [{ sku: 'node-tea', quantity: 2 }] },
      { metadata: { ...apiKey(), 'x-request-id': 'node-order-1',
                    traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    check(!placed.error, `PlaceOrder: ${placed.error && placed.error.details}`);
    const order = placed.response;
    check(order.order_id.startsWith('ord_'), `an order id (${order.order_id})`);
    check(order.request_id === 'node-order-1', 'the order remembers its request id');
    check(order.total_cents === 2 * 250, `total ${order.total_cents}`);
    const trail = trailOf(placed.trailers);
    for (const hop of ['gateway=', 'orders=', 'catalog=', 'inventory=']) {
      check(trail.includes(hop), `trail ${trail} has ${hop}`);
    }
    const again = await call(client, 'PlaceOrder',
      { customer: 'node', items: [{ sku: 'node-tea', quantity: 2 }] },
      { metadata: { ...apiKey(), 'x-request-id': 'node-order-1' } });
    check(!again.error && again.response.order_id === order.order_id, 'a retry returns the same order');
    const read = await call(client, 'GetOrder', { order_id: order.order_id }, { metadata: apiKey() });
    check(!read.error && read.response.lines.length === 1, 'GetOrder reads it back');
    check((await available(client, 'node-tea')) === before - 2, 'stock went down once');
    const bad = await call(client, 'PlaceOrder', { customer: 'node', items: [] }, { metadata: apiKey() });
    check(bad.error && bad.error.code === grpc.status.INVALID_ARGUMENT && bad.error.details.includes('items'),
          'empty items is INVALID_ARGUMENT naming items');
    const anonymous = await call(client, 'PlaceOrder', { customer: 'node', items: [{ sku: 'node-tea', quantity: 1 }] });
    check(anonymous.error && anonymous.error.code === grpc.status.UNAUTHENTICATED, 'no key is UNAUTHENTICATED');
    console.log(`TRACE ${traceId}`);
  },

  // A deadline this client sets comes back as the servers' DEADLINE_EXCEEDED with the
  // budget trail, and the stock is untouched.
  async deadline() {
    const client = await shop();
    const before = await available(client, 'node-tea');
    const slow = { ...apiKey(), 'x-baton-fault': 'inventory=delay:3s' };
    // The client waits 10 s; the suite gets 400 ms (x-baton-budget-us).
    const exact = await call(client, 'PlaceOrder',
      { customer: 'node', items: [{ sku: 'node-tea', quantity: 1 }] },
      { metadata: { ...slow, 'x-baton-budget-us': '400000' }, deadlineMs: 10000 });
    check(exact.error && exact.error.code === grpc.status.DEADLINE_EXCEEDED,
          `DEADLINE_EXCEEDED (got ${exact.error && exact.error.code})`);
    check(exact.elapsedMs < 3000, `answered near the budget, not after inventory's 3 s (${exact.elapsedMs} ms)`);
    check(exact.error.details.includes('expired at gateway'), `names where: ${exact.error.details}`);
    const trail = trailOf(exact.trailers);
    check(trail.startsWith('gateway=') && trail.includes('orders='), `trail ${trail}`);
    // grpc-js's own deadline (grpc-timeout) alone: the call ends near it, however it ends.
    const plain = await call(client, 'PlaceOrder',
      { customer: 'node', items: [{ sku: 'node-tea', quantity: 1 }] },
      { metadata: slow, deadlineMs: 500 });
    check(plain.error && plain.error.code === grpc.status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED');
    check(plain.elapsedMs < 3000, `near 500 ms (${plain.elapsedMs} ms)`);
    check(await waitForAvailable(client, 'node-tea', before), 'no stock was kept');
  },

  // Cancelling mid-order stops the work below and keeps no stock.
  async cancel() {
    const client = await shop();
    const before = await available(client, 'node-tea');
    const metricsPort = Number(env('BATON_INVENTORY_METRICS'));
    let handle = null;
    const pending = call(client, 'PlaceOrder',
      { customer: 'node', items: [{ sku: 'node-tea', quantity: 1 }] },
      { metadata: { ...apiKey(), 'x-baton-fault': 'inventory=delay:20s' }, deadlineMs: 30000,
        onCall: (h) => { handle = h; } });
    check(await metricAtLeast(metricsPort, 'baton_requests_in_flight', 1, 20000),
          'the reservation reached inventory');
    const cancelledAt = Date.now();
    handle.cancel();
    const result = await pending;
    check(result.error && result.error.code === grpc.status.CANCELLED, 'CANCELLED');
    // Inventory's handler stopped: nothing stays in flight there.
    const giveUp = Date.now() + 10000;
    let idle = false;
    while (!idle && Date.now() < giveUp) {
      const { body } = await httpGet(metricsPort, '/metrics');
      idle = body.split('\n').includes('baton_requests_in_flight 0');
      if (!idle) await new Promise((r) => setTimeout(r, 10));
    }
    check(idle, 'inventory stopped working on the cancelled reservation');
    check(Date.now() - cancelledAt < 10000, 'well before its 20 s delay');
    check(await waitForAvailable(client, 'node-tea', before), 'no stock was kept');
  },

  // WatchProduct, a server stream, called as grpcurl would: the descriptor from
  // reflection, updates as stock changes, a cancel that ends inventory's stream too,
  // and a deadline that ends it with DEADLINE_EXCEEDED near the deadline.
  async watch() {
    const reflection = new GrpcReflection(env('BATON_GATEWAY'), insecure);
    const methods = await reflection.listMethods('baton.shop.v1.ShopService');
    const watchMethod = methods.find((m) => m.name === 'WatchProduct');
    check(watchMethod, 'reflection describes WatchProduct');
    check(watchMethod.definition ? watchMethod.definition.responseStream : true,
          'WatchProduct streams its responses');
    const client = await shop();
    const inventory = await clientFor(env('BATON_INVENTORY'), 'baton.inventory.v1.InventoryService');
    const metricsPort = Number(env('BATON_INVENTORY_METRICS'));
    const md = new grpc.Metadata();
    md.set('x-api-key', apiKey()['x-api-key']);
    const stream = client.WatchProduct({ sku: 'node-watch' }, md,
      { deadline: new Date(Date.now() + 30000) });
    const updates = [];
    const ended = new Promise((resolve) => stream.on('error', resolve));
    stream.on('data', (update) => updates.push(update));
    const arrived = async (available) => {
      const giveUp = Date.now() + 10000;
      const seen = () => updates.some((u) => u.sku === 'node-watch' && u.available === available);
      while (!seen() && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 5));
      return seen();
    };
    check(await arrived(0), 'the first update came: never stocked, none available');
    for (const available of [4, 9]) {
      const set = await call(inventory, 'SetStock', { sku: 'node-watch', available });
      check(!set.error, `SetStock ${available}`);
      check(await arrived(available), `the change to ${available} came (got ${JSON.stringify(updates)})`);
    }
    stream.cancel();
    const error = await ended;
    check(error.code === grpc.status.CANCELLED, `CANCELLED (got ${error.code})`);
    check(await metricAtMost(metricsPort, 'baton_streams_in_flight', 0, 10000),
          "inventory's stream ended with the gateway's");

    const started = Date.now();
    const short = client.WatchProduct({ sku: 'node-watch' }, md, { deadline: new Date(Date.now() + 300) });
    short.on('data', () => {});
    const expired = await new Promise((resolve) => short.on('error', resolve));
    const tookMs = Date.now() - started;
    check(expired.code === grpc.status.DEADLINE_EXCEEDED, `DEADLINE_EXCEEDED (got ${expired.code})`);
    // Under a sanitizer (BATON_TEST_TIME_SCALE > 1) the servers' clocks lag theirs
    // (gRPC dates a deadline from a cached clock); only the upper bound holds there.
    const scale = Number(process.env.BATON_TEST_TIME_SCALE || '1');
    check((scale > 1 || tookMs >= 250) && tookMs < 3000 * scale,
          `near 300 ms (${tookMs} ms: ${expired.details})`);
  },

  // B3 single-header context travels on; the wrapper reads the services' logs.
  async b3() {
    const client = await shop();
    const traceId = '80f198ee56343ba864fe8b2a57d3eff7';
    const result = await call(client, 'ListProducts', { page_size: 5 },
      { metadata: { ...apiKey(), b3: `${traceId}-e457b5a2e4d86bd1-1` } });
    check(!result.error, `ListProducts: ${result.error && result.error.details}`);
    check(result.response.products.length > 0, 'products listed');
    console.log(`TRACE ${traceId}`);
  },
};

const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario "${name}"; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
const watchdog = setTimeout(() => { console.error(`${name}: timed out`); process.exit(1); }, 60000);
scenarios[name]().then(() => {
  clearTimeout(watchdog);
  console.log(`${name}: ok`);
  process.exit(0);
}, (error) => {
  clearTimeout(watchdog);
  console.error(`${name}: ${error.stack || error}`);
  process.exit(1);
});
