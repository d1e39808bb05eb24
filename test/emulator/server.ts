/** HTTPS front of the ARM emulator: routing, auth, api-versions, LRO headers, faults, recording. */
import { randomUUID } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BlobInspector } from "./blobs.ts";
import { CA_DIR_ENV, ensureTlsMaterial, trustCertificateInProcess, trustedAtStartup } from "./cert.ts";
import { ArmError, defaultCodeForStatus, resourceNotFound } from "./errors.ts";
import { EmulatorFaults, normalizeRegion } from "./faults.ts";
import { ComputeModel, isObject, type HandlerResult, type Scope, type Stored } from "./model.ts";
import { KNOWN_REGIONS } from "./regions.ts";
import type {
  ArmEmulatorOptions,
  EmulatorRequest,
  EmulatorTiming,
  FaultRule,
  RegionReplication,
  ResourceJson,
  ResourceType,
} from "./types.ts";

export const GALLERY_API_VERSION = "2025-12-03";
export const DISK_API_VERSION = "2026-03-02";

export const DEFAULT_TIMING: EmulatorTiming = {
  galleryMs: 100,
  imageMs: 100,
  versionMs: 200,
  replicationMs: 600,
  replicationStepMs: 200,
  diskMs: 300,
  snapshotMs: 200,
  updateMs: 50,
  deleteMs: 100,
  retryAfterSeconds: 1,
};

/** Read-only views of the emulator's resources, as GET returns them (versions with replicationStatus). */
export interface EmulatorState {
  galleries(): ResourceJson[];
  images(): ResourceJson[];
  versions(): ResourceJson[];
  disks(): ResourceJson[];
  snapshots(): ResourceJson[];
  /** Any resource by ARM id (case-insensitive). */
  get(id: string): ResourceJson | undefined;
  /** Per-region replication of a version by id. */
  replication(versionId: string): RegionReplication[] | undefined;
}

export interface ArmEmulator {
  /** e.g. https://127.0.0.1:40123 — pass as `endpoint` to ComputeManagementClient. */
  readonly endpoint: string;
  readonly port: number;
  /** PEM of the self-signed certificate; give it to children as NODE_EXTRA_CA_CERTS. */
  readonly caCertPath: string;
  readonly trafficFile: string;
  readonly faults: EmulatorFaults;
  readonly state: EmulatorState;
  /** Every request served or dropped so far, in order. */
  readonly requests: readonly EmulatorRequest[];
  clearRequests(): void;
  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>` */
  storageAccountId(subscription: string, resourceGroup: string, accountName: string): string;
  stop(): Promise<void>;
}

interface Operation {
  readonly key: string;
  readonly kind: "create" | "update" | "delete";
  readonly startedAt: number;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  errorCode?: string;
}

let trafficCounter = 0;

export async function startArmEmulator(options: ArmEmulatorOptions = {}): Promise<ArmEmulator> {
  const certDirGiven = options.certDir ?? process.env[CA_DIR_ENV];
  const tlsMaterial = ensureTlsMaterial(certDirGiven);
  if (options.trustInProcess !== false && !trustedAtStartup(tlsMaterial.certPath)) {
    trustCertificateInProcess(tlsMaterial.cert);
  }
  let ownTrafficDir: string | undefined;
  let trafficFile = options.trafficFile;
  if (trafficFile === undefined) {
    const shared = process.env["SIG_PUBLISH_TRAFFIC_DIR"];
    let dir: string;
    if (shared !== undefined && shared !== "") {
      dir = shared;
    } else {
      ownTrafficDir = mkdtempSync(join(tmpdir(), "sig-publish-arm-traffic-"));
      dir = ownTrafficDir;
    }
    trafficFile = join(dir, `arm-${process.pid}-${++trafficCounter}-${randomUUID().slice(0, 8)}.jsonl`);
  }
  mkdirSync(dirname(trafficFile), { recursive: true });
  appendFileSync(trafficFile, "");

  const timing: EmulatorTiming = { ...DEFAULT_TIMING, ...options.timing };
  const faults = new EmulatorFaults();
  if (options.failReplicationIn !== undefined) faults.failReplicationIn(options.failReplicationIn);
  const model = new ComputeModel({
    now: () => Date.now(),
    timing,
    faults,
    blobs: new BlobInspector(options.storageAccounts ?? {}),
    regions: new Set((options.regions ?? KNOWN_REGIONS).map(normalizeRegion)),
  });
  const pageSize = Math.max(1, options.pageSize ?? 50);
  const operations = new Map<string, Operation>();
  const requests: EmulatorRequest[] = [];
  let seq = 0;
  let endpoint = "";
  const allowedGroups =
    options.resourceGroups === undefined
      ? undefined
      : new Set(options.resourceGroups.map((g) => g.toLowerCase()));

  const server: Server = createServer({ key: tlsMaterial.key, cert: tlsMaterial.cert, keepAlive: true });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    void serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ error: { code: "InternalServerError", message: String(error) } }));
      }
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", endpoint);
    const method = (req.method ?? "GET").toUpperCase();
    let body: unknown;
    let bodyError: ArmError | undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch (error) {
        bodyError = new ArmError(
          400,
          "InvalidRequestContent",
          `The request content was invalid and could not be deserialized: ${(error as Error).message}`,
        );
      }
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const rule = faults.takeRule({ method, path, query: url.searchParams, body });
    let faultKind: EmulatorRequest["fault"];
    if (rule?.delayMs !== undefined && rule.delayMs > 0) {
      await new Promise((r) => setTimeout(r, rule.delayMs));
      faultKind = "delay";
    }
    if (rule?.dropConnection === "before") {
      log(method, path, url, body, 0, undefined, undefined, "drop-before");
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    if (rule?.respond !== undefined) {
      reply = faultReply(rule);
      faultKind = "respond";
    } else {
      reply = await handle(method, path, url, body, bodyError, req.headers);
    }
    if (rule?.dropConnection === "after") {
      log(method, path, url, body, 0, reply.body, reply.errorCode, "drop-after");
      req.socket.destroy();
      return;
    }
    reply.headers["x-ms-request-id"] = randomUUID();
    reply.headers["x-ms-correlation-request-id"] =
      headerValue(req.headers["x-ms-client-request-id"]) ?? randomUUID();
    const hasBody = reply.body !== undefined && reply.status !== 204;
    if (hasBody) reply.headers["content-type"] = "application/json; charset=utf-8";
    const text = hasBody ? JSON.stringify(reply.body) : "";
    record(method, url, req.headers, body ?? (raw.length > 0 ? raw.toString("utf8") : undefined), reply);
    log(method, path, url, body, reply.status, reply.body, reply.errorCode, faultKind);
    res.writeHead(reply.status, { ...reply.headers, "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
  }

  function log(
    method: string,
    path: string,
    url: URL,
    requestBody: unknown,
    status: number,
    responseBody: unknown,
    errorCode: string | undefined,
    fault: EmulatorRequest["fault"],
  ): void {
    requests.push({
      seq: ++seq,
      at: Date.now(),
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      requestBody,
      status,
      responseBody,
      ...(errorCode === undefined ? {} : { errorCode }),
      ...(fault === undefined ? {} : { fault }),
    });
  }

  function record(
    method: string,
    url: URL,
    headers: IncomingMessage["headers"],
    body: unknown,
    reply: Reply,
  ): void {
    const reqHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) continue;
      reqHeaders[k.toLowerCase()] =
        k.toLowerCase() === "authorization" ? "<redacted>" : Array.isArray(v) ? v.join(", ") : v;
    }
    const line = {
      request: {
        method,
        url: `${endpoint}${url.pathname}${url.search}`,
        headers: reqHeaders,
        ...(body === undefined ? {} : { body }),
      },
      response: {
        statusCode: reply.status,
        headers: reply.headers,
        ...(reply.body === undefined || reply.status === 204 ? {} : { body: reply.body }),
      },
    };
    appendFileSync(trafficFile as string, `${JSON.stringify(line)}\n`);
  }

  function faultReply(rule: FaultRule): Reply {
    const r = rule.respond;
    if (r === undefined) throw new Error("unreachable");
    const code = r.code ?? defaultCodeForStatus(r.status);
    const headers: Record<string, string> = { ...r.headers };
    if (r.retryAfterSeconds !== undefined) headers["retry-after"] = String(r.retryAfterSeconds);
    return {
      status: r.status,
      headers,
      body: { error: { code, message: r.message ?? `Injected fault: ${r.status} ${code}.` } },
      errorCode: code,
    };
  }

  async function handle(
    method: string,
    path: string,
    url: URL,
    body: unknown,
    bodyError: ArmError | undefined,
    headers: IncomingMessage["headers"],
  ): Promise<Reply> {
    try {
      const auth = headerValue(headers["authorization"]);
      if (auth === undefined || !/^Bearer\s+\S+/i.test(auth)) {
        throw new ArmError(
          401,
          "AuthenticationFailed",
          auth === undefined
            ? "Authentication failed. The 'Authorization' header is missing."
            : "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        );
      }
      if (bodyError !== undefined) throw bodyError;
      const result = await route(method, path, url, isObject(body) ? body : {});
      return result;
    } catch (error) {
      if (error instanceof ArmError) {
        return {
          status: error.status,
          headers: { ...error.headers },
          body: error.body(),
          errorCode: error.code,
        };
      }
      throw error;
    }
  }

  async function route(
    method: string,
    path: string,
    url: URL,
    body: Record<string, unknown>,
  ): Promise<Reply> {
    const segs = path.split("/").filter((s) => s !== "");
    const is = (i: number, word: string): boolean => segs[i]?.toLowerCase() === word.toLowerCase();
    if (!is(0, "subscriptions") || segs[1] === undefined) throw notImplemented(method, path);
    const subscription = segs[1];
    if (
      options.subscriptionId !== undefined &&
      subscription.toLowerCase() !== options.subscriptionId.toLowerCase()
    ) {
      throw new ArmError(
        404,
        "SubscriptionNotFound",
        `The subscription '${subscription}' could not be found.`,
      );
    }
    // /subscriptions/{sub}/providers/Microsoft.Compute/...
    if (is(2, "providers") && is(3, "Microsoft.Compute")) {
      if (segs.length === 5) {
        const type = listType(segs[4]);
        if (type === undefined) throw notImplemented(method, path);
        const apiVersion = checkApiVersion(
          url,
          type === "galleries" ? GALLERY_API_VERSION : DISK_API_VERSION,
          segs[4] ?? "",
        );
        requireMethod(method, ["GET"]);
        return listReply(
          url,
          apiVersion,
          model.list(type, (r) => r.subscription.toLowerCase() === subscription.toLowerCase()),
        );
      }
      if (segs.length === 8 && is(4, "locations") && (is(6, "capsOperations") || is(6, "DiskOperations"))) {
        requireMethod(method, ["GET"]);
        return operationReply(url, segs[7] ?? "");
      }
      throw notImplemented(method, path);
    }
    if (
      !is(2, "resourceGroups") ||
      segs[3] === undefined ||
      !is(4, "providers") ||
      !is(5, "Microsoft.Compute")
    ) {
      throw notImplemented(method, path);
    }
    const resourceGroup = segs[3];
    if (allowedGroups !== undefined && !allowedGroups.has(resourceGroup.toLowerCase())) {
      throw new ArmError(
        404,
        "ResourceGroupNotFound",
        `Resource group '${resourceGroup}' could not be found.`,
      );
    }
    const scope: Scope = { subscription, resourceGroup };
    const rest = segs.slice(6);
    const top = rest[0]?.toLowerCase();
    if (top === "galleries") {
      const apiVersion = checkApiVersion(url, GALLERY_API_VERSION, "galleries");
      const [, gallery, imagesWord, image, versionsWord, version] = rest;
      if (gallery === undefined) {
        requireMethod(method, ["GET"]);
        return listReply(
          url,
          apiVersion,
          model.list("galleries", (r) => inScope(r, scope)),
        );
      }
      const galleryId = ComputeModel.galleryId(scope, gallery);
      if (imagesWord === undefined) {
        return resourceCall(method, url, apiVersion, galleryId, "galleries", gallery, scope, {
          put: () => model.putGallery(scope, gallery, body),
          patch: () => model.patchGallery(scope, gallery, body),
        });
      }
      if (imagesWord.toLowerCase() !== "images") throw notImplemented(method, path);
      const parentGallery = model.get(galleryId);
      if (image === undefined) {
        requireMethod(method, ["GET"]);
        if (parentGallery === undefined)
          throw resourceNotFound("Microsoft.Compute/galleries", gallery, resourceGroup);
        return listReply(
          url,
          apiVersion,
          model.list("images", (r) => r.parentKey === parentGallery.key),
        );
      }
      const imageId = `${parentGallery?.id ?? galleryId}/images/${image}`;
      if (versionsWord === undefined) {
        return resourceCall(method, url, apiVersion, imageId, "images", `${gallery}/${image}`, scope, {
          put: () => model.putImage(scope, gallery, image, body),
          patch: () => model.putImage(scope, gallery, image, body, true),
        });
      }
      if (versionsWord.toLowerCase() !== "versions" || rest.length > 6) throw notImplemented(method, path);
      const parentImage = model.get(imageId);
      if (version === undefined) {
        requireMethod(method, ["GET"]);
        if (parentImage === undefined) {
          throw resourceNotFound("Microsoft.Compute/galleries/images", `${gallery}/${image}`, resourceGroup);
        }
        return listReply(
          url,
          apiVersion,
          model.list("versions", (r) => r.parentKey === parentImage.key),
        );
      }
      const versionId = `${parentImage?.id ?? imageId}/versions/${version}`;
      return resourceCall(
        method,
        url,
        apiVersion,
        versionId,
        "versions",
        `${gallery}/${image}/${version}`,
        scope,
        {
          put: () => model.putVersion(scope, gallery, image, version, body),
          patch: () => model.putVersion(scope, gallery, image, version, body, true),
        },
      );
    }
    if (top === "disks" || top === "snapshots") {
      const apiVersion = checkApiVersion(url, DISK_API_VERSION, top);
      const name = rest[1];
      if (name === undefined) {
        requireMethod(method, ["GET"]);
        return listReply(
          url,
          apiVersion,
          model.list(top, (r) => inScope(r, scope)),
        );
      }
      if (rest.length > 2) throw notImplemented(method, path);
      const id = ComputeModel.topLevelId(scope, top, name);
      return resourceCall(method, url, apiVersion, id, top, name, scope, {
        put: () => model.putDiskOrSnapshot(scope, top, name, body),
        patch: () => model.putDiskOrSnapshot(scope, top, name, body, true),
      });
    }
    throw notImplemented(method, path);
  }

  async function resourceCall(
    method: string,
    url: URL,
    apiVersion: string,
    id: string,
    type: ResourceType,
    displayName: string,
    scope: Scope,
    writers: {
      put: () => HandlerResult | Promise<HandlerResult>;
      patch: () => HandlerResult | Promise<HandlerResult>;
    },
  ): Promise<Reply> {
    switch (method) {
      case "GET": {
        const r = model.get(id);
        if (r === undefined) throw resourceNotFound(typeName(type), displayName, scope.resourceGroup);
        const expand = (url.searchParams.get("$expand") ?? "").toLowerCase();
        return {
          status: 200,
          headers: {},
          body: model.toJson(r, type === "versions" && expand.includes("replicationstatus")),
        };
      }
      case "PUT":
        return lroReply(url, apiVersion, await writers.put());
      case "PATCH":
        return lroReply(url, apiVersion, await writers.patch());
      case "DELETE":
        return lroReply(url, apiVersion, model.delete(id));
      default:
        throw methodNotAllowed(method);
    }
  }

  function lroReply(url: URL, apiVersion: string, result: HandlerResult): Reply {
    const headers: Record<string, string> = {};
    if (result.lro !== undefined) {
      const stored = model.get(result.lro.key);
      const opUrl = operationUrl(result.lro.key, result.lro.kind, stored, apiVersion);
      headers["retry-after"] = String(timing.retryAfterSeconds);
      if (result.lro.kind === "delete") {
        headers["location"] = opUrl;
        if (options.asyncOperationHeader !== false) headers["azure-asyncoperation"] = opUrl;
      } else {
        headers["location"] = `${endpoint}${url.pathname}?api-version=${apiVersion}`;
        if (options.asyncOperationHeader !== false) headers["azure-asyncoperation"] = opUrl;
      }
    }
    return { status: result.status, headers, ...(result.body === undefined ? {} : { body: result.body }) };
  }

  function operationUrl(
    key: string,
    kind: Operation["kind"],
    stored: Stored | undefined,
    apiVersion: string,
  ): string {
    const id = randomUUID();
    operations.set(id, { key, kind, startedAt: Date.now() });
    const sub = stored?.subscription ?? "00000000-0000-0000-0000-000000000000";
    const location = stored?.location ?? "westeurope";
    const family = apiVersion === DISK_API_VERSION ? "DiskOperations" : "capsOperations";
    return `${endpoint}/subscriptions/${sub}/providers/Microsoft.Compute/locations/${location}/${family}/${id}?api-version=${apiVersion}`;
  }

  function operationReply(url: URL, id: string): Reply {
    const op = operations.get(id);
    if (op === undefined) throw new ArmError(404, "NotFound", `The operation '${id}' was not found.`);
    const status = model.operationStatus(op.key, op.kind);
    const body = {
      name: id,
      status: status.status,
      startTime: new Date(op.startedAt).toISOString(),
      ...(status.status === "InProgress" ? {} : { endTime: new Date().toISOString() }),
      ...(status.error === undefined ? {} : { error: status.error }),
    };
    if (status.status === "InProgress") {
      return {
        status: 202,
        headers: {
          location: `${endpoint}${url.pathname}${url.search}`,
          "retry-after": String(timing.retryAfterSeconds),
        },
        body,
      };
    }
    return { status: 200, headers: {}, body };
  }

  function listReply(url: URL, apiVersion: string, items: Stored[]): Reply {
    const skip = Math.max(0, Number.parseInt(url.searchParams.get("$skiptoken") ?? "0", 10) || 0);
    const page = items.slice(skip, skip + pageSize);
    const body: Record<string, unknown> = { value: page.map((r) => model.toJson(r)) };
    if (skip + pageSize < items.length) {
      body["nextLink"] =
        `${endpoint}${url.pathname}?api-version=${apiVersion}&%24skiptoken=${skip + pageSize}`;
    }
    return { status: 200, headers: {}, body };
  }

  function checkApiVersion(url: URL, expected: string, typeName: string): string {
    const given = url.searchParams.get("api-version");
    if (given === null || given === "") {
      throw new ArmError(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    }
    if (given !== expected) {
      throw new ArmError(
        400,
        "NoRegisteredProviderFound",
        `No registered resource provider found for API version '${given}' and type '${typeName}'. The emulator serves api-version '${expected}' (what @azure/arm-compute 25.1.1 sends).`,
      );
    }
    return given;
  }

  const state: EmulatorState = {
    galleries: () => model.all("galleries").map((r) => model.toJson(r) as ResourceJson),
    images: () => model.all("images").map((r) => model.toJson(r) as ResourceJson),
    versions: () => model.all("versions").map((r) => model.toJson(r, true) as ResourceJson),
    disks: () => model.all("disks").map((r) => model.toJson(r) as ResourceJson),
    snapshots: () => model.all("snapshots").map((r) => model.toJson(r) as ResourceJson),
    get: (id) => {
      const r = model.get(id);
      return r === undefined ? undefined : (model.toJson(r, r.type === "versions") as ResourceJson);
    },
    replication: (id) => {
      const r = model.get(id);
      return r?.type === "versions" ? model.replication(r) : undefined;
    },
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `https://127.0.0.1:${port}`;
  const ownCertDir = certDirGiven === undefined ? tlsMaterial.dir : undefined;
  let stopped = false;

  return {
    endpoint,
    port,
    caCertPath: tlsMaterial.certPath,
    trafficFile,
    faults,
    state,
    get requests() {
      return [...requests];
    },
    clearRequests: () => {
      requests.length = 0;
    },
    storageAccountId: (sub, rg, name) =>
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${name}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownTrafficDir !== undefined && process.env["SIG_PUBLISH_KEEP_TRAFFIC"] === undefined) {
        rmSync(ownTrafficDir, { recursive: true, force: true });
      }
      if (ownCertDir !== undefined) rmSync(ownCertDir, { recursive: true, force: true });
    },
  };
}

function inScope(r: Stored, s: Scope): boolean {
  return (
    r.subscription.toLowerCase() === s.subscription.toLowerCase() &&
    r.resourceGroup.toLowerCase() === s.resourceGroup.toLowerCase()
  );
}

function listType(segment: string | undefined): "galleries" | "disks" | "snapshots" | undefined {
  const s = segment?.toLowerCase();
  return s === "galleries" || s === "disks" || s === "snapshots" ? s : undefined;
}

function typeName(type: ResourceType): string {
  return {
    galleries: "Microsoft.Compute/galleries",
    images: "Microsoft.Compute/galleries/images",
    versions: "Microsoft.Compute/galleries/images/versions",
    disks: "Microsoft.Compute/disks",
    snapshots: "Microsoft.Compute/snapshots",
  }[type];
}

function requireMethod(method: string, allowed: string[]): void {
  if (!allowed.includes(method)) throw methodNotAllowed(method);
}

function methodNotAllowed(method: string): ArmError {
  return new ArmError(
    405,
    "MethodNotAllowed",
    `The requested resource does not support http method '${method}'.`,
  );
}

function notImplemented(method: string, path: string): ArmError {
  return new ArmError(404, "NotFound", `The ARM emulator does not serve ${method} ${path}.`);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > 8 * 1024 * 1024) throw new Error("request body too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
