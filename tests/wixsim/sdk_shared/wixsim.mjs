// Point Wix's SDK at wixsim: every https call to a Wix host (or to the custom API host) goes to
// WIXSIM_URL instead, path and query untouched, so wixsim sees exactly what the SDK builds.
// No imports: each test package (sdk_ecom, sdk_menus) passes in its own @wix/sdk.

export const CUSTOM_HOST = 'wixsim.invalid';
const WIX_HOSTS = new Set(['www.wixapis.com', CUSTOM_HOST]);

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}

export function redirectToWixsim(base) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.protocol === 'https:' && WIX_HOSTS.has(url.host)) {
      const target = new URL(url.pathname + url.search, base);
      if (typeof input === 'string' || input instanceof URL) return realFetch(target, init);
      return realFetch(new Request(target, input), init);
    }
    return realFetch(input, init);
  };
}

// form "wixapis": the SDK's default host (www.wixapis.com's path mapping); "custom": any other API
// host (the SDK's mapping for other domains, e.g. /_api/..., or the bare proto path).
export function appClientOptions(AppStrategy, modules, form) {
  return {
    auth: AppStrategy({
      appId: env('WIX_APP_ID'),
      appSecret: env('WIX_APP_SECRET'),
      publicKey: process.env.WIX_PUBLIC_KEY,
      instanceId: process.env.WIX_INSTANCE_ID,
    }),
    modules,
    ...(form === 'custom' ? { host: { apiBaseUrl: CUSTOM_HOST } } : {}),
  };
}

// A provider's HTTP side on 127.0.0.1: GET /seen answers `seen` as JSON; POST /webhooks goes through
// client.webhooks.process; any other request to `route(url, text)` (return a Response, or null for 404).
// Prints "listening <port>" once up; a handler's failure is kept in seen.errors and answered 500.
export function serveProvider(http, client, seen, route = async () => null) {
  async function body(req) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    return Buffer.concat(chunks).toString();
  }
  const server = http.createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/seen') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(seen));
        return;
      }
      const text = await body(req);
      const response = req.url === '/webhooks'
        ? (await client.webhooks.process(text), new Response('{}'))
        : await route(req.url, text);
      if (!response) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(response.status, { 'content-type': 'application/json' });
      res.end(await response.text());
    } catch (err) {
      seen.errors.push(`${req.url}: ${err.message}`);
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: err.message }));
    }
  });
  server.listen(0, '127.0.0.1', () => {
    console.log(`listening ${server.address().port}`);
  });
  return server;
}
