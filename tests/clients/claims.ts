// A TypeScript client of the API: types from openapi-typescript (`schema.d.ts`, generated
// beside this file from openapi/openapi.json by tests/test_sdk_typescript.py), calls through
// openapi-fetch. Compiled with `tsc --strict` and run with node against a live server, it
// lists with `sort` and `date_kind`, gets a claim and patches it with If-Match, sending the
// API key of `CLAIMS_API_KEY` as `Authorization: Bearer …` (the document's `apiKey` scheme);
// it exits non-zero on the first answer that is not what it should be.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type ClaimRead = components["schemas"]["ClaimRead"];
type ClaimSort = components["schemas"]["ClaimSort"];

function check(condition: boolean, what: string): asserts condition {
  if (!condition) {
    throw new Error(`check failed: ${what}`);
  }
}

function env(name: string): string {
  const value = process.env[name];
  check(value !== undefined && value !== "", `${name} is set`);
  return value;
}

async function main(): Promise<void> {
  const baseUrl = env("CLAIMS_BASE_URL");
  const later = env("CLAIM_LATER");
  const earlier = env("CLAIM_EARLIER");
  const client = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${env("CLAIMS_API_KEY")}` },
  });

  const descending: ClaimSort = "-date";
  const listed = await client.GET("/v1/claims", {
    params: { query: { sort: descending, date_kind: "occurred", limit: 10 } },
  });
  check(listed.response.status === 200, `list answers 200, not ${listed.response.status}`);
  check(listed.data !== undefined, "list has a body");
  const order = listed.data.data.map((claim: ClaimRead) => claim.id);
  check(JSON.stringify(order) === JSON.stringify([later, earlier]), `-date order: ${order}`);
  check(listed.data.next_cursor === null, "one page");

  const fetched = await client.GET("/v1/claims/{claim_id}", {
    params: { path: { claim_id: later } },
  });
  check(fetched.response.status === 200, `get answers 200, not ${fetched.response.status}`);
  check(fetched.data !== undefined, "get has a body");
  const claim: ClaimRead = fetched.data;
  check(claim.dates[0]?.precision === "month", "the date's precision is typed");
  const etag = fetched.response.headers.get("ETag");
  check(etag !== null, "get sends an ETag");

  const updated = await client.PATCH("/v1/claims/{claim_id}", {
    params: { path: { claim_id: later }, header: { "If-Match": etag } },
    body: { confidence: 0.5, programs: ["DPRK2"] },
    headers: { "Content-Type": "application/merge-patch+json" },
  });
  check(updated.response.status === 200, `patch answers 200, not ${updated.response.status}`);
  check(updated.data !== undefined, "patch has a body");
  check(updated.data.confidence === 0.5, "the confidence changed");
  check(updated.data.version === claim.version + 1, "the version moved on");

  const stale = await client.PATCH("/v1/claims/{claim_id}", {
    params: { path: { claim_id: later }, header: { "If-Match": etag } },
    body: { confidence: 0.1 },
    headers: { "Content-Type": "application/merge-patch+json" },
  });
  check(stale.response.status === 412, `a stale ETag is 412, not ${stale.response.status}`);
  check(stale.error !== undefined, "the 412 is parsed as an error");
  check(
    stale.error.current_etag === updated.response.headers.get("ETag"),
    "the problem names the current ETag",
  );
  console.log(JSON.stringify({ listed: order, patched: updated.data.id }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
