// Test helper: seal values with @socialgouv/aes-gcm-rsa-oaep, an implementation independent of
// hubfleet's, so the tests can check that `hubfleet unseal` reads what another sealer wrote.
// Usage: node seal.js CERT.pem NAMESPACE NAME < values.json > sealedsecret.json
"use strict";
const fs = require("fs");
const { getSealedSecret } = require("@socialgouv/aes-gcm-rsa-oaep");

async function main() {
  const [certPath, namespace, name] = process.argv.slice(2);
  const values = JSON.parse(fs.readFileSync(0, "utf8"));
  const pemKey = fs.readFileSync(certPath, "utf8");
  const manifest = await getSealedSecret({ pemKey, scope: "strict", namespace, name, values });
  process.stdout.write(JSON.stringify(manifest, null, 2) + "\n");
}

main().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
