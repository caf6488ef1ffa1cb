// Point Wix's SDK at wixsim: every https call to a Wix host (or to the custom API host) goes to
// WIXSIM_URL instead, path and query untouched, so wixsim sees exactly what the SDK builds.
import { AppStrategy, createClient } from '@wix/sdk';

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

// form "wixapis": the SDK's default host (paths /ecom/v1/...); "custom": any other API host
// (paths /_api/ecom-orders/v1/..., /_api/fulfillments/v1/...).
export function appClient(modules, form) {
  return createClient({
    auth: AppStrategy({
      appId: env('WIX_APP_ID'),
      appSecret: env('WIX_APP_SECRET'),
      publicKey: process.env.WIX_PUBLIC_KEY,
      instanceId: process.env.WIX_INSTANCE_ID,
    }),
    modules,
    ...(form === 'custom' ? { host: { apiBaseUrl: CUSTOM_HOST } } : {}),
  });
}
