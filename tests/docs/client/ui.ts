// tests/docs/client/ui.ts: the names the web UI's code takes from a client
// generated from conf/openapi.json (openapi-typescript types, an
// openapi-fetch client). names.bats generates api.d.ts beside it and
// type-checks this file: a renamed operation, path, parameter or schema
// key is a compile error here.
import createClient from "openapi-fetch";
import type { components, operations, paths } from "./api";

// The type aliases, after the schemas' titles.
export type ConfigListResponseSchema = components["schemas"]["ConfigListResponseSchema.6be28b6"];
export type ConfigSummarySchema =
  components["schemas"]["ConfigListResponseSchema.6be28b6.ConfigSummarySchema"];
export type ConfigResponseSchema = components["schemas"]["ConfigResponseSchema.6be28b6"];
export type ConfigSaveRequestSchema = components["schemas"]["ConfigSaveRequestSchema.6be28b6"];
export type ErrorResponseSchema = components["schemas"]["ErrorResponseSchema.8c5cd6b"];

// The hooks, after the operationIds.
type Ok<O> = O extends { responses: { 200: { content: { "application/json": infer B } } } }
  ? B
  : never;
export type ListConfigs = Ok<operations["get__api_configs"]>;
export type GetConfig = Ok<operations["get__api_configs_{mac_address}"]>;
export type PutConfig = Ok<operations["put__api_configs_{mac_address}"]>;
export type DeleteConfig = operations["delete__api_configs_{mac_address}"];
export type GetHealth = operations["get__api_health"];
export type GetMetrics = operations["get__metrics"];
export type MacParam = paths["/api/configs/{mac_address}"]["parameters"]["path"]["mac_address"];

const list: ConfigListResponseSchema = { configs: [], count: 0 };
const summary: ConfigSummarySchema | undefined = list.configs[0];
const body: ConfigSaveRequestSchema = { content: { deviceName: "x" }, allow_overwrite: false };
const listed: ListConfigs = list;
const mac: MacParam = "aa-bb-cc-dd-ee-ff";

const client = createClient<paths>({ baseUrl: "http://localhost:8080" });

export async function roundTrip(): Promise<string | undefined> {
  const put = await client.PUT("/api/configs/{mac_address}", {
    params: { path: { mac_address: mac } },
    body,
  });
  const saved: PutConfig | undefined = put.data;
  const got = await client.GET("/api/configs/{mac_address}", {
    params: { path: { mac_address: mac } },
  });
  const config: GetConfig | ConfigResponseSchema | undefined = got.data;
  const failed: ErrorResponseSchema | undefined = got.error;
  await client.GET("/api/configs/{mac_address}.json", { params: { path: { mac_address: mac } } });
  await client.GET("/esp32/config/{mac_address}.json", { params: { path: { mac_address: mac } } });
  await client.DELETE("/api/configs/{mac_address}", { params: { path: { mac_address: mac } } });
  return saved?.mac_address ?? config?.device_name ?? failed?.code ?? summary?.mac_address ??
    String(listed.count);
}
