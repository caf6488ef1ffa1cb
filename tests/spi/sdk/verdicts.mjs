// Wix's own verdict on SPI envelopes: the provider side of @wix/sdk, exactly as an app uses it.
// stdin: {"appId", "publicKey", "tokens": {name: jwt}}; stdout: {name: "accept" | "refuse"}.
import { AppStrategy, createClient } from "@wix/sdk";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => { text += chunk; });
  process.stdin.on("end", () => resolve(text));
}));
const client = createClient({ auth: AppStrategy({ appId: input.appId, publicKey: input.publicKey }), modules: {} });
const verdicts = {};
for (const [name, token] of Object.entries(input.tokens)) {
  try {
    await client.servicePlugins.parseJWT(token);
    verdicts[name] = "accept";
  } catch (error) {
    verdicts[name] = "refuse";
  }
}
process.stdout.write(JSON.stringify(verdicts));
