// Wix's SDK aimed at wixsim (see ../sdk_shared/wixsim.mjs), with this package's @wix/sdk.
import { AppStrategy, createClient } from '@wix/sdk';
import { appClientOptions } from '../sdk_shared/wixsim.mjs';

export { CUSTOM_HOST, env, redirectToWixsim, serveProvider } from '../sdk_shared/wixsim.mjs';

export function appClient(modules, form) {
  return createClient(appClientOptions(AppStrategy, modules, form));
}
